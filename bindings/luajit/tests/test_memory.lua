-- Memory and callbacks: cached imports allocate nothing that stays, runtimes take no callback slot.
local ffi = require "ffi"
local importkit = require "importkit"
local C = require "check"

local T = {}
local function test(name, f) T[#T + 1] = { name, f } end

local N = 10000

-- Lua heap (KiB) after a full collection.
local function heap()
  C.full_gc()
  return collectgarbage("count")
end

test("10,000 imports of cached modules: Lua memory steady", function()
  local rt = importkit.runtime{ mounts = { app = {
    ["init.lua"] = "return {}",
    ["util.lua"] = "function again(n) local last for i = 1, n do last = import('.util') end return last end",
  } } }
  local app = rt:import("app")
  local util = rt:import("app.util")
  for _ = 1, 100 do rt:import("app.util") end -- warm up
  local before = heap()
  for _ = 1, N do
    assert(rt:import("app") == app)
    assert(rt:import("app.util") == util)
    assert(rt:import(".util", "app") == util)
  end
  C.eq(util.again(N), util, "a module importing in a loop")
  local after = heap()
  C.ok(after - before < 64, string.format("Lua heap grew by %.1f KiB (%.1f -> %.1f)", after - before, before, after))
  rt:close()
end)

test("10,000 requires of cached modules through the installed searcher: memory steady", function()
  local p = C.unique("memreq")
  local rt = importkit.install{ parents = true, environments = "module", path = false, mounts = { [p] = { ["init.lua"] = "return {}", ["x.lua"] = "return {}" } } }
  local ok, err = pcall(function()
    local x = require(p .. ".x")
    local before = heap()
    for _ = 1, N do
      assert(require(p .. ".x") == x)
      assert(rt:import(p .. ".x") == x)
    end
    local after = heap()
    C.ok(after - before < 64, string.format("Lua heap grew by %.1f KiB", after - before))
  end)
  importkit.uninstall()
  rt:close()
  package.loaded[p], package.loaded[p .. ".x"] = nil, nil
  if not ok then error(err, 0) end
end)

test("10,000 failed imports: error objects and their ik_error are freed (Lua heap and process RSS)", function()
  local rt = importkit.runtime{ mounts = { app = { ["init.lua"] = "", ["bad.lua"] = "error('x')" } } }
  for _ = 1, 200 do pcall(rt.import, rt, "app.missing") pcall(rt.import, rt, "app.bad") end
  local before, rss_before = heap(), C.rss_kib()
  for _ = 1, N do
    pcall(rt.import, rt, "app.missing")
    pcall(rt.import, rt, "app.bad")
  end
  local after, rss_after = heap(), C.rss_kib()
  C.ok(after - before < 64, string.format("Lua heap grew by %.1f KiB", after - before))
  if rss_before and rss_after then
    -- 20,000 leaked errors of a few hundred bytes each would be several MiB.
    C.ok(rss_after - rss_before < 2048, string.format("RSS grew by %d KiB", rss_after - rss_before))
  end
  rt:close()
end)

test("10,000 failed requires under install(): no error object kept (process RSS steady)", function()
  local rt = importkit.install{ cpath = false }
  local ok, err = pcall(function()
    -- Error objects are freed with the Lua objects that hold them: collected every 1,000 requires, so what
    -- grows is what is never freed.
    -- The first round fills the allocator's arenas; the second is measured.
    local function round()
      for i = 1, N do
        pcall(require, "zz_importkit_missing")
        if i % 1000 == 0 then C.full_gc() end
      end
    end
    round()
    local rss_before = C.rss_kib()
    round()
    local rss_after = C.rss_kib()
    if rss_before and rss_after then
      -- 10,000 leaked error objects (their messages list every search directory) would be several MiB.
      C.ok(rss_after - rss_before < 2048, string.format("RSS grew by %d KiB", rss_after - rss_before))
    end
  end)
  importkit.uninstall()
  rt:close()
  if not ok then error(err, 0) end
end)

test("callbacks do not leak: 3,000 runtimes (more than LuaJIT's callback slots) closed or collected", function()
  local envs = setmetatable({}, { __mode = "k" })
  local files = { ["init.lua"] = "local c = import '.child'\nreturn { c = c }", ["child.lua"] = "x = 1" }
  -- In a function of its own, so no local of the loop (in a register or a trace's stack slot) outlives it.
  local function make_runtimes()
    for i = 1, 3000 do
      local rt = importkit.runtime{ mounts = { app = files }, natives = { nat = function() return {} end } }
      local app = rt:import("app")
      rt:import("nat")
      envs[app.c] = true
      if i % 2 == 0 then rt:close() end -- the others are left to the GC (ffi.gc finalizer)
    end
  end
  make_runtimes()
  -- Finalizers run in one cycle and free what they held in the next.
  for _ = 1, 4 do C.full_gc() end
  local left = 0
  for _ in pairs(envs) do left = left + 1 end
  C.eq(left, 0, "modules of closed and collected runtimes are freed")
  -- Callback slots are still available to the program.
  local cb = ffi.cast("int (*)(int)", function(x) return x + 1 end)
  C.eq(cb(1), 2, "a new callback")
  cb:free()
end)

test("a collected runtime is freed by its finalizer; its modules keep it alive while reachable", function()
  local weak = setmetatable({}, { __mode = "v" })
  local fn
  do
    local rt = importkit.runtime{ mounts = { m = { ["init.lua"] = "function later() return import('.sub').v end", ["sub.lua"] = "return { v = 9 }" } } }
    weak.rt = rt
    fn = rt:import("m").later
  end
  C.full_gc()
  C.ok(weak.rt ~= nil, "alive while a module function (through its import) is reachable")
  C.eq(fn(), 9, "and usable")
  fn = nil
  C.full_gc()
  C.eq(weak.rt, nil, "collected once nothing reaches it")
end)

test("fresh imports in a hot loop (callbacks while the JIT is on)", function()
  local rt = importkit.runtime{ mounts = { app = { ["init.lua"] = "", ["x.lua"] = "n = (n or 0) + 1\nreturn { n = n }" } } }
  local total = 0
  for _ = 1, 3000 do
    if rt:contains("app.x") then rt:remove("app.x") end
    total = total + rt:import("app.x").n
  end
  C.eq(total, 3000, "executed every time (n is fresh in every new environment)")
  local before = heap()
  for _ = 1, 3000 do
    rt:remove("app.x")
    rt:import("app.x")
  end
  local after = heap()
  C.ok(after - before < 64, string.format("Lua heap grew by %.1f KiB", after - before))
  rt:close()
end)

return T

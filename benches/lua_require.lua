-- require() of every Penlight module (Debian's lua-penlight, /usr/share/lua/5.1/pl) under plain LuaJIT,
-- under importkit.install() (the same files, found by importkit), and under importkit.install{ bundle = }
-- from a bundle of Penlight with its bytecode (built once, before the runs, by importkit.bundle{ compile =
-- true }), side by side: fresh luajit processes, the variants alternating in each round (their order
-- rotating); prints a Markdown table of medians (and bests). Run by benches/lua_require.sh:
--     luajit benches/lua_require.lua [RUNS] [CACHED_ROUNDS]
-- A child (one measured process) is `luajit benches/lua_require.lua child MODE BINDING CACHED_ROUNDS [BUNDLE]`.
local ffi = require "ffi"
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
local function now() -- seconds, CLOCK_MONOTONIC
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local PL = "/usr/share/lua/5.1/pl"

local function modules()
  local names = {}
  local p = assert(io.popen("ls '" .. PL .. "'"))
  for f in p:lines() do
    local stem = f:match("^(.+)%.lua$")
    if stem then names[#names + 1] = stem == "init" and "pl" or "pl." .. stem end
  end
  p:close()
  table.sort(names)
  return names
end

if arg[1] == "child" then
  local mode, binding, rounds, bundle = arg[2], arg[3], tonumber(arg[4]), arg[5]
  local names = modules()
  local t_bind, t0 = 0, nil
  local importkit
  if mode ~= "plain" then
    local b = now()
    importkit = dofile(binding)
    t_bind = now() - b
  end
  t0 = now()
  local rt
  if mode == "install" then rt = importkit.install() end
  if mode == "bundle" then rt = importkit.install{ bundle = bundle } end
  for _, name in ipairs(names) do require(name) end
  local t_load = now() - t0
  if mode == "bundle" then
    -- Every module came from the bundle's bytecode: no source compiled, none read from the directory.
    local s = rt:code_cache_stats()
    assert(s.hits_source == #names and s.compiles == 0 and s.misses == 0, "not every module ran from bytecode")
    assert(debug.getinfo(require("pl.utils").assert_arg, "S").source == "@bundle:/pl/utils.lua", "not the bundle's")
  end
  -- Every module again, `rounds` times: each require answered from package.loaded.
  local c = now()
  for _ = 1, rounds do
    for i = 1, #names do require(names[i]) end
  end
  local t_cached = now() - c
  local loaded = 0
  for _, name in ipairs(names) do if package.loaded[name] ~= nil then loaded = loaded + 1 end end
  io.write(string.format("%d %d %.9f %.9f %.9f\n", #names, loaded, t_bind, t_load, t_cached / (rounds * #names)))
  os.exit(0)
end

local runs = tonumber(arg[1]) or 21
local rounds = tonumber(arg[2]) or 1000
local here = debug.getinfo(1, "S").source:sub(2):match("^(.*)/[^/]*$") or "."
local binding = here .. "/../bindings/luajit/importkit.lua"
local luajit = "luajit"
do
  local i = -1
  while arg[i - 1] do i = i - 1 end
  if arg[i] then luajit = arg[i] end
end
local lib = os.getenv("IMPORTKIT_LIB")
if not lib then error("set IMPORTKIT_LIB to the library to measure (benches/lua_require.sh does)") end

-- The bundle: Penlight's directory (under pl/) with each module's bytecode, built by the binding.
local bundle = os.tmpname() .. ".ikb"
do
  local tree = os.tmpname()
  os.remove(tree)
  assert(os.execute(string.format("mkdir -p '%s' && cp -r '%s' '%s/pl'", tree, PL, tree)) == 0)
  package.path = here .. "/../bindings/luajit/?.lua;" .. package.path
  local info = require("importkit").bundle{ out = bundle, dirs = { tree }, compile = true }
  os.execute(string.format("rm -rf '%s'", tree))
  io.stderr:write(string.format("bundle: %s, %d bytes, %d modules with bytecode (%s)\n", bundle, info.size,
    info.compiled, require("importkit").cache_tag))
end

local function child(mode)
  local cmd = string.format("%s %s/lua_require.lua child %s '%s' %d '%s'", luajit, here, mode, binding, rounds, bundle)
  local w = now()
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  local ok = p:close()
  local wall = now() - w
  local n, loaded, bind, load, cached = out:match("^(%d+) (%d+) (%S+) (%S+) (%S+)")
  if not n or not ok then error(mode .. " run failed:\n" .. out) end
  assert(tonumber(n) == tonumber(loaded), mode .. ": not every module loaded")
  return { n = tonumber(n), bind = tonumber(bind), load = tonumber(load), cached = tonumber(cached), wall = wall }
end

local MODES = { "plain", "install", "bundle" }
local samples = { plain = {}, install = {}, bundle = {} }
for r = 1, runs do
  for k = 0, #MODES - 1 do
    local mode = MODES[(r + k - 1) % #MODES + 1]
    table.insert(samples[mode], child(mode))
  end
end
os.remove(bundle)

local function stat(list, key)
  local v = {}
  for i, s in ipairs(list) do v[i] = s[key] end
  table.sort(v)
  local m = #v % 2 == 1 and v[(#v + 1) / 2] or (v[#v / 2] + v[#v / 2 + 1]) / 2
  return m, v[1]
end

local n = samples.plain[1].n
print(string.format("%d Penlight modules, %d runs per variant (fresh luajit each, the order rotating), cached: %d rounds x %d requires per run",
  n, runs, rounds, n))
print(string.format("library: %s", lib))
print("")
print("| measure | plain LuaJIT require (source files) | importkit.install() (the same files) | " ..
  "importkit.install{ bundle = } (bytecode) | install() / plain | bundle / plain | targets |")
print("|---|---|---|---|---|---|---|")
-- `targets`: { install = { OP, RATIO }, bundle = { OP, RATIO } }: a variant meets its target when its median
-- over plain's median is OP ("<" or "<=") RATIO.
local function verdict(what, ratio, t)
  local met = (t[1] == "<" and ratio < t[2]) or (t[1] == "<=" and ratio <= t[2])
  return string.format("%s %s %.2fx: %s", what, t[1], t[2], met and "met" or "not met")
end

local function row(label, key, unit, scale, fmt, targets)
  local pm, pb = stat(samples.plain, key)
  local im, ib = stat(samples.install, key)
  local bm, bb = stat(samples.bundle, key)
  local function cell(m, b) return string.format(fmt .. " %s (best " .. fmt .. ")", m * scale, unit, b * scale) end
  local verdicts = targets and (verdict("install()", im / pm, targets.install) .. "; " ..
    verdict("bundle", bm / pm, targets.bundle)) or "(reference)"
  print(string.format("| %s | %s | %s | %s | %.3fx | %.3fx | %s |", label, cell(pm, pb), cell(im, ib), cell(bm, bb),
    im / pm, bm / pm, verdicts))
end
row("require every module (install() included)", "load", "ms", 1e3, "%.2f",
  { install = { "<=", 1.05 }, bundle = { "<", 1.00 } })
row("cached require, per call", "cached", "ns", 1e9, "%.1f", { install = { "<=", 1.00 }, bundle = { "<=", 1.00 } })
local im, ib = stat(samples.install, "bind")
local bm, bb = stat(samples.bundle, "bind")
print(string.format("| loading the binding (`dofile` of importkit.lua, not in the rows above) | n/a | %.2f ms (best %.2f) | %.2f ms (best %.2f) | | | |",
  im * 1e3, ib * 1e3, bm * 1e3, bb * 1e3))
row("whole process (wall, via popen)", "wall", "ms", 1e3, "%.2f", nil)

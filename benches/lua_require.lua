-- require() of every Penlight module (Debian's lua-penlight, /usr/share/lua/5.1/pl) under plain LuaJIT
-- and under importkit.install(), side by side: fresh luajit processes, the variants alternating in each
-- round; prints a Markdown table of medians (and bests). Run by benches/lua_require.sh:
--     luajit benches/lua_require.lua [RUNS] [CACHED_ROUNDS]
-- A child (one measured process) is `luajit benches/lua_require.lua child MODE BINDING CACHED_ROUNDS`.
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
  local mode, binding, rounds = arg[2], arg[3], tonumber(arg[4])
  local names = modules()
  local t_bind, t0 = 0, nil
  local importkit
  if mode == "install" then
    local b = now()
    importkit = dofile(binding)
    t_bind = now() - b
  end
  t0 = now()
  if importkit then importkit.install() end
  for _, name in ipairs(names) do require(name) end
  local t_load = now() - t0
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

local function child(mode)
  local cmd = string.format("%s %s/lua_require.lua child %s '%s' %d", luajit, here, mode, binding, rounds)
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

local samples = { plain = {}, install = {} }
for r = 1, runs do
  local order = r % 2 == 1 and { "plain", "install" } or { "install", "plain" }
  for _, mode in ipairs(order) do
    local s = child(mode)
    table.insert(samples[mode], s)
  end
end

local function stat(list, key)
  local v = {}
  for i, s in ipairs(list) do v[i] = s[key] end
  table.sort(v)
  local m = #v % 2 == 1 and v[(#v + 1) / 2] or (v[#v / 2] + v[#v / 2 + 1]) / 2
  return m, v[1]
end

local n = samples.plain[1].n
print(string.format("%d Penlight modules, %d runs per variant (fresh luajit each, alternating), cached: %d rounds x %d requires per run",
  n, runs, rounds, n))
print(string.format("library: %s", lib))
print("")
print("| measure | plain LuaJIT require | importkit.install() | ratio (median) | target |")
print("|---|---|---|---|---|")
local function row(label, key, unit, scale, fmt, target, extra)
  local pm, pb = stat(samples.plain, key)
  local im, ib = stat(samples.install, key)
  local ratio = im / pm
  local verdict = target and (ratio <= target and "met" or "not met") or ""
  print(string.format("| %s | %s %s (best %s) | %s %s (best %s) | %.3fx | %s |", label,
    string.format(fmt, pm * scale), unit, string.format(fmt, pb * scale),
    string.format(fmt, im * scale), unit, string.format(fmt, ib * scale), ratio,
    target and string.format("<= %.2fx: %s", target, verdict) or (extra or "")))
end
row("require every module (install() included)", "load", "ms", 1e3, "%.2f", 1.05)
row("cached require, per call", "cached", "ns", 1e9, "%.1f", 1.00)
local bm, bb = stat(samples.install, "bind")
print(string.format("| loading the binding (`dofile` of importkit.lua, not in the rows above) | n/a | %.2f ms (best %.2f) | | |",
  bm * 1e3, bb * 1e3))
row("whole process (wall, via popen)", "wall", "ms", 1e3, "%.2f", nil, "(reference)")

-- C modules under importkit.install(): found by importkit along package.cpath (an extension kind), loaded
-- with package.loadlib as Lua's C searchers load them. Tiny C modules are compiled here (cc against the
-- LuaJIT headers: Debian's libluajit-5.1-dev, which scripts/test.sh installs); each program runs in a fresh
-- luajit, once with plain require and once under install(), and the reports are compared.
local importkit = require "importkit"
local C = require "check"
local luajit_exe, sh, write, absolute = C.luajit_exe, C.sh, C.write, C.absolute

local T = {}
local function test(name, f) T[#T + 1] = { name, f } end

local here = debug.getinfo(1, "S").source:sub(2):match("^(.*)[/\\][^/\\]*$") or "."
local binding = absolute(here .. "/../importkit.lua")

-- Each luaopen_ function returns { who = <its module>, arg = <its first argument>, n = <how many> }.
local SOURCE = [[
#include <lua.h>
#include <lauxlib.h>
static int make(lua_State *L, const char *who) {
  int n = lua_gettop(L);
  lua_createtable(L, 0, 3);
  lua_pushstring(L, who); lua_setfield(L, -2, "who");
  if (n > 0) { lua_pushvalue(L, 1); lua_setfield(L, -2, "arg"); }
  lua_pushinteger(L, n); lua_setfield(L, -2, "n");
  return 1;
}
#define OPEN(sym, who) int sym(lua_State *L) { return make(L, who); }
/* A symbol no C identifier spells (luaopen_two-three), through an assembler name. */
#define OPEN_AS(cname, sym, who) int cname(lua_State *L) __asm__(sym); int cname(lua_State *L) { return make(L, who); }
]]

-- Library file (relative) -> the luaopen_ functions it exports.
local LIBS = {
  ["cmod.so"] = { "luaopen_cmod", "luaopen_cmod_sub", "luaopen_cmod_deep_x" }, -- cmod.sub, cmod.deep.x: all-in-one
  ["v2-dash.so"] = { "luaopen_dash" },                     -- require "v2-dash": luaopen_dash (the '-' rule)
  ["one-two-three.so"] = { "=luaopen_two-three" },         -- only the part up to the first '-' is dropped
  ["v1-a/b.so"] = { "luaopen_a_b" },                       -- "v1-a.b": the file keeps the '-', the name not
  ["pkg/inner.so"] = { "luaopen_pkg_inner" },              -- pkg.inner as pkg/inner.so (no pkg.so needed)
  ["nosym.so"] = { "luaopen_other" },                      -- no luaopen_nosym
  ["shadow.so"] = { "luaopen_shadow" },                    -- shadow.lua is in package.path: the Lua file wins
}

local compiler_ok, compiler_why
local function cc()
  if compiler_ok ~= nil then return compiler_ok, compiler_why end
  local out, ok = sh("command -v cc && test -f /usr/include/luajit-2.1/lua.h")
  compiler_ok, compiler_why = ok, not ok and ("cc or the LuaJIT headers are missing (apt-get install gcc " ..
    "libluajit-5.1-dev): " .. out) or nil
  return compiler_ok, compiler_why
end

-- A temporary directory with the libraries of LIBS built in it, and `files` (relative path -> text).
local function make_tree(files)
  local ok, why = cc()
  if not ok then error(why, 2) end
  local dir = os.tmpname()
  os.remove(dir)
  assert(sh("mkdir -p '" .. dir .. "'"))
  for lib, syms in pairs(LIBS) do
    local src = { SOURCE }
    for i, s in ipairs(syms) do
      if s:sub(1, 1) == "=" then
        src[#src + 1] = ("OPEN_AS(open_%d, \"\\\"%s\\\"\", %q)"):format(i, s:sub(2), s:sub(2))
      else
        src[#src + 1] = ("OPEN(%s, %q)"):format(s, s)
      end
    end
    local sub = (dir .. "/" .. lib):match("^(.*)/[^/]*$")
    local c = dir .. "/" .. lib:gsub("[/.]", "_") .. ".c"
    write(c, table.concat(src, "\n") .. "\n")
    local out, built = sh(("mkdir -p '%s' && cc -shared -fPIC -I/usr/include/luajit-2.1 -o '%s/%s' '%s'"):format(
      sub, dir, lib, c))
    if not built then error("cannot build " .. lib .. ":\n" .. out, 2) end
  end
  write(dir .. "/bad.so", "not a shared library\n")
  for path, text in pairs(files or {}) do write(dir .. "/" .. path, text) end
  return dir
end

local PRELUDE = [==[
local MODE, BINDING, OPTS = ...
package.path = "./?.lua;" .. package.path
package.cpath = "./?.so;" .. package.cpath
local importkit
if MODE == "install" or MODE == "install-only" then
  importkit = dofile(BINDING)
  importkit.install(OPTS and assert(loadstring("return " .. OPTS))() or nil)
end
-- install-only: LuaJIT's own C searchers taken out, so what loads was found by importkit.
local lua_c_searchers = 0
if MODE == "install-only" then
  for i = #package.loaders, 1, -1 do
    if package.loaders[i] ~= importkit.installed() and i >= 4 then
      table.remove(package.loaders, i)
      lua_c_searchers = lua_c_searchers + 1
    end
  end
  assert(lua_c_searchers == 2, "expected LuaJIT's two C searchers after its Lua searcher")
end
local out = {}
local function show(v)
  if type(v) ~= "table" then return (string.format(type(v) == "string" and "%q" or "%s", tostring(v))) end
  local keys, by = {}, {}
  for k in pairs(v) do
    keys[#keys + 1] = tostring(k)
    by[tostring(k)] = k
  end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. show(v[by[k]]) end
  return "{" .. table.concat(parts, ",") .. "}"
end
local function R(k, v) out[#out + 1] = k .. " = " .. show(v) end
-- Lua's lines of a not-found message (install() adds importkit's attempts, which start "importkit").
local function lua_lines(msg)
  if type(msg) ~= "string" then return msg end
  return (msg:gsub("\n\timportkit[^\n]*", ""))
end
local function try(name)
  local ok, v = pcall(require, name)
  if ok then return v end
  return "error: " .. lua_lines(v)
end
-- Whether the process has the library mapped (dlopen'ed).
local function mapped(lib)
  local f = io.open("/proc/self/maps")
  local maps = f:read("*a")
  f:close()
  return maps:find("/" .. lib, 1, true) ~= nil
end
]==]

local function run(dir, mode, body, opts)
  write(dir .. "/main.lua", PRELUDE .. body .. "\nio.write(table.concat(out, '\\n'), '\\n')\n")
  local cmd = "cd '" .. dir .. "' && IMPORTKIT_LIB='" .. absolute(importkit.library_path()) .. "' " .. luajit_exe() ..
    " main.lua " .. mode .. " '" .. binding .. "'"
  if opts then cmd = cmd .. " '" .. opts .. "'" end
  local out, ok = sh(cmd)
  if not ok then error("the program failed under " .. mode .. ":\n" .. out, 2) end
  return out
end

-- Plain require and install() (with LuaJIT's C searchers taken out: importkit alone finds them) report
-- the same; returns the report.
local function same(dir, body, opts, modes)
  local plain = run(dir, "plain", body)
  for _, mode in ipairs(modes or { "install", "install-only" }) do
    local inst = run(dir, mode, body, opts)
    C.eq(inst, plain, "plain require and install() (" .. mode .. ") differ")
  end
  return plain
end

test("a C module is found by importkit along package.cpath and loaded as plain require loads it", function()
  local dir = make_tree({ ["shadow.lua"] = "return { who = 'shadow.lua' }" })
  local r = same(dir, [[
    local m = require "cmod"
    R("cmod", m)
    R("same table again", rawequal(require "cmod", m))
    R("pkg.inner", require "pkg.inner")
    R("package.loaded.pkg", package.loaded.pkg)
    R("shadow", require "shadow")
    R("bad", try "bad")
    R("nosym", try "nosym")
    R("luaopen_cmod via loadlib is the same library", package.loadlib("./cmod.so", "luaopen_cmod") ~= nil)
  ]], nil, { "install" })
  C.ok(r:find('cmod = {arg="cmod",n=1,who="luaopen_cmod"}', 1, true), r)
  C.ok(r:find('pkg.inner = {arg="pkg.inner",n=1,who="luaopen_pkg_inner"}', 1, true), r)
  C.ok(r:find([[shadow = {who="shadow.lua"}]], 1, true), r)
  C.ok(r:find([[bad = "error: error loading module 'bad' from file './bad.so']], 1, true), r)
  C.ok(r:find([[undefined symbol: luaopen_nosym]], 1, true), r)
  -- importkit alone (LuaJIT's C searchers out): the modules that load are importkit's finds.
  same(dir, [[
    R("cmod", require "cmod")
    R("pkg.inner", require "pkg.inner")
    R("shadow", require "shadow")
    R("bad", try "bad")
  ]], nil, { "install-only" })
  sh("rm -rf '" .. dir .. "'")
end)

test("luaopen_ names: the part up to the first '-' dropped, dots made underscores", function()
  local dir = make_tree()
  local r = same(dir, [[
    R("v2-dash", require "v2-dash")
    R("one-two-three", require "one-two-three")
    R("v1-a.b", require "v1-a.b")
  ]])
  C.ok(r:find('v2-dash = {arg="v2-dash",n=1,who="luaopen_dash"}', 1, true), r)
  C.ok(r:find('one-two-three = {arg="one-two-three",n=1,who="luaopen_two-three"}', 1, true), r)
  C.ok(r:find('v1-a.b = {arg="v1-a.b",n=1,who="luaopen_a_b"}', 1, true), r)
  sh("rm -rf '" .. dir .. "'")
end)

test("the all-in-one loader: a.b found as luaopen_a_b in a.so; a missing function lists the file", function()
  local dir = make_tree()
  local r = same(dir, [[
    R("cmod.sub", require "cmod.sub")
    R("cmod.deep.x", require "cmod.deep.x")
    R("cmod loaded by then", package.loaded.cmod)
  ]])
  r = r .. same(dir, [[ R("cmod.none", try "cmod.none") ]], nil, { "install" })
  C.ok(r:find('cmod.sub = {arg="cmod.sub",n=1,who="luaopen_cmod_sub"}', 1, true), r)
  C.ok(r:find('cmod.deep.x = {arg="cmod.deep.x",n=1,who="luaopen_cmod_deep_x"}', 1, true), r)
  C.ok(r:find("no module 'cmod.none' in file './cmod.so'", 1, true), r)
  sh("rm -rf '" .. dir .. "'")
end)

test("a missing C module: Lua's message, with the C paths importkit tried", function()
  local dir = make_tree()
  same(dir, [[ R("zz", try "zz_missing"); R("zz.y", try "zz.y") ]], nil, { "install" })
  local out = run(dir, "install", [[
    local ok, e = pcall(require, "zz.missing")
    R("message", e)
    R("attempts", importkit.last_error().attempts)
  ]])
  C.ok(out:find("importkit cpath: no file './zz/missing.so'", 1, true), out)
  C.ok(out:find("no file '/usr/local/lib/lua/5.1/zz/missing.so'", 1, true), out)
  -- The root's library looked for too (all-in-one): zz.so along the templates.
  C.ok(out:find("importkit cpath: no file './zz.so'", 1, true), out)
  C.ok(out:find('place="cpath",reason="no file \'./zz/missing.so\'"', 1, true), out)
  sh("rm -rf '" .. dir .. "'")
end)

test("policy: a denied C module raises at once and its library is never opened", function()
  local dir = make_tree()
  local out = run(dir, "install", [[
    local ok, e = pcall(require, "cmod")
    R("ok", ok)
    R("message", e)
    R("loaded", package.loaded.cmod)
    R("mapped", mapped("cmod.so"))
    local ok2, e2 = pcall(require, "cmod.sub")
    R("ok sub", ok2)
    R("status", importkit.last_error().code)
    importkit.installed():deny("v2-dash")
    R("denied later", select(2, pcall(require, "v2-dash")))
    R("still works", require("pkg.inner").who)
  ]], '{ deny = "cmod" }')
  C.ok(out:find("ok = false", 1, true), out)
  C.ok(out:find([[message = "module 'cmod' not found:]], 1, true), out)
  C.ok(out:find("importkit: import of 'cmod' denied by policy", 1, true), out)
  C.ok(out:find("loaded = nil", 1, true), out)
  C.ok(out:find("mapped = false", 1, true), out)
  C.ok(out:find("ok sub = false", 1, true), out)
  C.ok(out:find('status = "IK_ERR_DENIED"', 1, true), out)
  C.ok(out:find([[denied later = "module 'v2-dash' not found:]], 1, true), out)
  C.ok(out:find('still works = "luaopen_pkg_inner"', 1, true), out)
  -- An allow list forbids every C module it does not name.
  local allow = run(dir, "install", [[ R("lpeg", select(2, pcall(require, "cmod"))) ]], '{ allow = { "pkg" } }')
  C.ok(allow:find("denied by policy", 1, true), allow)
  -- cpath = false: importkit leaves C modules to LuaJIT's searchers (here taken out: not found).
  local off = run(dir, "install-only", [[ R("cmod", try "cmod") ]], "{ cpath = false }")
  C.ok(off:find([[cmod = "error: module 'cmod' not found:]], 1, true), off)
  sh("rm -rf '" .. dir .. "'")
end)

test("real C modules (Debian's lua-lpeg, lua-cjson for 5.1) load through importkit as through require", function()
  local have = {}
  for _, m in ipairs({ "lpeg", "cjson" }) do
    local f = io.open("/usr/lib/x86_64-linux-gnu/lua/5.1/" .. m .. ".so")
    if f then
      f:close()
      have[#have + 1] = m
    end
  end
  if #have == 0 then
    print("     (skipped: neither lua-lpeg nor lua-cjson is installed)")
    return
  end
  local dir = make_tree()
  local r = same(dir, [[
    if package.cpath:find("/usr/lib/x86_64-linux-gnu/lua/5.1/?.so", 1, true) then
      local ok, lpeg = pcall(require, "lpeg")
      if ok then
        R("lpeg.version", lpeg.version())
        R("lpeg match", lpeg.match(lpeg.C(lpeg.R("az") ^ 1), "hello world"))
      end
      local okc, cjson = pcall(require, "cjson")
      if okc then R("cjson", cjson.encode({ 1, 2, { a = true } })) end
    end
  ]])
  for _, m in ipairs(have) do C.ok(r:find(m, 1, true), r) end
  sh("rm -rf '" .. dir .. "'")
end)

return T

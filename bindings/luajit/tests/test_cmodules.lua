-- C modules through importkit: under importkit.install() (Lua's semantics: found along package.cpath, an
-- extension kind, loaded with package.loadlib as Lua's C searchers load them) and under importkit's own
-- semantics (importkit.runtime{ cpath = ... } with rt:import, and install{ parents = true }: the host finder
-- of C modules, the executor opening the library). Tiny C modules are compiled here (cc against the LuaJIT
-- headers: Debian's libluajit-5.1-dev, which scripts/test.sh installs); install programs run in a fresh
-- luajit, once with plain require and once under install(), and the reports are compared; the runtime tests
-- run in this process. Debian's lua-lpeg, lua-cjson and lua-filesystem are the real cases.
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
  ["sock/core.so"] = { "luaopen_sock_core" },              -- sock.core beside sock.lua (luasocket's layout)
  -- C bodies of their own (after "!"): a luaopen_ that raises; one that returns nothing after luaL_register
  -- stored its table in package.loaded (Lua 5.1's way).
  ["raises.so"] = { "!int luaopen_raises(lua_State *L) { return luaL_error(L, \"raises: refused %s\", " ..
    "lua_tostring(L, 1)); }" },
  -- The same module in two libraries: along "./lib/lib?.so" (a template importkit does not search) and "./?.so".
  ["lib/libcmx.so"] = { "!int luaopen_cmx(lua_State *L) { lua_pushstring(L, \"lib/libcmx.so\"); return 1; }" },
  ["cmx.so"] = { "!int luaopen_cmx(lua_State *L) { lua_pushstring(L, \"cmx.so\"); return 1; }" },
  ["reg.so"] = { "!static int hello(lua_State *L) { lua_pushstring(L, \"hello\"); return 1; }\n" ..
    "static const luaL_Reg fns[] = { { \"hello\", hello }, { NULL, NULL } };\n" ..
    "int luaopen_reg(lua_State *L) { luaL_register(L, \"reg\", fns); return 0; }" },
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
      if s:sub(1, 1) == "!" then
        src[#src + 1] = s:sub(2)
      elseif s:sub(1, 1) == "=" then
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
  for path, text in pairs(files or {}) do
    local sub = path:match("^(.*)/[^/]*$")
    if sub then assert(sh("mkdir -p '" .. dir .. "/" .. sub .. "'")) end
    write(dir .. "/" .. path, text)
  end
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

test("install(): a cpath template importkit does not search, first, gives the library Lua's searcher opens", function()
  local dir = make_tree({ ["src/cml/init.lua"] = "return 'src/cml/init.lua'" })
  assert(sh("cp '" .. dir .. "/cmx.so' '" .. dir .. "/cml.so'"))
  -- The templates are set before install() (its cpath is package.cpath then) and for plain require alike.
  local r = same(dir, [[
    package.cpath = "./lib/lib?.so;./?.so"
    package.path = "./?.lua;./src/?/init.lua"
    R("cmx", require "cmx")   -- lib/libcmx.so: the first template, which importkit does not search
    R("cml", require "cml")   -- src/cml/init.lua: a Lua file, before any C module
  ]], "(function() package.cpath = [=[./lib/lib?.so;./?.so]=] return {} end)()", { "install" })
  C.ok(r:find('cmx = "lib/libcmx.so"', 1, true), r)
  C.ok(r:find('cml = "src/cml/init.lua"', 1, true), r)
  sh("rm -rf '" .. dir .. "'")
end)

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

---------------------------------------------------------------------------------------------------------------
-- C modules under importkit's semantics: importkit.runtime{ cpath = ... } and install{ parents = true }
---------------------------------------------------------------------------------------------------------------

-- One tree for the runtime tests of this process (its libraries stay loaded once opened).
local shared_tree
local function tree()
  if not shared_tree then
    shared_tree = make_tree({
      ["shadow.lua"] = "return { who = 'shadow.lua' }",
      ["sock.lua"] = "return { who = 'sock.lua' }",
      ["cmod/lchild.lua"] = "return { who = 'cmod/lchild.lua', arg = ... }",
      ["uses.lua"] = "local c = import 'cmod'; return { cmod = c.who, sub = import('cmod.sub').who }",
    })
  end
  return shared_tree
end

local function c_runtime(dir, opts)
  opts = opts or {}
  opts.path = opts.path or { dir }
  if opts.cpath == nil then opts.cpath = dir .. "/?.so" end
  return importkit.runtime(opts)
end

-- Whether this process has the library at `path` mapped (dlopen'ed).
local function mapped(path)
  local f = assert(io.open("/proc/self/maps"))
  local maps = f:read("*a")
  f:close()
  return maps:find(path, 1, true) ~= nil
end

test("runtime: a Lua child of a broken root library is found; the root library is not opened for it", function()
  local dir = make_tree({
    ["brk/init.lua"] = "return { who = 'brk/init.lua' }",
    ["brk/x.lua"] = "return { who = 'brk/x.lua' }",
    -- cmod.so holds luaopen_cmod_sub (all-in-one); cmod/lchild.lua is a Lua child, found as a Lua file.
    ["cmod/lchild.lua"] = "return { who = 'cmod/lchild.lua' }",
  })
  write(dir .. "/brk.so", "not a shared library\n")
  local rt = c_runtime(dir)
  C.eq(rt:import("brk.x").who, "brk/x.lua", "the Lua file, not the broken all-in-one library")
  local rt2 = c_runtime(dir)
  C.eq(rt2:import("cmod.lchild").who, "cmod/lchild.lua", "the Lua child")
  rt:close()
  rt2:close()
  sh("rm -rf '" .. dir .. "'")
end)

test("runtime: a template finds only files with its own suffix (a cpath mixing suffixes)", function()
  local dir = make_tree()
  assert(sh("mkdir -p '" .. dir .. "/libdir' && cp '" .. dir .. "/cmod.so' '" .. dir .. "/cmod.dylib'"))
  local rt = c_runtime(dir, { cpath = dir .. "/libdir/?.dylib;" .. dir .. "/?.so" })
  C.eq(rt:import("cmod").who, "luaopen_cmod", "./cmod.so, past the .dylib template's directory")
  C.eq(rt:find("cmod").file, dir .. "/cmod.so", "the .so")
  rt:close()
  sh("rm -rf '" .. dir .. "'")
end)

test("runtime: 3,000 distinct failing names with cpath keep no state per name (Lua heap steady)", function()
  local dir = tree()
  local rt = c_runtime(dir, { cpath = dir .. "/?.so;/nonexistent-importkit/?.so" })
  for i = 1, 100 do pcall(rt.import, rt, "warm" .. i) end
  C.full_gc()
  local before = collectgarbage("count")
  for i = 1, 3000 do
    local ok, e = pcall(rt.import, rt, "nomod" .. i)
    assert(not ok and e.status == importkit.status.IK_ERR_NOT_FOUND)
    if i == 1 then C.ok(e.message:find("no file '" .. dir .. "/nomod1.so'", 1, true), e.message) end
  end
  C.full_gc()
  local grew = collectgarbage("count") - before
  C.ok(grew < 128, string.format("Lua heap grew by %.1f KiB", grew))
  rt:close()
end)

test("runtime: rt:import of C modules along cpath, with Lua's luaopen_ names and the all-in-one rule", function()
  local dir = tree()
  local rt = c_runtime(dir)
  local m = rt:import("cmod")
  C.eq(m.who, "luaopen_cmod", "cmod's function")
  C.eq(m.arg, "cmod", "luaopen_ gets the name")
  C.eq(m.n, 1, "luaopen_ gets one argument, as from require")
  C.ok(rawequal(rt:import("cmod"), m), "the same value again")
  local spec = rt:find("cmod")
  C.eq(spec.kind, "extension", "kind")
  C.eq(spec.file, dir .. "/cmod.so", "file: the template filled in")
  C.eq(spec.origin, "fs:" .. dir .. "/cmod.so", "origin")
  C.eq(spec.is_package, true, "a C module is a package: it may have submodules, as in Lua")
  C.eq(rt:import("v2-dash").who, "luaopen_dash", "'-': the part up to it dropped")
  C.eq(rt:import("one-two-three").who, "luaopen_two-three", "only up to the first '-'")
  -- The all-in-one loader: cmod.sub is luaopen_cmod_sub in cmod.so (its parent cmod imported first).
  local sub = rt:import("cmod.sub")
  C.eq(sub.who, "luaopen_cmod_sub", "all-in-one")
  C.eq(sub.arg, "cmod.sub", "all-in-one: the full name")
  C.eq(rt:find("cmod.sub").file, dir .. "/cmod.so", "all-in-one: the root's library")
  -- A Lua child of a C module, in the search directories (as cjson/util.lua beside cjson.so).
  local lchild = rt:import("cmod.lchild")
  C.eq(lchild.who, "cmod/lchild.lua", "a Lua file under a C module")
  C.eq(lchild.arg, "cmod.lchild", "its chunk's name argument")
  -- Lua files first: shadow.lua wins over shadow.so, as with Lua's searchers.
  C.eq(rt:import("shadow").who, "shadow.lua", "the Lua file wins")
  C.eq(rt:find("shadow").kind, "source", "shadow is the Lua file")
  -- A Lua module importing C modules.
  local uses = rt:import("uses")
  C.eq(uses.cmod, "luaopen_cmod", "import from a module")
  C.eq(uses.sub, "luaopen_cmod_sub", "import of the all-in-one child from a module")
  -- luaL_register's package.loaded entry is the value of a luaopen_ that returns nothing, as under require.
  local reg = rt:import("reg")
  C.eq(type(reg), "table", "reg's value: the table luaL_register made")
  C.eq(reg.hello(), "hello", "reg's function")
  local names = table.concat(rt:modules(), " ")
  C.eq(names, "cmod cmod.lchild cmod.sub one-two-three reg shadow uses v2-dash", "the runtime's table")
  rt:close()
end)

test("runtime: a C module's library that does not open, a missing luaopen_, a luaopen_ that raises", function()
  local dir = tree()
  local rt = c_runtime(dir)
  local e = C.raises_code("IK_ERR_EXEC", "C module 'bad': cannot open library '" .. dir .. "/bad.so': " .. dir ..
    "/bad.so: ", rt.import, rt, "bad")
  C.eq(e.module, "bad", "the error's module")
  C.eq(rt:contains("bad"), false, "not in the table")
  C.raises_code("IK_ERR_EXEC", "C module 'nosym': no function 'luaopen_nosym' in library '" .. dir ..
    "/nosym.so' (" .. dir .. "/nosym.so: undefined symbol: luaopen_nosym)", rt.import, rt, "nosym")
  local r = C.raises_code("IK_ERR_EXEC", "raises: refused raises", rt.import, rt, "raises")
  C.ok(tostring(r.cause):find("raises: refused raises", 1, true), "the cause is the C function's error")
  C.eq(rt:contains("raises"), false, "a C module that raised leaves the table")
  C.raises_code("IK_ERR_EXEC", "raises: refused raises", rt.import, rt, "raises") -- run again, as importkit's rule
  -- all-in-one: the root's library without the function is not found, naming it
  local nf = C.raises_code("IK_ERR_NOT_FOUND", "no module 'cmod.none' in file '" .. dir .. "/cmod.so'",
    rt.import, rt, "cmod.none")
  C.eq(nf.attempts[#nf.attempts].place, "cpath", "the all-in-one attempt")
  C.eq(nf.attempts[#nf.attempts].reason, "no module 'cmod.none' in file '" .. dir .. "/cmod.so'", "its reason")
  rt:close()
end)

test("runtime: attempts list the cpath places, after the Lua files; no cpath, no C module", function()
  local dir = tree()
  local rt = c_runtime(dir, { cpath = dir .. "/?.so;" .. dir .. "/lib/?.so;/usr/local/lib/lua/5.1/loadall.so" })
  local e = C.raises_code("IK_ERR_NOT_FOUND", "No module named 'zz_missing'", rt.import, rt, "zz_missing")
  local places, reasons = {}, {}
  for i, a in ipairs(e.attempts) do places[i], reasons[i] = a.place, a.reason end
  C.eq(table.concat(places, ","), "native," .. dir .. ",cpath,cpath", "the places")
  C.eq(reasons[3], "no file '" .. dir .. "/zz_missing.so'", "the first template")
  C.eq(reasons[4], "no file '" .. dir .. "/lib/zz_missing.so'", "the second (loadall.so is no template of importkit's)")
  C.ok(tostring(e):find("no zz_missing.lua, no zz_missing/init.lua; cpath: no file '" .. dir ..
    "/zz_missing.so', no file '" .. dir .. "/lib/zz_missing.so')", 1, true), tostring(e))
  C.eq(rt:find("zz_missing"), nil, "find: nothing")
  rt:close()
  -- A runtime opens no library unless given cpath: C modules are not found (and no cpath place is listed).
  local plain = importkit.runtime{ path = { dir } }
  local n = C.raises_code("IK_ERR_NOT_FOUND", "No module named 'cmod'", plain.import, plain, "cmod")
  for _, a in ipairs(n.attempts) do C.ok(a.place ~= "cpath" and a.place ~= "host:cpath", "no cpath place") end
  plain:close()
  -- cpath = true: package.cpath's templates.
  local saved = package.cpath
  package.cpath = dir .. "/?.so"
  local ok, rt2 = pcall(importkit.runtime, { cpath = true })
  package.cpath = saved
  assert(ok, rt2)
  C.eq(rt2:import("v2-dash").who, "luaopen_dash", "cpath = true")
  rt2:close()
end)

test("runtime: a C module under a Lua module or a missing parent: importkit's parents-first error says why", function()
  local dir = tree()
  local rt = c_runtime(dir)
  -- sock.core beside sock.lua: plain require finds sock/core.so by its whole name; importkit's sock is no package.
  C.raises_code("IK_ERR_NOT_FOUND", "No module named 'sock.core'; 'sock' is not a package; C module 'sock.core' " ..
    "is at '" .. dir .. "/sock/core.so', but importkit imports its parent 'sock' first and finds a submodule " ..
    "only in a package: 'sock' is a module, not a package (fs:" .. dir .. "/sock.lua)", rt.import, rt, "sock.core")
  -- pkg/inner.so without pkg: the parent is missing.
  local e = C.raises_code("IK_ERR_NOT_FOUND", "C module 'pkg.inner' is at '" .. dir .. "/pkg/inner.so', but " ..
    "importkit imports its parent 'pkg' first", rt.import, rt, "pkg.inner")
  C.ok(tostring(e):find("'pkg' was not found", 1, true), tostring(e))
  C.eq(e.module, "pkg", "the module not found")
  C.raises_code("IK_ERR_NOT_FOUND", "'v1-a' was not found", rt.import, rt, "v1-a.b")
  -- An all-in-one name two levels down needs its parent: cmod.deep is no module.
  C.raises_code("IK_ERR_NOT_FOUND", "No module named 'cmod.deep'", rt.import, rt, "cmod.deep.x")
  rt:close()
end)

test("runtime: the policy covers C modules: a denied one is refused before its library is opened", function()
  local dir = make_tree()
  local rt = c_runtime(dir, { deny = "cmod" })
  C.raises_code("IK_ERR_DENIED", "import of 'cmod' denied by policy", rt.import, rt, "cmod")
  C.raises_code("IK_ERR_DENIED", "denied by policy", rt.import, rt, "cmod.sub")
  C.raises_code("IK_ERR_DENIED", "denied by policy", rt.find, rt, "cmod")
  C.eq(mapped(dir .. "/cmod.so"), false, "the library was never opened")
  C.eq(rt:import("v2-dash").who, "luaopen_dash", "others import")
  rt:deny("one-two-three")
  C.raises_code("IK_ERR_DENIED", "denied by policy", rt.import, rt, "one-two-three")
  C.eq(mapped(dir .. "/one-two-three.so"), false, "denied later: never opened")
  rt:close()
  -- An allow list forbids every native module it does not name.
  local only = c_runtime(dir, { allow = { "pkg" } })
  C.raises_code("IK_ERR_DENIED", "denied by policy", only.import, only, "cmod")
  C.eq(mapped(dir .. "/cmod.so"), false, "not opened")
  only:close()
  sh("rm -rf '" .. dir .. "'")
end)

test("runtime: mounts come before C modules (mounted after the runtime was made too); natives first", function()
  local dir = tree()
  local rt = c_runtime(dir, { natives = { ["v2-dash"] = function() return "native" end } })
  rt:mount("cmod", { ["init.lua"] = "return 'mounted'" })
  C.eq(rt:import("cmod"), "mounted", "the mount wins over cmod.so")
  C.eq(rt:import("v2-dash"), "native", "the native wins")
  C.eq(rt:import("one-two-three").who, "luaopen_two-three", "a C module still found after the mount")
  rt:close()
end)

test("runtime: C modules are never reloaded nor watched", function()
  local dir = tree()
  local rt = c_runtime(dir)
  local m = rt:import("cmod")
  C.raises_code("IK_ERR_IMPORT", "C module 'cmod' (" .. dir .. "/cmod.so) cannot be reloaded", rt.reload, rt, "cmod")
  C.ok(rawequal(rt:import("cmod"), m), "still the module")
  rt:import("shadow")
  rt:watch() -- (Linux: statx)
  local names = rt:watched()
  C.eq(table.concat(names, " "), "shadow", "only the Lua file is watched")
  assert(sh("touch -d @1000000000 '" .. dir .. "/cmod.so'"))
  C.eq(#rt:poll_changes(), 0, "a changed library is no change")
  rt:unwatch()
  rt:close()
  -- The last test of the shared tree: it goes (a later filtered run makes it again).
  sh("rm -rf '" .. dir .. "'")
  shared_tree = nil
end)

-- install{ parents = true }: programs that plain require and importkit's semantics run alike.
test("install{ parents = true }: C modules through importkit's runtime, as plain require loads them", function()
  local dir = make_tree({ ["shadow.lua"] = "return { who = 'shadow.lua' }" })
  local body = [[
    local m = require "cmod"
    R("cmod", m)
    R("same table again", rawequal(require "cmod", m))
    R("cmod.sub", require "cmod.sub")
    R("v2-dash", require "v2-dash")
    R("one-two-three", require "one-two-three")
    R("shadow", require "shadow")
    R("reg", require("reg").hello())
    R("package.loaded.cmod is the module", rawequal(package.loaded.cmod, m))
  ]]
  local r = same(dir, body, "{ parents = true }")
  C.ok(r:find('cmod.sub = {arg="cmod.sub",n=1,who="luaopen_cmod_sub"}', 1, true), r)
  C.ok(r:find('reg = "hello"', 1, true), r)
  -- importkit's own: the module in its table, errors as objects, the cpath places in Lua's message.
  local out = run(dir, "install-only", [[
    R("cmod", require("cmod").who)
    R("in the table", importkit.installed():contains("cmod"))
    R("kind", importkit.installed():find("cmod").kind)
    local ok, e = pcall(require, "bad")
    R("bad", tostring(e))
    local ok2, e2 = pcall(require, "zz_missing")
    R("missing", e2)
    R("reload", select(2, pcall(importkit.installed().reload, importkit.installed(), "cmod")).code)
  ]], "{ parents = true }")
  C.ok(out:find('in the table = true', 1, true), out)
  C.ok(out:find('kind = "extension"', 1, true), out)
  C.ok(out:find("C module 'bad': cannot open library './bad.so': ./bad.so: ", 1, true), out)
  C.ok(out:find("importkit cpath: no file './zz_missing.so'", 1, true), out)
  C.ok(out:find('reload = "IK_ERR_IMPORT"', 1, true), out)
  local denied = run(dir, "install-only", [[
    R("cmod", select(2, pcall(require, "cmod")).code)
    R("mapped", mapped("cmod.so"))
  ]], '{ parents = true, deny = "cmod" }')
  C.ok(denied:find('cmod = "IK_ERR_DENIED"', 1, true), denied)
  C.ok(denied:find("mapped = false", 1, true), denied)
  -- cpath = false: C modules are LuaJIT's (taken out here: not found).
  local off = run(dir, "install-only", [[ R("cmod", try "cmod") ]], "{ parents = true, cpath = false }")
  C.ok(off:find([[cmod = "error: module 'cmod' not found:]], 1, true), off)
  sh("rm -rf '" .. dir .. "'")
end)

test("install() (Lua's semantics): rt:reload of a C module require loaded is refused", function()
  local dir = make_tree()
  local out = run(dir, "install", [[
    R("cmod", require("cmod").who)
    local ok, e = pcall(importkit.installed().reload, importkit.installed(), "cmod")
    R("reload", tostring(e))
  ]])
  C.ok(out:find("C module 'cmod' (./cmod.so) cannot be reloaded", 1, true), out)
  sh("rm -rf '" .. dir .. "'")
end)

-- Debian's lua-lpeg, lua-cjson (with cjson/util.lua, a Lua file under a C module) and lua-filesystem.
local DEBIAN_C = "/usr/lib/x86_64-linux-gnu/lua/5.1"
local function have_debian(m)
  local f = io.open(DEBIAN_C .. "/" .. m .. ".so")
  if f then f:close() end
  return f ~= nil
end

test("real C modules (lpeg, cjson and cjson.util, lfs) through rt:import and install{ parents = true }", function()
  if not (have_debian("lpeg") and have_debian("cjson") and have_debian("lfs")) then
    print("     (skipped: lua-lpeg, lua-cjson and lua-filesystem are not all installed)")
    return
  end
  local rt = importkit.runtime{ path = { "/usr/share/lua/5.1" }, cpath = DEBIAN_C .. "/?.so" }
  local lpeg = rt:import("lpeg")
  C.eq(rt:find("lpeg").file, DEBIAN_C .. "/lpeg.so", "lpeg's file")
  C.eq(lpeg.match(lpeg.C(lpeg.R("az") ^ 1), "hello world"), "hello", "lpeg works")
  local cjson = rt:import("cjson")
  C.eq(cjson.encode({ 1, 2, { a = true } }), '[1,2,{"a":true}]', "cjson works")
  local util = rt:import("cjson.util")
  C.eq(rt:find("cjson.util").origin, "fs:/usr/share/lua/5.1/cjson/util.lua", "cjson.util: the Lua file")
  C.eq(type(util.serialise_value), "function", "cjson.util's API")
  local lfs = rt:import("lfs")
  C.eq(lfs.attributes(DEBIAN_C .. "/lfs.so", "mode"), "file", "lfs works")
  C.eq(table.concat(rt:modules(), " "), "cjson cjson.util lfs lpeg", "the runtime's table")
  rt:close()
  local dir = make_tree()
  local r = same(dir, [[
    package.cpath = "]] .. DEBIAN_C .. [[/?.so;" .. package.cpath
    local lpeg = require "lpeg"
    R("lpeg.version", lpeg.version())
    R("lpeg match", lpeg.match(lpeg.C(lpeg.R("az") ^ 1), "hello world"))
    local cjson = require "cjson"
    R("cjson", cjson.encode({ 1, 2, { a = true } }))
    R("cjson.decode", cjson.decode('{"x":[1,2]}'))
    R("cjson.util", type(require("cjson.util").serialise_value))
    local lfs = require "lfs"
    R("lfs", lfs.attributes("main.lua", "mode"))
    R("lfs.dir", type(lfs.dir))
  ]], "{ parents = true }")
  C.ok(r:find('lpeg match = "hello"', 1, true), r)
  C.ok(r:find('cjson.util = "function"', 1, true), r)
  C.ok(r:find('lfs = "file"', 1, true), r)
  sh("rm -rf '" .. dir .. "'")
end)

return T

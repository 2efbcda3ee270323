-- importkit.install() keeps Lua's semantics: the same programs under plain `require` and under install()
-- give the same package.loaded, globals, chunk names, chunk arguments and error values. Each program runs
-- in a fresh luajit, in a temporary directory with a relative package.path entry ("./?.lua"), once with plain
-- require and once with importkit installed; their reports are compared line by line.
local importkit = require "importkit"
local C = require "check"
local luajit_exe, sh, write, absolute = C.luajit_exe, C.sh, C.write, C.absolute

local T = {}
local function test(name, f) T[#T + 1] = { name, f } end

local here = debug.getinfo(1, "S").source:sub(2):match("^(.*)[/\\][^/\\]*$") or "."
local binding = absolute(here .. "/../importkit.lua")

-- A temporary directory holding `files` (relative path -> text).
local function make_tree(files)
  local dir = os.tmpname()
  os.remove(dir)
  for path, text in pairs(files) do
    local sub = (dir .. "/" .. path):match("^(.*)/[^/]*$")
    assert(sh("mkdir -p '" .. sub .. "'"))
    write(dir .. "/" .. path, text)
  end
  assert(sh("mkdir -p '" .. dir .. "'"))
  return dir
end

-- What every program starts with: R(key, value) reports a line; show() prints values comparably (tables by
-- the package.loaded key that holds them, else their sorted keys; addresses removed).
local PRELUDE = [==[
local MODE, BINDING, OPTS = ...
require "ffi"
package.path = "./?.lua;./?/init.lua;" .. package.path
local importkit
if MODE == "install" then
  importkit = dofile(BINDING)
  importkit.install(OPTS and assert(loadstring("return " .. OPTS))() or nil)
end
local out = {}
local function noaddr(s) return (s:gsub("0x%x+", "0x?")) end
local function show(v, depth)
  local t = type(v)
  if t == "string" then return noaddr(string.format("%q", v)) end
  if t ~= "table" then return noaddr(tostring(v)) end
  local holder -- the first key (in sorted order) of package.loaded that holds it
  for k, m in pairs(package.loaded) do
    if rawequal(m, v) and (holder == nil or tostring(k) < holder) then holder = tostring(k) end
  end
  if holder then return "package.loaded[" .. string.format("%q", holder) .. "]" end
  if (depth or 0) > 1 then return "table" end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. show(v[k] == nil and v[tonumber(k)] or v[k], (depth or 0) + 1) end
  return "{" .. table.concat(parts, ",") .. "}"
end
local function R(k, v) out[#out + 1] = k .. " = " .. show(v) end
-- Lua's lines of a not-found message (importkit adds its own attempts to it).
local function lua_lines(msg)
  if type(msg) ~= "string" then return msg end
  return (msg:gsub("\n\timportkit[^\n]*", ""))
end
local function loaded_keys()
  local keys = {}
  for k in pairs(package.loaded) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  return table.concat(keys, " ")
end
local function globals()
  local keys = {}
  for k in pairs(_G) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. ":" .. show(_G[k], 2) end
  return table.concat(parts, " ")
end
local function tb(e) return debug.traceback(e, 1) end
]==]

local EPILOGUE = [==[
R("package.loaded keys", loaded_keys())
R("_G", globals())
io.write(table.concat(out, "\n"), "\n")
]==]

-- Runs `body` in `dir` under `mode` ("plain" or "install", with install's options as Lua source).
local function run(dir, mode, body, opts)
  write(dir .. "/main.lua", PRELUDE .. body .. "\n" .. EPILOGUE)
  local cmd = "cd '" .. dir .. "' && IMPORTKIT_LIB='" .. absolute(importkit.library_path()) .. "' " .. luajit_exe() ..
    " main.lua " .. mode .. " '" .. binding .. "'"
  if opts then cmd = cmd .. " '" .. opts .. "'" end
  local out, ok = sh(cmd)
  if not ok then error("the program failed under " .. mode .. ":\n" .. out, 2) end
  return out
end

-- The reports of plain require and install() must be equal; returns the report.
local function same(files, body, opts)
  local dir = make_tree(files)
  local plain = run(dir, "plain", body)
  local inst = run(dir, "install", body, opts)
  sh("rm -rf '" .. dir .. "'")
  if plain ~= inst then
    local pl, il = {}, {}
    for l in plain:gmatch("[^\n]*") do pl[#pl + 1] = l end
    for l in inst:gmatch("[^\n]*") do il[#il + 1] = l end
    for i = 1, math.max(#pl, #il) do
      if pl[i] ~= il[i] then
        local a, b = tostring(pl[i]), tostring(il[i])
        local k = 1
        while k <= #a and a:sub(k, k) == b:sub(k, k) do k = k + 1 end
        local from = math.max(1, k - 80)
        error(string.format("plain require and install() differ at line %d, column %d:\n  plain:   ...%s\n  install: ...%s",
          i, k, a:sub(from, k + 120), b:sub(from, k + 120)), 2)
      end
    end
  end
  return plain
end

local TREE = {
  ["pkg/init.lua"] = "PKG_INIT_RAN = true\nreturn { init = true }",
  ["pkg/child.lua"] = "CHILD_ARGS = { n = select('#', ...), ... }\nCHILD_SOURCE = debug.getinfo(1, 'S').source\n" ..
    "CHILD_G = _G\nreturn { child = true, src = CHILD_SOURCE }",
  ["noparent/leaf.lua"] = "return { leaf = true, src = debug.getinfo(1, 'S').source }",
  ["noparent/deep/pkg/init.lua"] = "return 'deep package'",
  ["mods/nothing.lua"] = "NOTHING_RAN = (NOTHING_RAN or 0) + 1",
  ["mods/self.lua"] = "package.loaded[...] = { set_by_itself = true }",
  ["pkg/bad.lua"] = "BAD_RUNS = (BAD_RUNS or 0) + 1\nerror('boom')",
  ["mods/bad.lua"] = "BAD_RUNS = (BAD_RUNS or 0) + 1\nlocal x = 1\nerror('boom')",
  ["mods/badvalue.lua"] = "BAD_VALUE = { code = 42 }\nerror(BAD_VALUE)",
  ["mods/level2.lua"] = "local function f() error('from the caller', 2) end\nf()",
  ["mods/needs.lua"] = "return require 'zz_missing_module'",
  ["mods/syntax.lua"] = "return {",
  ["mods/shebang.lua"] = "#!/usr/bin/env luajit\nreturn debug.getinfo(1, 'l').currentline",
  ["mods/cyc_a.lua"] = "return { b = require 'mods.cyc_b' }",
  ["mods/cyc_b.lua"] = "return { a = require 'mods.cyc_a' }",
  ["mods/deepfail.lua"] = "local function inner() local t = nil; return t.field end\nreturn inner()",
}

test("no parent runs first; a missing parent does not hide a present child", function()
  local r = same(TREE, [[
    local child = require "pkg.child"
    R("PKG_INIT_RAN", PKG_INIT_RAN)
    R("package.loaded.pkg", package.loaded.pkg)
    R("child", child)
    R("leaf", require "noparent.leaf")
    R("leaf's chunk name", require("noparent.leaf").src)
    R("deep package without parents", require "noparent.deep.pkg")
    R("parent after", require "pkg")
    R("PKG_INIT_RAN after", PKG_INIT_RAN)
  ]])
  C.ok(r:find('PKG_INIT_RAN = nil', 1, true), r)
  C.ok(r:find([[leaf's chunk name = "@./noparent/leaf.lua"]], 1, true), r)
end)

test("globals are _G's; package.loaded as Lua stores it; the chunk's arguments as LuaJIT passes them", function()
  local r = same(TREE, [[
    require "pkg.child"
    R("args", CHILD_ARGS)
    R("_G inside is _G", rawequal(CHILD_G, _G))
    R("nothing", require "mods.nothing")
    R("nothing again", require "mods.nothing")
    R("runs", NOTHING_RAN)
    R("self", require "mods.self")
    R("loaded self", package.loaded["mods.self"])
    package.loaded["mods.nothing"] = nil
    R("nothing once dropped", require "mods.nothing")
    R("runs once dropped", NOTHING_RAN)
  ]])
  C.ok(r:find('args = {1="pkg.child",n=1}', 1, true), r)
  C.ok(r:find('nothing = true', 1, true), r)
end)

test("errors raised by modules pass unchanged: strings with Lua's position, values, tracebacks", function()
  local r = same(TREE, [[
    local ok, e = pcall(require, "mods.bad")
    R("bad", e)
    R("bad loaded", package.loaded["mods.bad"] ~= nil)
    ok, e = pcall(require, "mods.bad")
    R("bad again", e)
    R("bad runs", BAD_RUNS)
    ok, e = pcall(require, "mods.badvalue")
    R("value", e)
    R("the very value", rawequal(e, BAD_VALUE))
    ok, e = pcall(require, "mods.level2")
    R("level 2", e)
    ok, e = xpcall(function() return require "mods.deepfail" end, tb)
    R("traceback", e)
    ok, e = pcall(require, "mods.syntax")
    R("syntax", e)
    R("shebang line", require "mods.shebang")
  ]])
  C.ok(r:find('bad = "./mods/bad.lua:3: boom"', 1, true), r)
  C.ok(r:find("loop or previous error loading module 'mods.bad'", 1, true), r)
  C.ok(r:find("./mods/deepfail.lua:1: in function <./mods/deepfail.lua:1>", 1, true), r)
  C.ok(r:find("error loading module 'mods.syntax' from file './mods/syntax.lua'", 1, true), r)
end)

test("a cycle fails as in Lua; a module missing inside a module raises Lua's message there", function()
  local r = same(TREE, [[
    local ok, e = pcall(require, "mods.cyc_a")
    R("cycle", e)
    ok, e = pcall(require, "mods.needs")
    R("missing inside", lua_lines(e))
    R("the start", e:sub(1, 20))
    R("importkit's attempts are in it", MODE ~= "install" or e:find("\n\timportkit ", 1, true) ~= nil)
    ok, e = pcall(require, "zz_nope.x")
    R("missing", lua_lines(e))
  ]])
  C.ok(r:find("./mods/cyc_b.lua:1: loop or previous error loading module 'mods.cyc_a'", 1, true), r)
  C.ok(r:find([[the start = "module 'zz_missing_m"]], 1, true), r)
end)

test("importkit's own failures are strings in Lua's format; importkit.last_error() keeps the object", function()
  local dir = make_tree(TREE)
  local out = run(dir, "install", [[
    local ok, e = pcall(require, "zz_nope.x")
    R("type", type(e))
    R("head", e:match("^[^\n]*"))
    R("preload line", e:find("\n\tno field package.preload['zz_nope.x']", 1, true) ~= nil)
    R("importkit line", e:find("\n\timportkit native: not registered", 1, true) ~= nil)
    R("importkit before Lua's files", e:find("\n\timportkit ", 1, true) < e:find("\n\tno file", 1, true))
    local err = importkit.last_error()
    R("is_error", importkit.is_error(err))
    R("code", err.code)
    R("attempts", #err.attempts > 0)
    ok, e = pcall(require, "zz_denied.sub")
    R("denied", e)
    R("denied code", importkit.last_error().code)
    R("denied file never read", package.loaded["zz_denied.sub"])
  ]], '{ deny = "zz_denied" }')
  sh("rm -rf '" .. dir .. "'")
  for _, want in ipairs({
    'type = "string"', [[head = "module 'zz_nope.x' not found:"]], "preload line = true", "importkit line = true",
    "importkit before Lua's files = true", "is_error = true", 'code = "IK_ERR_NOT_FOUND"', "attempts = true",
    [[denied = "module 'zz_denied.sub' not found:\
\9importkit: import of 'zz_denied.sub' denied by policy: 'zz_denied' is on the deny list"]],
    'denied code = "IK_ERR_DENIED"', "denied file never read = nil",
  }) do
    C.ok(out:find(want, 1, true), "expected " .. want .. " in:\n" .. out)
  end
end)

test("options turn importkit's semantics on: parents = true, environments = \"module\"", function()
  local dir = make_tree(TREE)
  local out = run(dir, "install", [[
    local child = require "pkg.child"
    R("parent ran", PKG_INIT_RAN)
    R("parent loaded", package.loaded.pkg.init)
    R("chunk name", child.src)
  ]], "{ parents = true }")
  C.ok(out:find('chunk name = "@./pkg/child.lua"', 1, true), out)
  C.ok(out:find("parent ran = true", 1, true), out)
  C.ok(out:find('parent loaded = true', 1, true), out)
  out = run(dir, "install", [[
    R("nothing", type(require "mods.nothing"))
    R("global stays in the module", NOTHING_RAN)
    R("its environment", require("mods.nothing").NOTHING_RAN)
    R("name", require("mods.nothing")._NAME)
    R("chunk name", require("pkg.child").src)
    R("parent not run", PKG_INIT_RAN)
  ]], '{ environments = "module" }')
  C.ok(out:find('nothing = "table"', 1, true), out)
  C.ok(out:find("global stays in the module = nil", 1, true), out)
  C.ok(out:find("its environment = 1", 1, true), out)
  C.ok(out:find('name = "mods.nothing"', 1, true), out)
  C.ok(out:find('chunk name = "@./pkg/child.lua"', 1, true), out)
  C.ok(out:find("parent not run = nil", 1, true), out)
  out = run(dir, "install", [[
    local ok, e = pcall(require, "pkg.bad")
    R("an importkit error", importkit.is_error(e))
    R("code", e.code)
    ok, e = pcall(require, "pkg.bad")
    R("runs again", BAD_RUNS)
  ]], '{ parents = true, environments = "module" }')
  C.ok(out:find("an importkit error = true", 1, true) and out:find('code = "IK_ERR_EXEC"', 1, true), out)
  sh("rm -rf '" .. dir .. "'")
  C.raises("option 'environments' must be", importkit.install, { environments = "yes" })
  C.raises("option 'parents' must be a boolean", importkit.install, { parents = 1 })
  C.raises("unknown option 'parents'", importkit.runtime, { parents = true })
end)

test("mounts and natives under install(): Lua's loading, importkit's sources", function()
  local name = C.unique("lmount")
  local rt = importkit.install{ path = false,
    mounts = { [""] = { [name] = { ["x.lua"] = "ARGS_" .. name .. " = { n = select('#', ...), ... }\n" ..
      "return { src = debug.getinfo(1, 'S').source }" } } },
    natives = { ["native_" .. name] = function() return { native = true } end } }
  local ok, err = pcall(function()
    local x = require(name .. ".x") -- no `name/init.lua`: the missing parent does not hide it
    C.eq(x.src, "@memory:/" .. name .. "/x.lua", "the chunk name is the origin")
    C.eq(_G["ARGS_" .. name].n, 1, "one argument")
    C.eq(_G["ARGS_" .. name][1], name .. ".x", "the name")
    C.eq(package.loaded[name], nil, "no parent")
    C.eq(require("native_" .. name).native, true, "a native through require")
    rt:mount("", { [name] = { ["x.lua"] = "return 'replaced'" } }, { replace = true })
    package.loaded[name .. ".x"] = nil
    C.eq(require(name .. ".x"), "replaced", "the mount's new text")
  end)
  importkit.uninstall()
  rt:close()
  package.loaded[name .. ".x"], package.loaded["native_" .. name], _G["ARGS_" .. name] = nil, nil, nil
  if not ok then error(err, 0) end
end)

-- Penlight (Debian's lua-penlight, which scripts/test.sh installs): a real multi-module library, its
-- public API run under plain require and under install(), with the same results, package.loaded, globals,
-- chunk names in tracebacks and error values.
local PENLIGHT_DIR = "/usr/share/lua/5.1/pl"

local PENLIGHT = [==[
local List = require "pl.List"
local stringx = require "pl.stringx"
local tablex = require "pl.tablex"
local utils = require "pl.utils"
local pretty = require "pl.pretty"
local class = require "pl.class"
local OrderedMap = require "pl.OrderedMap"
local seq = require "pl.seq"
local Set = require "pl.Set"
local text = require "pl.text"
local plpath = require "pl.path"
R("loaded after the first requires", loaded_keys())
local l = List { 10, 20, 30 }
R("List", tostring(l:map(function(x) return x * 2 end)))
R("List slice", tostring(l:slice(2, 3)))
R("split", stringx.split("a,b,,c", ","))
R("strip", stringx.strip("  padded  "))
R("deepcompare", tablex.deepcompare({ 1, { 2 } }, { 1, { 2 } }))
R("keys", tablex.keys({ a = 1 }))
R("pretty", pretty.write({ 1, 2, x = { y = "z" } }, ""))
local Animal = class()
function Animal:_init(name) self.name = name end
function Animal:speak() return self.name .. " speaks" end
local Dog = class(Animal)
function Dog:speak() return self.name .. " barks" end
R("class", Dog("rex"):speak() .. "; " .. Animal("cat"):speak())
R("is_a", Dog("x"):is_a(Animal))
local om = OrderedMap()
om:set("b", 2) om:set("a", 1)
R("OrderedMap", tostring(om))
R("seq", seq.copy(seq.map(function(x) return x + 1 end, seq.list { 1, 2, 3 })))
R("Set", tostring(Set { 1, 2 } + Set { 3 }))
R("Template", text.Template("hi $name"):substitute { name = "you" })
R("path", plpath.join("a", "b", "c.lua") .. " " .. plpath.basename("/x/y.lua"))
-- Errors the library raises, and where they come from.
local ok, e = pcall(tablex.keys, nil)
R("error value", e)
ok, e = xpcall(function() return tablex.map(nil, {}) end, tb)
R("traceback", e)
ok, e = xpcall(function() return List.new(1):slice("x") end, tb)
R("traceback 2", e)
ok, e = pcall(utils.assert_arg, 1, 42, "string")
R("assert_arg", e)
ok, e = pcall(require, "pl.not_a_module")
R("missing", lua_lines(e))
require "pl"  -- the whole library, lazily, into _G
R("lazy", type(pretty) .. " " .. type(_G.stringx) .. " " .. type(_G.Date))
]==]

test("penlight's public API under plain require and under install(): the same", function()
  local f = io.open(PENLIGHT_DIR .. "/init.lua", "rb")
  if not f then error("lua-penlight is not installed (apt-get install lua-penlight; scripts/test.sh does it)", 0) end
  f:close()
  local r = same({ ["empty.lua"] = "" }, PENLIGHT)
  C.ok(not r:find("pl.init", 1, true), r)
  C.ok(r:find('@' .. PENLIGHT_DIR .. '/tablex.lua', 1, true) or r:find(PENLIGHT_DIR .. '/tablex.lua:', 1, true), r)
  C.ok(r:find(" pl pl.Date ", 1, true), "require 'pl' stored its value: " .. r)
  -- importkit found them (not Lua's file searcher): the same report with Lua's file searchers removed.
  local dir = make_tree({ ["empty.lua"] = "" })
  local out = run(dir, "install", [[
    local loaders = package.loaders
    for i = #loaders, 3, -1 do table.remove(loaders, i) end  -- preload, importkit; no Lua file searchers
    R("List", tostring((require "pl.List") { 1, 2 }))
    R("src", debug.getinfo(require("pl.utils").assert_arg, "S").source)
  ]])
  sh("rm -rf '" .. dir .. "'")
  C.ok(out:find('List = "{1,2}"', 1, true), out)
  C.ok(out:find('src = "@' .. PENLIGHT_DIR .. '/utils.lua"', 1, true), out)
end)

return T

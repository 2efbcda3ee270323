-- Programs run in a fresh luajit, once with plain `require` and once with importkit installed, and their
-- reports compared line by line (shared by tests/test_install.lua and tests/test_bundle.lua). Each program
-- runs in a directory with a relative package.path entry ("./?.lua"); its report holds package.loaded's
-- keys, the values of _G's keys, and what the program itself reports with R(key, value).
local importkit = require "importkit"
local C = require "check"
local luajit_exe, sh, write, absolute = C.luajit_exe, C.sh, C.write, C.absolute

local F = {}

local here = debug.getinfo(1, "S").source:sub(2):match("^(.*)[/\\][^/\\]*$") or "."
local binding = absolute(here .. "/../importkit.lua")

--- A temporary directory holding `files` (relative path -> text).
function F.make_tree(files)
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

function F.remove(dir)
  sh("rm -rf '" .. dir .. "'")
end

-- What every program starts with: R(key, value) reports a line; show() prints values comparably (tables by
-- the package.loaded key that holds them, else their sorted keys; addresses removed). Installed, `RT` is
-- the installed runtime, and SETUP (Lua source, the fourth argument) runs with it before the body.
local PRELUDE = [==[
local MODE, BINDING, OPTS, SETUP = ...
require "ffi"
package.path = "./?.lua;./?/init.lua;" .. package.path
local importkit, RT
if MODE == "install" then
  importkit = dofile(BINDING)
  RT = importkit.install(OPTS and OPTS ~= "" and assert(loadstring("return " .. OPTS))() or nil)
  if SETUP then assert(loadstring(SETUP))(RT) end
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

local function quoted(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

--- Runs `body` in `dir` under `mode` ("plain" or "install", with install's options as Lua source in `opts`
--- and `setup`, Lua source run with the installed runtime as `...`); returns its report.
function F.run(dir, mode, body, opts, setup)
  write(dir .. "/main.lua", PRELUDE .. body .. "\n" .. EPILOGUE)
  local cmd = "cd '" .. dir .. "' && IMPORTKIT_LIB='" .. absolute(importkit.library_path()) .. "' " .. luajit_exe() ..
    " main.lua " .. mode .. " '" .. binding .. "' " .. quoted(opts or "")
  if setup then cmd = cmd .. " " .. quoted(setup) end
  local out, ok = sh(cmd)
  if not ok then error("the program failed under " .. mode .. ":\n" .. out, 2) end
  return out
end

--- Raises, showing the first line where the two reports differ, unless they are equal.
function F.compare(plain, inst, what, level)
  if plain == inst then return end
  local pl, il = {}, {}
  for l in plain:gmatch("[^\n]*") do pl[#pl + 1] = l end
  for l in inst:gmatch("[^\n]*") do il[#il + 1] = l end
  for i = 1, math.max(#pl, #il) do
    if pl[i] ~= il[i] then
      local a, b = tostring(pl[i]), tostring(il[i])
      local k = 1
      while k <= #a and a:sub(k, k) == b:sub(k, k) do k = k + 1 end
      local from = math.max(1, k - 80)
      error(string.format("plain require and %s differ at line %d, column %d:\n  plain:   ...%s\n  %s: ...%s",
        what or "install()", i, k, a:sub(from, k + 120), what or "install", b:sub(from, k + 120)), (level or 1) + 1)
    end
  end
end

--- The reports of plain require and install() must be equal; returns the report.
function F.same(files, body, opts)
  local dir = F.make_tree(files)
  local plain = F.run(dir, "plain", body)
  local inst = F.run(dir, "install", body, opts)
  F.remove(dir)
  F.compare(plain, inst, nil, 2)
  return plain
end

--- A tree of modules with every case of require's semantics (shared by the tests that compare).
F.TREE = {
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

-- Penlight (Debian's lua-penlight, which scripts/test.sh installs): a real multi-module library.
F.PENLIGHT_DIR = "/usr/share/lua/5.1/pl"

--- Penlight's public API, and errors it raises (the same under plain require and importkit).
F.PENLIGHT = [==[
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

return F

-- importkit.install() keeps Lua's semantics: the same programs under plain `require` and under install()
-- give the same package.loaded, globals, chunk names, chunk arguments and error values. Each program runs
-- in a fresh luajit, in a temporary directory with a relative package.path entry ("./?.lua"), once with plain
-- require and once with importkit installed; their reports are compared line by line (tests/fresh.lua).
local importkit = require "importkit"
local C = require "check"
local F = require "fresh"
local sh = C.sh

local T = {}
local function test(name, f) T[#T + 1] = { name, f } end

local make_tree, run, same = F.make_tree, F.run, F.same

local TREE = F.TREE

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

test("chunk names follow package.path's templates as written: '..', '//', several '?', an absolute one", function()
  local files = {
    ["sub/a.lua"] = "return debug.getinfo(1, 'S').source",
    ["other/b.lua"] = "return debug.getinfo(1, 'S').source",
    ["q/c/c.lua"] = "return debug.getinfo(1, 'S').source",
    ["sub/d/init.lua"] = "return debug.getinfo(1, 'S').source",
  }
  local r = same(files, [[
    local here = assert(io.popen("pwd")):read("*l")
    package.path = "./sub/../sub/?.lua;./other//?.lua;./q/?/?.lua;" .. here .. "/sub/?/init.lua"
    R("a", require "a")
    R("b", require "b")
    R("c", require "c")
    R("d", require "d")
    R("missing", lua_lines(select(2, pcall(require, "zz_none"))))
  ]], [[{ path = { "./sub/../sub", "./other", "./q/c", "./sub" } }]])
  C.ok(r:find('a = "@./sub/../sub/a.lua"', 1, true), r)
  C.ok(r:find('b = "@./other//b.lua"', 1, true), r)
  C.ok(r:find('c = "@./q/c/c.lua"', 1, true), r)
  C.ok(r:find('/sub/d/init.lua"', 1, true), r)
end)

test("the file Lua's searcher would take: templates importkit does not search, in package.path's order", function()
  local files = {
    ["dup.lua"] = "return 'dup.lua'",
    ["src/dup/init.lua"] = "return 'src/dup/init.lua'",
    ["onlydir/init.lua"] = "return 'onlydir/init.lua'",
    ["lib/x.lc"] = "return 'lib/x.lc'",
    ["x.lua"] = "return 'x.lua'",
    ["deep/a/b.lua"] = "return 'deep/a/b.lua'",
    ["a/b.lua"] = "return 'a/b.lua'",
    ["a/init.lua"] = "return 'a'",
  }
  local r = same(files, [[
    package.path = "./src/?/init.lua;./?.lua;./lib/?.lc"
    R("dup", require "dup")                 -- src/dup/init.lua: a template importkit does not search, first
    R("onlydir", select(2, pcall(require, "onlydir")) ~= nil) -- no ./?/init.lua template: not found
    package.path = "./lib/?.lc;./?.lua"
    R("x", require "x")                     -- lib/x.lc first
    package.path = "./deep/?.lua;./?.lua"
    R("a.b", require "a.b")                 -- deep/a/b.lua: the first template, whatever a is
  ]])
  C.ok(r:find('dup = "src/dup/init.lua"', 1, true), r)
  C.ok(r:find('x = "lib/x.lc"', 1, true), r)
  C.ok(r:find('a.b = "deep/a/b.lua"', 1, true), r)
end)

test("a relative directory is searched where the working directory is now, as Lua's fopen does", function()
  local lfs_ok = pcall(require, "lfs")
  if not lfs_ok then error("lua-filesystem is missing (apt-get install lua-filesystem)") end
  local r = same({
    ["first.lua"] = "return 'first'",
    ["same.lua"] = "return 'here'",
    ["other/same.lua"] = "return 'other'",
  }, [[
    R("first", require "first")
    assert(require("lfs").chdir("other"))
    R("same", require "same")
  ]])
  C.ok(r:find('same = "other"', 1, true), r)
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
local PENLIGHT_DIR, PENLIGHT = F.PENLIGHT_DIR, F.PENLIGHT

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

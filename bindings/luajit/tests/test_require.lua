-- importkit.install{ parents = true, environments = "module" }: require() with importkit's semantics (parents
-- first, per-module environments, importkit's module table and errors). Lua's semantics (the default) are
-- tested in test_install.lua.
local importkit = require "importkit"
local C = require "check"

local T = {}
local function test(name, f) T[#T + 1] = { name, f } end

local loaders = package.loaders or package.searchers

-- Runs f(rt, prefix) with importkit installed over a root mount of `tree(prefix)`, then cleans up.
local function with_installed(tree, f, opts)
  local prefix = C.unique("req")
  if type(opts) == "function" then opts = opts(prefix) end
  opts = opts or {}
  if opts.parents == nil then opts.parents = true end
  if opts.environments == nil then opts.environments = "module" end
  opts.mounts = { [""] = tree(prefix) }
  local rt = importkit.install(opts)
  local ok, err = pcall(f, rt, prefix)
  importkit.uninstall()
  rt:close()
  for k in pairs(package.loaded) do
    if type(k) == "string" and k:sub(1, #prefix) == prefix then package.loaded[k] = nil end
  end
  if not ok then error(err, 0) end
end

test("install puts a searcher after preload, ahead of the file searchers; uninstall removes it", function()
  local before = #loaders
  local file_searcher = loaders[2]
  local rt = importkit.install()
  C.eq(#loaders, before + 1, "one searcher more")
  C.eq(loaders[3], file_searcher, "the file searcher comes after")
  C.eq(importkit.installed(), rt, "installed()")
  C.raises("installed already", importkit.install)
  C.eq(importkit.uninstall(), rt, "uninstall returns the runtime")
  C.eq(#loaders, before, "removed")
  C.eq(loaders[2], file_searcher, "order restored")
  C.eq(importkit.uninstall(), nil, "uninstall twice")
  C.ok(not rt:is_closed(), "the runtime stays open")
  rt:close()
  -- Closing the installed runtime uninstalls it.
  rt = importkit.install()
  rt:close()
  C.eq(#loaders, before, "close uninstalls")
  C.eq(importkit.installed(), nil, "nothing installed")
end)

test("require 'a.b' imports the parent first; each lands in package.loaded under its own name", function()
  with_installed(function(p)
    return { [p] = {
      ["init.lua"] = "order = (order or '') .. 'pkg '\nreturn { name = 'pkg', loaded_while_running = package.loaded[...] }",
      ["b.lua"] = "return { x = 1, parent_then = package.loaded['" .. p .. "'] }",
    } }
  end, function(rt, p)
    local b = require(p .. ".b")
    C.eq(b.x, 1, "the module")
    C.eq(package.loaded[p .. ".b"], b, "child in package.loaded")
    local pkg = package.loaded[p]
    C.eq(pkg.name, "pkg", "parent in package.loaded, with its returned value")
    C.eq(b.parent_then, pkg, "the parent was loaded before the child ran")
    C.eq(pkg.loaded_while_running._NAME, p, "while running, package.loaded holds the module's environment")
    C.eq(require(p), pkg, "require of the parent: the same value")
    C.eq(rt:import(p .. ".b"), b, "the runtime has them too")
  end)
end)

test("init.lua requiring its own child while that child's require is running", function()
  with_installed(function(p)
    return { [p] = {
      ["init.lua"] = "local c = require '" .. p .. ".c'\nreturn { c = c }",
      ["c.lua"] = "return { c = true }",
    } }
  end, function(_, p)
    local c = require(p .. ".c") -- imports p first, whose init.lua requires p.c: no 'loop' error
    C.eq(c.c, true, "the child")
    C.eq(package.loaded[p].c, c, "one module object")
  end)
end)

test("a cycle through require gets the partial module, not 'loop or previous error'", function()
  with_installed(function(p)
    return { [p] = {
      ["init.lua"] = "x = 1\nlocal a = require '" .. p .. ".a'\nreturn { a = a }",
      ["a.lua"] = "local pkg = require '" .. p .. "'\nreturn { seen = pkg.x, pkg = pkg }",
    } }
  end, function(_, p)
    local pkg = require(p)
    C.eq(pkg.a.seen, 1, "the partial package had x")
    C.eq(pkg.a.pkg._NAME, p, "the partial package is its environment")
  end)
end)

test("a missing module fails in Lua's own format, listing importkit's attempts", function()
  with_installed(function(p) return { [p] = { ["init.lua"] = "" } } end, function(_, p)
    local err = C.raises("module '" .. p .. ".nope' not found:", require, p .. ".nope")
    C.eq(type(err), "string", "Lua's own error (a string)")
    C.ok(err:find("\n\tno field package.preload['" .. p .. ".nope']", 1, true), "preload searcher first: " .. err)
    C.ok(err:find("\n\timportkit memory:/: no " .. p .. "/nope.lua, no " .. p .. "/nope/init.lua", 1, true),
      "importkit's attempts: " .. err)
    C.ok(err:find("\n\timportkit native: not registered", 1, true), "every attempt")
    C.ok(err:find("\n\tno file", 1, true), "then the file searchers")
    local i1 = err:find("importkit memory", 1, true)
    local i2 = err:find("no file", 1, true)
    C.ok(i1 < i2, "importkit before the file searchers")
    -- A missing parent too.
    err = C.raises("module '" .. p .. "_none.x' not found:", require, p .. "_none.x")
    C.ok(err:find("importkit memory:/: no " .. p .. "_none.lua", 1, true), err)
  end)
end)

test("a missing module required by a found one: Lua's not-found error, raised in that module", function()
  with_installed(function(p) return { [p] = { ["init.lua"] = "require 'zz_missing_" .. p .. "'" } } end, function(_, p)
    local err = C.raises_code("IK_ERR_EXEC", "module 'zz_missing_" .. p .. "' not found:", require, p)
    C.eq(err.module, p, "about the module whose code failed")
    C.ok(err.host_message:find("importkit memory:/: no zz_missing_" .. p .. ".lua", 1, true), "with the attempts")
    C.eq(package.loaded[p], nil, "the failed module is not in package.loaded")
  end)
  -- Through import, the nested error passes through unchanged instead.
  with_installed(function(p) return { [p] = { ["init.lua"] = "import 'zz_missing_" .. p .. "'" } } end, function(_, p)
    local err = C.raises_code("IK_ERR_NOT_FOUND", "No module named 'zz_missing_" .. p .. "'", require, p)
    C.eq(err.module, "zz_missing_" .. p, "about the missing module")
  end)
end)

test("a module that failed can be required again once fixed (plain LuaJIT says 'loop or previous error')", function()
  with_installed(function(p) return { [p] = { ["init.lua"] = "error('broken')" } } end, function(rt, p)
    C.raises_code("IK_ERR_EXEC", "broken", require, p)
    C.eq(package.loaded[p], nil, "not left marked in package.loaded")
    C.raises_code("IK_ERR_EXEC", "broken", require, p)
    rt:mount("", { [p] = { ["init.lua"] = "return 'fixed'" } }, { replace = true })
    C.eq(require(p), "fixed", "required once fixed")
  end)
  -- The contrast with plain require.
  local name = C.unique("plainfail")
  package.preload[name] = function() error("broken") end
  C.raises("broken", require, name)
  package.preload[name] = function() return "fixed" end
  local ok, err = pcall(require, name)
  package.preload[name], package.loaded[name] = nil, nil
  C.ok(ok or tostring(err):find("loop or previous error", 1, true), "plain LuaJIT: " .. tostring(err))
end)

test("package.loaded[name] = nil then require executes the module again", function()
  with_installed(function(p) return { [p] = { ["init.lua"] = "return {}" } } end, function(rt, p)
    local first = require(p)
    C.eq(require(p), first, "cached")
    package.loaded[p] = nil
    local second = require(p)
    C.ok(second ~= first, "executed again")
    C.eq(rt:import(p), second, "the runtime's table follows")
  end)
end)

test("a denied name raises at once instead of falling through to the file searchers", function()
  with_installed(function(p) return { [p] = { ["init.lua"] = "return 1" } } end, function(_, p)
    C.raises_code("IK_ERR_DENIED", "zz_denied", require, "zz_denied")
    C.raises_code("IK_ERR_DENIED", "zz_denied", require, "zz_denied.sub")
    C.eq(require(p), 1, "others are allowed")
  end, { deny = { "zz_denied" } })
  with_installed(function(p) return { [p] = { ["init.lua"] = "return 1" } } end, function(_, p)
    C.raises_code("IK_ERR_DENIED", nil, require, p)
  end, { allow = { "other" } })
end)

test("names importkit cannot take go on to Lua's searchers", function()
  with_installed(function(p) return { [p] = { ["init.lua"] = "return 1" } } end, function(_, p)
    local err = C.raises("not found", require, p .. "/slash")
    C.ok(err:find("\n\timportkit: ", 1, true), "importkit says why: " .. err)
    -- Modules outside importkit still load through the file searchers.
    C.eq(require("check"), C, "a file module found by package.path")
  end)
end)

test("natives and plain modules through require; modules also see import", function()
  with_installed(function(p)
    return { [p] = { ["init.lua"] = "local n = require('native_" .. p .. "')\nreturn { n = n, via_import = import('native_" .. p .. "') }" } }
  end, function(rt, p)
    local v = require(p)
    C.eq(v.n.native, true, "a native through require")
    C.eq(v.n, v.via_import, "import and require agree")
    C.eq(package.loaded["native_" .. p], v.n, "the native in package.loaded")
  end, function(p) return { natives = { ["native_" .. p] = function() return { native = true } end } } end)
end)

return T

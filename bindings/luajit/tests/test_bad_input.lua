-- Bad input gets a clear error, and the runtime stays usable.
local importkit = require "importkit"
local C = require "check"

local T = {}
local function test(name, f) T[#T + 1] = { name, f } end

test("names that are not strings", function()
  local rt = importkit.runtime{ mounts = { ok = { ["init.lua"] = "return 1" } } }
  for _, bad in ipairs({ 1, true, {}, function() end }) do
    C.raises("bad argument #1 to 'import' (string expected, got " .. type(bad) .. ")", rt.import, rt, bad)
    C.raises("bad argument #1 to 'find' (string expected", rt.find, rt, bad)
    C.raises("bad argument #1 to 'allow' (string expected", rt.allow, rt, bad)
    C.raises("bad argument #1 to 'deny' (string expected", rt.deny, rt, bad)
    C.raises("bad argument #1 to 'contains' (string expected", rt.contains, rt, bad)
    C.raises("bad argument #1 to 'get' (string expected", rt.get, rt, bad)
    C.raises("bad argument #1 to 'remove' (string expected", rt.remove, rt, bad)
    C.raises("bad argument #1 to 'mount' (string expected", rt.mount, rt, bad, {})
    C.raises("bad argument #1 to 'unmount' (string expected", rt.unmount, rt, bad)
    C.raises("bad argument #1 to 'register_native' (string expected", rt.register_native, rt, bad, print)
    C.raises("bad argument #1 to 'path_append' (string expected", rt.path_append, rt, bad)
  end
  C.raises("bad argument #1 to 'import' (string expected, got nil)", rt.import, rt)
  C.raises("bad argument #2 to 'import' (string or nil expected, got number)", rt.import, rt, ".x", 5)
  C.raises("bad argument #2 to 'mount' (table expected, got string)", rt.mount, rt, "p", "x")
  C.raises("bad argument #2 to 'register_native' (function expected, got table)", rt.register_native, rt, "n", {})
  -- The error names the caller's line, as Lua's own argument errors do.
  local ok, err = pcall(function() rt:import(42) end)
  C.ok(err:find("test_bad_input.lua:%d+: bad argument"), "where: " .. err)
  C.eq(rt:import("ok"), 1, "still usable")
  rt:close()
end)

test("a module's import gets the same checks", function()
  local rt = importkit.runtime{ mounts = { m = { ["init.lua"] = "import(42)" } } }
  C.raises_code("IK_ERR_EXEC", "bad argument #1 to 'import' (string expected, got number)", rt.import, rt, "m")
  rt:close()
end)

test("invalid names and embedded NULs are importkit errors", function()
  local rt = importkit.runtime()
  for _, bad in ipairs({ "", "a..b", "a.", "a/b", "a b", "ünï" }) do
    C.raises_code("IK_ERR_INVALID_NAME", nil, rt.import, rt, bad)
  end
  C.raises_code("IK_ERR_INVALID_ARGUMENT", "NUL", rt.find, rt, "a\0b")
  C.raises_code("IK_ERR_INVALID_ARGUMENT", "NUL", rt.allow, rt, "a\0b")
  C.raises_code("IK_ERR_INVALID_ARGUMENT", nil, rt.import, rt, "a\0b")
  C.raises_code("IK_ERR_INVALID_ARGUMENT", "NUL", rt.mount, rt, "a\0b", {})
  C.raises_code("IK_ERR_INVALID_ARGUMENT", "limit", rt.import, rt, string.rep("a", 5000))
  rt:close()
end)

test("unknown and mistyped options", function()
  C.raises("importkit.runtime: unknown option 'paht' (expected one of: allow, bundle, bytecode, cpath, deny, globals, mounts, natives, path, strip)",
    importkit.runtime, { paht = {} })
  C.raises("importkit.runtime: option 'cpath' must be a string of templates (as package.cpath), true " ..
    "(package.cpath) or false, got number", importkit.runtime, { cpath = 3 })
  C.raises("importkit.runtime: option 'cpath' has no template of the form DIR/?SUFFIX", importkit.runtime,
    { cpath = "/usr/lib/lua/5.1/loadall.so" })
  C.raises("importkit.install: unknown option 'mount'", importkit.install, { mount = {} })
  C.eq(importkit.installed(), nil, "nothing installed after a bad install")
  C.raises("bad argument #1 to 'importkit.runtime' (table expected, got string)", importkit.runtime, "x")
  C.raises("option 'mounts' must be a table", importkit.runtime, { mounts = "x" })
  C.raises("mount 'app' must be a table of files, got string", importkit.runtime, { mounts = { app = "x" } })
  C.raises("mount 'app': file 'x.lua' must be a string (or a table for a directory), got number",
    importkit.runtime, { mounts = { app = { ["x.lua"] = 5 } } })
  C.raises("mount 'app': file 'sub/y.lua' must be a string", importkit.runtime,
    { mounts = { app = { sub = { ["y.lua"] = true } } } })
  C.raises("file names must be strings, got number", importkit.runtime, { mounts = { app = { "x" } } })
  C.raises("option 'allow'[2] must be a string, got number", importkit.runtime, { allow = { "a", 2 } })
  C.raises("option 'deny' must be a list of strings, got number", importkit.runtime, { deny = 3 })
  C.raises("option 'path' must be a list of strings (unexpected key 'x')", importkit.runtime, { path = { x = "." } })
  C.raises("option 'globals' must be a table", importkit.runtime, { globals = 1 })
  C.raises("native 'n' must be a function or { factory = function", importkit.runtime, { natives = { n = 1 } })
  C.raises("native 'n': unknown key 'powerfull'", importkit.runtime,
    { natives = { n = { factory = print, powerfull = true } } })
  C.raises("unknown option 'replce' (expected: replace)", function()
    local rt = importkit.runtime()
    local ok, err = pcall(rt.mount, rt, "a", {}, { replce = true })
    rt:close()
    error(err, 0)
  end)
  C.raises("unknown flag 'pkg'", function()
    local rt = importkit.runtime()
    local ok, err = pcall(rt.register_native, rt, "a", print, { pkg = true })
    rt:close()
    error(err, 0)
  end)
end)

test("bad mounts: paths importkit refuses, and a runtime that fails to set up is freed", function()
  local rt = importkit.runtime()
  C.raises_code("IK_ERR_INVALID_MOUNT", nil, rt.mount, rt, "a", { ["../x.lua"] = "" })
  C.raises_code("IK_ERR_INVALID_MOUNT", nil, rt.mount, rt, "a", { ["/abs.lua"] = "" })
  C.raises_code("IK_ERR_INVALID_MOUNT", nil, rt.mount, rt, "a", { ["a\\b.lua"] = "" })
  C.raises_code("IK_ERR_INVALID_NAME", nil, rt.mount, rt, "not a name", { ["x.lua"] = "" })
  rt:mount("a", { ["init.lua"] = "return 'a'" })
  C.eq(rt:import("a"), "a", "usable after refused mounts")
  rt:close()
  C.raises_code("IK_ERR_INVALID_MOUNT", nil, importkit.runtime, { mounts = { a = { [".."] = { ["x.lua"] = "" } } } })
  C.raises_code("IK_ERR_INVALID_NAME", nil, importkit.runtime, { allow = { "a.b c" } })
end)

return T

-- rt:reload, rt:read_resource, rt:resources and rt:iter_modules.
local importkit = require "importkit"
local C = require "check"

local T = {}
local function test(name, f) T[#T + 1] = { name, f } end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local GAME = {
  ["init.lua"] = "return { name = 'game' }",
  ["core.lua"] = "hp = 10",
  data = { ["level1.txt"] = "1-1", ["blob.bin"] = "a\0b\255" },
  sub = { ["init.lua"] = "", ["deep.lua"] = "" },
  ["empty.txt"] = "",
}

test("read_resource: the bytes of a package's file, nil and the error when missing", function()
  local rt = importkit.runtime{ mounts = { game = GAME } }
  C.eq(rt:read_resource("game", "data/level1.txt"), "1-1", "a file in a directory")
  C.eq(rt:read_resource("game", "data/blob.bin"), "a\0b\255", "bytes, NULs included")
  C.eq(rt:read_resource("game", "empty.txt"), "", "an empty file")
  C.eq(rt:read_resource("game", "core.lua"), "hp = 10", "a module is a file of its package")
  C.eq(rt:read_resource("game.sub", "deep.lua"), "", "a subpackage")
  C.eq(rt:contains("game"), false, "nothing imported")
  local v, err = rt:read_resource("game", "missing.txt")
  C.eq(v, nil, "missing file")
  C.eq(err.code, "IK_ERR_NOT_FOUND", "its error")
  C.ok(err:find("missing.txt", 1, true), "the error names the file")
  v, err = rt:read_resource("nopkg", "x.txt")
  C.eq(v, nil, "missing package")
  C.eq(err.code, "IK_ERR_NOT_FOUND", "its error")
  rt:close()
end)

test("read_resource: a module is no package; bad paths and arguments are refused", function()
  local rt = importkit.runtime{ mounts = { game = GAME } }
  C.raises_code("IK_ERR_IMPORT", "not a package", rt.read_resource, rt, "game.core", "x.txt")
  for _, bad in ipairs({ "../x", "/abs", "", "a//b", "./x" }) do
    C.raises_code("IK_ERR_INVALID_ARGUMENT", nil, rt.read_resource, rt, "game", bad)
  end
  C.raises_code("IK_ERR_INVALID_ARGUMENT", "NUL", rt.read_resource, rt, "game", "a\0b")
  C.raises("bad argument #2 to 'read_resource' (string expected, got number)", rt.read_resource, rt, "game", 1)
  C.raises("bad argument #1 to 'read_resource' (string expected, got nil)", rt.read_resource, rt, nil, "x")
  rt:close()
  C.raises_code("IK_ERR_UNAVAILABLE", "closed", rt.read_resource, rt, "game", "core.lua")
end)

test("resources: the names directly in a package, sorted", function()
  local rt = importkit.runtime{ mounts = { game = GAME } }
  C.eq(table.concat(rt:resources("game"), ","), "core.lua,data,empty.txt,init.lua,sub", "the package")
  C.eq(table.concat(rt:resources("game.sub"), ","), "deep.lua,init.lua", "a subpackage")
  C.raises_code("IK_ERR_NOT_FOUND", nil, rt.resources, rt, "nopkg")
  C.raises_code("IK_ERR_IMPORT", "not a package", rt.resources, rt, "game.core")
  C.raises("bad argument #1 to 'resources' (string expected, got nil)", rt.resources, rt)
  rt:close()
end)

test("iter_modules: modules and packages of a package, and the top level", function()
  local rt = importkit.runtime{ mounts = { game = GAME, [""] = { ["tool.lua"] = "", kit = { ["init.lua"] = "" } } } }
  local got = {}
  for _, m in ipairs(rt:iter_modules("game")) do got[#got + 1] = m.name .. "=" .. tostring(m.is_package) end
  C.eq(table.concat(got, ","), "core=false,sub=true", "in game")
  local top = {}
  for _, m in ipairs(rt:iter_modules()) do top[m.name] = m.is_package end
  C.eq(top.game, true, "game")
  C.eq(top.kit, true, "kit")
  C.eq(top.tool, false, "tool")
  rt:deny("tool")
  top = {}
  for _, m in ipairs(rt:iter_modules()) do top[m.name] = m.is_package end
  C.eq(top.tool, nil, "a denied name is left out")
  C.raises_code("IK_ERR_NOT_FOUND", nil, rt.iter_modules, rt, "nopkg")
  C.raises_code("IK_ERR_IMPORT", "not a package", rt.iter_modules, rt, "game.core")
  C.eq(rt:contains("game"), false, "nothing imported")
  rt:close()
end)

test("resources and listing of a directory on the search path", function()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p '" .. dir .. "/fsp/assets'") == 0)
  write(dir .. "/fsp/init.lua", "")
  write(dir .. "/fsp/a.lua", "")
  write(dir .. "/fsp/assets/x.txt", "xyz")
  local rt = importkit.runtime{ path = { dir } }
  C.eq(rt:read_resource("fsp", "assets/x.txt"), "xyz", "a file on disk")
  C.eq(table.concat(rt:resources("fsp"), ","), "a.lua,assets,init.lua", "its listing")
  C.eq(rt:iter_modules("fsp")[1].name, "a", "its modules")
  rt:close()
  os.execute("rm -rf '" .. dir .. "'")
end)

test("reload: the chunk runs again in the same environment; a failure keeps the module", function()
  local rt = importkit.runtime{ mounts = { m = { ["init.lua"] = "count = (count or 0) + 1\nversion = 1" } } }
  local m = rt:import("m")
  C.eq(m.count, 1, "first run")
  m.extra = "kept"
  rt:mount("m", { ["init.lua"] = "count = (count or 0) + 1\nversion = 2" }, { replace = true })
  C.eq(rt:reload("m"), m, "the same environment")
  C.eq(m.version, 2, "the new code ran")
  C.eq(m.count, 2, "in the same environment")
  C.eq(m.extra, "kept", "what was set stays")
  rt:mount("m", { ["init.lua"] = "version = 3\nerror('broken on reload')" }, { replace = true })
  local err = C.raises_code("IK_ERR_EXEC", "broken on reload", rt.reload, rt, "m")
  C.eq(err.line, 2, "the failing line")
  local v, state = rt:get("m")
  C.eq(v, m, "still in the table, the same module")
  C.eq(state, "ready", "and ready")
  rt:mount("m", { ["init.lua"] = "version = 4" }, { replace = true })
  C.eq(rt:reload("m").version, 4, "fixed, it reloads")
  rt:close()
end)

test("reload: a returned value, a module not imported, a module that is gone", function()
  local rt = importkit.runtime{ mounts = { r = { ["init.lua"] = "return { v = 1 }" } } }
  C.eq(rt:import("r").v, 1, "first value")
  rt:mount("r", { ["init.lua"] = "return { v = 2 }" }, { replace = true })
  C.eq(rt:reload("r").v, 2, "the chunk's new value")
  C.eq(rt:import("r").v, 2, "is the module's value now")
  rt:mount("r", { ["init.lua"] = "plain = true" }, { replace = true })
  local env = rt:reload("r")
  C.eq(env.v, nil, "a chunk that returns nothing: the module is its environment again, not the old value")
  C.eq(env.plain, true, "the environment the new code ran in")
  rt:mount("r", { ["init.lua"] = "return { v = 3 }" }, { replace = true })
  C.eq(rt:reload("r").v, 3, "and a value again")
  C.raises_code("IK_ERR_NOT_FOUND", "not in the module table", rt.reload, rt, "other")
  C.eq(rt:contains("other"), false, "not imported by the failed reload")
  rt:unmount("r")
  C.raises_code("IK_ERR_NOT_FOUND", nil, rt.reload, rt, "r")
  C.eq(rt:get("r").v, 3, "the module stays as it was")
  C.raises("bad argument #1 to 'reload' (string expected, got nil)", rt.reload, rt)
  rt:close()
end)

test("reload: _SPEC follows the module to another source", function()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p '" .. dir .. "'") == 0)
  write(dir .. "/mover.lua", "where = 'fs'")
  local rt = importkit.runtime{ mounts = { [""] = { ["mover.lua"] = "where = 'memory'" } } }
  local m = rt:import("mover")
  C.eq(m._SPEC.origin, "memory:/mover.lua", "from the mount")
  rt:unmount("")
  rt:path_append(dir)
  rt:reload("mover")
  C.eq(m.where, "fs", "the file ran")
  C.eq(m._SPEC.file, dir .. "/mover.lua", "its new spec")
  rt:close()
  os.execute("rm -rf '" .. dir .. "'")
end)

test("reload under install{ parents = true } updates package.loaded", function()
  local name = C.unique("rl")
  local rt = importkit.install{ parents = true, environments = "module", mounts = { [name] = { ["init.lua"] = "return { v = 1 }" } }, path = false }
  C.eq(require(name).v, 1, "required")
  rt:mount(name, { ["init.lua"] = "return { v = 2 }" }, { replace = true })
  rt:reload(name)
  C.eq(package.loaded[name].v, 2, "package.loaded holds the new value")
  importkit.uninstall()
  rt:close()
  package.loaded[name] = nil
end)

return T

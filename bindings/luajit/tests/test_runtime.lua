-- importkit.runtime{...}: options and methods.
local importkit = require "importkit"
local C = require "check"

local T = {}
local function test(name, f) T[#T + 1] = { name, f } end

local APP = {
  ["init.lua"] = "local util = import '.util'\nreturn { hp = util.hp, util = util, name = _NAME }",
  ["util.lua"] = "hp = 10\nfunction double(x) return 2 * x end",
  core = {
    ["init.lua"] = "player = import '.player'\nup = import '..util'",
    ["player.lua"] = "local util = import 'app.util'\nspeed = util.double(3)\nargs = { ... }",
  },
}

test("import: a module's value is what its chunk returns, else its environment", function()
  local rt = importkit.runtime{ mounts = { app = APP } }
  local app = rt:import("app")
  C.eq(app.hp, 10, "returned table")
  C.eq(app.name, "app", "_NAME")
  local util = rt:import("app.util")
  C.eq(util, app.util, "one module object")
  C.eq(util.hp, 10, "a global of the module's environment")
  C.eq(util.double(4), 8, "a function of the module")
  C.eq(util.import ~= nil, true, "the environment holds import")
  C.eq(rawget(_G, "hp"), nil, "module globals do not leak into _G")
  rt:close()
end)

test("relative imports: from a module's import, and rt:import(name, from)", function()
  local rt = importkit.runtime{ mounts = { app = APP } }
  local core = rt:import("app.core")
  C.eq(core.player.speed, 6, "import '.player' inside app/core/init.lua")
  C.eq(core.up, rt:import("app.util"), "import '..util' goes up one package")
  C.eq(rt:import(".player", "app.core"), core.player, "rt:import with from")
  C.eq(rt:import("..util", "app.core"), core.up, "two dots")
  C.raises_code("IK_ERR_IMPORT", "beyond top-level package", rt.import, rt, "...x", "app.core")
  C.raises_code("IK_ERR_IMPORT", "no known parent package", rt.import, rt, ".x")
  rt:close()
end)

test("the chunk gets name and origin as ..., and _SPEC", function()
  local rt = importkit.runtime{ mounts = { app = APP } }
  local player = rt:import("app.core.player")
  C.eq(player.args[1], "app.core.player", "first vararg")
  C.eq(player.args[2], "memory:/app/core/player.lua", "second vararg")
  local spec = player._SPEC
  C.eq(spec.name, "app.core.player", "spec name")
  C.eq(spec.parent, "app.core", "spec parent")
  C.eq(spec.kind, "source", "spec kind")
  C.eq(spec.is_package, false, "not a package")
  local core = rt:import("app.core")
  C.eq(core._SPEC.is_package, true, "a package")
  C.eq(core._SPEC.locations[1], "memory:/app/core", "its search location")
  rt:close()
end)

test("find: a spec without executing, nil and the error when missing", function()
  local executed = false
  local rt = importkit.runtime{
    mounts = { app = APP },
    globals = setmetatable({ mark = function() executed = true end }, { __index = _G }),
  }
  rt:mount("side", { ["init.lua"] = "mark()" })
  local spec = rt:find("side")
  C.eq(spec.origin, "memory:/side/init.lua", "origin")
  C.eq(spec.is_package, true, "package")
  C.eq(spec.file, nil, "no file for a memory module")
  C.eq(executed, false, "find executes nothing")
  C.eq(rt:find(".player", "app.core").name, "app.core.player", "relative find")
  local none, err = rt:find("app.nothing")
  C.eq(none, nil, "not found")
  C.eq(err.code, "IK_ERR_NOT_FOUND", "error returned")
  C.ok(err.message:find("no app/nothing.lua", 1, true), "attempts in the message")
  rt:close()
end)

test("mount, replace, unmount, nested directories, root mounts", function()
  local rt = importkit.runtime()
  local id = rt:mount("g", { ["init.lua"] = "return 1", sub = { deep = { ["x.lua"] = "return 'deep'" }, ["init.lua"] = "", ["deep/init.lua"] = "" } })
  C.eq(type(id), "number", "mount id")
  C.eq(rt:import("g.sub.deep.x"), "deep", "nested tables are directories")
  C.raises_code("IK_ERR_EXISTS", nil, rt.mount, rt, "g", { ["init.lua"] = "return 2" })
  rt:mount("g", { ["init.lua"] = "return 2", ["new.lua"] = "return 'new'" }, { replace = true })
  C.eq(rt:import("g"), 1, "already imported modules stay")
  C.eq(rt:import("g.new"), "new", "the replacement serves new names")
  rt:unmount("g")
  C.eq(rt:import("g"), 1, "still in the table after unmount")
  C.raises_code("IK_ERR_NOT_FOUND", nil, rt.import, rt, "g.other")
  C.raises_code("IK_ERR_UNAVAILABLE", nil, rt.unmount, rt, "g")
  rt:mount("", { top = { ["init.lua"] = "return 'top'" }, ["solo.lua"] = "return 'solo'" })
  C.eq(rt:import("top"), "top", "root mount: a package")
  C.eq(rt:import("solo"), "solo", "root mount: a module")
  C.raises_code("IK_ERR_INVALID_MOUNT", nil, rt.mount, rt, "bad", { ["../x.lua"] = "" })
  rt:close()
end)

test("get, contains, remove, modules", function()
  local rt = importkit.runtime{ mounts = { app = APP } }
  C.eq(rt:contains("app"), false, "not yet")
  C.eq(rt:get("app"), nil, "get imports nothing")
  local app = rt:import("app")
  C.eq(rt:contains("app"), true, "contains")
  local v, state = rt:get("app")
  C.eq(v, app, "get")
  C.eq(state, "ready", "state")
  local names = rt:modules()
  C.eq(table.concat(names, ","), "app,app.util", "sorted names")
  rt:remove("app")
  C.eq(rt:contains("app"), false, "removed")
  C.eq(rt:contains("app.util"), true, "children stay")
  local again = rt:import("app")
  C.ok(again ~= app, "executed again after remove")
  C.raises_code("IK_ERR_NOT_FOUND", nil, rt.remove, rt, "nothing")
  rt:close()
end)

test("natives: functions, flags, packages, factories that import", function()
  local calls = 0
  local rt
  rt = importkit.runtime{
    mounts = { app = APP },
    natives = {
      json = function(name, spec)
        calls = calls + 1
        return { name = name, kind = spec.kind, origin = spec.origin }
      end,
      os2 = { factory = function() return { exec = true } end, powerful = true },
      pkg = { factory = function() return { pkg = true } end, package = true },
      ["pkg.sub"] = function() return "sub" end,
      uses_app = function() return { hp = rt:import("app").hp } end,
    },
  }
  local json = rt:import("json")
  C.eq(json.name, "json", "factory gets the name")
  C.eq(json.kind, "native", "and the spec")
  C.eq(json.origin, "builtin:json", "origin")
  C.eq(rt:import("json"), json, "made once")
  C.eq(calls, 1, "factory called once")
  C.raises_code("IK_ERR_DENIED", nil, rt.import, rt, "os2")
  C.eq(rt:import("pkg").pkg, true, "native package")
  C.eq(rt:import("pkg.sub"), "sub", "native child")
  C.eq(rt:import("uses_app").hp, 10, "a factory may import")
  rt:register_native("late", function() return "late" end)
  C.eq(rt:import("late"), "late", "register_native")
  C.raises_code("IK_ERR_EXISTS", nil, rt.register_native, rt, "late", function() end)
  rt:unregister_native("late")
  C.eq(rt:import("late"), "late", "a made native stays")
  C.raises_code("IK_ERR_UNAVAILABLE", nil, rt.unregister_native, rt, "late")
  rt:close()
  local rt2 = importkit.runtime{ natives = { os2 = { factory = function() return { ok = 1 } end, powerful = true } }, allow = { "os2" } }
  C.eq(rt2:import("os2").ok, 1, "a powerful native allowed by name")
  rt2:close()
end)

test("allow and deny", function()
  local rt = importkit.runtime{
    mounts = { a = { ["init.lua"] = "return 'a'" }, b = { ["init.lua"] = "return 'b'" }, c = { ["init.lua"] = "return 'c'" } },
    allow = { "a", "b" },
    deny = "b",
  }
  C.eq(rt:import("a"), "a", "allowed")
  local e = C.raises_code("IK_ERR_DENIED", "'b'", rt.import, rt, "b")
  C.eq(rt:contains("b"), false, "a denied import leaves no trace")
  C.raises_code("IK_ERR_DENIED", nil, rt.import, rt, "c")
  C.raises_code("IK_ERR_DENIED", nil, rt.find, rt, "c")
  rt:allow("c")
  C.eq(rt:import("c"), "c", "allowed later")
  rt:clear_policy()
  rt:deny("a")
  C.raises_code("IK_ERR_DENIED", nil, rt.import, rt, "a")
  rt:close()
end)

test("globals: what module environments see", function()
  local sandbox = { tostring = tostring }
  local rt = importkit.runtime{
    globals = sandbox,
    mounts = { m = { ["init.lua"] = "return { has_io = io ~= nil, has_tostring = tostring ~= nil, import = import ~= nil }" } },
  }
  local m = rt:import("m")
  C.eq(m.has_io, false, "io hidden")
  C.eq(m.has_tostring, true, "what the sandbox gives")
  C.eq(m.import, true, "import is always there")
  rt:close()
end)

test("invalidate, and a text-only loader", function()
  local rt = importkit.runtime{ mounts = { m = { ["init.lua"] = string.dump(function() return 1 end) } } }
  rt:invalidate()
  C.raises_code("IK_ERR_EXEC", "wrong mode", rt.import, rt, "m")
  rt:close()
end)

return T

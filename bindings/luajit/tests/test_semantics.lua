-- Python's import semantics as a Lua host sees them: isolation, cycles, failures.
local importkit = require "importkit"
local C = require "check"

local T = {}
local function test(name, f) T[#T + 1] = { name, f } end

test("two runtimes in one Lua state share no modules", function()
  local files = { ["init.lua"] = "count = (count or 0) + 1\nreturn { id = {} }" }
  local r1 = importkit.runtime{ mounts = { shared = files } }
  local r2 = importkit.runtime{ mounts = { shared = files } }
  local a, b = r1:import("shared"), r2:import("shared")
  C.ok(a ~= b, "two module objects")
  C.ok(a.id ~= b.id, "two executions")
  r1:mount("only1", { ["init.lua"] = "return 1" })
  C.eq(r1:import("only1"), 1, "r1 has it")
  C.raises_code("IK_ERR_NOT_FOUND", nil, r2.import, r2, "only1")
  r1:remove("shared")
  C.eq(r2:get("shared"), b, "removing from one leaves the other")
  r1:close()
  C.eq(r2:import("shared"), b, "closing one leaves the other")
  r2:close()
end)

test("a cycle gets the partial module (its environment so far)", function()
  local rt = importkit.runtime{ mounts = { cyc = {
    ["init.lua"] = [[
      early = "set before the cycle"
      local a = import ".a"
      late = "set after"
      return { a = a, final = true }
    ]],
    ["a.lua"] = [[
      local pkg = import "cyc"         -- cyc is still executing: its environment as it is now
      seen_early = pkg.early
      seen_late = pkg.late
      pkg_env = pkg
      local b = import ".b"
      return { seen_early = seen_early, seen_late = seen_late, pkg = pkg, b = b }
    ]],
    ["b.lua"] = [[
      local a = import "cyc.a"         -- a is partial too: b gets a's environment
      return { a_partial = a, a_has_pkg = a.pkg_env ~= nil }
    ]],
  } } }
  local cyc = rt:import("cyc")
  C.eq(cyc.final, true, "the package's value is what it returned")
  C.eq(cyc.a.seen_early, "set before the cycle", "the partial module has what was set so far")
  C.eq(cyc.a.seen_late, nil, "and nothing later")
  C.eq(cyc.a.pkg._NAME, "cyc", "the partial module is cyc's environment")
  C.ok(cyc.a.pkg ~= cyc, "not the value cyc returned later")
  C.eq(cyc.a.pkg.late, "set after", "the environment keeps filling")
  C.eq(cyc.a.b.a_has_pkg, true, "b saw a's environment so far")
  C.eq(rt:import("cyc.a"), cyc.a, "once done, the table holds the returned value")
  rt:close()
end)

test("plain Lua's require fails on the same cycle (the difference documented)", function()
  local name = C.unique("plaincyc")
  package.preload[name] = function() return { other = require(name .. "_b") } end
  package.preload[name .. "_b"] = function() return { back = require(name) } end
  C.raises("loop or previous error loading module", require, name)
  package.preload[name], package.preload[name .. "_b"] = nil, nil
  package.loaded[name], package.loaded[name .. "_b"] = nil, nil
end)

test("a module that failed leaves the table and can be imported again once fixed", function()
  local rt = importkit.runtime{ mounts = { app = {
    ["init.lua"] = "",
    ["child.lua"] = "return 'child'",
    ["broken.lua"] = "local c = import '.child'\nerror('not yet')",
  } } }
  C.raises_code("IK_ERR_EXEC", "not yet", rt.import, rt, "app.broken")
  C.eq(rt:contains("app.broken"), false, "the failed module left the table")
  C.eq(rt:contains("app.child"), true, "a child it imported stays, as in CPython")
  C.raises_code("IK_ERR_EXEC", "not yet", rt.import, rt, "app.broken") -- executed again, not cached
  rt:mount("app", {
    ["init.lua"] = "",
    ["child.lua"] = "return 'child'",
    ["broken.lua"] = "return 'fixed ' .. import '.child'",
  }, { replace = true })
  C.eq(rt:import("app.broken"), "fixed child", "imported once fixed")
  rt:close()
end)

test("parents are imported first, children stay unbound (Lua's convention)", function()
  local order = {}
  local rt = importkit.runtime{
    globals = setmetatable({ log = function(x) order[#order + 1] = x end }, { __index = _G }),
    mounts = { p = { ["init.lua"] = "log('p')", q = { ["init.lua"] = "log('p.q')", ["r.lua"] = "log('p.q.r')" } } },
  }
  rt:import("p.q.r")
  C.eq(table.concat(order, " "), "p p.q p.q.r", "order")
  C.eq(rawget(rt:import("p"), "q"), nil, "the child is not a field of its parent")
  rt:close()
end)

test("a directory without init.lua is not a package in the Lua profile", function()
  local rt = importkit.runtime{ mounts = { [""] = { noinit = { ["x.lua"] = "return 1" } } } }
  C.raises_code("IK_ERR_NOT_FOUND", "No module named 'noinit'", rt.import, rt, "noinit.x")
  rt:close()
end)

return T

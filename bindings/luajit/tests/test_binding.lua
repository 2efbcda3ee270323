-- The FFI binding itself: loading, errors, callbacks that never unwind through importkit.
local importkit = require "importkit"
local C = require "check"
local luajit_exe = C.luajit_exe

local T = {}
local function test(name, f) T[#T + 1] = { name, f } end

local function here()
  return debug.getinfo(1, "S").source:sub(2):match("^(.*)[/\\][^/\\]*$") or "."
end

-- Runs a Lua snippet in a fresh luajit with `env` prefixed; returns its output and whether it succeeded.
local function run_lua(env, code)
  local script = os.tmpname()
  local f = assert(io.open(script, "w"))
  f:write('package.path = "' .. here() .. '/../?.lua;" .. package.path\n', code)
  f:close()
  local p = io.popen(env .. " " .. luajit_exe() .. " " .. script .. " 2>&1; echo \"rc=$?\"")
  local out = p:read("*a")
  p:close()
  os.remove(script)
  return out, out:find("rc=0\n", 1, true) ~= nil
end

test("version and library", function()
  C.eq(importkit.version(), "0.1.0", "version")
  C.ok(importkit.library_path(), "library path")
  C.eq(type(importkit.has_filesystem()), "boolean", "has_filesystem")
end)

test("IMPORTKIT_LIB is used exclusively, with a clear error when wrong", function()
  local out, ok = run_lua("IMPORTKIT_LIB=/nonexistent/libimportkit.so",
    'local ik = require "importkit"; local ok, e = pcall(ik.runtime); print(e); os.exit(ok and 0 or 3)')
  C.ok(not ok, "runtime made without a library")
  C.ok(out:find("cannot load the library /nonexistent/libimportkit.so", 1, true), "message names the path: " .. out)
end)

test("IMPORTKIT_LIB pointing at the built library works", function()
  local lib = importkit.library_path()
  local out, ok = run_lua("IMPORTKIT_LIB=" .. lib,
    'local ik = require "importkit"; print(ik.runtime{ mounts = { a = { ["init.lua"] = "return 42" } } }:import("a"))')
  C.ok(ok, out)
  C.ok(out:find("42", 1, true), out)
end)

test("status values and names are the header's", function()
  local ffi = require "ffi"
  local lib = ffi.load(importkit.library_path())
  local seen = {}
  for name, value in pairs(importkit.status) do
    C.eq(value, tonumber(ffi.new("ik_status", name)), name .. " is the enum's value")
    C.eq(ffi.string(lib.ik_status_name(value)), name, name .. " is the library's name")
    seen[#seen + 1] = name
  end
  C.ok(importkit.status.IK_OK and importkit.status.IK_ERR_NOT_FOUND and importkit.status.IK_ERR_INTERNAL,
    "every status: " .. table.concat(seen, " "))
  C.eq(importkit.status.IK_NOPE, nil, "no such status")
end)

test("configure after loading is refused; unknown keys too", function()
  C.raises("loaded already", importkit.configure, { lib = "x" })
  C.raises("unknown option 'libs'", importkit.configure, { libs = "x" })
  C.raises("table expected", importkit.configure, "x")
end)

test("a missing module is an error object with status, message, module and attempts", function()
  local rt = importkit.runtime{ mounts = { app = { ["init.lua"] = "" } } }
  local e = C.raises_code("IK_ERR_NOT_FOUND", "No module named 'app.nope'", rt.import, rt, "app.nope")
  C.eq(e.status, importkit.status.IK_ERR_NOT_FOUND, "status")
  C.eq(e.module, "app.nope", "module")
  C.eq(#e.attempts, 2, "attempts")
  C.eq(e.attempts[1].place, "native", "first place")
  C.eq(e.attempts[2].place, "memory:/app", "second place")
  C.eq(e.attempts[2].reason, "no app/nope.lua, no app/nope/init.lua", "reason")
  C.ok(tostring(e):find("memory:/app: no app/nope.lua, no app/nope/init.lua", 1, true), "places in the message")
  -- It behaves like its message where a string is expected.
  C.ok(e:find("No module named", 1, true), "string methods")
  C.eq("x: " .. e, "x: " .. e.message, "concatenation")
  C.ok(importkit.is_error(e), "is_error")
  C.ok(not importkit.is_error("No module named"), "a string is not an error object")
  rt:close()
end)

test("an error in a module's code: message, host message, line, cause, traceback", function()
  local rt = importkit.runtime{ mounts = { m = {
    ["init.lua"] = "",
    ["boom.lua"] = "local x = 1\n\nerror('boom')\n",
    ["tbl.lua"] = "local t = setmetatable({ code = 7 }, { __tostring = function() return 'custom' end })\nerror(t)",
    ["syntax.lua"] = "local x = = 1",
    ["deep.lua"] = "local function f()\n  local y = nil\n  return y.z\nend\nf()\n",
  } } }
  local e = C.raises_code("IK_ERR_EXEC", "executing module 'm.boom' failed", rt.import, rt, "m.boom")
  C.eq(e.module, "m.boom", "module")
  C.eq(e.host_message, "memory:/m/boom.lua:3: boom", "host message")
  C.eq(e.line, 3, "line")
  C.eq(e.cause, "memory:/m/boom.lua:3: boom", "cause is the Lua error value")
  C.ok(e.traceback and e.traceback:find("stack traceback", 1, true), "traceback")

  e = C.raises_code("IK_ERR_EXEC", "custom", rt.import, rt, "m.tbl")
  C.eq(type(e.cause), "table", "cause")
  C.eq(e.cause.code, 7, "the original error object")
  C.eq(e.line, 2, "line of error(t)")

  e = C.raises_code("IK_ERR_EXEC", "unexpected symbol near '='", rt.import, rt, "m.syntax")
  C.eq(e.line, 1, "syntax error line")

  e = C.raises_code("IK_ERR_EXEC", "attempt to index local 'y'", rt.import, rt, "m.deep")
  C.eq(e.line, 3, "line inside a function of the module")
  rt:close()
end)

test("callbacks never unwind: odd error values, failing __tostring, errors in factories", function()
  local rt = importkit.runtime{
    mounts = {
      m = { ["init.lua"] = "error(setmetatable({}, { __tostring = function() error('no') end }))" },
      nilerr = { ["init.lua"] = "error()" },
      nul = { ["init.lua"] = "error('a\\0b')" },
    },
    natives = {
      bad = function() error("factory broke") end,
      nothing = function() return nil end,
      weird = function() error(setmetatable({}, { __tostring = function() return 42 end })) end,
    },
  }
  C.raises_code("IK_ERR_EXEC", "error object is a table value", rt.import, rt, "m")
  C.raises_code("IK_ERR_EXEC", "executing module 'nilerr' failed: nil", rt.import, rt, "nilerr")
  C.raises_code("IK_ERR_EXEC", "a\\0b", rt.import, rt, "nul")
  local e = C.raises_code("IK_ERR_HOST", "creating native module 'bad' failed: ", rt.import, rt, "bad")
  C.ok(e.message:find("factory broke", 1, true), "the factory's message")
  C.eq(e.module, "bad", "module")
  C.raises_code("IK_ERR_HOST", "returned nil", rt.import, rt, "nothing")
  C.raises_code("IK_ERR_HOST", "error object is a table value", rt.import, rt, "weird")
  -- The runtime is still usable after all of that.
  rt:mount("ok", { ["init.lua"] = "return 'fine'" })
  C.eq(rt:import("ok"), "fine", "still usable")
  rt:close()
end)

test("a nested import's error passes through unchanged (ik_report_pass)", function()
  local rt = importkit.runtime{ mounts = { a = {
    ["init.lua"] = "import '.b'",
    ["b.lua"] = "import 'missing.thing'",
  } } }
  local e = C.raises_code("IK_ERR_NOT_FOUND", "No module named 'missing'", rt.import, rt, "a")
  C.eq(e.module, "missing", "the inner module")
  -- And through a native factory that imports.
  rt:register_native("nat", function() return rt:import("a") end)
  e = C.raises_code("IK_ERR_NOT_FOUND", "No module named 'missing'", rt.import, rt, "nat")
  C.eq(e.module, "missing", "through a native")
  rt:close()
end)

test("a module that closes its runtime: the close waits for the running import", function()
  local rt
  rt = importkit.runtime{
    mounts = { m = { ["init.lua"] = "close_it(); return import('.sub').v", ["sub.lua"] = "return { v = 5 }" } },
    globals = setmetatable({ close_it = function() rt:close() end }, { __index = _G }),
  }
  -- The nested import after close() is refused, the outer import then fails with it.
  local e = C.raises_code("IK_ERR_UNAVAILABLE", "closed", rt.import, rt, "m")
  C.ok(rt:is_closed(), "closed once the import returned")
  C.raises_code("IK_ERR_UNAVAILABLE", "closed", rt.import, rt, "m")
  rt:close() -- idempotent
end)

test("closing twice, using after close, tostring", function()
  local rt = importkit.runtime()
  C.ok(tostring(rt):find("importkit.runtime#", 1, true), "tostring")
  rt:close()
  rt:close()
  C.ok(tostring(rt):find("closed", 1, true), "tostring closed")
  C.raises_code("IK_ERR_UNAVAILABLE", "closed", rt.mount, rt, "a", {})
  C.raises_code("IK_ERR_UNAVAILABLE", "closed", rt.find, rt, "a")
  C.raises_code("IK_ERR_UNAVAILABLE", "closed", rt.modules, rt)
end)

return T

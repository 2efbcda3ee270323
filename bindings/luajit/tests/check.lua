-- A few assertions for the tests (shared by tests/test_*.lua).
local importkit = require "importkit"

local C = {}

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

function C.eq(got, want, what)
  if got ~= want then
    error(string.format("%s: expected %s, got %s", what or "value", show(want), show(got)), 2)
  end
end

function C.ok(v, what)
  if not v then error((what or "assertion") .. " failed", 2) end
  return v
end

--- Calls f(...) expecting an error; returns it. `pattern` (plain text) must occur in tostring(error).
function C.raises(pattern, f, ...)
  local ok, err = pcall(f, ...)
  if ok then error("expected an error" .. (pattern and (" containing " .. show(pattern)) or ""), 2) end
  if pattern and not tostring(err):find(pattern, 1, true) then
    error(string.format("expected an error containing %s, got %s", show(pattern), show(tostring(err))), 2)
  end
  return err
end

--- Like raises, and the error must be an importkit error with this code.
function C.raises_code(code, pattern, f, ...)
  local ok, err = pcall(f, ...)
  if ok then error("expected " .. code, 2) end
  if not importkit.is_error(err) then
    error(string.format("expected an importkit error %s, got %s", code, show(tostring(err))), 2)
  end
  if err.code ~= code then
    error(string.format("expected %s, got %s: %s", code, tostring(err.code), tostring(err)), 2)
  end
  if pattern and not tostring(err):find(pattern, 1, true) then
    error(string.format("expected an error containing %s, got %s", show(pattern), show(tostring(err))), 2)
  end
  return err
end

--- A fresh unique name (for modules of tests that install into the global package.loaded).
local n = 0
function C.unique(prefix)
  n = n + 1
  return (prefix or "m") .. "_" .. n .. "_" .. tostring(os.time() % 100000)
end

--- Resident memory of this process in KiB (Linux), or nil.
function C.rss_kib()
  local f = io.open("/proc/self/statm", "r")
  if not f then return nil end
  local _, resident = f:read("*n", "*n")
  f:close()
  return resident and resident * 4
end

function C.full_gc()
  for _ = 1, 3 do collectgarbage("collect") end
end

--- The luajit executable running these tests (for programs run in a fresh process).
function C.luajit_exe()
  local i = -1
  while arg and arg[i - 1] do i = i - 1 end
  return arg and arg[i] or "luajit"
end

--- Runs a shell command; its output (stderr too) and whether it exited 0.
function C.sh(cmd)
  local p = io.popen(cmd .. " 2>&1; echo \"rc=$?\"")
  local out = p:read("*a")
  p:close()
  return out, out:find("rc=0\n", 1, true) ~= nil
end

--- Writes `data` to the file `path`.
function C.write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

--- `path` made absolute (a relative path taken from the current directory).
function C.absolute(path)
  local dir, base = path:match("^(.*)/([^/]*)$")
  if not dir then dir, base = ".", path end
  local out = assert(C.sh("cd '" .. dir .. "' && pwd"))
  return out:match("^([^\n]*)") .. "/" .. base
end

return C

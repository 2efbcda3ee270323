-- The Lua tests of the LuaJIT binding. Run from anywhere:
--     IMPORTKIT_LIB=target/debug/libimportkit.so luajit bindings/luajit/tests/run.lua [FILTER]
-- Each tests/test_*.lua returns a list of { name, function }. Ends with `lua: N passed, M failed` and exits
-- non-zero on any failure. FILTER (a Lua pattern) runs only the tests whose "file: name" matches it.

local here = debug.getinfo(1, "S").source:sub(2):match("^(.*)[/\\][^/\\]*$") or "."
local root = here .. "/.."
package.path = root .. "/?.lua;" .. here .. "/?.lua;" .. package.path

local FILES = {
  "test_binding",
  "test_runtime",
  "test_semantics",
  "test_require",
  "test_install",
  "test_cmodules",
  "test_bad_input",
  "test_filesystem",
  "test_memory",
  "test_resources",
  "test_hotreload",
  "test_bundle",
  "test_vendor",
}

local filter = arg and arg[1]
local passed, failed, failures = 0, 0, {}

for _, file in ipairs(FILES) do
  local ok, tests = pcall(require, file)
  if not ok then
    failed = failed + 1
    failures[#failures + 1] = file .. ": cannot load: " .. tostring(tests)
    print("FAIL " .. file .. " (cannot load): " .. tostring(tests))
  else
    for _, t in ipairs(tests) do
      local full = file .. ": " .. t[1]
      if not filter or full:find(filter) then
        local okt, err = xpcall(t[2], function(e) return debug.traceback(tostring(e), 2) end)
        if okt then
          passed = passed + 1
          print("ok   " .. full)
        else
          failed = failed + 1
          failures[#failures + 1] = full
          print("FAIL " .. full .. "\n" .. tostring(err))
        end
      end
    end
  end
end

if failed > 0 then
  print("\nfailed:")
  for _, f in ipairs(failures) do print("  " .. f) end
end
print(("lua: %d passed, %d failed"):format(passed, failed))
os.exit(failed == 0 and 0 or 1)

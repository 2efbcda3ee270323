-- One file to vendor: importkit.lua carries its declarations and finds the library beside it, through
-- package.cpath's directories, or at $IMPORTKIT_LIB.
local importkit = require "importkit"
local C = require "check"
local luajit_exe, sh, write = C.luajit_exe, C.sh, C.write

local T = {}
local function test(name, f) T[#T + 1] = { name, f } end

local here = debug.getinfo(1, "S").source:sub(2):match("^(.*)[/\\][^/\\]*$") or "."
local binding = here .. "/../importkit.lua"

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- A fresh temporary directory holding only `files` (name -> path to copy).
local function temp_dir(files)
  local dir = os.tmpname()
  os.remove(dir)
  assert(sh("mkdir -p '" .. dir .. "'"))
  for name, from in pairs(files) do assert(sh("cp '" .. from .. "' '" .. dir .. "/" .. name .. "'")) end
  return dir
end

-- Runs `code` with a fresh luajit in `dir`, with `env` before the command (IMPORTKIT_LIB unset unless given).
local function run_in(dir, env, code)
  write(dir .. "/main.lua", code)
  return sh("cd '" .. dir .. "' && env -u IMPORTKIT_LIB -u IMPORTKIT_CDEF " .. env .. " " .. luajit_exe() .. " main.lua")
end

local USE = [[
package.path = "./?.lua;" .. package.path
local importkit = require "importkit"
local rt = importkit.runtime{ mounts = { app = { ["init.lua"] = "return { v = 42 }" } } }
print("value", rt:import("app").v, importkit.library_path())
]]

test("the carried declarations are include/importkit_cdef.h's, between the generated markers", function()
  local text = read(binding)
  local block = text:match("\n%-%- BEGIN GENERATED CDEF[^\n]*\n(.-)%-%- END GENERATED CDEF\n")
  C.ok(block, "the generated block opens and closes")
  local _, count = text:gsub("%-%- BEGIN GENERATED CDEF", "")
  C.eq(count, 1, "one block")
  -- The block is Lua: CDEF (types and constants), then CDEF_FUNCTIONS (name, declaration, in turn).
  local env = {}
  local chunk = assert(loadstring(block, "=block"))
  setfenv(chunk, env)
  chunk()
  C.eq(type(env.CDEF), "string", "CDEF")
  C.eq(type(env.CDEF_FUNCTIONS), "table", "CDEF_FUNCTIONS")
  local parts, names = { env.CDEF }, {}
  for i = 1, #env.CDEF_FUNCTIONS, 2 do
    local name, decl = env.CDEF_FUNCTIONS[i], env.CDEF_FUNCTIONS[i + 1]
    C.ok(decl:find(name .. "(", 1, true), name .. " is the function its declaration declares")
    C.ok(not names[name], name .. " once")
    names[name] = true
    parts[#parts + 1] = decl
  end
  C.ok(#env.CDEF_FUNCTIONS > 100 and not env.CDEF:find("ik_runtime_new(", 1, true), "the functions are apart")
  local f = io.open(here .. "/../../../include/importkit_cdef.h", "rb")
  if f then -- in the repository: the copy must be the current one (`cargo build` rewrites it)
    local cdef = f:read("*a")
    f:close()
    C.ok(table.concat(parts) == cdef, "the block is stale: run `cargo build` and commit bindings/luajit/importkit.lua")
  end
end)

test("two copies of the binding in one process: both import, both watch", function()
  local dir = temp_dir({})
  local out, ok = run_in(dir, "", [[
local A = dofile(]] .. string.format("%q", C.absolute(binding)) .. [[)
local B = dofile(]] .. string.format("%q", C.absolute(binding)) .. [[)
local ra = A.runtime{ mounts = { app = { ["init.lua"] = "return 1" } } }
local rb = B.runtime{ mounts = { app = { ["init.lua"] = "return 2" } } }
print("values", ra:import("app"), rb:import("app"))
print("watch", pcall(ra.watch, ra), pcall(rb.watch, rb))
]])
  C.ok(ok, out)
  C.ok(out:find("values\t1\t2", 1, true), out)
  C.ok(out:find("watch\ttrue\ttrue\t0", 1, true), out)
  sh("rm -rf '" .. dir .. "'")
end)

test("vendored: importkit.lua alone with the library beside it, from a fresh luajit", function()
  local lib = importkit.library_path()
  local name = lib:match("[^/\\]+$")
  local dir = temp_dir({ ["importkit.lua"] = binding, [name] = lib })
  local out, ok = run_in(dir, "", USE)
  C.ok(ok, out)
  C.ok(out:find("value\t42\t" .. dir .. "/" .. name, 1, true) or out:find("value\t42\t./" .. name, 1, true), out)
  sh("rm -rf '" .. dir .. "'")
end)

test("vendored: the library found in a package.cpath template's directory", function()
  local lib = importkit.library_path()
  local name = lib:match("[^/\\]+$")
  local dir = temp_dir({ ["importkit.lua"] = binding })
  assert(sh("mkdir -p '" .. dir .. "/clib' && cp '" .. lib .. "' '" .. dir .. "/clib/'"))
  local out, ok = run_in(dir, "", 'package.cpath = "./nothing/?.so;./clib/?.so;" .. package.cpath\n' .. USE)
  C.ok(ok, out)
  C.ok(out:find("value\t42\t./clib/" .. name, 1, true), out)
  -- Without it there, the error lists every place tried.
  out, ok = run_in(dir, "", 'package.cpath = "./nothing/?.so"\n' .. USE)
  C.ok(not ok, out)
  C.ok(out:find("cannot find the library", 1, true) and out:find("./nothing/" .. name, 1, true), out)
  sh("rm -rf '" .. dir .. "'")
end)

test("vendored: $IMPORTKIT_LIB wins over the library beside the file", function()
  local lib = importkit.library_path()
  local name = lib:match("[^/\\]+$")
  local dir = temp_dir({ ["importkit.lua"] = binding })
  write(dir .. "/" .. name, "not a library")
  local out, ok = run_in(dir, "IMPORTKIT_LIB='" .. lib .. "'", USE)
  C.ok(ok, out)
  C.ok(out:find("value\t42\t" .. lib, 1, true), out)
  out, ok = run_in(dir, "", USE) -- the file beside it is used (and is no library)
  C.ok(not ok and out:find("cannot load the library", 1, true), out)
  sh("rm -rf '" .. dir .. "'")
end)

return T

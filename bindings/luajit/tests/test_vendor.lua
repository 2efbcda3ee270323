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
  -- The block is Lua: CDEF (the core types), CDEF_PROBED, CDEF_LAZY (name -> declaration of each function,
  -- constant and struct with fields), CDEF_NEEDS (name -> the structs a declaration names).
  local env = {}
  local chunk = assert(loadstring(block, "=block"))
  setfenv(chunk, env)
  chunk()
  C.eq(type(env.CDEF), "string", "CDEF")
  C.eq(type(env.CDEF_PROBED), "number", "CDEF_PROBED")
  C.eq(type(env.CDEF_LAZY), "table", "CDEF_LAZY")
  C.eq(type(env.CDEF_NEEDS), "table", "CDEF_NEEDS")
  local lines, count = {}, 0
  local function add(text) for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end end
  add(env.CDEF)
  for name, decl in pairs(env.CDEF_LAZY) do
    count = count + 1
    local named = decl:find(name .. "(", 1, true) or decl:find(" " .. name .. " =", 1, true)
      or decl:find("} " .. name .. ";", 1, true)
    C.ok(named, name .. " is what its declaration declares")
    add(decl)
  end
  for name, needs in pairs(env.CDEF_NEEDS) do
    C.ok(env.CDEF_LAZY[name], name .. " needs, and is lazy")
    for _, n in ipairs(needs) do C.ok(env.CDEF_LAZY[n]:find("^typedef struct {"), name .. " needs the struct " .. n) end
  end
  C.ok(count > 100 and not env.CDEF:find("ik_runtime_new(", 1, true) and not env.CDEF:find("ik_executor", 1, true),
    "the functions and structs are apart")
  -- A declaration that names a lazy struct needs it.
  C.eq(env.CDEF_NEEDS.ik_runtime_set_executor[1], "ik_executor", "set_executor needs ik_executor")
  local f = io.open(here .. "/../../../include/importkit_cdef.h", "rb")
  if f then -- in the repository: the copy must be the current one (`cargo build` rewrites it)
    local cdef = f:read("*a")
    f:close()
    local want = {}
    for line in cdef:gmatch("[^\n]+") do want[#want + 1] = line end
    table.sort(lines)
    table.sort(want)
    C.ok(table.concat(lines, "\n") == table.concat(want, "\n"),
      "the block is stale: run `cargo build` and commit bindings/luajit/importkit.lua")
    local probed = 0
    for body in cdef:gmatch("typedef enum%s*(%b{})") do
      for v in body:gmatch("=%s*(%d+)") do probed = math.max(probed, tonumber(v) + 1) end
    end
    C.eq(env.CDEF_PROBED, probed, "CDEF_PROBED")
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

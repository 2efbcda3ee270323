-- The filesystem: `path = {...}`, :path_append, and the filesystem discovery of install.
local importkit = require "importkit"
local C = require "check"

local T = {}
local function test(name, f) T[#T + 1] = { name, f } end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

-- A fresh directory with a Lua tree in it.
local function tree()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p '" .. dir .. "/fsapp/core' '" .. dir .. "/noinit'") == 0)
  write(dir .. "/fsapp/init.lua", "local core = import '.core'\nreturn { core = core, file = select(2, ...) }")
  write(dir .. "/fsapp/core/init.lua", "speed = import('.stats').speed")
  write(dir .. "/fsapp/core/stats.lua", "return { speed = 3 }")
  write(dir .. "/fsapp/broken.lua", "local x = 1\nerror('on disk')")
  write(dir .. "/noinit/x.lua", "return { via = _SPEC and 'importkit' or 'lua' }")
  write(dir .. "/fsmod.lua", "return { via = _SPEC and 'importkit' or 'lua', file = _SPEC and _SPEC.file }")
  return dir
end

local function remove(dir)
  os.execute("rm -rf '" .. dir .. "'")
end

if not importkit.has_filesystem() then
  test("without the filesystem functions, path and path_append say 'not yet supported'", function()
    C.raises_code("IK_ERR_UNAVAILABLE", "not yet supported", importkit.runtime, { path = { "." } })
    local rt = importkit.runtime()
    C.raises_code("IK_ERR_UNAVAILABLE", "not yet supported", rt.path_append, rt, ".")
    rt:close()
  end)
  return T
end

test("path = {...}: modules from a directory, with their file", function()
  local dir = tree()
  local rt = importkit.runtime{ path = { dir } }
  local app = rt:import("fsapp")
  C.eq(app.core.speed, 3, "a package tree on disk")
  C.eq(app.file, dir .. "/fsapp/init.lua", "the chunk's second vararg is the file")
  local spec = rt:find("fsapp.core.stats")
  C.eq(spec.file, dir .. "/fsapp/core/stats.lua", "spec.file")
  C.eq(spec.kind, "source", "kind")
  local e = C.raises_code("IK_ERR_EXEC", dir .. "/fsapp/broken.lua:2: on disk", rt.import, rt, "fsapp.broken")
  C.eq(e.line, 2, "line")
  C.eq(rt:path()[1], dir, "path()")
  rt:close()
  remove(dir)
end)

test("path_append, invalidate, and a failed module fixed on disk", function()
  local dir = tree()
  local rt = importkit.runtime()
  C.raises_code("IK_ERR_NOT_FOUND", nil, rt.import, rt, "fsmod")
  rt:path_append(dir)
  C.eq(rt:import("fsmod").via, "importkit", "found once appended")
  C.raises_code("IK_ERR_EXEC", "on disk", rt.import, rt, "fsapp.broken")
  write(dir .. "/fsapp/broken.lua", "return 'mended'")
  rt:invalidate()
  C.eq(rt:import("fsapp.broken"), "mended", "imported again once fixed")
  write(dir .. "/later.lua", "return 'later'")
  rt:invalidate()
  C.eq(rt:import("later"), "later", "a new file after invalidate")
  rt:close()
  remove(dir)
end)

test("install{ parents = true }: require finds files through importkit, from mounts and the filesystem", function()
  local dir = tree()
  local rt = importkit.install{ parents = true, environments = "module", path = { dir }, mounts = { memonly = { ["init.lua"] = "return 'memory'" } } }
  local ok, err = pcall(function()
    local stats = require "fsapp.core.stats"
    C.eq(stats.speed, 3, "from disk")
    C.eq(type(package.loaded["fsapp"]), "table", "the parent landed in package.loaded")
    C.eq(type(package.loaded["fsapp.core"]), "table", "and the middle package")
    C.eq(require "memonly", "memory", "from a mount")
    C.eq(require("fsmod").file, dir .. "/fsmod.lua", "a top-level file")
    -- A directory without init.lua is no package for importkit: Lua's own searcher is asked next
    -- (here it does not know `dir` either, so the error lists both).
    local e = C.raises("module 'noinit.x' not found", require, "noinit.x")
    C.ok(e:find("importkit " .. dir .. ": no noinit.lua, no noinit/init.lua", 1, true), e)
  end)
  importkit.uninstall()
  rt:close()
  for _, k in ipairs({ "fsapp", "fsapp.core", "fsapp.core.stats", "memonly", "fsmod" }) do package.loaded[k] = nil end
  remove(dir)
  if not ok then error(err, 0) end
end)

test("install{ parents = true } without path: the directories of package.path; path = false: none", function()
  local dir = tree()
  local saved = package.path
  package.path = dir .. "/?.lua;" .. dir .. "/?/init.lua;" .. saved
  local rt = importkit.install{ parents = true, environments = "module" }
  local ok, err = pcall(function()
    local found = false
    for _, entry in ipairs(rt:path()) do if entry == dir then found = true end end
    C.ok(found, "the package.path directory is on the search path")
    C.eq(require("fsmod").via, "importkit", "through importkit")
    C.eq(require("noinit.x").via, "lua", "a plain Lua tree without init.lua falls through to Lua's searcher")
  end)
  importkit.uninstall()
  rt:close()
  package.loaded.fsmod, package.loaded["noinit.x"] = nil, nil
  local rt2 = importkit.install{ parents = true, environments = "module", path = false }
  local ok2, err2 = pcall(function()
    C.eq(#rt2:path(), 0, "no search path")
    C.eq(require("fsmod").via, "lua", "Lua's searcher loads it")
  end)
  importkit.uninstall()
  rt2:close()
  package.loaded.fsmod = nil
  package.path = saved
  remove(dir)
  if not ok then error(err, 0) end
  if not ok2 then error(err2, 0) end
end)

return T

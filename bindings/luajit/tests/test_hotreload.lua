-- Hot reload: rt:watch(), rt:poll_changes() (and rt:reload(name, { keep = true })).
local importkit = require "importkit"
local C = require "check"

local T = {}
local function test(name, f) T[#T + 1] = { name, f } end

-- A fresh directory; files are written with an explicit mtime (no sleeping: each write gets a later second).
local clock = 1700000000
local function tempdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p '" .. dir .. "'") == 0)
  return dir
end

local function touch(path)
  clock = clock + 10
  assert(os.execute(("touch -d @%d '%s'"):format(clock, path)) == 0)
end

local function put(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  touch(path)
end

local function rmdir(dir) os.execute("rm -rf '" .. dir .. "'") end

local function names_of(changes)
  local out = {}
  for i, c in ipairs(changes) do out[i] = c.name end
  return table.concat(out, ",")
end

test("watch: files only; nothing changed, an empty list", function()
  local dir = tempdir()
  put(dir .. "/onfile.lua", "return { v = 1 }")
  local rt = importkit.runtime{ path = { dir }, mounts = { mem = { ["init.lua"] = "return { v = 'memory' }" } },
    natives = { nat = function() return { native = true } end } }
  rt:import("onfile"); rt:import("mem"); rt:import("nat")
  C.eq(rt:watch(), 1, "one module from a file")
  local names, files = rt:watched()
  C.eq(table.concat(names, ","), "onfile", "a mounted module and a native are not watched")
  C.eq(files.onfile, dir .. "/onfile.lua", "its file")
  local changes = rt:poll_changes()
  C.eq(type(changes), "table", "a list")
  C.eq(#changes, 0, "nothing changed")
  C.eq(#rt:poll_changes(), 0, "still nothing")
  rt:close()
  rmdir(dir)
end)

test("poll_changes: a changed file is reloaded; the module's table stays the module", function()
  local dir = tempdir()
  put(dir .. "/weapon.lua", "local M = {}\nfunction M.damage() return 1 end\nM.old_only = true\nreturn M")
  put(dir .. "/player.lua", "local weapon = import 'weapon'\nfunction hit() return weapon.damage() end")
  local rt = importkit.runtime{ path = { dir } }
  local weapon = rt:import("weapon")
  local player = rt:import("player")
  C.eq(player.hit(), 1, "before")
  rt:watch()
  put(dir .. "/weapon.lua", "local M = {}\nfunction M.damage() return 5 end\nfunction M.new() return 'new' end\nreturn M")
  local changes = rt:poll_changes()
  C.eq(#changes, 1, "one change")
  local c = changes[1]
  C.eq(c.name, "weapon", "the module")
  C.eq(c.change, "modified", "modified")
  C.eq(c.ok, true, "reloaded")
  C.eq(c.file, dir .. "/weapon.lua", "its file")
  C.eq(c.value, weapon, "the same table")
  C.eq(rt:import("weapon"), weapon, "the module is the old table")
  C.eq(weapon.damage(), 5, "with the new functions")
  C.eq(weapon.new(), "new", "and new fields")
  C.eq(weapon.old_only, nil, "a field the new table lacks is gone")
  C.eq(player.hit(), 5, "a reference held by another module sees the new code")
  C.eq(#rt:poll_changes(), 0, "seen once")
  -- A class: objects made before the reload get the new methods through the kept table.
  put(dir .. "/class.lua", "local P = {}\nP.__index = P\nfunction P.new() return setmetatable({}, P) end\n" ..
    "function P:speak() return 'v1' end\nreturn P")
  rt:invalidate() -- a new file: the directory listing is otherwise trusted for 1 s
  local obj = rt:import("class").new()
  put(dir .. "/class.lua", "local P = {}\nP.__index = P\nfunction P.new() return setmetatable({}, P) end\n" ..
    "function P:speak() return 'v2' end\nreturn P")
  C.eq(names_of(rt:poll_changes()), "class", "the class reloaded")
  C.eq(obj:speak(), "v2", "an old object speaks the new code")
  C.eq(rt:import("class").new():speak(), "v2", "a new object too")
  rt:close()
  rmdir(dir)
end)

test("poll_changes: a module returning its environment keeps it; a module returning the same table", function()
  local dir = tempdir()
  put(dir .. "/envmod.lua", "runs = (runs or 0) + 1\nfunction f() return 'v1' end")
  put(dir .. "/same.lua", "M = M or {}\nM.runs = (M.runs or 0) + 1\nreturn M")
  local rt = importkit.runtime{ path = { dir } }
  local env, same = rt:import("envmod"), rt:import("same")
  rt:watch()
  put(dir .. "/envmod.lua", "runs = (runs or 0) + 1\nfunction f() return 'v2' end")
  put(dir .. "/same.lua", "M = M or {}\nM.runs = (M.runs or 0) + 1\nM.more = true\nreturn M")
  local changes = rt:poll_changes()
  C.eq(names_of(changes), "envmod,same", "both (no edges: by name)")
  C.eq(rt:import("envmod"), env, "the environment")
  C.eq(env.f(), "v2", "new code")
  C.eq(env.runs, 2, "ran in the same environment")
  C.eq(rt:import("same"), same, "the same table")
  C.eq(same.runs, 2, "it kept its state")
  C.eq(same.more, true, "and has the new field")
  rt:close()
  rmdir(dir)
end)

test("poll_changes: dependencies first, through modules that did not change", function()
  local dir = tempdir()
  _G.hot_log = {}
  local function src(name, deps)
    local lines = { ("hot_log[#hot_log + 1] = %q"):format(name) }
    for _, d in ipairs(deps) do lines[#lines + 1] = ("import %q"):format(d) end
    return table.concat(lines, "\n")
  end
  -- a imports m and c; m imports b; b imports c. (Names chosen so that name order is not dependency order.)
  put(dir .. "/a.lua", src("a", { "m", "c" }))
  put(dir .. "/m.lua", src("m", { "b" }))
  put(dir .. "/b.lua", src("b", { "c" }))
  put(dir .. "/c.lua", src("c", {}))
  local rt = importkit.runtime{ path = { dir } }
  rt:import("a")
  C.eq(table.concat(hot_log, ","), "a,m,b,c", "first load")
  rt:watch()
  hot_log = {}
  put(dir .. "/a.lua", src("a", { "m", "c" }) .. "\n-- edited")
  put(dir .. "/b.lua", src("b", { "c" }) .. "\n-- edited")
  put(dir .. "/c.lua", src("c", {}) .. "\n-- edited")
  local changes = rt:poll_changes()
  C.eq(names_of(changes), "c,b,a", "c before b (b imports it), b before a (through m, unchanged)")
  C.eq(table.concat(hot_log, ","), "c,b,a", "run in that order")
  for _, c in ipairs(changes) do C.eq(c.ok, true, c.name .. " reloaded") end
  -- Edges are recorded again on each run: b no longer imports c, c now imports b.
  hot_log = {}
  put(dir .. "/b.lua", src("b", {}))
  rt:poll_changes()
  put(dir .. "/c.lua", src("c", { "b" }))
  put(dir .. "/b.lua", src("b", {}) .. "\n-- again")
  rt:poll_changes()
  C.eq(table.concat(hot_log, ","), "b,b,c", "b alone, then b before c")
  rt:close()
  _G.hot_log = nil
  rmdir(dir)
end)

test("poll_changes: a syntax error is reported and the old module kept; the others reload", function()
  local dir = tempdir()
  put(dir .. "/base.lua", "return { v = 1 }")
  put(dir .. "/user.lua", "local base = import 'base'\nreturn { v = 1, base = base }")
  local rt = importkit.runtime{ path = { dir } }
  local user = rt:import("user")
  local base = rt:import("base")
  rt:watch()
  put(dir .. "/base.lua", "return { v = 2 ")
  put(dir .. "/user.lua", "local base = import 'base'\nreturn { v = 2, base = base }")
  local changes = rt:poll_changes()
  C.eq(names_of(changes), "base,user", "the dependency first")
  C.eq(changes[1].ok, false, "base failed")
  C.ok(importkit.is_error(changes[1].error), "an importkit error")
  C.eq(changes[1].error.code, "IK_ERR_EXEC", "its code")
  C.ok(tostring(changes[1].error):find("base.lua:1:", 1, true), "the syntax error: " .. tostring(changes[1].error))
  C.eq(rt:import("base"), base, "base kept")
  C.eq(base.v, 1, "as it was")
  C.eq(changes[2].ok, true, "user (which depends on base) reloaded all the same")
  C.eq(user.v, 2, "its new code")
  C.eq(user.base, base, "with the old base")
  C.eq(#rt:poll_changes(), 0, "a failed file is not tried again until it changes")
  put(dir .. "/base.lua", "return { v = 3 }")
  changes = rt:poll_changes()
  C.eq(names_of(changes), "base", "fixed")
  C.eq(changes[1].ok, true, "reloaded")
  C.eq(base.v, 3, "the same table, new contents")
  rt:close()
  rmdir(dir)
end)

test("poll_changes: a removed file is reported, the module kept; a file put back is reloaded", function()
  local dir = tempdir()
  put(dir .. "/gone.lua", "return { v = 1 }")
  local rt = importkit.runtime{ path = { dir } }
  local gone = rt:import("gone")
  rt:watch()
  os.remove(dir .. "/gone.lua")
  local changes = rt:poll_changes()
  C.eq(#changes, 1, "one change")
  C.eq(changes[1].change, "removed", "removed")
  C.eq(changes[1].ok, nil, "not reloaded")
  C.eq(rt:import("gone"), gone, "the module stays")
  C.eq(#rt:poll_changes(), 0, "reported once")
  C.eq(table.concat(rt:watched(), ","), "gone", "still watched")
  put(dir .. "/gone.lua", "return { v = 2 }")
  changes = rt:poll_changes()
  C.eq(changes[1].change, "replaced", "back")
  C.eq(changes[1].ok, true, "reloaded")
  C.eq(gone.v, 2, "its new contents")
  rt:close()
  rmdir(dir)
end)

test("poll_changes: a file replaced by another (same size and mtime) is seen", function()
  local dir = tempdir()
  put(dir .. "/swap.lua", "return { v = 1 }")
  local rt = importkit.runtime{ path = { dir } }
  local swap = rt:import("swap")
  rt:watch()
  local f = assert(io.open(dir .. "/swap.tmp", "wb"))
  f:write("return { v = 2 }")
  f:close()
  assert(os.execute(("touch -r '%s/swap.lua' '%s/swap.tmp' && mv '%s/swap.tmp' '%s/swap.lua'"):format(dir, dir, dir, dir)) == 0)
  local changes = rt:poll_changes()
  C.eq(names_of(changes), "swap", "seen")
  C.eq(changes[1].change, "replaced", "another file")
  C.eq(swap.v, 2, "reloaded")
  rt:close()
  rmdir(dir)
end)

test("watch: modules loaded later are watched; a module removed from the table is not", function()
  local dir = tempdir()
  put(dir .. "/early.lua", "return {}")
  put(dir .. "/late.lua", "return { v = 1 }")
  local rt = importkit.runtime{ path = { dir } }
  rt:import("early")
  rt:watch()
  C.eq(table.concat(rt:watched(), ","), "early", "before")
  local late = rt:import("late")
  C.eq(table.concat(rt:watched(), ","), "early,late", "imported after watch()")
  put(dir .. "/late.lua", "return { v = 2 }")
  C.eq(names_of(rt:poll_changes()), "late", "reloaded")
  C.eq(late.v, 2, "new contents")
  rt:remove("early")
  collectgarbage()
  C.eq(table.concat(rt:watched(), ","), "late", "removed from the table: not watched")
  rt:unwatch()
  C.raises("call rt:watch() first", rt.poll_changes, rt)
  rt:close()
  rmdir(dir)
end)

test("poll_changes: a module that moved to a mount is no longer watched", function()
  local dir = tempdir()
  put(dir .. "/mover.lua", "where = 'fs'")
  local rt = importkit.runtime{ path = { dir } }
  local m = rt:import("mover")
  rt:watch()
  rt:mount("", { ["mover.lua"] = "where = 'memory'" })
  touch(dir .. "/mover.lua")
  local changes = rt:poll_changes()
  C.eq(changes[1].ok, true, "reloaded")
  C.eq(m.where, "memory", "from the mount (found first)")
  C.eq(#rt:watched(), 0, "not watched any more")
  rt:close()
  rmdir(dir)
end)

test("rt:reload(name, { keep = true }): the identity rule without watching", function()
  local rt = importkit.runtime{ mounts = { k = { ["init.lua"] = "return { v = 1, gone = true }" } } }
  local k = rt:import("k")
  rt:mount("k", { ["init.lua"] = "return setmetatable({ v = 2 }, { __index = { extra = 'mt' } })" }, { replace = true })
  C.eq(rt:reload("k", { keep = true }), k, "the same table")
  C.eq(k.v, 2, "new field")
  C.eq(k.gone, nil, "old field gone")
  C.eq(k.extra, "mt", "the new metatable")
  rt:mount("k", { ["init.lua"] = "return { v = 3 }" }, { replace = true })
  C.ok(rt:reload("k") ~= k, "without keep: the chunk's new table (importlib.reload)")
  C.raises("unknown option 'kept'", rt.reload, rt, "k", { kept = true })
  rt:close()
end)

test("under install(): a changed file updates package.loaded, the table kept, require edges first", function()
  local dir = tempdir()
  local a, b = C.unique("hra"), C.unique("hrb")
  put(dir .. "/" .. b .. ".lua", "local M = {}\nfunction M.v() return 1 end\nreturn M")
  put(dir .. "/" .. a .. ".lua", ("local b = require %q\nreturn { get = function() return b.v() end }"):format(b))
  local rt = importkit.install{ path = { dir } }
  rt:watch()
  local mb = require(b) -- loaded first: a's require of it is answered from package.loaded
  local ma = require(a)
  C.eq(table.concat(rt:watched(), ","), table.concat({ a, b }, ","), "both watched")
  C.eq(ma.get(), 1, "before")
  put(dir .. "/" .. a .. ".lua", ("local b = require %q\nreturn { get = function() return b.v() * 10 end }"):format(b))
  put(dir .. "/" .. b .. ".lua", "local M = {}\nfunction M.v() return 2 end\nreturn M")
  local changes = rt:poll_changes()
  C.eq(names_of(changes), b .. "," .. a, "b first: a requires it")
  C.eq(changes[1].ok and changes[2].ok, true, "both reloaded")
  C.eq(package.loaded[a], ma, "package.loaded holds the same table")
  C.eq(package.loaded[b], mb, "for both")
  C.eq(ma.get(), 20, "new code over new code")
  C.eq(require(a), ma, "require gives it")
  C.eq(rt:contains(a), false, "Lua's semantics: not in the runtime's table")
  -- A syntax error: reported, package.loaded untouched.
  put(dir .. "/" .. b .. ".lua", "return {")
  changes = rt:poll_changes()
  C.eq(changes[1].ok, false, "failed")
  C.ok(tostring(changes[1].error):find("error loading module", 1, true), "Lua's message: " .. tostring(changes[1].error))
  C.eq(package.loaded[b], mb, "kept")
  C.eq(mb.v(), 2, "as it was")
  -- Out of package.loaded: no longer watched.
  package.loaded[a] = nil
  rt:poll_changes()
  C.eq(table.concat(rt:watched(), ","), b, "a dropped")
  importkit.uninstall()
  rt:close()
  package.loaded[a], package.loaded[b] = nil, nil
  rmdir(dir)
end)

test("under install(): modules required before watch() are watched; mounts are not", function()
  local dir = tempdir()
  local f, m = C.unique("hrf"), C.unique("hrm")
  put(dir .. "/" .. f .. ".lua", "return { v = 1 }")
  local rt = importkit.install{ path = { dir }, mounts = { [m] = { ["init.lua"] = "return { v = 1 }" } } }
  local mf = require(f)
  require(m)
  C.eq(rt:watch(), 1, "the file's module")
  C.eq(table.concat(rt:watched(), ","), f, "not the mounted one")
  put(dir .. "/" .. f .. ".lua", "return { v = 2 }")
  C.eq(names_of(rt:poll_changes()), f, "reloaded")
  C.eq(mf.v, 2, "in place")
  C.eq(rt:reload(f).v, 2, "rt:reload works on it too")
  C.ok(package.loaded[f] ~= mf, "without keep, the chunk's new table")
  importkit.uninstall()
  rt:close()
  package.loaded[f], package.loaded[m] = nil, nil
  rmdir(dir)
end)

test("under install{ parents = true }: package.loaded follows the reload", function()
  local dir = tempdir()
  local p = C.unique("hrp")
  put(dir .. "/" .. p .. ".lua", "return { v = 1 }")
  local rt = importkit.install{ parents = true, path = { dir } }
  local mp = require(p)
  rt:watch()
  put(dir .. "/" .. p .. ".lua", "return { v = 2 }")
  local changes = rt:poll_changes()
  C.eq(changes[1].ok, true, "reloaded")
  C.eq(package.loaded[p], mp, "the same table in package.loaded")
  C.eq(mp.v, 2, "new contents")
  importkit.uninstall()
  rt:close()
  package.loaded[p] = nil
  rmdir(dir)
end)

return T

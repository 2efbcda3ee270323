-- Bundles from Lua: importkit.bundle{} (directories and files; LuaJIT bytecode by string.dump through the
-- code cache's compile hook, stripped or not), require from a bundle (install{ bundle = }) and
-- rt:mount_bundle (a file, bytes, the program's appended bundle), pinned digests, corrupt bundles, assets
-- (rt:read, rt:resources), the code cache's counters and directory. The programs that compare run in fresh
-- luajit processes (tests/fresh.lua): plain require of a tree on disk, and install{ bundle = } of a bundle of
-- that tree in a directory that does not hold it.
local importkit = require "importkit"
local C = require "check"
local F = require "fresh"
local sh, write = C.sh, C.write

local T = {}
local function test(name, f) T[#T + 1] = { name, f } end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

-- fresh.lua's tree without its module that does not compile (a bundle with bytecode refuses it).
local function compilable_tree()
  local t = {}
  for k, v in pairs(F.TREE) do
    if k ~= "mods/syntax.lua" then t[k] = v end
  end
  return t
end

-- A bundle of `files`, built from a directory holding them with the options `opts`: its path and what
-- importkit.bundle gave back.
local function bundle_of(files, opts)
  local src = F.make_tree(files)
  local out = os.tmpname() .. ".ikb"
  local o = { out = out, dirs = { src } }
  for k, v in pairs(opts or {}) do o[k] = v end
  local ok, info = pcall(importkit.bundle, o)
  F.remove(src)
  if not ok then error(info, 2) end
  return out, info
end

-- The report of `body` run with plain require in a directory holding `files`, and the report of `body` run
-- under install(`opts`, with "BUNDLE" replaced by the bundle's path) in an empty directory, with `from` in
-- it replaced by `to` (a bundle's chunk names `@bundle:/x.lua` where the tree has `@./x.lua`) and without
-- its line "bundle stats = ..." (which it returns).
local STATS = [[
if RT then
  local s = RT:code_cache_stats()
  R("bundle stats", string.format("hits_source=%d hits_directory=%d compiles=%d misses=%d rejected=%d",
    s.hits_source, s.hits_directory, s.compiles, s.misses, s.rejected))
end
]]

local function plain_and_bundled(files, body, path, opts, from, to)
  local dir = F.make_tree(files)
  local empty = F.make_tree({ ["empty.lua"] = "" })
  local plain = F.run(dir, "plain", body)
  local inst = F.run(empty, "install", body .. "\n" .. STATS, (opts or "{ bundle = BUNDLE }"):gsub("BUNDLE",
    string.format("%q", path)), nil)
  F.remove(dir)
  F.remove(empty)
  local stats = inst:match("\nbundle stats = \"([^\n]*)\"\n")
  inst = inst:gsub("\nbundle stats = [^\n]*\n", "\n")
  local k = 1
  while true do
    local a, b = inst:find(from, k, true)
    if not a then break end
    inst = inst:sub(1, a - 1) .. to .. inst:sub(b + 1)
    k = a + #to
  end
  return plain, inst, stats
end

-- What the programs that compare do with fresh.lua's tree (test_install's cases, but for the module that
-- does not compile).
local BODY = [[
local child = require "pkg.child"
R("PKG_INIT_RAN", PKG_INIT_RAN)
R("child", child)
R("args", CHILD_ARGS)
R("_G inside is _G", rawequal(CHILD_G, _G))
R("leaf", require "noparent.leaf")
R("deep package without parents", require "noparent.deep.pkg")
R("parent after", require "pkg")
R("nothing", require "mods.nothing")
R("self", require "mods.self")
local ok, e = pcall(require, "mods.bad")
R("bad", e)
ok, e = pcall(require, "mods.bad")
R("bad again", e)
R("bad runs", BAD_RUNS)
ok, e = pcall(require, "mods.badvalue")
R("the very value", rawequal(e, BAD_VALUE))
ok, e = pcall(require, "mods.level2")
R("level 2", e)
ok, e = xpcall(function() return require "mods.deepfail" end, tb)
R("traceback", e)
R("shebang line", require "mods.shebang")
ok, e = pcall(require, "mods.cyc_a")
R("cycle", e)
ok, e = pcall(require, "mods.needs")
R("missing inside", lua_lines(e))
ok, e = pcall(require, "zz_nope.x")
R("missing", lua_lines(e))
]]

test("importkit.bundle{ compile = true }: each source module gets this LuaJIT's bytecode; written atomically", function()
  local tree = compilable_tree()
  local path, info = bundle_of(tree, { compile = true })
  local n = 0
  for _ in pairs(tree) do n = n + 1 end
  C.eq(info.out, path, "out")
  C.eq(info.modules, n, "source modules")
  C.eq(info.compiled, n, "compiled")
  C.eq(info.sha256, importkit.verify_bundle(path), "the digest of the file written")
  C.eq(info.size, #read(path), "size")
  C.ok(read(path):sub(1, 8) == "IKBUNDL\0", "a bundle")
  local again = bundle_of(tree, { compile = true })
  C.ok(read(again) == read(path), "the same tree gives the same bytes")
  local source_only, s = bundle_of(tree)
  C.eq(s.compiled, 0, "no bytecode without compile")
  C.ok(#read(source_only) < info.size, "the bytecode is in the bundle")
  local stripped = bundle_of(tree, { compile = true, strip = true })
  C.ok(#read(stripped) < info.size and #read(stripped) > #read(source_only), "stripped bytecode is smaller")
  local compressed, z = bundle_of(tree, { compile = true, compress = true })
  C.ok(z.size < info.size, "compressed")
  for _, p in ipairs({ path, again, source_only, stripped, compressed }) do os.remove(p) end
  -- Without `out`: the bytes.
  local bytes = importkit.bundle{ files = { ["a.lua"] = "return 1", sub = { ["init.lua"] = "return 2" } }, compile = true }
  C.eq(bytes.bytes:sub(1, 8), "IKBUNDL\0", "bytes")
  C.eq(bytes.compiled, 2, "compiled from files")
  C.eq(bytes.out, nil, "no file")
end)

test("install{ bundle = }: require from bytecode behaves as plain require of the tree, with the bundle's chunk names", function()
  local tree = compilable_tree()
  local path = bundle_of(tree, { compile = true })
  local plain, inst, stats = plain_and_bundled(tree, BODY, path, nil, "bundle:/", "./")
  os.remove(path)
  F.compare(plain, inst, "require from a bundle")
  -- Every module ran from its bytecode: hits of the source, nothing compiled.
  -- (The 14 modules the body requires; the second `require "mods.bad"` is Lua's "previous error".)
  C.eq(stats, "hits_source=14 hits_directory=0 compiles=0 misses=0 rejected=0", "the code cache's counters")
  C.ok(plain:find([[bad = "./mods/bad.lua:3: boom"]], 1, true), plain)
  C.ok(plain:find("./mods/deepfail.lua:1: in function <./mods/deepfail.lua:1>", 1, true), plain)
  C.ok(plain:find([[shebang line = 2]], 1, true), plain)
end)

test("install(), then rt:mount_bundle: the bundle's bytecode runs (the executor is made when it is needed)", function()
  local path = bundle_of({ ["late/init.lua"] = "return { v = ... }", ["late/x.lua"] = "return 7" }, { compile = true })
  local empty = F.make_tree({ ["empty.lua"] = "" })
  local body = [[
RT:mount_bundle(]] .. string.format("%q", path) .. [[, { point = "" })
R("late.v", require("late").v)
R("x", require "late.x")
]] .. STATS
  local out = F.run(empty, "install", body)
  F.remove(empty)
  os.remove(path)
  C.ok(out:find('late.v = "late"', 1, true) and out:find("x = 7", 1, true), out)
  C.ok(out:find("hits_source=2 hits_directory=0 compiles=0 misses=0", 1, true), out)
end)

test("install{ bundle = } from source (no bytecode): the same, a syntax error included", function()
  local tree = F.TREE
  local path, info = bundle_of(tree)
  C.eq(info.compiled, 0, "no bytecode")
  local body = BODY .. [[
ok, e = pcall(require, "mods.syntax")
R("syntax", e)
]]
  local plain, inst, stats = plain_and_bundled(tree, body, path, nil, "bundle:/", "./")
  F.compare(plain, inst, "require from a bundle of sources")
  C.eq(stats, "hits_source=0 hits_directory=0 compiles=0 misses=15 rejected=0", "the code cache's counters")
  C.ok(plain:find("error loading module 'mods.syntax' from file './mods/syntax.lua'", 1, true), plain)
  -- With bytecode = true, the runtime compiles what the bundle holds no code for; the same again.
  plain, inst, stats = plain_and_bundled(tree, body, path, "{ bundle = BUNDLE, bytecode = true }", "bundle:/", "./")
  os.remove(path)
  F.compare(plain, inst, "require from a bundle, compiled at load")
  C.eq(stats, "hits_source=0 hits_directory=0 compiles=14 misses=15 rejected=0",
    "compiled, but for the module that does not compile")
  -- The builder refuses a module that does not compile, naming it.
  local src = F.make_tree({ ["ok.lua"] = "return 1", ["broken.lua"] = "return {" })
  local e = C.raises("module 'broken' (broken.lua) does not compile", importkit.bundle, { dirs = { src }, compile = true })
  C.ok(tostring(e):find("broken.lua:1:", 1, true), tostring(e))
  F.remove(src)
end)

test("stripped bytecode keeps the chunk names (given at load), loses line numbers; names follow the mount point", function()
  -- (A root package, so that the bundle mounted at a point is a package there.)
  local files = { ["init.lua"] = "return {}", ["game/init.lua"] = "local M = {}\nfunction M.boom()\n  error('boom')\nend\nreturn M",
    ["game/util.lua"] = "return debug.getinfo(1, 'S').source" }
  local full = bundle_of(files, { compile = true })
  local stripped = bundle_of(files, { compile = true, strip = true })
  for _, case in ipairs({ { full, "bundle:/game/init.lua:3: boom" }, { stripped, "bundle:/game/init.lua:0: boom" } }) do
    local rt = importkit.runtime{ bundle = case[1] }
    C.eq(rt:import("game.util"), "@bundle:/game/util.lua", "chunk name")
    local ok, e = pcall(rt:import("game").boom)
    C.eq(e, case[2], "the error's position")
    local s = rt:code_cache_stats()
    C.eq(s.hits_source, 2, "from bytecode")
    C.eq(s.compiles, 0, "no compile")
    -- Mounted elsewhere: the chunk names are the module's there, bytecode compiled for the root or not.
    rt:mount_bundle(case[1], { point = "app" })
    C.eq(rt:import("app.game.util"), "@bundle:/app/game/util.lua", "chunk name at another point")
    rt:close()
  end
  os.remove(full)
  os.remove(stripped)
end)

test("rt:mount_bundle: a file mapped or read, bytes from a string, replace, unmount; a runtime without bytecode", function()
  local files = { ["init.lua"] = "return {}", ["hero/init.lua"] = "return { hp = 10, src = debug.getinfo(1, 'S').source }",
    ["hero/data/stats.txt"] = "STR 18" }
  local path = bundle_of(files, { compile = true })
  local rt = importkit.runtime{}
  C.eq(type(rt:mount_bundle(path)), "number", "the mount's id")
  C.eq(rt:import("hero").hp, 10, "from the mapped file")
  rt:unmount("")
  rt:mount_bundle(path, { point = "game", read = true })
  C.eq(rt:import("game.hero").src, "@bundle:/game/hero/init.lua", "read whole, at a point")
  C.raises_code("IK_ERR_EXISTS", nil, rt.mount_bundle, rt, path, { point = "game" })
  rt:mount_bundle(read(path), { point = "game", replace = true })
  C.eq(rt:read("game.hero", "data/stats.txt"), "STR 18", "bytes from a string")
  C.eq(rt:code_cache_stats().hits_source, 3, "bytecode (hero, game and game.hero)")
  C.raises("option 'read' is for a bundle file", rt.mount_bundle, rt, read(path), { point = "x", read = true })
  C.raises("unknown option 'nope'", rt.mount_bundle, rt, path, { nope = 1 })
  C.raises("bad argument #1 to 'mount_bundle'", rt.mount_bundle, rt, 42)
  rt:close()
  -- bytecode = false: the source, never the bundle's bytecode.
  rt = importkit.runtime{ bundle = path, bytecode = false }
  C.eq(rt:import("hero").hp, 10, "from source")
  C.eq(rt:code_cache_stats().hits_source, 0, "no bytecode")
  C.raises_code("IK_ERR_UNAVAILABLE", "bytecode = false", rt.set_code_cache_dir, rt, "/tmp")
  rt:close()
  C.raises("option 'bytecode' must be a boolean", importkit.runtime, { bytecode = "yes" })
  C.raises("option 'bundle' must be", importkit.runtime, { bundle = 42 })
  C.raises("unknown key 'nope'", importkit.runtime, { bundle = { path, nope = 1 } })
  os.remove(path)
end)

test("pinned digests: the right one mounts (hex or bytes), another is refused naming both", function()
  local path = bundle_of({ ["init.lua"] = "return {}", ["m.lua"] = "return 'pinned'" }, { compile = true })
  local hex = importkit.verify_bundle(path)
  C.eq(#hex, 64, "hex digest")
  local raw = hex:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end)
  local rt = importkit.runtime{ bundle = { path, sha256 = hex } }
  C.eq(rt:import("m"), "pinned", "pinned by hex")
  rt:mount_bundle(read(path), { point = "b", sha256 = raw })
  C.eq(rt:import("b.m"), "pinned", "bytes pinned by 32 bytes")
  local wrong = hex:sub(1, 63) .. (hex:sub(64) == "0" and "1" or "0")
  local e = C.raises_code("IK_ERR_INVALID_MOUNT", "SHA-256", rt.mount_bundle, rt, path, { point = "c", sha256 = wrong })
  C.ok(e:find(hex, 1, true) and e:find(wrong, 1, true) and e:find(path, 1, true), tostring(e))
  C.raises("option 'sha256' must be a SHA-256 digest", rt.mount_bundle, rt, path, { point = "c", sha256 = "abc" })
  rt:close()
  C.raises_code("IK_ERR_INVALID_MOUNT", "SHA-256", importkit.runtime, { bundle = { path, sha256 = wrong } })
  os.remove(path)
end)

test("a corrupt bundle is refused with a clear error; a corrupt entry fails its module or falls back to source", function()
  local files = { ["ok.lua"] = "return 'MARK_OK'", ["bad.lua"] = "return 'MARK_BAD'" }
  local path = bundle_of(files, { compile = true })
  local bytes = read(path)
  -- The header: refused at mount, naming the file.
  local broken = path .. ".header"
  write(broken, bytes:sub(1, 20) .. string.char((bytes:byte(21) + 1) % 256) .. bytes:sub(22))
  C.raises_code("IK_ERR_INVALID_MOUNT", broken, importkit.runtime, { bundle = broken })
  C.raises_code("IK_ERR_INVALID_MOUNT", "bundle:/", importkit.runtime, { bundle = bytes:sub(1, 100) })
  C.raises_code("IK_ERR_INVALID_MOUNT", "format version", importkit.runtime, { bundle = "IKBUNDL\0" .. string.rep("x", 300) })
  C.raises_code("IK_ERR_INVALID_MOUNT", "nowhere.ikb", importkit.runtime, { bundle = "/nonexistent/nowhere.ikb" })
  C.raises_code("IK_ERR_INVALID_MOUNT", broken, importkit.verify_bundle, broken)
  -- A module's source that fails its checksum: found, never run; its import fails naming it and the bundle.
  local src_at = bytes:find("MARK_BAD", 1, true)
  local code_at = select(2, bytes:find(".*MARK_BAD")) - 7 -- the last one: in the bytecode (sources come first)
  C.ok(code_at > src_at, "the bytecode holds the constant after the sources")
  local flipped = path .. ".source"
  write(flipped, bytes:sub(1, src_at - 1) .. "N" .. bytes:sub(src_at + 1))
  -- Run from source, it fails its import, naming the module and the bundle.
  local rt = importkit.runtime{ bundle = flipped, bytecode = false }
  C.eq(rt:import("ok"), "MARK_OK", "the other module")
  local e = C.raises_code("IK_ERR_IMPORT", "'bad'", rt.import, rt, "bad")
  C.ok(e:find("CRC-32", 1, true), tostring(e))
  rt:close()
  -- Its bytecode is a blob of its own, with its own checksum: from it the module imports.
  rt = importkit.runtime{ bundle = flipped }
  C.eq(rt:import("bad"), "MARK_BAD", "from its bytecode")
  rt:close()
  -- Its bytecode that fails its checksum: rejected, the (intact) source runs instead.
  flipped = path .. ".code"
  write(flipped, bytes:sub(1, code_at - 1) .. "N" .. bytes:sub(code_at + 1))
  rt = importkit.runtime{ bundle = flipped }
  C.eq(rt:import("bad"), "MARK_BAD", "from its source")
  C.eq(rt:code_cache_stats().rejected, 1, "the code entry rejected")
  rt:close()
  for _, p in ipairs({ path, broken, path .. ".source", flipped }) do os.remove(p) end
end)

test("assets: rt:read and rt:resources, from a bundle, under install() too", function()
  local name = C.unique("assets")
  local files = { [name .. "/init.lua"] = "return {}", [name .. "/maps/level1.txt"] = "LEVEL ONE",
    [name .. "/maps/level2.txt"] = "LEVEL TWO", [name .. "/logo.png"] = "\137PNG\r\n\26\n\0\0binary" }
  local path = bundle_of(files, { compile = true })
  local rt = importkit.install{ path = false, bundle = path }
  local ok, err = pcall(function()
    C.eq(rt:read(name, "maps/level1.txt"), "LEVEL ONE", "a file of a package, nothing imported")
    C.eq(package.loaded[name], nil, "not imported")
    C.eq(table.concat(rt:resources(name), " "), "init.lua logo.png maps", "listed")
    C.eq(type(require(name)), "table", "its module, through require")
  end)
  package.loaded[name] = nil
  importkit.uninstall()
  rt:close()
  if not ok then error(err, 0) end
  rt = importkit.runtime{ bundle = path }
  C.eq(rt:read(name, "maps/level2.txt"), "LEVEL TWO", "read")
  C.eq(rt:read_resource(name, "logo.png"), files[name .. "/logo.png"], "binary bytes, NULs included")
  C.eq(table.concat(rt:resources(name), " "), "init.lua logo.png maps", "listed")
  C.raises_code("IK_ERR_NOT_FOUND", "maps", rt.resources, rt, name .. ".maps") -- no init.lua: no package
  local none, e = rt:read(name, "maps/level9.txt")
  C.eq(none, nil, "missing")
  C.eq(e.code, "IK_ERR_NOT_FOUND", "the error")
  C.eq(rt:contains(name), false, "reading imports nothing")
  rt:close()
  os.remove(path)
end)

test("penlight in a bundle with bytecode: its public API as under plain require, every module from bytecode", function()
  local f = io.open(F.PENLIGHT_DIR .. "/init.lua", "rb")
  if not f then error("lua-penlight is not installed (apt-get install lua-penlight; scripts/test.sh does it)", 0) end
  f:close()
  local tree = F.make_tree({ ["empty.lua"] = "" })
  assert(sh("cp -r '" .. F.PENLIGHT_DIR .. "' '" .. tree .. "/pl'"))
  local path = os.tmpname() .. ".ikb"
  local info = importkit.bundle{ out = path, dirs = { tree }, exclude = { "empty.lua" }, compile = true }
  F.remove(tree)
  C.eq(info.modules, info.compiled, "every penlight module compiled")
  C.ok(info.modules >= 30, "penlight's modules: " .. info.modules)
  local body = F.PENLIGHT .. [[
R("utils from", debug.getinfo(require("pl.utils").assert_arg, "S").source)
local n = 0
for k in pairs(package.loaded) do if k == "pl" or k:sub(1, 3) == "pl." then n = n + 1 end end
R("penlight modules loaded", n)
]]
  local root = F.PENLIGHT_DIR:match("^(.*/)pl$")
  local plain, inst, stats = plain_and_bundled({ ["empty.lua"] = "" }, body, path, nil, "bundle:/", root)
  os.remove(path)
  F.compare(plain, inst, "penlight from a bundle")
  C.ok(plain:find('utils from = "@' .. F.PENLIGHT_DIR .. '/utils.lua"', 1, true), plain)
  local loaded = tonumber(plain:match("penlight modules loaded = (%d+)"))
  C.eq(stats, string.format("hits_source=%d hits_directory=0 compiles=0 misses=0 rejected=0", loaded),
    "every module from bytecode")
end)

test("the bundle appended to the running program: install{ bundle = true }", function()
  local cli = (importkit.library_path():match("^(.*)/[^/]*$") or ".") .. "/importkit"
  if not io.open(cli, "rb") then error("the importkit tool is missing beside the library (cargo build): " .. cli, 0) end
  local path = bundle_of({ ["shipped.lua"] = "return 'from the program: ' .. debug.getinfo(1, 'S').source" },
    { compile = true })
  local dir = F.make_tree({ ["main.lua"] = [[
local importkit = dofile(...)
local rt = importkit.install{ bundle = true, path = false }
io.write(require "shipped", " ", rt:code_cache_stats().hits_source, "\n")
]] })
  local luajit = C.luajit_exe()
  local exe = luajit:find("/", 1, true) and luajit or (C.sh("command -v " .. luajit):match("^([^\n]*)"))
  local game = dir .. "/game"
  local out, ok = sh("cp '" .. exe .. "' '" .. game .. "' && '" .. cli .. "' bundle append '" .. path .. "' --to '" ..
    game .. "'")
  C.ok(ok, out)
  local binding = C.absolute(debug.getinfo(1, "S").source:sub(2):match("^(.*)/[^/]*$") .. "/../importkit.lua")
  out, ok = sh("cd '" .. dir .. "' && IMPORTKIT_LIB='" .. C.absolute(importkit.library_path()) .. "' ./game main.lua '" ..
    binding .. "'")
  C.ok(ok, out)
  C.ok(out:find("from the program: @bundle:/shipped.lua 1", 1, true), out)
  -- A program without a bundle: a clear error.
  local e = C.raises_code("IK_ERR_INVALID_MOUNT", "no bundle is appended", importkit.runtime, { bundle = true })
  C.ok(e.message:find("luajit", 1, true), e.message)
  F.remove(dir)
  os.remove(path)
end)

test("the code cache directory: loose files compiled once, their bytecode reused by the next process, require unchanged", function()
  local tree = compilable_tree()
  local cache = F.make_tree({})
  local dir = F.make_tree(tree)
  local plain = F.run(dir, "plain", BODY)
  local setup = string.format("(...):set_code_cache_dir(%q)", cache)
  local reports = {}
  for round = 1, 2 do
    local inst = F.run(dir, "install", BODY .. STATS, "{ bytecode = true }", setup)
    reports[round] = inst:match("\nbundle stats = \"([^\n]*)\"\n")
    F.compare(plain, (inst:gsub("\nbundle stats = [^\n]*\n", "\n")), "install{ bytecode = true } round " .. round)
  end
  -- The first process compiles the files and stores them; the second reads them (rejecting none).
  C.eq(reports[1], "hits_source=0 hits_directory=0 compiles=14 misses=14 rejected=0", "first process")
  C.eq(reports[2], "hits_source=0 hits_directory=14 compiles=0 misses=0 rejected=0", "second process")
  local listing = sh("ls '" .. cache .. "' | grep -c '\\.ikc$'")
  C.eq(tonumber(listing:match("^(%d+)")), 14, "one cache file per module")
  -- A runtime of importkit's semantics reads them too, under chunk names of its own (the absolute file).
  local rt = importkit.runtime{ path = { dir }, bytecode = true }
  rt:set_code_cache_dir(cache)
  C.eq(rt:import("pkg.child").src, "@" .. dir .. "/pkg/child.lua", "chunk name")
  local s = rt:code_cache_stats()
  C.eq(s.hits_directory, 2, "pkg and pkg.child from the directory")
  C.eq(s.compiles, 0, "nothing compiled")
  rt:close()
  F.remove(dir)
  F.remove(cache)
end)

test("importkit.bundle refuses what it cannot build, naming it", function()
  C.raises("bad argument #1 to 'bundle'", importkit.bundle, "x")
  C.raises("unknown option 'nope'", importkit.bundle, { nope = true })
  C.raises("give 'dirs' or 'files'", importkit.bundle, {})
  C.raises("option 'compile' must be a boolean", importkit.bundle, { dirs = { "." }, compile = "yes" })
  local src = F.make_tree({ ["a.lua"] = "return 1" })
  C.raises("is inside the source directory", importkit.bundle, { dirs = { src }, out = src .. "/game.ikb" })
  C.raises_code("IK_ERR_IO", "nowhere", importkit.bundle, { dirs = { src .. "/nowhere" } })
  C.raises_code("IK_ERR_IO", "/nonexistent/", importkit.bundle, { dirs = { src }, out = "/nonexistent/x.ikb" })
  C.raises_code("IK_ERR_INVALID_ARGUMENT", "pattern", importkit.bundle, { dirs = { src }, exclude = { "a/b" } })
  C.raises("option 'dirs'[1] must be a string", importkit.bundle, { dirs = { 1 } })
  F.remove(src)
end)

return T

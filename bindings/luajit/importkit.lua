--[[
importkit for LuaJIT: runtimes and require() through importkit, over its C ABI with the FFI.

    package.path = "bindings/luajit/?.lua;" .. package.path
    local importkit = require "importkit"

    local rt = importkit.runtime{
      mounts = { app = { ["init.lua"] = "local util = import '.util'; return { hp = util.hp }",
                         ["util.lua"] = "hp = 10" } },
    }
    print(rt:import("app").hp)               --> 10

    importkit.install{ mounts = { game = { ["init.lua"] = "return { name = 'game' }" } } }
    print(require("game").name)              --> game (through importkit, landing in package.loaded)

LOADING. This file is the whole binding: a host vendors it and the shared library, nothing else (the C
declarations are carried at the end of this file, generated from include/importkit.h by `cargo build`).
`require "importkit"` only defines the module; the library is loaded on first use. It is `$IMPORTKIT_LIB` (a
path to the shared library; when set, nothing else is tried), else the first that exists of: the library
beside this file, `libimportkit.so` (`.dylib`, `importkit.dll`) in the directory of each `package.cpath`
template in order (`/usr/local/lib/lua/5.1/?.so` gives `/usr/local/lib/lua/5.1/libimportkit.so`), then the
repository that holds this file, `<repo>/target/release` and `<repo>/target/debug`. A host that embeds
LuaJIT may set it before the first use with `importkit.configure{ lib = PATH }` (and `cdef = PATH`, or
`$IMPORTKIT_CDEF`, to declare from a file instead of the carried copy). The library must be ABI 0.1.x.

RUNTIMES. `importkit.runtime(opts)` makes one isolated import world: an `ik_runtime` with importkit's Lua
profile (`a.b` is `a/b.lua` or `a/b/init.lua`; a directory without `init.lua` is no package; name segments
are ASCII letters, digits, `_` and `-`). Options, all optional (any other key is an error):

    path    = { DIR, ... }        directories searched on the filesystem, in order (turns the filesystem on;
                                  without `path` a runtime makes no filesystem call at all)
    mounts  = { POINT = FILES }   in-memory trees. FILES maps relative paths to source strings; a nested table
                                  is a directory (`{ sub = { ["x.lua"] = "..." } }` holds `sub/x.lua`). POINT is
                                  a top-level name (`app`: `init.lua` is `app`, `util.lua` is `app.util`) or ""
                                  for the root. Mounted in sorted order of POINT; the bytes are copied.
    natives = { NAME = F }        native modules: importing NAME calls F(name, spec) once and what it returns is
                                  the module (nil is an error). `{ factory = F, powerful = true, package = true }`
                                  registers with flags (a powerful native is denied unless allowed by name).
    allow   = { NAME, ... }       top-level names that may be imported ("*": all but powerful natives);
    deny    = { NAME, ... }       deny wins; a denied import creates and runs nothing. A string is one name.
    globals = TABLE               what module environments inherit (their `__index`); default `_G`. A table of
                                  your own sandboxes the modules' globals (`import` is always there).
    bundle  = BUNDLE              bundles mounted after the mounts (BUNDLES below): a path, a bundle's bytes, true
                                  (the bundle appended to the running program), { BUNDLE, point =, sha256 =,
                                  read =, appended = }, or a list of those (each at a point of its own)
    bytecode = true | false       nil (default): bytecode is run where importkit has some for this LuaJIT (a
                                  bundle's, the code cache directory's), never made; true: every Lua source is
                                  also compiled (string.dump) and its bytecode kept (in memory, and in the
                                  directory of rt:set_code_cache_dir); false: sources only, ever
    strip   = true                compiled bytecode without debug information (BUNDLES below)
    cpath   = TEMPLATES           C modules found along these templates (package.cpath's form, a string:
                                  "./?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so"; true: package.cpath as it
                                  is now). Default: none, a runtime opens no library unless asked (C MODULES)

A runtime `rt` has:

    rt:import(name [, from])      the module's value; `.x`, `..x` are resolved against the package `from`
                                  (as `importlib.import_module(name, package)`)
    rt:find(name [, from])        the spec as a table (name, origin, kind, is_package, file, parent,
                                  locations, cached), executing nothing; nil and the error when not found
    rt:path_find(name [, dirs])   the filesystem search alone over `dirs` (default: the search path), no
                                  parent resolved (CPython's `PathFinder.find_spec`); nil and the error
    rt:mount(point, files [, { replace = true }])   returns the mount's id;  rt:unmount(point)
    rt:path_append(dir)           appends to the search path (and turns the filesystem on);  rt:path()
    rt:invalidate()               drops the finders' caches (directory listings are otherwise trusted for 1 s)
    rt:allow(name), rt:deny(name), rt:clear_policy()
    rt:register_native(name, F [, { powerful =, package = }]), rt:unregister_native(name)
    rt:contains(name), rt:get(name)   (the value in the table, a partial one too, and "initializing"/"ready";
                                  imports nothing), rt:remove(name) (the next import executes it again),
    rt:modules()                  the names in the table, sorted
    rt:reload(name [, { keep = true }])   `importlib.reload`: finds the module of the table again and runs its
                                  chunk again in the same environment; returns its value now (a failure leaves it
                                  as it was). `keep`: the identity rule of HOT RELOAD. Installed with Lua's
                                  semantics, a module require loaded through importkit reloads too (in Lua).
                                  A C module is never reloaded (IK_ERR_IMPORT: its library stays loaded)
    rt:watch(), rt:poll_changes(), rt:watched(), rt:unwatch()   hot reload (HOT RELOAD below)
    rt:read_resource(pkg, path)   the bytes (a string) of file `path` (relative, `/`-separated) of package `pkg`,
                                  from whichever source serves it; nil and the error when the package or the
                                  file is not there. Imports nothing
    rt:read(pkg, path)            the same (a game's assets)
    rt:resources(pkg)             the names of the files and directories directly in package `pkg`, sorted
    rt:iter_modules([pkg])        `pkgutil.iter_modules`: `{ { name = "core", is_package = false }, ... }`
                                  directly in `pkg`, or the top-level ones; imports nothing
    rt:mount_bundle(BUNDLE [, { point =, sha256 =, read =, replace =, appended = }])   returns the mount's id
    rt:code_cache_stats()         the code cache's counters: { compiles =, hits_source =, hits_memory =,
                                  hits_directory =, misses =, rejected =, stores =, store_failures =, evictions =,
                                  entries =, bytes =, limit = } (docs/CODE_CACHE.md)
    rt:set_code_cache_dir(dir)    bytecode kept in `dir` (which must exist) across runs, or nil; written when
                                  the runtime compiles (`bytecode = true`), read by every runtime of this
                                  LuaJIT's cache tag; rt:set_code_cache_limit(bytes) bounds what memory keeps
    rt:close(), rt:is_closed()

MODULES run as Lua chunks (text only: a precompiled file is refused; bytecode only where importkit had it
for this LuaJIT's cache tag, BUNDLES below) in their own environment, a fresh table
whose `__index` is `globals`: the globals a module sets stay in it. The environment holds `import` (this
runtime's import: `import "x.y"`, and `import ".sibling"`, `import "..up"` relative to the module's package),
`_NAME` (the full name) and `_SPEC` (the spec table). The chunk gets `...` = name, file or origin (as
`require` passes name, file). A module's value is what its chunk returns (Lua's convention), else its
environment. A child is not set as a field of its parent (Lua's require does not do it either): `init.lua`
does `M.util = import ".util"` itself.

REQUIRE. `importkit.install(opts)` (the runtime's options, and `parents`, `environments`) makes a runtime and
puts a searcher into `package.loaders` right after the preload searcher, ahead of Lua's file searchers. By
default it keeps Lua's semantics (docs/LUA.md has the two side by side): importkit FINDS (its mounts, natives,
search path, policy and caches; without `path`, the directories of `package.path`'s `?.lua` templates;
`path = false` keeps the filesystem off), and the chunk is loaded and run as Lua's own searcher does it:
`loadfile` of the file under the name the `package.path` template gives it (`@./mods/x.lua`), a mounted
module under its origin (`@memory:/app/x.lua`, `@bundle:/x.lua`; from its bytecode where importkit has some:
BUNDLES), called by `require` with the name alone, in `_G` (or
`globals`). No parent runs first, and a missing parent hides no child (`a/b.lua` is found without
`a/init.lua`). `require` itself stores `package.loaded[name]` (the value, or `true`), and fails on a cycle
or on a module that raised before ("loop or previous error loading module"), with the module's own error
value passed on unchanged. A name importkit does not find goes on to the next searchers, and a missing
module fails in Lua's own format, listing importkit's attempts:

    module 'app.x' not found:
            no field package.preload['app.x']
            importkit native: not registered
            importkit memory:/app: no app/x.lua, no app/x/init.lua
            no file './app/x.lua'
            ...

C MODULES. When no Lua file is found, importkit looks for a C module as Lua's two C searchers do, along the
`package.cpath` templates of the form `DIR/?.so` (option `cpath`, a string of templates; default
`package.cpath` when installing; `false` leaves C modules to LuaJIT): `a.b` as `DIR/a/b.so`, found by a second
runtime of importkit whose profile has the templates' suffixes as extension files, and opened with
`package.loadlib(file, "luaopen_a_b")` under the name the template gives it (`./a/b.so`), so the library is
the one Lua's searcher would open. The function's name is Lua 5.1's: dots made underscores, the name up to
and including its first `-` dropped (`v2-x.y` is `luaopen_x_y`, in `v2-x/y.so`). Then, for a dotted name, the
all-in-one loader: the first library of the root (`DIR/a.so`) holding `luaopen_a_b`. A library that does not
open raises Lua's "error loading module 'x' from file 'F'"; one without the function is left to LuaJIT's
own C searchers, which come next (they also try LuaJIT's embedded bytecode, `luaJIT_BC_`). The policy
covers C modules as any name (`deny = "lpeg"`, an `allow` list): a denied one raises before any library is
opened. The places tried are lines `importkit cpath: no file './a/b.so'` and entries of
`importkit.last_error().attempts`. Templates of another form (`.../loadall.so`) are LuaJIT's alone.

With importkit's semantics (a runtime's `cpath` option, default none; `install{ parents = true }`, whose
`cpath` defaults to package.cpath) C modules are importkit's modules: a host finder (`host:cpath`, last on
the meta path: after mounts, bundles and host finders, mounted later too; natives come first) finds `a.b` as
the first `DIR/a/b.so` along the templates, or, all-in-one, the first `DIR/a.so` holding `luaopen_a_b` (that
library is opened while finding, as Lua's loader does), unless the search path has a Lua file for the name
(Lua files come first). The spec has kind `extension`, the file as the template gives it, and is a package:
any Lua module may have submodules, so a C module's Lua children are looked for in the search directories
(`cjson.util` as `cjson/util.lua` beside `cjson.so`) and its C children along the cpath again. Parents are
imported first: `a.b` in `a.so` imports `a` before (Lua's loader does not); `socket.core` beside
`socket.lua` (a module, no package) and `pkg.inner` without any `pkg` fail with "No module named ...",
naming the C file found and why (Lua finds them by the whole name). The executor's create opens the
library with `package.loadlib(file, luaopen_name)` (one that does not open: IK_ERR_EXEC naming the file and
the loader's message; no such function: IK_ERR_EXEC naming it), and exec calls the function with the name, as
require calls its loader: the module is what it returns, else what it stored in package.loaded[name] itself
(luaL_register), else true; an error it raises is the module's (`e.cause`), and the module leaves the table.
What a C module does outside (a global, package.loaded) is its own. Policy first: a denied name opens no
library. A miss lists the places (`cpath: no file './a/b.so'`, attempts with place `cpath`, after the Lua
files'). C modules are never watched nor reloaded (rt:reload raises IK_ERR_IMPORT). With `parents = true`, a
name importkit does not find still goes on to LuaJIT's own searchers (as for Lua files).

A denied name raises at once (a string: "module 'x' not found:" and importkit's reason) instead of falling
through; `importkit.last_error()` gives the importkit error object behind the last such failure.
`install` returns the runtime; `importkit.uninstall()` removes the searcher (closing the runtime does too);
`importkit.installed()` gives the runtime. (`rt:import` on it keeps importkit's semantics and its own table.)

Options turn importkit's semantics on: `environments = "module"` runs each module in its own environment
(as MODULES above: `import`, `_NAME`, `_SPEC`; a chunk returning nothing gives its environment);
`parents = true` imports through the runtime: parents first as in Python, each module landing in
`package.loaded` under its own name, `package.loaded` being the runtime's module table as Lua sees it
(`package.loaded[name] = nil` then `require(name)` executes it again), importkit's error objects, and the
cycle and failure rules below. A `require` of a missing module inside a module still raises Lua's usual
"module 'x' not found" there (an `import` passes importkit's own error on instead).

CYCLES AND FAILURES WITH IMPORTKIT'S SEMANTICS (runtimes, and `install{ parents = true }`). Plain `require`
marks a module as loading, and a cycle (a requires b, b requires a) fails with "loop or previous error
loading module 'a'". Through `import` (or `require` installed with `parents = true`) the inner import gets
the partial module, as in Python: the environment table of `a` as it is at that moment (the globals `a` has
defined so far; `true` with `environments = "global"`), not the value `a`'s chunk will return later. A module
meant to be imported in a cycle defines its API as globals before importing (or returns its own
environment). And where plain LuaJIT's `require` keeps a module that raised marked ("loop or previous
error"), a module that failed leaves the module table (and `package.loaded`): once fixed (remounted with
`{ replace = true }`, or edited on disk and `rt:invalidate()`) it imports again. Modules it imported before
failing stay, as in CPython.

HOT RELOAD. `rt:watch()` starts watching the files of the modules loaded from the filesystem (a spec with a
`file`; mounted modules and natives never), those loaded so far and those loaded later, and returns how many
it watches; `rt:watched()` gives their names (sorted) and a table name -> file; `rt:unwatch()` stops.
`rt:poll_changes()` (call it once a frame, or on a key) stats each watched file and returns the list of the
modules whose file changed, dependencies first, then those whose file was removed:

    { { name = "weapon", file = "/game/weapon.lua", change = "modified", ok = true, value = M },
      { name = "player", file = ..., change = "replaced", ok = false, error = E },  -- kept as it was
      { name = "old", file = ..., change = "removed" } }                           -- not reloaded

A file is `modified` when its mtime (to the nanosecond) or size differs from when the module last ran,
`replaced` when another file is there (another inode: an editor that writes a copy and renames it over, or a
removed file put back). Each change is reported once: a reload that fails is not tried again before the file
changes again; a removed file's module stays as it is and its file stays watched. Nothing changed: `{}`.
The changed modules are reloaded through `rt:reload`, finder caches dropped first, in dependency order: a
module after every module it imported or required while its chunk ran (through unchanged modules too: a
requires b requires c, a and c changed: c first), else by name. The edges are recorded on every run of a
chunk: every `import`; every `require` that reaches the searcher of `install{ parents = true }`; and, while
watching, every
`require` (Lua answers one of a loaded module from package.loaded without a searcher, so while watching the
`require` of the globals table is a recording wrapper during the outermost load: a chunk that keeps
`local require = require` keeps the wrapper, which only records). Under `install()` with Lua's semantics,
only the edges recorded while watching are known: call `rt:watch()` before the first `require`. A failed
reload is in the list with `ok = false` and `error` (the importkit error, or what the chunk raised under
`install()`) and the module kept; the other changes are reloaded all the same, the modules that depend on a
failed one too (they get the kept module). THE IDENTITY RULE: when the module's value was a table and its
chunk now returns another table, the old table takes the new table's fields and metatable, loses the fields
the new one lacks, and stays the module, so `local M = import "x"` (or `require "x"`) held elsewhere sees the
new functions. The new code's own upvalue (`local M = {}`) is the new table: state it keeps there starts
afresh each reload; a module keeps state across reloads by returning the same table (`M = M or {}` in its
environment, or `local M = package.loaded[...] or {}` under `install()`). A module that is its environment
reruns in it (its globals stay, as `rt:reload`). Under `install()` (Lua's semantics) a module `require`
loaded through importkit reloads in Lua as the searcher loads it (same environment, the name as argument) and
`package.loaded[name]` is set to its value (a failure leaves it); one taken out of `package.loaded` is no
longer watched. With `parents = true` the runtime reloads it and `package.loaded` follows. While watching, a
module's chunk loaded by `require` runs under `pcall` in the binding and its error is raised again unchanged
(a traceback taken around `require` ends there). Files are stamped with statx(2): Linux (glibc 2.28 or
later, any architecture: the struct has one layout); elsewhere `rt:watch()` raises IK_ERR_UNAVAILABLE.
No inotify: polling stats one file per watched module.

BUNDLES (docs/LUA.md, Bundles; docs/BUNDLE.md). A bundle (`.ikb`) is one file of a game's scripts, their
bytecode and its assets, mapped, opened in O(1), every blob checked by its CRC-32 when read:

    importkit.bundle{ out = "game.ikb", dirs = { "src" }, compile = true }   -- at build time
    importkit.install{ bundle = "game.ikb" }     -- in the shipped game: require loads bytecode, not source
    local map = importkit.installed():read("game", "maps/level1.txt")

`importkit.bundle(opts)` builds one: `dirs` (directories, each walked as `importkit bundle build` walks one:
links inside it followed, `exclude` name patterns left out), `files` (relative path -> bytes, nested tables
are directories), classified under Lua's conventions; `compile = true` gives each Lua source module its
bytecode for this LuaJIT (string.dump, through the code cache's compile hook of a runtime that mounts the
bundle as built so far; `strip = true` without debug information), refusing a module that does not
compile; `compress = true` deflates. Written atomically to `out` (never inside a source directory), or given
back as bytes. Returns { out =, bytes =, size =, sha256 =, modules =, compiled = }.
`importkit.verify_bundle(path)` checks a bundle whole and gives its SHA-256 digest (hex), what `sha256` pins.
`rt:mount_bundle(BUNDLE, opts)` (and the `bundle` option) mounts a file (mapped; `read = true`: read whole),
bytes (a string starting with "IKBUNDL\0", copied) or `true`: the bundle appended to the running program
(`importkit bundle append`; for a game whose executable embeds LuaJIT), or with `appended = true` to the
program at a path; at `point` (default "", the root), pinned to `sha256` (64 hex digits or 32 bytes).
`importkit.cache_tag` is this LuaJIT's (`luajit-2.1.0-beta3-gc64`: its version, `-gc64` in GC64 mode, `-be`
big-endian), set on every runtime's profile: the bytecode of a bundle built by another LuaJIT is not this
one's, and its modules run from source. Bytecode runs under the chunk name its source would have (the name
dumped in it is replaced when it is loaded): a bundle's module is `@bundle:/<point>/<path>`
(`@bundle:/game/util.lua` at the root), in tracebacks and error positions; stripped bytecode has that name
too, but no line numbers (`bundle:/game/util.lua:0: boom`) and no local names. Bytecode is run as native code
is: LuaJIT does not verify it, so mount only bundles you built (pin their digest) and name a cache directory
only you write.

ERRORS. A failed importkit call raises an error object (`importkit.is_error(e)`): `e.status` (the `ik_status`
number; `importkit.status.IK_ERR_NOT_FOUND`...), `e.code` ("IK_ERR_NOT_FOUND"), `e.message` (importkit's
text, with every place tried), `e.module`, `e.attempts` (`{ { place = "memory:/app", reason = "no app/x.lua,
no app/x/init.lua" }, ... }`), `e.host_message`, `e.line` and `e.column` (where a module's code failed),
`e.cause` (the Lua error value a module raised) and `e.traceback`. `tostring(e)` is the message; `..` and
string methods work on it (`e:find("No module named")`). An import error inside a module passes through
unchanged (`ik_report_pass`): importing `a`, whose code imports a missing `b`, fails with "No module named
'b'". Misuse (a name that is not a string, an unknown option) raises a plain Lua error naming the function,
the argument and the caller's line.

CALLBACKS (the slot note). importkit calls into Lua through seven FFI callbacks (executor create, exec,
exec_code, compile, release; native create; the find of the C modules' finder). LuaJIT has a fixed pool of
callback slots (896 on x64 Linux) that `ffi.cast` takes from and only `cb:free()` gives back, so this binding
makes six when the first runtime is made (the seventh, find, with the first finder of C modules), all live
runtimes share them, and they are freed (`cb:free()`) with the last runtime, closed or collected, once
`ik_runtime_free` has released its modules through them; the next runtime makes them again. The `userdata` argument carries the runtime's id, and module handles are
integers (keys of a per-runtime Lua table, cast to `void *`), never pointers to Lua objects. Any number of
runtimes therefore takes seven slots at most and leaks none. Every callback body runs under `pcall`, so no Lua
error unwinds through importkit: a failure is reported with `ik_report_error` (or `ik_report_pass`) and a
status is returned. The Lua functions of this binding whose C call may call back are excluded from the JIT
(`jit.off`), as LuaJIT requires of callbacks.

LIFETIME. A runtime is freed by `rt:close()` or, failing that, by an `ffi.gc` finalizer once neither the
runtime nor any module of it is reachable (a module's functions keep their runtime alive through `import`).
`rt:close()` called while an import of that runtime runs (from a module's own code) takes effect when the
import returns; new calls are refused from then on. Error objects own their `ik_error`, freed by the GC.

THREADS. Callbacks must run on the thread that owns the Lua state: use a runtime from its own Lua state only.
]]

local ffi = require "ffi"
local bit = require "bit"

local M = { _VERSION = "0.1.0" }

local jit_off = (jit and jit.off) or function() end
local type, tostring, tonumber, pairs, ipairs, select = type, tostring, tonumber, pairs, ipairs, select
local setmetatable, getmetatable, rawget = setmetatable, getmetatable, rawget
local pcall, xpcall, error, load = pcall, xpcall, error, load
local format, concat, sort = string.format, table.concat, table.sort

-- Status and kind values are the header's, never copied here: the status locals below are the constants of
-- the cdef'd enum ik_status (set by declare(), which runs before any call), and the names of the values are
-- the library's (ik_status_name, ik_kind_name), read when it is loaded.
local IK_OK, IK_ERR_INVALID_ARGUMENT, IK_ERR_INVALID_NAME, IK_ERR_NOT_FOUND, IK_ERR_IMPORT
local IK_ERR_DENIED, IK_ERR_EXEC, IK_ERR_HOST, IK_ERR_UNAVAILABLE, IK_ERR_INTERNAL

-- Values probed for names: 0 to the largest value of an enum in the declarations (set by cdef()).
local PROBED = 0

local STATUS_NAMES = {} -- value -> "IK_ERR_NOT_FOUND"
local KIND_NAMES = {} -- value -> "source" (IK_KIND_SOURCE)

local load_library

-- `importkit.status.IK_ERR_NOT_FOUND`...: name -> value, filled when the library is loaded (first use loads it).
M.status = setmetatable({}, {
  __index = function(t, name)
    load_library()
    return rawget(t, name)
  end,
})

---------------------------------------------------------------------------------------------------------------
-- Finding and loading the library
---------------------------------------------------------------------------------------------------------------

local config = {}
local lib -- the ffi namespace of the loaded library, once loaded

local function this_dir()
  local src = debug.getinfo(1, "S").source
  if src:sub(1, 1) ~= "@" then return "." end
  local dir = src:sub(2):match("^(.*)[/\\][^/\\]*$")
  return dir or "."
end

local function file_exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local function lib_file_name()
  if ffi.os == "Windows" then return "importkit.dll" end
  if ffi.os == "OSX" then return "libimportkit.dylib" end
  return "libimportkit.so"
end

-- The directories of package.cpath's templates ("/usr/local/lib/lua/5.1/?.so" gives "/usr/local/lib/lua/5.1"),
-- in order, each once.
local function cpath_dirs()
  local dirs, seen = {}, {}
  local cpath = type(package.cpath) == "string" and package.cpath or ""
  for template in cpath:gmatch("[^;]+") do
    if template:find("?", 1, true) then
      local dir = template:match("^(.*)[/\\][^/\\]*$") or "."
      if dir == "" then dir = "/" end
      if not dir:find("?", 1, true) and not seen[dir] then
        seen[dir] = true
        dirs[#dirs + 1] = dir
      end
    end
  end
  return dirs
end

local function library_candidates()
  local env = config.lib or os.getenv("IMPORTKIT_LIB")
  if env and env ~= "" then return { env }, true end
  local name = lib_file_name()
  local here = this_dir()
  local out = { here .. "/" .. name }
  for _, dir in ipairs(cpath_dirs()) do out[#out + 1] = dir .. "/" .. name end
  local repo = here .. "/../.."
  out[#out + 1] = repo .. "/target/release/" .. name
  out[#out + 1] = repo .. "/target/debug/" .. name
  return out, false
end

-- The declarations, set at the end of this file (generated by build.rs): CDEF, the core types (enums,
-- opaque structs); CDEF_PROBED, one more than their enums' largest value; CDEF_LAZY, name -> declaration of
-- each function, constant and struct with fields; CDEF_NEEDS, name -> the structs a declaration names.
local CDEF, CDEF_PROBED, CDEF_LAZY, CDEF_NEEDS

-- The carried declarations not declared yet: name -> declaration. Each is declared when the binding first
-- uses it (a program calls a fifth of the functions, and ffi.cdef's cost is in proportion to what it reads).
local undeclared = {}

-- Declares `name` (a function, constant or struct of the carried declarations) if it is not yet, after the
-- structs it names, and returns it: `ffi.new(declared "ik_executor")`. (pcall: another copy of this module
-- may have declared it.)
local function declared(name)
  local decl = undeclared[name]
  if not decl then return name end
  undeclared[name] = nil
  local needs = CDEF_NEEDS[name]
  if needs then
    for i = 1, #needs do declared(needs[i]) end
  end
  pcall(ffi.cdef, decl)
  return name
end

local function cdef()
  PROBED = CDEF_PROBED
  if pcall(ffi.typeof, "ik_status") then -- declared already (another copy of this module)
    undeclared = CDEF_LAZY
    return
  end
  local path = config.cdef or os.getenv("IMPORTKIT_CDEF")
  if path and path ~= "" then
    local f, err = io.open(path, "rb")
    if not f then error("importkit: cannot read the cdef file " .. tostring(err), 0) end
    local text = f:read("*a")
    f:close()
    ffi.cdef(text)
    -- The probed values from the file's enums.
    PROBED = 0
    for body in text:gmatch("typedef enum%s*(%b{})") do
      for v in body:gmatch("=%s*(%d+)") do PROBED = math.max(PROBED, tonumber(v) + 1) end
    end
    return
  end
  ffi.cdef(CDEF)
  undeclared = CDEF_LAZY
end

-- The library's namespace as the binding uses it: `lib.ik_x` declares ik_x on first use (once; a function
-- another copy of this module declared is not declared again) and is a plain field from then on.
local function namespace(clib, path)
  return setmetatable({}, {
    __index = function(t, k)
      if undeclared[k] then declared(k) end
      local ok, v = pcall(function() return clib[k] end)
      if not ok then
        -- Declared (this binding calls it) but not in the library, or not declared (a cdef file older than
        -- the binding): a library or declarations from another build.
        error(format("importkit: %s: %s (the library or the declarations are older or newer than this " ..
          "binding: use the binding that came with the library, or rebuild it)", path, tostring(v)), 2)
      end
      rawset(t, k, v)
      return v
    end,
  })
end

-- The declarations, then the status values from them (enum constants are found through any namespace).
local function declare()
  cdef()
  local C = ffi.C
  IK_OK, IK_ERR_INVALID_ARGUMENT, IK_ERR_INVALID_NAME = C.IK_OK, C.IK_ERR_INVALID_ARGUMENT, C.IK_ERR_INVALID_NAME
  IK_ERR_NOT_FOUND, IK_ERR_IMPORT, IK_ERR_DENIED = C.IK_ERR_NOT_FOUND, C.IK_ERR_IMPORT, C.IK_ERR_DENIED
  IK_ERR_EXEC, IK_ERR_HOST, IK_ERR_UNAVAILABLE = C.IK_ERR_EXEC, C.IK_ERR_HOST, C.IK_ERR_UNAVAILABLE
  IK_ERR_INTERNAL = C.IK_ERR_INTERNAL
end

-- The names of the status and kind values, as the library gives them.
local function read_names(l)
  for value = 0, PROBED - 1 do
    local status = ffi.string(l.ik_status_name(value))
    if status ~= "IK_UNKNOWN_STATUS" then
      STATUS_NAMES[value] = status
      rawset(M.status, status, value)
    end
    local kind = ffi.string(l.ik_kind_name(value))
    if kind ~= "IK_UNKNOWN_KIND" then KIND_NAMES[value] = kind:sub(#"IK_KIND_" + 1):lower() end
  end
end

local make_buffers

function load_library()
  if lib then return lib end
  declare()
  local candidates, exclusive = library_candidates()
  local tried = {}
  for _, path in ipairs(candidates) do
    if exclusive or file_exists(path) then
      local ok, l = pcall(ffi.load, path)
      if not ok then
        error("importkit: cannot load the library " .. path .. ": " .. tostring(l), 0)
      end
      l = namespace(l, path)
      local v = tonumber(l.ik_version_number())
      if math.floor(v / 10000) ~= 0 or math.floor(v / 100) % 100 ~= 1 then
        error(format("importkit: %s is version %s; this binding needs 0.1.x", path, ffi.string(l.ik_version())), 0)
      end
      read_names(l)
      lib = l
      local okb, why = pcall(make_buffers)
      if not okb then
        lib = nil
        error(format("importkit: the declarations lack a type this binding uses (%s): the cdef file is older " ..
          "than the binding", tostring(why)), 0)
      end
      return lib
    end
    tried[#tried + 1] = path
  end
  error("importkit: cannot find the library (tried " .. concat(tried, ", ") ..
    "; build it with `cargo build` or set IMPORTKIT_LIB)", 0)
end

--- Sets where the library and the cdef file are, before the first use (for hosts that embed LuaJIT).
function M.configure(opts)
  if type(opts) ~= "table" then error("bad argument #1 to 'configure' (table expected, got " .. type(opts) .. ")", 2) end
  for k, v in pairs(opts) do
    if k ~= "lib" and k ~= "cdef" then
      error(format("importkit.configure: unknown option '%s' (expected one of: cdef, lib)", tostring(k)), 2)
    end
    if type(v) ~= "string" then error(format("importkit.configure: option '%s' must be a string", k), 2) end
  end
  if lib then error("importkit.configure: the library is loaded already", 2) end
  config.lib, config.cdef = opts.lib, opts.cdef
end

--- The version of the loaded library ("0.1.0").
function M.version()
  return ffi.string(load_library().ik_version())
end

--- The path of the library that would be (or was) loaded.
function M.library_path()
  local candidates, exclusive = library_candidates()
  if exclusive then return candidates[1] end
  for _, p in ipairs(candidates) do if file_exists(p) then return p end end
  return nil
end

local fs_support -- whether the library has the filesystem functions (known once it is loaded)

local function has_symbol(name)
  local l = load_library()
  return (pcall(function() return l[name] end))
end

--- Whether the library has the filesystem functions (`path`, `:path_append`).
function M.has_filesystem()
  if fs_support == nil then
    fs_support = has_symbol("ik_runtime_enable_filesystem") and has_symbol("ik_runtime_path_append")
      and has_symbol("ik_runtime_path_list")
  end
  return fs_support
end

---------------------------------------------------------------------------------------------------------------
-- Errors
---------------------------------------------------------------------------------------------------------------

local Error = {}
local error_methods = {}
Error.__tostring = function(e) return rawget(e, "message") or "importkit error" end
Error.__concat = function(a, b) return tostring(a) .. tostring(b) end
Error.__index = function(e, k)
  local m = error_methods[k]
  if m then return m end
  local f = string[k]
  if type(f) == "function" then
    return function(self, ...) return f(tostring(self), ...) end
  end
  return nil
end

--- Whether `v` is an importkit error object.
function M.is_error(v)
  return type(v) == "table" and getmetatable(v) == Error
end

local function new_error(status, message, fields)
  local e = fields or {}
  e.status = status
  e.code = STATUS_NAMES[status] or "IK_UNKNOWN_STATUS"
  e.message = message
  e.attempts = e.attempts or {}
  e.line = e.line or 0
  e.column = e.column or 0
  return setmetatable(e, Error)
end

local len_buf = ffi.new("size_t[1]")

local function text(fn, obj, index)
  local p
  if index then p = fn(obj, index, len_buf) else p = fn(obj, len_buf) end
  if p == nil then return nil end
  return ffi.string(p, len_buf[0])
end

local c_attempts -- (defined with the finder of C modules)

-- An error object from a failed call's status and `ik_error *` (owned from now on, freed by the GC).
local function error_from(status, ptr, state)
  if ptr == nil then
    return new_error(status, "importkit call failed with " .. (STATUS_NAMES[status] or tostring(status)))
  end
  ptr = ffi.gc(ptr, lib.ik_error_free)
  status = tonumber(lib.ik_error_status(ptr))
  local attempts = {}
  for i = 0, tonumber(lib.ik_error_attempt_count(ptr)) - 1 do
    attempts[#attempts + 1] = {
      place = text(lib.ik_error_attempt_place, ptr, i) or "",
      reason = text(lib.ik_error_attempt_reason, ptr, i) or "",
    }
  end
  local e = new_error(status, text(lib.ik_error_message, ptr) or "", {
    module = text(lib.ik_error_module, ptr),
    attempts = attempts,
    host_message = text(lib.ik_error_host_message, ptr),
    line = tonumber(lib.ik_error_line(ptr)),
    column = tonumber(lib.ik_error_column(ptr)),
    _ptr = ptr,
  })
  -- The finder of C modules keeps nothing per name: when it was asked (its "host:cpath" place), the places
  -- it tried are made now, for the message.
  local tried
  if state and status == IK_ERR_NOT_FOUND and e.module and state._ctemplates and state._cfinder_id then
    for _, a in ipairs(attempts) do
      if a.place == "host:cpath" then
        tried = c_attempts(state, e.module)
        break
      end
    end
  end
  if tried then
    -- The host finder of C modules noted its places when it was asked: they replace its "not found", and go
    -- last, where Lua's C searchers come (after the Lua files, which win over a C module of the same name).
    local out, lines, had = {}, {}, false
    for _, a in ipairs(attempts) do
      if a.place == "host:cpath" then had = true else out[#out + 1] = a end
    end
    if had then
      for _, t in ipairs(tried) do
        out[#out + 1] = t
        lines[#lines + 1] = t.reason
      end
      e.attempts = out
      local msg = e.message
      local a, b = msg:find("host:cpath: not found", 1, true)
      if a and #lines > 0 then
        local before, after = msg:sub(1, a - 1), msg:sub(b + 1)
        if after:sub(1, 2) == "; " then
          after = after:sub(3)
        elseif before:sub(-2) == "; " then
          before = before:sub(1, -3)
        end
        msg = before .. after
        local close = #msg - ((msg:reverse():find(")", 1, true)) or 0) + 1
        local places = "cpath: " .. concat(lines, ", ")
        if close > #msg then
          msg = msg .. " (" .. places .. ")"
        else
          local sep = msg:sub(close - 1, close - 1) == "(" and "" or "; "
          msg = msg:sub(1, close - 1) .. sep .. places .. msg:sub(close)
        end
        e.message = msg
      end
    end
  end
  if state and e.module and (status == IK_ERR_EXEC or status == IK_ERR_HOST) then
    local c = state._causes[e.module]
    if c then
      state._causes[e.module] = nil
      e.cause, e.traceback = c.value, c.traceback
    end
  end
  return e
end

local function argerror(n, fname, expected, got, level)
  error(format("bad argument #%d to '%s' (%s expected, got %s)", n, fname, expected, type(got)), level + 1)
end

-- A C string argument: Lua strings may hold NULs, which a `const char *` would silently cut.
local function cstring(value, what)
  if value:find("\0", 1, true) then
    error(new_error(IK_ERR_INVALID_ARGUMENT, what .. " contains a NUL character"))
  end
  return value
end

---------------------------------------------------------------------------------------------------------------
-- Runtimes: state, module handles, callbacks
---------------------------------------------------------------------------------------------------------------

local Runtime = {}
Runtime.__index = Runtime
M.Runtime = Runtime

-- id -> runtime, weak: the registry must not keep a runtime alive (its finalizer frees it).
local registry = setmetatable({}, { __mode = "v" })
local last_id = 0

local installed -- the installed runtime, if any
local installed_searcher

-- Buffers for out-parameters. A nested call (a module importing while its own import runs) may write them
-- too, but every call writes its outputs when it returns and they are read right after, before any Lua
-- code of ours runs again.
-- (Made when the library is loaded: their types come from the cdef file.)
local out_ptr, out_err, out_spec, out_bool, out_u32, out_u64, out_list, out_resource, profile_buf, runtime_buf
local spec_fields

function make_buffers()
  out_ptr = ffi.new("void *[1]")
  out_err = ffi.new("ik_error *[1]")
  out_spec = ffi.new("const ik_spec *[1]")
  out_bool = ffi.new("bool[1]")
  out_u32 = ffi.new("uint32_t[1]")
  out_u64 = ffi.new("uint64_t[1]")
  out_list = ffi.new("ik_name_list *[1]")
  out_resource = ffi.new("ik_resource *[1]")
  profile_buf = ffi.new("ik_profile *[1]")
  runtime_buf = ffi.new("ik_runtime *[1]")
  spec_fields = ffi.new(declared "ik_spec_fields")
  spec_fields.size = ffi.sizeof(declared "ik_spec_fields")
end

local function handle_of(p)
  return tonumber(ffi.cast("uintptr_t", p))
end

local function state_of(userdata)
  return registry[handle_of(userdata)]
end

-- A Lua table copy of a spec (borrowed or owned; the caller frees an owned one).
local function read_spec(spec)
  local f = spec_fields
  out_err[0] = nil
  local st = lib.ik_spec_get_fields(spec, f, out_err)
  if st ~= IK_OK then error(error_from(tonumber(st), out_err[0])) end
  -- The strings are NUL-terminated and hold no NUL (names and paths never do): read without their lengths,
  -- whose size_t fields the interpreter would box.
  local file, cached = f.file, f.cached
  local s = {
    name = ffi.string(f.name),
    origin = ffi.string(f.origin),
    file = file ~= nil and ffi.string(file) or nil,
    cached = cached ~= nil and ffi.string(cached) or nil,
    parent = ffi.string(f.parent),
    kind = KIND_NAMES[f.kind] or "unknown",
    is_package = f.is_package,
    locations = {},
  }
  for i = 0, tonumber(f.location_count) - 1 do
    s.locations[#s.locations + 1] = text(lib.ik_spec_location, spec, i) or ""
  end
  local refs = tonumber(f.ref_count)
  if refs > 0 then
    s.refs = {}
    for i = 0, refs - 1 do s.refs[#s.refs + 1] = text(lib.ik_spec_ref, spec, i) or "" end
  end
  return s
end

local function cstring_safe(s)
  return (s:gsub("%z", "\\0"))
end

local function describe(value)
  if type(value) == "string" then return value end
  local ok, m = pcall(tostring, value)
  if ok and type(m) == "string" then return m end
  return "(error object is a " .. type(value) .. " value)"
end

-- Reports a failure from inside a callback and returns the status the callback returns. Never raises.
-- An importkit error (a nested import failed) is passed on unchanged; anything else is reported with
-- `status`, and kept (with `traceback`) as the cause of the error the outer import will raise.
local function report_failure(state, report, err, status, module, line, traceback, context)
  local ok, st = pcall(function()
    if M.is_error(err) then
      if err._ptr ~= nil then
        if lib.ik_report_pass(report, err._ptr, nil) == IK_OK then return err.status end
      else
        lib.ik_report_error(report, err.status, cstring_safe(err.message), err.line or 0, 0, nil)
        return err.status
      end
    end
    if state and module then state._causes[module] = { value = err, traceback = traceback } end
    lib.ik_report_error(report, status, cstring_safe((context or "") .. describe(err)), line or 0, 0, nil)
    return status
  end)
  if ok then return st end
  return status
end

-- The import function a module's environment gets.
local do_import

local function make_env_import(state, package)
  return function(name, from)
    if type(name) ~= "string" then argerror(1, "import", "string", name, 2) end
    if from ~= nil and type(from) ~= "string" then argerror(2, "import", "string or nil", from, 2) end
    if name:byte(1) == 46 then -- "."
      return do_import(state, name, from or package)
    end
    return do_import(state, name, nil)
  end
end

-- Where Lua shows a chunk in messages (lj_debug_shortname for "@name").
local function short_src(chunkname)
  local src = chunkname:sub(2)
  if #src >= 60 then return "..." .. src:sub(-56) end
  return src
end

local function line_in(message, chunkname)
  if type(message) ~= "string" then return 0 end
  local prefix = short_src(chunkname) .. ":"
  if message:sub(1, #prefix) == prefix then
    return tonumber(message:sub(#prefix + 1):match("^(%d+):")) or 0
  end
  return 0
end

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then error(err, 0) end
  local data = f:read("*a")
  f:close()
  return data
end

local lua_file_name -- (defined with the searchers)
-- C modules along a runtime's cpath templates (defined with the searchers): the first library for a name
-- (Lua's two C searchers), the luaopen_ function's name, and the host finder that serves them to a runtime.
local c_find_module, luaopen_name, add_c_finder, c_templates, c_lookup, quiet_path_find, ensure_executor

---------------------------------------------------------------------------------------------------------------
-- Hot reload: dependency edges, file stamps, module identity (rt:watch, rt:poll_changes)
---------------------------------------------------------------------------------------------------------------

-- The stamp of a file for rt:watch(): statx(2), whose struct has the same layout on every Linux
-- architecture (x86_64, aarch64, ...); glibc 2.28 or later. `stamp(path)` is a table (mtime seconds and
-- nanoseconds, size, and `id`, the device and inode), or nil when there is no regular file at `path`.
local stamp_fn, stamp_why

local function file_stamper()
  if stamp_fn or stamp_why then return stamp_fn, stamp_why end
  if ffi.os ~= "Linux" then
    stamp_why = "watching files needs statx(2) (Linux); this is " .. ffi.os
    return nil, stamp_why
  end
  local ok, err = pcall(function()
    -- (declared once per process: another copy of this module may have declared it)
    if not pcall(ffi.typeof, "struct importkit_statx") then ffi.cdef [[
      struct importkit_statx_time { int64_t tv_sec; uint32_t tv_nsec; int32_t reserved; };
      struct importkit_statx {
        uint32_t mask, blksize; uint64_t attributes;
        uint32_t nlink, uid, gid; uint16_t mode, spare0;
        uint64_t ino, size, blocks, attributes_mask;
        struct importkit_statx_time atime, btime, ctime, mtime;
        uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
        uint64_t spare2[14];
      };
    ]] end
    pcall(ffi.cdef, "int statx(int dirfd, const char *path, int flags, unsigned int mask, void *buf);")
    assert(ffi.sizeof("struct importkit_statx") == 256, "struct statx is not 256 bytes")
    local buf = ffi.new("struct importkit_statx")
    local statx = ffi.C.statx
    local AT_FDCWD, STATX_BASIC_STATS, S_IFMT, S_IFREG = -100, 0x7ff, 0xf000, 0x8000
    local function stamp(path)
      if statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, buf) ~= 0 then return nil end
      if bit.band(buf.mode, S_IFMT) ~= S_IFREG then return nil end
      return {
        sec = tonumber(buf.mtime.tv_sec), nsec = tonumber(buf.mtime.tv_nsec), size = tonumber(buf.size),
        id = format("%d:%d:%s", buf.dev_major, buf.dev_minor, (tostring(buf.ino):gsub("ULL$", ""))),
      }
    end
    stamp(".")
    stamp_fn = stamp
  end)
  if not ok then stamp_why = "watching files needs statx(2) (glibc 2.28 or later): " .. tostring(err) end
  return stamp_fn, stamp_why
end

-- Starts (or restarts, after the module ran again) watching module `name`'s file, if it has one: its stamp
-- now is the stamp of what ran. A module without a file (mounted, native) is not watched.
local function watch_module(state, name, spec, source, handle)
  local watch = state._watch
  if not watch then return end
  if not (spec and spec.file and spec.kind == "source") then
    watch[name] = nil
    return
  end
  watch[name] = { name = name, file = spec.file, source = source, handle = handle, stamp = stamp_fn(spec.file) }
end

-- The module whose chunk runs now depends on `name` (it imported or required it).
local function note_dependency(state, name)
  local loading = state._loading
  local top = loading[#loading]
  if top and top ~= name then
    local deps = state._deps[top]
    if deps then deps[name] = true end
  end
end

-- While watching, `require` in the globals table records the edges of `require`s that Lua answers from
-- package.loaded (the searcher never hears of those). Put in place for the outermost load only.
local function wrap_require(state)
  local g = state._envmeta.__index
  if type(g) ~= "table" then return nil end
  local prev = rawget(g, "require")
  if type(prev) ~= "function" then return nil end
  local function require_noted(name, ...)
    if type(name) == "string" then note_dependency(state, name) end
    return prev(name, ...)
  end
  rawset(g, "require", require_noted)
  return { g = g, prev = prev, fn = require_noted }
end

-- Module `name`'s chunk starts running: its edges are recorded afresh. Returns what end_load needs.
local function begin_load(state, name)
  local loading = state._loading
  local saved = { deps = state._deps[name] }
  state._deps[name] = {}
  loading[#loading + 1] = name
  if state._watch and #loading == 1 then saved.require = wrap_require(state) end
  return saved
end

-- The chunk ended (`ok`: it succeeded); a failed run keeps the edges the module had before too.
local function end_load(state, name, saved, ok)
  local loading = state._loading
  loading[#loading] = nil
  if not ok and saved.deps then
    local deps = state._deps[name]
    for d in pairs(saved.deps) do deps[d] = true end
  end
  local w = saved.require
  if w and rawget(w.g, "require") == w.fn then rawset(w.g, "require", w.prev) end
end

-- The identity rule of a reload that keeps it: when the module was a table and its chunk now gives a
-- different table, the old table takes the new one's fields (and metatable) and loses the fields the new
-- one lacks, and stays the module. Anything else: the new value.
local reload_lua -- (defined with the searchers)

local function keep_identity(old, new)
  if type(old) ~= "table" or type(new) ~= "table" or rawequal(old, new) then return new end
  for k in next, old do
    if rawget(new, k) == nil then rawset(old, k, nil) end
  end
  for k, v in next, new do rawset(old, k, v) end
  debug.setmetatable(old, debug.getmetatable(new))
  return old
end


---------------------------------------------------------------------------------------------------------------
-- Bytecode: the cache tag, chunk names in LuaJIT's bytecode, loading a chunk
---------------------------------------------------------------------------------------------------------------

-- The cache tag of this LuaJIT's bytecode, set on the profile of every runtime: which code of a bundle or of
-- the code cache is this interpreter's. LuaJIT loads only bytecode of its own format (the dump's version,
-- its GC64 mode, its byte order) and refuses any other ("cannot load incompatible bytecode"); the full
-- version keeps apart two releases whose bytecode may differ without the format saying so.
local function bytecode_tag()
  local version = type(jit) == "table" and type(jit.version) == "string" and jit.version:match("^LuaJIT%s+(%S+)")
  local tag = "luajit-" .. (version or "unknown"):gsub("[^%w%.%-_]", "_")
  if ffi.abi("gc64") then tag = tag .. "-gc64" end
  if ffi.abi("be") then tag = tag .. "-be" end
  return tag
end
M.cache_tag = bytecode_tag()

-- LuaJIT's bytecode (lj_bcdump.h) starts with "\27LJ", a version byte and its flags (ULEB128); unless it is
-- stripped (flag 2) the chunk name it was compiled under follows (a ULEB128 length, the bytes), and load()
-- keeps that name whatever name it is given. `named_bytecode` puts `chunkname` there instead, so a module's
-- bytecode carries the name its source would have here, wherever and however it was compiled (another mount
-- point, a bundle built elsewhere, a cache directory shared by programs). Stripped bytecode has no name:
-- load() gives it the one it is given.
local BCDUMP_F_STRIP = 2

local function read_uleb128(s, i)
  local v, shift = 0, 0
  while true do
    local b = s:byte(i)
    if not b or shift > 28 then return nil end
    v = v + bit.lshift(bit.band(b, 0x7f), shift)
    i = i + 1
    if b < 0x80 then return v, i end
    shift = shift + 7
  end
end

local function uleb128(v)
  local out = {}
  repeat
    local b = v % 0x80
    v = (v - b) / 0x80
    out[#out + 1] = string.char(v > 0 and b + 0x80 or b)
  until v == 0
  return concat(out)
end

local function named_bytecode(code, chunkname)
  if code:sub(1, 3) ~= "\27LJ" then return code end
  local flags, at = read_uleb128(code, 5)
  if not flags or bit.band(flags, BCDUMP_F_STRIP) ~= 0 then return code end
  local len, from = read_uleb128(code, at)
  if not len then return code end
  if len == #chunkname and code:sub(from, from + len - 1) == chunkname then return code end
  return code:sub(1, at - 1) .. uleb128(#chunkname) .. chunkname .. code:sub(from + len)
end

-- A module's chunk from its bytes: source text (mode "t", as a module's source is text), or, when importkit
-- had bytecode for it (`is_code`: this runtime's cache tag), that bytecode (mode "b") under the chunk name
-- its source would have. `mode` overrides the text mode ("bt" where Lua's loadfile would take either).
local function load_chunk(bytes, chunkname, is_code, env, mode)
  if is_code then return load(named_bytecode(bytes, chunkname), chunkname, "b", env) end
  return load(bytes, chunkname, mode or "t", env)
end

-- A C module's library (spec `file`, the name its cpath template gives it: `./a/b.so`), opened with
-- package.loadlib as Lua's C searchers open it (one handle shared with them), and its luaopen_ function.
-- A library that does not open, or has no such function, raises naming the file and what the loader said.
local function open_c_module(sp)
  local sym = luaopen_name(sp.name)
  local f, msg, where = package.loadlib(sp.file, sym)
  if f then return f end
  if where == "init" then
    error(new_error(IK_ERR_EXEC, format("C module '%s': no function '%s' in library '%s' (%s)", sp.name, sym,
      sp.file, tostring(msg)), { module = sp.name }))
  end
  error(new_error(IK_ERR_EXEC, format("C module '%s': cannot open library '%s': %s", sp.name, sp.file,
    tostring(msg)), { module = sp.name }))
end

local function cb_create_body(userdata, spec, out_module)
  local state = state_of(userdata)
  if not state or not state._ptr then
    error(new_error(IK_ERR_UNAVAILABLE, "the importkit runtime is closed"))
  end
  local sp = read_spec(spec)
  local rec
  if sp.kind == "extension" then
    -- A C module: no environment; its value is `true` until exec has run its luaopen_ function.
    rec = { name = sp.name, spec = sp, value = true, open = open_c_module(sp) }
  elseif state._global_env then
    -- Modules share the globals (require's way): no table of their own; a cycle gets `true` until done.
    rec = { name = sp.name, spec = sp, value = true }
  else
    local env = setmetatable({}, state._envmeta)
    env._NAME = sp.name
    env._SPEC = sp
    env.import = make_env_import(state, sp.parent)
    rec = { name = sp.name, spec = sp, env = env, value = env }
  end
  local h = state._last_handle + 1
  state._last_handle = h
  state._modules[h] = rec
  out_module[0] = ffi.cast("void *", h)
  if state._sync_loaded and rec.env then package.loaded[sp.name] = rec.env end
  return IK_OK
end

-- The chunk name of a module a runtime executes: installed, a file's is the one Lua's searcher gives it (the
-- package.path template's form); else `@` and the file, or the origin.
local function chunk_name(state, sp)
  return "@" .. ((state._installed and sp.file) and lua_file_name(sp.name, sp.file) or sp.file or sp.origin)
end

-- Runs a C module's luaopen_ function with the module's name, as Lua's require calls its loader; its value
-- is what the function returns, else what it stored in package.loaded[name] itself (luaL_register does),
-- else true. An error it raises is the module's error (with the traceback), as for a chunk.
local function run_c_module(state, rec, sp)
  local name = sp.name
  local before = package.loaded[name]
  local traceback
  local function handler(e)
    if M.is_error(e) then return e end
    traceback = debug.traceback("", 2):gsub("^\n", "")
    return e
  end
  local ok, ret = xpcall(rec.open, handler, name)
  if not ok then
    if M.is_error(ret) then error(ret, 0) end
    return nil, ret, 0, traceback
  end
  if ret == nil then
    local stored = package.loaded[name]
    if stored ~= nil and not rawequal(stored, before) then ret = stored else ret = true end
  end
  rec.value = ret
  if state._sync_loaded then package.loaded[name] = ret end
  return IK_OK
end

local function cb_exec_body(userdata, spec, module, source, source_len, is_code)
  local state = state_of(userdata)
  if not state then error(new_error(IK_ERR_UNAVAILABLE, "the importkit runtime is closed")) end
  local rec = state._modules[handle_of(module)]
  if not rec then error(new_error(IK_ERR_INTERNAL, "importkit passed an unknown module handle")) end
  local reloading = rec.executed
  if rec.executed then
    -- executed before: a reload, with the spec importkit found again (its file may have moved)
    rec.spec = read_spec(spec)
    if rec.env then rec.env._SPEC = rec.spec end
  end
  rec.executed = true
  local sp = rec.spec
  if sp.kind == "extension" and rec.open then
    if reloading then
      error(new_error(IK_ERR_IMPORT, format("C module '%s' (%s) cannot be reloaded: a library is never unloaded",
        sp.name, sp.file or sp.origin), { module = sp.name }))
    end
    return run_c_module(state, rec, sp)
  end
  if sp.kind ~= "source" then
    error(new_error(IK_ERR_IMPORT, format("the LuaJIT executor cannot execute %s module '%s' (%s)",
      sp.kind, sp.name, sp.origin), { module = sp.name }))
  end
  local code
  if source ~= nil then
    code = ffi.string(source, source_len)
  elseif sp.file then
    code = read_file(sp.file)
  else
    error(new_error(IK_ERR_IMPORT, format("no source for module '%s' (%s)", sp.name, sp.origin), { module = sp.name }))
  end
  local chunkname = chunk_name(state, sp)
  local fn, err = load_chunk(code, chunkname, is_code, rec.env or state._envmeta.__index)
  if not fn then return nil, err, line_in(err, chunkname) end
  local line, traceback = 0, nil
  local function handler(e)
    if M.is_error(e) then return e end
    for level = 2, 50 do
      local info = debug.getinfo(level, "Sl")
      if not info then break end
      if info.source == chunkname and (info.currentline or 0) > 0 then line = info.currentline break end
    end
    traceback = debug.traceback("", 2):gsub("^\n", "")
    return e
  end
  local ok, ret = xpcall(fn, handler, sp.name, sp.file or sp.origin)
  if not ok then
    if M.is_error(ret) then error(ret, 0) end
    return nil, ret, line, traceback
  end
  -- A chunk that returns nothing leaves the module's default value (its environment, or `true`), on a reload
  -- too: what an earlier run returned does not outlive the code that returned it.
  local old = rec.value
  if ret ~= nil then rec.value = ret else rec.value = rec.env or true end
  if reloading and state._keep_identity == sp.name then rec.value = keep_identity(old, rec.value) end
  if state._sync_loaded then package.loaded[sp.name] = rec.value end
  return IK_OK
end

local function cb_create(userdata, spec, out_module, report)
  local ok, st = pcall(cb_create_body, userdata, spec, out_module)
  if ok then return st end
  return report_failure(nil, report, st, IK_ERR_EXEC)
end

-- exec (source bytes, or none: the file is read here) and exec_code (bytecode for this runtime's cache tag).
local function run_module(userdata, spec, module, source, source_len, report, is_code)
  local state = state_of(userdata)
  local h = handle_of(module)
  local rec = state and state._modules[h]
  local loading = rec and begin_load(state, rec.name)
  local ok, st, err, line, traceback = pcall(cb_exec_body, userdata, spec, module, source, source_len, is_code)
  if loading then
    end_load(state, rec.name, loading, ok and st == IK_OK)
    if ok and st == IK_OK and state._watch then pcall(watch_module, state, rec.name, rec.spec, "table", h) end
  end
  if ok and st == IK_OK then return IK_OK end
  if ok then
    -- The module's code failed (or did not load): `err` is what it raised.
    return report_failure(state, report, err, IK_ERR_EXEC, rec and rec.name, line, traceback)
  end
  return report_failure(state, report, st, IK_ERR_EXEC, rec and rec.name)
end

local function cb_exec(userdata, spec, module, source, source_len, report)
  return run_module(userdata, spec, module, source, source_len, report, false)
end

local function cb_exec_code(userdata, spec, module, code, code_len, report)
  return run_module(userdata, spec, module, code, code_len, report, true)
end

-- compile: a module's source to bytecode (string.dump), when the runtime compiles (option `bytecode`). A
-- source that does not load gives no code: it then goes to exec, which reports its error as for any source.
-- The chunk name compiled under does not matter: loading puts the module's own in (named_bytecode).
local function cb_compile_body(userdata, spec, source, source_len, out)
  local state = state_of(userdata)
  if not (state and state._compile) or source == nil then return IK_OK end
  local fn = load(ffi.string(source, source_len), "=?", "t")
  if not fn then return IK_OK end
  local code = string.dump(fn, state._strip)
  return tonumber(lib.ik_bytes_set(out, ffi.cast("const uint8_t *", code), #code, nil))
end

local function cb_compile(userdata, spec, source, source_len, out, report)
  local ok, st = pcall(cb_compile_body, userdata, spec, source, source_len, out)
  if ok then return st end
  return report_failure(nil, report, st, IK_ERR_EXEC)
end

local function cb_release(userdata, module)
  pcall(function()
    local state = state_of(userdata)
    if not state then return end -- collected: its tables go with it
    local h = handle_of(module)
    local rec = state._modules[h]
    state._modules[h] = nil
    local w = rec and state._watch and state._watch[rec.name]
    if w and w.handle == h then state._watch[rec.name] = nil end
    if rec and state._sync_loaded then
      local v = package.loaded[rec.name]
      if v ~= nil and (rawequal(v, rec.env) or rawequal(v, rec.value)) then package.loaded[rec.name] = nil end
    end
  end)
end

local function cb_native_body(userdata, spec, out_module)
  local state = state_of(userdata)
  if not state or not state._ptr then
    error(new_error(IK_ERR_UNAVAILABLE, "the importkit runtime is closed"))
  end
  local sp = read_spec(spec)
  local factory = state._natives[sp.name]
  if not factory then
    error(new_error(IK_ERR_HOST, format("no factory for native module '%s'", sp.name), { module = sp.name }))
  end
  local value = factory(sp.name, sp)
  if value == nil then
    error("the factory returned nil", 0)
  end
  local h = state._last_handle + 1
  state._last_handle = h
  state._modules[h] = { name = sp.name, spec = sp, value = value }
  out_module[0] = ffi.cast("void *", h)
  if state._sync_loaded then package.loaded[sp.name] = value end
  return IK_OK
end

local function cb_native(userdata, spec, out_module, report)
  local ok, st = pcall(cb_native_body, userdata, spec, out_module)
  if ok then return st end
  local state = state_of(userdata)
  local okn, name = pcall(function() return text(lib.ik_spec_name, spec) end)
  name = okn and name or nil
  -- importkit words the failure itself: "creating native module 'NAME' failed: <our message>".
  return report_failure(state, report, st, IK_ERR_HOST, name, 0, nil)
end

-- The host finder of C modules (`cpath`, importkit's semantics: runtimes and install{ parents = true }): the
-- first library along the cpath templates for `name` (Lua's C searcher, then its all-in-one loader), unless
-- the search path has a Lua file for it (Lua's searchers try Lua files first; the path finder comes after
-- host finders on the meta path). Found: a package of kind extension (any Lua module may have submodules:
-- its Lua children are looked for in the search directories joined with its path, its C children along the
-- cpath again), its file the template filled in. Not found: the places tried are kept for the error.
local function cb_find_body(userdata, cname, name_len, path, path_count, found)
  local state = state_of(userdata)
  if not state or not state._ptr or not state._ctemplates then return IK_OK end
  local name = ffi.string(cname, name_len)
  local locations
  if path ~= nil then
    locations = {}
    for i = 0, tonumber(path_count) - 1 do locations[i + 1] = ffi.string(path[i]) end
  end
  -- Whether the path finder finds a Lua file for the name (it comes first): asked only once a library is
  -- found, before one is opened.
  local function lua_first()
    return state._fs and quiet_path_find(state, name, locations) and true or false
  end
  local file, spec = c_find_module(state, name, lua_first)
  if not file then return IK_OK end
  out_err[0] = nil
  local st = lib.ik_found_set(found, spec.origin, lib.IK_KIND_EXTENSION, true, out_err)
  if st == IK_OK then
    out_err[0] = nil
    st = lib.ik_found_set_file(found, file, out_err)
  end
  if st == IK_OK and state._fs then
    local rel = name:gsub("%.", "/")
    for _, dir in ipairs(state:path()) do
      if st ~= IK_OK then break end
      out_err[0] = nil
      st = lib.ik_found_add_location(found, dir .. "/" .. rel, out_err)
    end
  end
  if st ~= IK_OK then error(error_from(tonumber(st), out_err[0])) end
  return IK_OK
end

local function cb_find(userdata, name, name_len, path, path_count, found, report)
  local ok, st = pcall(cb_find_body, userdata, name, name_len, path, path_count, found)
  if ok then return st end
  return report_failure(nil, report, st, IK_ERR_HOST)
end

local callbacks -- created when the first runtime is made, freed with the last one
local live_runtimes = 0

-- The callbacks' types are the fields' own (ffi.typeof of a field: no signature to parse).
local function ensure_callbacks()
  if callbacks then return callbacks end
  local cbs = {}
  local ok, err = pcall(function()
    local ex = ffi.new(declared "ik_executor")
    local create_t, exec_t = ffi.typeof(ex.create), ffi.typeof(ex.exec)
    cbs.create = ffi.cast(create_t, cb_create)
    cbs.exec = ffi.cast(exec_t, cb_exec)
    cbs.release = ffi.cast(ffi.typeof(ex.release), cb_release)
    cbs.native = ffi.cast(create_t, cb_native) -- (ik_native's create has the executor's create's type)
    cbs.compile = ffi.cast(ffi.typeof(ex.compile), cb_compile)
    cbs.exec_code = ffi.cast(exec_t, cb_exec_code)
  end)
  if not ok then
    for _, cb in pairs(cbs) do cb:free() end
    error("importkit: cannot create the FFI callbacks: " .. tostring(err), 0)
  end
  callbacks = cbs
  return cbs
end

-- The find callback of the C modules' finder (made with the first such finder; freed with the others).
local function find_callback()
  local cbs = ensure_callbacks()
  if not cbs.find then
    local vt = ffi.new(declared "ik_finder")
    cbs.find = ffi.cast(ffi.typeof(vt.find), cb_find)
  end
  return cbs.find
end

---------------------------------------------------------------------------------------------------------------
-- Calls on a runtime
---------------------------------------------------------------------------------------------------------------

local function closed_error()
  return new_error(IK_ERR_UNAVAILABLE, "the importkit runtime is closed")
end

-- A runtime was freed (its modules released through the callbacks): the last one takes the callbacks along.
local function runtime_freed()
  live_runtimes = live_runtimes - 1
  if live_runtimes == 0 and callbacks then
    for _, cb in pairs(callbacks) do cb:free() end
    callbacks = nil
  end
end

local function free_runtime(state)
  local p = state._ptr
  state._ptr = nil
  if p == nil then return end
  ffi.gc(p, nil)
  lib.ik_runtime_free(p) -- releases every module through cb_release (the registry still knows us)
  runtime_freed()
  registry[state._id] = nil
  state._modules = {}
  state._natives = {}
  state._causes = {}
end
jit_off(free_runtime)

-- Enters a call: the runtime pointer, counted as in use until `leave`.
local function enter(state)
  if getmetatable(state) ~= Runtime then
    error("importkit: call runtime methods with ':' (rt:import(name)), not '.'", 3)
  end
  local p = state._ptr
  if p == nil or state._closing then error(closed_error()) end
  state._active = state._active + 1
  return p
end

local function leave(state)
  state._active = state._active - 1
  if state._closing and state._active == 0 then free_runtime(state) end
end

local function check(state, status, err)
  if status ~= IK_OK then error(error_from(tonumber(status), err, state)) end
end

-- A C module whose parent is no package (`socket.core` beside `socket.lua`) or is missing (`pkg/inner.so`
-- alone): Lua's C searcher finds it by its whole name, importkit (parents first) does not. The error says so.
local function explain_c_child(state, name, err)
  local parent = name:match("^(.*)%.[^.]*$")
  if not parent then return end
  local missing = err.module ~= name
  if missing and name:sub(1, #err.module + 1) ~= err.module .. "." then return end
  if not missing and not err.message:find("is not a package", 1, true) then return end
  local file
  for _, t in ipairs(state._ctemplates) do
    file = c_lookup(state, name, t)
    if file then break end
  end
  if not file then return end
  local why
  if missing then
    why = format("'%s' was not found", err.module)
  else
    local okf, pspec = pcall(state.find, state, parent)
    why = format("'%s' is a module, not a package%s", parent, okf and pspec and " (" .. pspec.origin .. ")" or "")
  end
  err.message = format("%s; C module '%s' is at '%s', but importkit imports its parent '%s' first and finds a " ..
    "submodule only in a package: %s (plain require, and install() with Lua's semantics, load it by its whole name)",
    err.message, name, file, parent, why)
end

function do_import(state, name, package)
  ensure_executor(state)
  local p = enter(state)
  out_err[0] = nil
  local st
  if package then
    cstring(package, "package")
    st = lib.ik_runtime_import_n(p, name, #name, package, #package, out_ptr, out_err)
  else
    st = lib.ik_runtime_import_n(p, name, #name, nil, 0, out_ptr, out_err)
  end
  local h, e = out_ptr[0], out_err[0]
  local rec
  if st == IK_OK then rec = state._modules[handle_of(h)] end
  leave(state)
  if st ~= IK_OK then
    local err = error_from(tonumber(st), e, state)
    if state._cfinder_id and err.status == IK_ERR_NOT_FOUND and not package then explain_c_child(state, name, err) end
    error(err)
  end
  if not rec then
    error(new_error(IK_ERR_INTERNAL, format("importkit returned a module handle this runtime does not hold for '%s'", name)))
  end
  note_dependency(state, rec.name)
  return rec.value
end
jit_off(do_import)

-- Calls `lib[fname](ptr, ...)` with the out_err buffer last and raises on failure.
local function call(state, fname, ...)
  local p = enter(state)
  out_err[0] = nil
  local n = select("#", ...)
  local st
  if n == 0 then st = lib[fname](p, out_err)
  elseif n == 1 then st = lib[fname](p, (...), out_err)
  else
    local args = { ... }
    args[n + 1] = out_err
    st = lib[fname](p, (unpack or table.unpack)(args, 1, n + 1))
  end
  local e = out_err[0]
  leave(state)
  check(state, st, e)
end
jit_off(call)

local function check_name(value, n, fname, level)
  if type(value) ~= "string" then argerror(n, fname, "string", value, level + 1) end
  return cstring(value, "name")
end

--- Imports `name` (relative with leading dots, against the package `from`) and returns the module's value.
function Runtime:import(name, from)
  if type(name) ~= "string" then argerror(1, "import", "string", name, 2) end
  if from ~= nil and type(from) ~= "string" then argerror(2, "import", "string or nil", from, 2) end
  if name:byte(1) == 46 then return do_import(self, name, from) end
  return do_import(self, name, nil)
end

-- What a find gives back: the owned spec as a table (freed here), or nil and the error when nothing is there;
-- any other failure raises. Called right after the C call, with the runtime left.
local function spec_result(self, st, spec, e)
  if st ~= IK_OK then
    local err = error_from(tonumber(st), e, self)
    if err.status == IK_ERR_NOT_FOUND then return nil, err end
    error(err)
  end
  local ok, s = pcall(read_spec, spec)
  lib.ik_spec_free(spec)
  if not ok then error(s, 0) end
  return s
end

--- The spec of `name` (a table) without executing anything, or nil and the error when nothing finds it.
function Runtime:find(name, from)
  check_name(name, 1, "find", 2)
  if from ~= nil then
    if type(from) ~= "string" then argerror(2, "find", "string or nil", from, 2) end
    cstring(from, "package")
  end
  local p = enter(self)
  out_err[0] = nil
  local st = lib.ik_runtime_find_spec(p, name, from, out_spec, out_err)
  local spec, e = out_spec[0], out_err[0]
  leave(self)
  return spec_result(self, st, spec, e)
end
jit_off(Runtime.find)

--- CPython's `PathFinder.find_spec(name, entries)`: the filesystem search alone over `entries` (a list of
--- directories; nil: the search path), no parent resolved, nothing imported, no other source asked. The spec
--- as a table, or nil and the error when nothing is there.
function Runtime:path_find(name, entries)
  check_name(name, 1, "path_find", 2)
  if entries ~= nil and type(entries) ~= "table" then argerror(2, "path_find", "table or nil", entries, 2) end
  if not M.has_filesystem() then error(fs_unsupported("path_find")) end
  local array, count = nil, 0
  if entries then
    count = #entries
    local keep = {}
    array = ffi.new("const char *[?]", math.max(count, 1))
    for i, v in ipairs(entries) do
      if type(v) ~= "string" then argerror(2, "path_find", "list of strings", entries, 2) end
      keep[i] = cstring(v, "path entry")
      array[i - 1] = keep[i]
    end
    array = { array, keep }
  end
  local p = enter(self)
  out_err[0] = nil
  local st = lib.ik_runtime_path_find_spec(p, name, array and array[1] or nil, count, out_spec, out_err)
  local spec, e = out_spec[0], out_err[0]
  leave(self)
  return spec_result(self, st, spec, e)
end
jit_off(Runtime.path_find)

-- Flattens a files table ({ ["a.lua"] = "...", sub = { ["b.lua"] = "..." } }) into a list of {path, data}.
local function flatten(files, prefix, out, where)
  for k, v in pairs(files) do
    if type(k) ~= "string" then
      error(format("importkit: mount '%s': file names must be strings, got %s", where, type(k)), 0)
    end
    local path = prefix .. k
    if type(v) == "string" then
      out[#out + 1] = { path, v }
    elseif type(v) == "table" then
      flatten(v, path .. "/", out, where)
    else
      error(format("importkit: mount '%s': file '%s' must be a string (or a table for a directory), got %s",
        where, path, type(v)), 0)
    end
  end
  return out
end

-- A tree of files (nested tables of strings) as a sorted ik_mount_file array, and the list that keeps its
-- strings alive; a bad tree raises its error at `level` (the caller's caller).
local function file_array(files, what, level)
  local ok, list = pcall(flatten, files, "", {}, what)
  if not ok then error(list, level) end
  sort(list, function(a, b) return a[1] < b[1] end)
  local array = ffi.new(declared "ik_mount_file" .. "[?]", math.max(#list, 1))
  for i, f in ipairs(list) do
    local a = array[i - 1]
    a.path, a.path_len = f[1], #f[1]
    a.data, a.data_len = ffi.cast("const uint8_t *", f[2]), #f[2]
  end
  return array, list
end

--- Mounts a tree of files at `point`; `opts.replace` replaces a tree mounted there. Returns the mount's id.
function Runtime:mount(point, files, opts)
  if type(point) ~= "string" then argerror(1, "mount", "string", point, 2) end
  if type(files) ~= "table" then argerror(2, "mount", "table", files, 2) end
  if opts ~= nil and type(opts) ~= "table" then argerror(3, "mount", "table or nil", opts, 2) end
  local flags = 0
  for k, v in pairs(opts or {}) do
    if k ~= "replace" then
      error(format("importkit: mount: unknown option '%s' (expected: replace)", tostring(k)), 2)
    end
    if v then flags = lib.IK_MOUNT_REPLACE end
  end
  cstring(point, "mount point")
  local array, list = file_array(files, point, 3)
  local p = enter(self)
  out_err[0] = nil
  local st = lib.ik_runtime_mount(p, point, array, #list, flags, nil, nil, out_u64, out_err)
  local id, e = out_u64[0], out_err[0]
  leave(self)
  check(self, st, e)
  if self._cfinder_id then add_c_finder(self) end -- C modules after the mounts, as after the other sources
  return tonumber(id)
end
jit_off(Runtime.mount)

--- Unmounts the tree at `point`; modules imported from it stay.
function Runtime:unmount(point)
  if type(point) ~= "string" then argerror(1, "unmount", "string", point, 2) end
  call(self, "ik_runtime_unmount", cstring(point, "mount point"))
end

---------------------------------------------------------------------------------------------------------------
-- Bundles (docs/BUNDLE.md): mounted from a file, from bytes, from the program; built from Lua
---------------------------------------------------------------------------------------------------------------

local BUNDLE_MAGIC = "IKBUNDL\0"
local BUNDLE_OPTIONS = { point = true, sha256 = true, read = true, replace = true, appended = true }
local BUNDLE_OPTION_LIST = "appended, point, read, replace, sha256"

-- A SHA-256 digest given as 64 hex digits or 32 bytes, as the 32 bytes the C ABI takes (nil for nil).
local function digest_arg(sha256, fname)
  if sha256 == nil then return nil end
  local raw
  if type(sha256) == "string" and #sha256 == 64 and sha256:match("^%x+$") then
    raw = sha256:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end)
  elseif type(sha256) == "string" and #sha256 == 32 then
    raw = sha256
  else
    error(new_error(IK_ERR_INVALID_ARGUMENT, format("%s: option 'sha256' must be a SHA-256 digest, as 64 hex " ..
      "digits or 32 bytes, got %s", fname, type(sha256) == "string" and #sha256 .. " bytes" or type(sha256))))
  end
  local buf = ffi.new("uint8_t[32]")
  ffi.copy(buf, raw, 32)
  return buf
end

local function hex(buf, n)
  local out = {}
  for i = 0, n - 1 do out[#out + 1] = format("%02x", buf[i]) end
  return concat(out)
end

--- Mounts a bundle at `opts.point` (default "", the root): `bundle` is the path of a bundle file (mapped;
--- `opts.read`: read whole instead), a string of a bundle's bytes (it starts with "IKBUNDL\0"; copied), or
--- `true` for the bundle appended to the running program (`opts.appended = true` with a path: to that
--- program). `opts.sha256`: the digest the bundle must have (64 hex digits or 32 bytes); `opts.replace`:
--- replace what is mounted at the point. Returns the mount's id; rt:unmount(point) unmounts it.
function Runtime:mount_bundle(bundle, opts)
  if bundle ~= true and type(bundle) ~= "string" then argerror(1, "mount_bundle", "string or true", bundle, 2) end
  if opts ~= nil and type(opts) ~= "table" then argerror(2, "mount_bundle", "table or nil", opts, 2) end
  if not self:is_closed() then ensure_executor(self) end -- (its bytecode reaches only an executor taking code)
  opts = opts or {}
  for k in pairs(opts) do
    if not BUNDLE_OPTIONS[k] then
      error(format("importkit: mount_bundle: unknown option '%s' (expected one of: %s)", tostring(k), BUNDLE_OPTION_LIST), 2)
    end
  end
  local point = opts.point or ""
  if type(point) ~= "string" then error(format("importkit: mount_bundle: option 'point' must be a string, got %s", type(point)), 2) end
  cstring(point, "mount point")
  local bytes = type(bundle) == "string" and bundle:sub(1, #BUNDLE_MAGIC) == BUNDLE_MAGIC and not opts.appended
  local flags = 0
  if opts.replace then flags = bit.bor(flags, lib.IK_MOUNT_REPLACE) end
  if opts.read then
    if bytes then error("importkit: mount_bundle: option 'read' is for a bundle file, not bytes", 2) end
    flags = bit.bor(flags, lib.IK_BUNDLE_READ)
  end
  local sha = digest_arg(opts.sha256, "mount_bundle")
  if type(bundle) == "string" and not bytes then cstring(bundle, "bundle path") end
  local p = enter(self)
  out_err[0] = nil
  local st
  if bundle == true then
    st = lib.ik_runtime_mount_bundle_appended(p, point, nil, flags, sha, out_u64, out_err)
  elseif opts.appended then
    st = lib.ik_runtime_mount_bundle_appended(p, point, bundle, flags, sha, out_u64, out_err)
  elseif bytes then
    st = lib.ik_runtime_mount_bundle_bytes(p, point, ffi.cast("const uint8_t *", bundle), #bundle, flags, sha, nil,
      nil, out_u64, out_err)
  else
    st = lib.ik_runtime_mount_bundle(p, point, bundle, flags, sha, out_u64, out_err)
  end
  local id, e = out_u64[0], out_err[0]
  leave(self)
  check(self, st, e)
  if self._cfinder_id then add_c_finder(self) end
  return tonumber(id)
end
jit_off(Runtime.mount_bundle)

--- Checks the whole bundle file at `path` (every record, every blob's CRC-32), as `importkit bundle verify`
--- does, and returns its SHA-256 digest as 64 hex digits (what `sha256` options pin). Raises on a bad bundle.
function M.verify_bundle(path)
  if type(path) ~= "string" then argerror(1, "verify_bundle", "string", path, 2) end
  load_library()
  cstring(path, "bundle path")
  local digest = ffi.new("uint8_t[32]")
  out_err[0] = nil
  local st = lib.ik_bundle_verify(path, digest, out_err)
  if st ~= IK_OK then error(error_from(tonumber(st), out_err[0])) end
  return hex(digest, 32)
end

--- Drops the finders' caches (`importlib.invalidate_caches()`).
function Runtime:invalidate()
  call(self, "ik_runtime_invalidate")
  for _, c in pairs(self._c or {}) do c:invalidate() end
end

local function fs_unsupported(what)
  return new_error(IK_ERR_UNAVAILABLE, what .. ": not yet supported: this importkit library has no filesystem " ..
    "search path (ik_runtime_enable_filesystem, ik_runtime_path_append)")
end

local function enable_filesystem(state)
  if state._fs then return end
  if not M.has_filesystem() then error(fs_unsupported("filesystem imports")) end
  call(state, "ik_runtime_enable_filesystem", true)
  state._fs = true
end

--- Appends a directory to the runtime's search path (and enables the filesystem).
function Runtime:path_append(dir)
  if type(dir) ~= "string" then argerror(1, "path_append", "string", dir, 2) end
  if not M.has_filesystem() then error(fs_unsupported("path_append")) end
  enable_filesystem(self)
  call(self, "ik_runtime_path_append", cstring(dir, "path entry"))
end

--- The search path, in order (empty while the filesystem is off and nothing was appended).
-- The names of an ik_name_list the function `fname` (ik_runtime_path_list, ik_runtime_list_modules) gives.
local function name_list(self, fname)
  local p = enter(self)
  out_err[0] = nil
  local st = lib[fname](p, out_list, out_err)
  local list, e = out_list[0], out_err[0]
  leave(self)
  check(self, st, e)
  local names = {}
  for i = 0, tonumber(lib.ik_name_list_count(list)) - 1 do
    names[#names + 1] = text(lib.ik_name_list_get, list, i)
  end
  lib.ik_name_list_free(list)
  return names
end
jit_off(name_list)

function Runtime:path()
  if not M.has_filesystem() then error(fs_unsupported("path")) end
  return name_list(self, "ik_runtime_path_list")
end

--- Allows a top-level name ("*": all but powerful natives).
function Runtime:allow(name)
  call(self, "ik_runtime_allow", check_name(name, 1, "allow", 2))
end

--- Denies a top-level name; deny wins over allow.
function Runtime:deny(name)
  call(self, "ik_runtime_deny", check_name(name, 1, "deny", 2))
end

--- Back to the default policy.
function Runtime:clear_policy()
  call(self, "ik_runtime_clear_policy")
end

--- Registers a native module: importing `name` calls `factory(name, spec)` once for the module's value.
function Runtime:register_native(name, factory, flags)
  check_name(name, 1, "register_native", 2)
  if type(factory) ~= "function" then argerror(2, "register_native", "function", factory, 2) end
  if flags ~= nil and type(flags) ~= "table" then argerror(3, "register_native", "table or nil", flags, 2) end
  local bits = 0
  for k, v in pairs(flags or {}) do
    if k == "powerful" then
      if v then bits = bits + 1 end
    elseif k == "package" then
      if v then bits = bits + 2 end
    else
      error(format("importkit: native '%s': unknown flag '%s' (expected: package, powerful)", name, tostring(k)), 2)
    end
  end
  local cbs = ensure_callbacks()
  local vt = ffi.new(declared "ik_native")
  vt.size = ffi.sizeof(declared "ik_native")
  vt.flags = bits
  vt.userdata = ffi.cast("void *", self._id)
  vt.create = cbs.native
  vt.release_userdata = nil
  -- Installed first: a registration that fails leaves no factory behind, one that succeeds finds it there.
  local previous = self._natives[name]
  self._natives[name] = factory
  local ok, err = pcall(call, self, "ik_runtime_register_native", name, vt)
  if not ok then
    self._natives[name] = previous
    error(err, 0)
  end
end

--- Unregisters a native; a module it made stays in the table.
function Runtime:unregister_native(name)
  call(self, "ik_runtime_unregister_native", check_name(name, 1, "unregister_native", 2))
  self._natives[name] = nil
end

--- Whether `name` is in the module table.
function Runtime:contains(name)
  check_name(name, 1, "contains", 2)
  local p = enter(self)
  out_err[0] = nil
  local st = lib.ik_runtime_contains(p, name, out_bool, out_err)
  local v, e = out_bool[0], out_err[0]
  leave(self)
  check(self, st, e)
  return v
end
jit_off(Runtime.contains)

--- The value of the module under `name` in the table (a partial one included), or nil; imports nothing.
--- The second result is "initializing" or "ready".
function Runtime:get(name)
  check_name(name, 1, "get", 2)
  local p = enter(self)
  out_err[0] = nil
  local st = lib.ik_runtime_get_module(p, name, out_ptr, out_u32, out_err)
  local h, s, e = out_ptr[0], out_u32[0], out_err[0]
  local rec = st == IK_OK and self._modules[handle_of(h)] or nil
  leave(self)
  if st == IK_ERR_NOT_FOUND then
    if e ~= nil then lib.ik_error_free(e) end
    return nil
  end
  check(self, st, e)
  if not rec then return nil end
  return rec.value, (s == 0 and "initializing" or "ready")
end
jit_off(Runtime.get)

--- Removes `name` from the module table (its children stay); the next import executes it again.
function Runtime:remove(name)
  call(self, "ik_runtime_remove_module", check_name(name, 1, "remove", 2))
end

--- The names in the module table, sorted.
function Runtime:modules()
  return name_list(self, "ik_runtime_list_modules")
end

-- The record of module `name` in the table (imports nothing), or nil.
local function table_record(self, name)
  local p = enter(self)
  out_err[0] = nil
  local st = lib.ik_runtime_get_module(p, name, out_ptr, out_u32, out_err)
  local h, e = out_ptr[0], out_err[0]
  local rec = st == IK_OK and self._modules[handle_of(h)] or nil
  leave(self)
  if st ~= IK_OK and e ~= nil then lib.ik_error_free(e) end
  return rec
end
jit_off(table_record)

local function c_not_reloaded(name, file)
  return new_error(IK_ERR_IMPORT, format("C module '%s' (%s) cannot be reloaded: a library is never unloaded, and " ..
    "running its luaopen_ function again would not make it another module", name, file), { module = name })
end

--- `importlib.reload`: finds module `name` of the table again and executes it again in the same environment;
--- returns the module's value now. A failure (not found again, its chunk raised) leaves it as it was.
--- `opts.keep`: the module's table stays the module (the identity rule of rt:poll_changes).
--- Installed with Lua's semantics, a module `require` loaded through importkit reloads the same way, in Lua.
function Runtime:reload(name, opts)
  check_name(name, 1, "reload", 2)
  if opts ~= nil and type(opts) ~= "table" then argerror(2, "reload", "table or nil", opts, 2) end
  local keep = false
  for k, v in pairs(opts or {}) do
    if k ~= "keep" then error(format("importkit: reload: unknown option '%s' (expected: keep)", tostring(k)), 2) end
    keep = v and true or false
  end
  if self._lua_opts and self._lua_modules[name] and package.loaded[name] ~= nil and not self:contains(name) then
    return reload_lua(self, name, keep)
  end
  local c_file = self._c_loaded and self._c_loaded[name]
  if c_file and package.loaded[name] ~= nil and not self:contains(name) then
    error(c_not_reloaded(name, c_file))
  end
  local rec = table_record(self, name)
  if rec and rec.spec and rec.spec.kind == "extension" then
    error(c_not_reloaded(name, rec.spec.file or rec.spec.origin))
  end
  ensure_executor(self)
  local p = enter(self)
  out_err[0] = nil
  local previous = self._keep_identity
  self._keep_identity = keep and name or nil
  local st = lib.ik_runtime_reload(p, name, out_ptr, out_err)
  self._keep_identity = previous
  local h, e = out_ptr[0], out_err[0]
  local rec = st == IK_OK and self._modules[handle_of(h)] or nil
  leave(self)
  check(self, st, e)
  if not rec then
    error(new_error(IK_ERR_INTERNAL, format("importkit returned a module handle this runtime does not hold for '%s'", name)))
  end
  return rec.value
end
jit_off(Runtime.reload)

local function check_package(value, n, fname)
  if type(value) ~= "string" then argerror(n, fname, "string", value, 3) end
  return cstring(value, "package")
end

--- The bytes of file `resource` of package `package` (a string), or nil and the error when the package or the
--- file is not there. Imports nothing.
function Runtime:read_resource(package, resource)
  check_package(package, 1, "read_resource")
  if type(resource) ~= "string" then argerror(2, "read_resource", "string", resource, 2) end
  cstring(resource, "resource")
  local p = enter(self)
  out_err[0] = nil
  local st = lib.ik_runtime_read_resource(p, package, resource, out_resource, out_err)
  local r, e = out_resource[0], out_err[0]
  leave(self)
  if st ~= IK_OK then
    local err = error_from(tonumber(st), e, self)
    if err.status == IK_ERR_NOT_FOUND then return nil, err end
    error(err)
  end
  local data = lib.ik_resource_data(r, len_buf)
  local ok, bytes = pcall(ffi.string, data, len_buf[0])
  lib.ik_resource_free(r)
  if not ok then error(bytes, 0) end
  return bytes
end
jit_off(Runtime.read_resource)

-- The ik_name_list of `fname` (ik_runtime_resources, ik_runtime_iter_modules) for `package` (may be nil), as
-- names, or with `modules` as { name =, is_package = } tables.
local function package_list(self, fname, package, modules)
  local p = enter(self)
  out_err[0] = nil
  local st = lib[fname](p, package, out_list, out_err)
  local list, e = out_list[0], out_err[0]
  leave(self)
  check(self, st, e)
  local out = {}
  local ok, err = pcall(function()
    for i = 0, tonumber(lib.ik_name_list_count(list)) - 1 do
      local name = text(lib.ik_name_list_get, list, i)
      if modules then
        out[#out + 1] = { name = name, is_package = lib.ik_name_list_is_package(list, i) == 1 }
      else
        out[#out + 1] = name
      end
    end
  end)
  lib.ik_name_list_free(list)
  if not ok then error(err, 0) end
  return out
end
jit_off(package_list)

--- The names of the files and directories directly in package `package`, sorted. Imports nothing.
function Runtime:resources(package)
  return package_list(self, "ik_runtime_resources", check_package(package, 1, "resources"), false)
end

--- `rt:read(package, name)`: rt:read_resource (the bytes of a package's file, or nil and the error).
Runtime.read = Runtime.read_resource

--- The code cache's counters (docs/CODE_CACHE.md) as a table: compiles, hits_source, hits_memory,
--- hits_directory, misses, rejected, stores, store_failures, evictions, entries, bytes, limit.
local STATS_FIELDS = { "compiles", "hits_source", "hits_memory", "hits_directory", "misses", "rejected", "stores",
  "store_failures", "evictions", "entries", "bytes", "limit" }

function Runtime:code_cache_stats()
  local stats = ffi.new(declared "ik_code_cache_stats")
  stats.size = ffi.sizeof(declared "ik_code_cache_stats")
  call(self, "ik_runtime_code_cache_stats", stats)
  local out = {}
  for _, k in ipairs(STATS_FIELDS) do out[k] = tonumber(stats[k]) end
  return out
end

--- Keeps compiled code in directory `dir` (which must exist) across runs and processes, or in memory only
--- (nil): bytecode of loose source files, written by runtimes that compile (option `bytecode = true`) and
--- read by every runtime of this LuaJIT's cache tag, each file trusted only for the source it was compiled
--- from. Raises for a runtime with `bytecode = false` (it takes no code).
function Runtime:set_code_cache_dir(dir)
  if dir ~= nil and type(dir) ~= "string" then argerror(1, "set_code_cache_dir", "string or nil", dir, 2) end
  if self._bytecode == false then
    error(new_error(IK_ERR_UNAVAILABLE, "set_code_cache_dir: this runtime runs no bytecode (bytecode = false)"))
  end
  call(self, "ik_runtime_set_code_cache_dir", dir and cstring(dir, "code cache directory") or nil)
  self._code_dir = dir
end

--- Bounds the bytecode a runtime keeps in memory to `bytes` (32 MiB unless set; 0 keeps none).
function Runtime:set_code_cache_limit(bytes)
  if type(bytes) ~= "number" or bytes < 0 or bytes % 1 ~= 0 then
    argerror(1, "set_code_cache_limit", "non-negative integer", bytes, 2)
  end
  call(self, "ik_runtime_set_code_cache_limit", ffi.new("uint64_t", bytes))
end

--- `pkgutil.iter_modules`: the modules directly in package `package`, or the top-level ones (nil), as
--- `{ name =, is_package = }` tables. Imports nothing.
function Runtime:iter_modules(package)
  if package ~= nil then check_package(package, 1, "iter_modules") end
  return package_list(self, "ik_runtime_iter_modules", package, true)
end

--- Frees the runtime (every module of its table is released). Idempotent. Called from a module's own code,
--- it takes effect when the running import returns. Closing the installed runtime uninstalls it.
function Runtime:close()
  if installed == self then M.uninstall() end
  for _, c in pairs(self._c or {}) do c:close() end
  if self._ptr == nil then return end
  self._closing = true
  if self._active > 0 then return end
  free_runtime(self)
end

function Runtime:is_closed()
  return self._ptr == nil or self._closing
end

Runtime.__tostring = function(self)
  return format("importkit.runtime#%d%s", self._id, self:is_closed() and " (closed)" or "")
end

---------------------------------------------------------------------------------------------------------------
-- Making runtimes
---------------------------------------------------------------------------------------------------------------

local OPTIONS = { path = true, mounts = true, natives = true, allow = true, deny = true, globals = true,
  bundle = true, bytecode = true, strip = true, cpath = true }
local OPTION_LIST = "allow, bundle, bytecode, cpath, deny, globals, mounts, natives, path, strip"
-- install() has these too: they turn importkit's semantics on for require.
local INSTALL_OPTIONS = { parents = true, environments = true }
local INSTALL_OPTION_LIST = "allow, bundle, bytecode, cpath, deny, environments, globals, mounts, natives, " ..
  "parents, path, strip"

-- The `bundle` option as a list of { bundle, opts } to mount in order: a path, bytes or true (the running
-- program's appended bundle); a table { BUNDLE, point =, sha256 =, read =, appended = } for one with
-- options; or a list of those.
local function bundle_list(value, fname)
  local function one(v)
    if v == true or type(v) == "string" then return { v, {} } end
    if type(v) == "table" and (v[1] == true or type(v[1]) == "string") and v[2] == nil then
      local opts = {}
      for k, x in pairs(v) do
        if k ~= 1 then
          if not BUNDLE_OPTIONS[k] or k == "replace" then
            error(format("%s: option 'bundle': unknown key '%s' (expected one of: appended, point, read, sha256)",
              fname, tostring(k)), 0)
          end
          opts[k] = x
        end
      end
      return { v[1], opts }
    end
    return nil
  end
  local single = one(value)
  if single then return { single } end
  if type(value) ~= "table" then
    error(format("%s: option 'bundle' must be a path, a bundle's bytes, true (the program's appended bundle), " ..
      "a table { BUNDLE, point = ..., sha256 = ... } or a list of those, got %s", fname, type(value)), 0)
  end
  local out = {}
  for i, v in ipairs(value) do
    out[i] = one(v) or error(format("%s: option 'bundle'[%d] must be a path, a bundle's bytes, true or a table " ..
      "{ BUNDLE, point = ..., sha256 = ... }, got %s", fname, i, type(v)), 0)
  end
  for k in pairs(value) do
    if type(k) ~= "number" or k < 1 or k > #out or k % 1 ~= 0 then
      error(format("%s: option 'bundle' must be a list (unexpected key '%s')", fname, tostring(k)), 0)
    end
  end
  return out
end

local function string_list(value, what, fname)
  if type(value) == "string" then return { value } end
  if type(value) ~= "table" then
    error(format("%s: option '%s' must be a list of strings, got %s", fname, what, type(value)), 0)
  end
  local out = {}
  for i, v in ipairs(value) do
    if type(v) ~= "string" then
      error(format("%s: option '%s'[%d] must be a string, got %s", fname, what, i, type(v)), 0)
    end
    out[i] = v
  end
  for k in pairs(value) do
    if type(k) ~= "number" or k < 1 or k > #out or k % 1 ~= 0 then
      error(format("%s: option '%s' must be a list of strings (unexpected key '%s')", fname, what, tostring(k)), 0)
    end
  end
  return out
end

-- Checks the options before anything is made; returns them normalised.
local function check_options(opts, fname)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then error(format("bad argument #1 to '%s' (table expected, got %s)", fname, type(opts)), 0) end
  local install = fname == "importkit.install"
  for k in pairs(opts) do
    if not OPTIONS[k] and not (install and INSTALL_OPTIONS[k]) then
      error(format("%s: unknown option '%s' (expected one of: %s)", fname, tostring(k),
        install and INSTALL_OPTION_LIST or OPTION_LIST), 0)
    end
  end
  local o = { environments = "module" }
  if install then
    if opts.parents ~= nil and type(opts.parents) ~= "boolean" then
      error(format("%s: option 'parents' must be a boolean, got %s", fname, type(opts.parents)), 0)
    end
    o.parents = opts.parents == true
    local envs = opts.environments
    if envs == nil then envs = "global" end
    if envs ~= "global" and envs ~= "module" then
      error(format("%s: option 'environments' must be \"global\" or \"module\", got %s", fname,
        type(envs) == "string" and format("%q", envs) or type(envs)), 0)
    end
    o.environments = envs
  end
  -- C modules: searched along these templates (package.cpath's form; true: package.cpath). Default:
  -- package.cpath when installing, none for a runtime (it opens no library unless asked to).
  local cpath = opts.cpath
  if cpath == nil then cpath = install end
  if cpath == true then cpath = type(package.cpath) == "string" and package.cpath or false end
  if cpath ~= false and type(cpath) ~= "string" then
    error(format("%s: option 'cpath' must be a string of templates (as package.cpath), true (package.cpath) " ..
      "or false, got %s", fname, type(cpath)), 0)
  end
  if cpath and opts.cpath ~= nil and not M.has_filesystem() then error(fs_unsupported("option 'cpath'")) end
  if cpath and not install and #c_templates(cpath) == 0 then
    error(format("%s: option 'cpath' has no template of the form DIR/?SUFFIX (such as \"./?.so\"): %q", fname,
      cpath), 0)
  end
  o.cpath = cpath
  -- The host finder of C modules, for importkit's semantics (a runtime, install{ parents = true }); install()
  -- with Lua's semantics searches them in its searcher.
  o.c_finder = not install or o.parents
  if opts.path == false and fname == "importkit.install" then
    o.no_path = true
  elseif opts.path ~= nil then
    o.path = string_list(opts.path, "path", fname)
  end
  if opts.allow ~= nil then o.allow = string_list(opts.allow, "allow", fname) end
  if opts.deny ~= nil then o.deny = string_list(opts.deny, "deny", fname) end
  if opts.globals ~= nil and type(opts.globals) ~= "table" then
    error(format("%s: option 'globals' must be a table, got %s", fname, type(opts.globals)), 0)
  end
  o.globals = opts.globals
  if opts.mounts ~= nil then
    if type(opts.mounts) ~= "table" then
      error(format("%s: option 'mounts' must be a table of mount point -> files, got %s", fname, type(opts.mounts)), 0)
    end
    o.mounts = {}
    for point, files in pairs(opts.mounts) do
      if type(point) ~= "string" then
        error(format("%s: mount points must be strings, got %s", fname, type(point)), 0)
      end
      if type(files) ~= "table" then
        error(format("%s: mount '%s' must be a table of files, got %s", fname, point, type(files)), 0)
      end
      o.mounts[#o.mounts + 1] = point
    end
    sort(o.mounts)
    o.mount_files = opts.mounts
  end
  if opts.natives ~= nil then
    if type(opts.natives) ~= "table" then
      error(format("%s: option 'natives' must be a table of name -> factory, got %s", fname, type(opts.natives)), 0)
    end
    o.natives = {}
    for name, v in pairs(opts.natives) do
      if type(name) ~= "string" then
        error(format("%s: native names must be strings, got %s", fname, type(name)), 0)
      end
      local entry
      if type(v) == "function" then
        entry = { name = name, factory = v }
      elseif type(v) == "table" and type(v.factory) == "function" then
        entry = { name = name, factory = v.factory, flags = {} }
        for k, flag in pairs(v) do
          if k == "powerful" or k == "package" then
            entry.flags[k] = flag and true or false
          elseif k ~= "factory" then
            error(format("%s: native '%s': unknown key '%s' (expected: factory, package, powerful)", fname, name,
              tostring(k)), 0)
          end
        end
      else
        error(format("%s: native '%s' must be a function or { factory = function, powerful = ..., package = ... }, got %s",
          fname, name, type(v)), 0)
      end
      o.natives[#o.natives + 1] = entry
    end
    -- Parents before children, so `pkg.sub` finds `pkg` registered.
    sort(o.natives, function(a, b) return a.name < b.name end)
  end
  if opts.bytecode ~= nil and type(opts.bytecode) ~= "boolean" then
    error(format("%s: option 'bytecode' must be a boolean, got %s", fname, type(opts.bytecode)), 0)
  end
  o.bytecode = opts.bytecode
  if opts.strip ~= nil and type(opts.strip) ~= "boolean" then
    error(format("%s: option 'strip' must be a boolean, got %s", fname, type(opts.strip)), 0)
  end
  o.strip = opts.strip
  if opts.bundle ~= nil then o.bundles = bundle_list(opts.bundle, fname) end
  if o.path and not M.has_filesystem() then error(fs_unsupported("option 'path'")) end
  return o
end


local function finalizer(p)
  lib.ik_runtime_free(p)
  runtime_freed()
end
jit_off(finalizer)

-- A new ik_profile (the caller frees it): Lua's conventions with this LuaJIT's cache tag (which bytecode of a
-- bundle or the code cache is this interpreter's); `c_suffixes`: extension suffixes in place of ".lua" (the
-- finder of C modules of install()'s package.cpath search, ".so" from "./?.so").
local function lua_profile(c_suffixes)
  out_err[0] = nil
  local st = lib.ik_profile_new(lib.IK_PROFILE_LUA, nil, profile_buf, out_err)
  if st ~= IK_OK then error(error_from(tonumber(st), out_err[0])) end
  local profile = profile_buf[0]
  out_err[0] = nil
  st = lib.ik_profile_set_cache_tag(profile, M.cache_tag, out_err)
  if st == IK_OK and c_suffixes then
    out_err[0] = nil
    st = lib.ik_profile_clear_suffixes(profile, lib.IK_KIND_SOURCE, out_err)
    for _, suffix in ipairs(c_suffixes) do
      if st ~= IK_OK then break end
      out_err[0] = nil
      st = lib.ik_profile_add_suffix(profile, lib.IK_KIND_EXTENSION, suffix, out_err)
    end
  end
  if st ~= IK_OK then
    lib.ik_profile_free(profile)
    error(error_from(tonumber(st), out_err[0]))
  end
  return profile
end

-- Gives runtime `state` its executor (the shared callbacks; `bytecode` false: the first layout, no code
-- ever): now when `now`, else if it is pending. install() with Lua's semantics loads Lua files itself: its
-- runtime gets the executor (and the callbacks are made) only when something is to run through importkit (a
-- native, an import, a reload, a compile).
function ensure_executor(state, now, bytecode)
  if not now then
    if not state._executor_pending then return end
    state._executor_pending = false
    bytecode = state._bytecode
  end
  local cbs = ensure_callbacks()
  local ex = ffi.new(declared "ik_executor")
  ex.size = ffi.sizeof(declared "ik_executor")
  ex.userdata = ffi.cast("void *", state._id)
  ex.create = cbs.create
  ex.exec = cbs.exec
  ex.release = cbs.release
  if bytecode == false then
    ex.size = ffi.offsetof(declared "ik_executor", "compile") -- the first layout: no code, ever
  else
    ex.compile = cbs.compile
    ex.exec_code = cbs.exec_code
  end
  call(state, "ik_runtime_set_executor", ex)
end

local function new_runtime(o)
  load_library()
  local profile = lua_profile(o.c_suffixes)
  local st
  out_err[0] = nil
  st = lib.ik_runtime_new(profile, runtime_buf, out_err)
  lib.ik_profile_free(profile)
  if st ~= IK_OK then error(error_from(tonumber(st), out_err[0])) end
  local ptr = ffi.gc(runtime_buf[0], finalizer)
  live_runtimes = live_runtimes + 1
  last_id = last_id + 1
  local self = setmetatable({
    _id = last_id,
    _ptr = ptr,
    _modules = {},   -- handle -> { name, spec, env, value }
    _natives = {},   -- full name -> factory
    _causes = {},    -- module name -> { value, traceback } of its last failure (becomes error.cause)
    _last_handle = 0,
    _active = 0,
    _closing = false,
    _installed = false,
    _deps = {},      -- module name -> { name it imported or required while it loaded = true }
    _loading = {},   -- the names of the modules whose chunks run now, innermost last
    _lua_modules = {}, -- install(), Lua's semantics: name -> { spec, env } of the modules its loader ran
    _watch = nil,    -- while watching: module name -> { name, file, source = "table" | "lua", handle, stamp }
    _global_env = o.environments == "global",
    _envmeta = { __index = o.globals or _G },
    -- Bytecode (option `bytecode`): nil, code is taken where importkit has some (a bundle's, the cache
    -- directory's) and never made; true, every source is compiled too (string.dump, `_strip`); false, none.
    _bytecode = o.bytecode,
    _compile = o.bytecode == true,
    _strip = o.strip == true,
    _code_dir = nil, -- the code cache directory (rt:set_code_cache_dir)
  }, Runtime)
  registry[self._id] = self
  local ok, err = pcall(function()
    if o.lazy_executor then self._executor_pending = true else ensure_executor(self, true, o.bytecode) end
    for _, n in ipairs(o.natives or {}) do self:register_native(n.name, n.factory, n.flags) end
    for _, point in ipairs(o.mounts or {}) do self:mount(point, o.mount_files[point]) end
    for _, b in ipairs(o.bundles or {}) do self:mount_bundle(b[1], b[2]) end
    for _, name in ipairs(o.allow or {}) do self:allow(name) end
    for _, name in ipairs(o.deny or {}) do self:deny(name) end
    if o.path then
      enable_filesystem(self)
      for _, dir in ipairs(o.path) do self:path_append(dir) end
    end
    if o.cpath and M.has_filesystem() then
      -- C modules: the cpath templates importkit searches (the finder of their files, a second runtime, is
      -- made on the first search).
      local templates = c_templates(o.cpath)
      if #templates > 0 then self._ctemplates = templates end
      -- Every template in order (those importkit does not search too: Lua's C searcher tries them in turn).
      local covered, all, others = {}, {}, false
      for _, t in ipairs(templates) do covered[t.template] = t end
      for template in o.cpath:gmatch("[^;]+") do
        all[#all + 1] = { template = template, t = covered[template] }
        if not covered[template] then others = true end
      end
      if others then self._cpath_order = all end
    end
    if self._ctemplates and o.c_finder then
      add_c_finder(self)
    end
  end)
  if not ok then
    free_runtime(self)
    error(err, 0)
  end
  return self
end

--- A new runtime (see the top of this file for the options).
function M.runtime(opts)
  local ok, o = pcall(check_options, opts, "importkit.runtime")
  if not ok then error(o, 2) end
  return new_runtime(o)
end

---------------------------------------------------------------------------------------------------------------
-- require() through importkit
---------------------------------------------------------------------------------------------------------------

local function loaders_table()
  local t = package.loaders or package.searchers
  if type(t) ~= "table" then error("importkit.install: package.loaders is not a table", 0) end
  return t
end

-- Whether a NOT_FOUND error is about `name` or one of its parents (not about a module its code imported).
local function about(err, name)
  local m = err.module
  if m == nil or m == name then return true end
  return name:sub(1, #m + 1) == m .. "."
end

-- The searcher of `install{ parents = true }`: importkit imports (parents first, its module table, its errors).
local function importkit_searcher(rt)
  local function searcher(name)
    if type(name) ~= "string" then return nil end
    if rt:is_closed() then return "\n\timportkit: the installed runtime is closed" end
    -- package.loaded is the table as Lua sees it: a ready module dropped from it is imported afresh.
    if package.loaded[name] == nil then
      local okg, v, st = pcall(rt.get, rt, name)
      if okg and v ~= nil and st == "ready" then pcall(rt.remove, rt, name) end
    end
    local ok, value = pcall(do_import, rt, name, nil)
    if ok then
      return function() return value end
    end
    local err = value
    if M.is_error(err) then
      if err.status == IK_ERR_INVALID_NAME or err.status == IK_ERR_INVALID_ARGUMENT then
        return "\n\timportkit: " .. err.message
      end
      if err.status == IK_ERR_NOT_FOUND and about(err, name) then
        if #err.attempts == 0 then return "\n\timportkit: " .. err.message end
        local lines = {}
        for i, a in ipairs(err.attempts) do lines[i] = "\n\timportkit " .. a.place .. ": " .. a.reason end
        return concat(lines)
      end
    end
    error(err, 0)
  end
  return searcher
end

local last_error -- importkit's last failure under require (Lua's semantics): the structured error object

--- The importkit error object behind the last failure of the installed searcher (a module not found, a
--- denied name, a module that did not load), or nil: require raises Lua's strings, this keeps the details.
function M.last_error()
  return last_error
end

-- The lines a searcher returns for the places importkit tried.
local function attempt_lines(err)
  if #err.attempts == 0 then return "\n\timportkit: " .. err.message end
  local lines = {}
  for i, a in ipairs(err.attempts) do lines[i] = "\n\timportkit " .. a.place .. ": " .. a.reason end
  return concat(lines)
end

-- The working directory, or nil where it cannot be read (asked at every search with a relative directory:
-- the C function is looked up once).
local cwd
do
  local getcwd, buf -- ffi.C.getcwd (false: not to be had) and its buffer
  function cwd()
    if getcwd == nil then
      if ffi.os ~= "Windows" then pcall(ffi.cdef, "char *getcwd(char *buf, size_t size);") end
      local ok, f = pcall(function() return ffi.C.getcwd end)
      getcwd = ok and f
      if getcwd then buf = ffi.new("char[?]", 4096) end
    end
    if not getcwd then return nil end
    local p = getcwd(buf, 4096)
    if p == nil then return nil end
    return ffi.string(p)
  end
end

-- A path made absolute (against `dir`) with its "." and ".." segments and repeated slashes resolved.
local function normal(path, dir)
  if path:sub(1, 1) ~= "/" then
    if not dir then return nil end
    path = dir .. "/" .. path
  end
  local parts = {}
  for seg in path:gmatch("[^/]+") do
    if seg == ".." then
      if #parts > 0 then parts[#parts] = nil end
    elseif seg ~= "." then
      parts[#parts + 1] = seg
    end
  end
  return "/" .. concat(parts, "/")
end

-- Whether `path` is absolute and normal() would leave it as it is (no ".", ".." or empty segment).
local function is_normal(path)
  if path:byte(1) ~= 47 or path:byte(-1) == 47 then return false end
  -- Most paths hold no "/." and no "//": two finds decide (each string call costs the interpreter alike).
  if not path:find("/.", 1, true) then return not path:find("//", 1, true) end
  return not path:find("//", 1, true) and not path:find("/./", 1, true) and not path:find("/../", 1, true)
    and path:sub(-2) ~= "/." and path:sub(-3) ~= "/.."
end

-- package.path's templates as lua_file_name reads them, worked out again when package.path changes:
-- { template } each, and for one of the form DIR/?REST (one `?`, REST normal) also `head` (DIR/ as written)
-- and `rest`. Such a template gives head..P..rest for a name whose path is P ("pl/utils"), and that file
-- made normal is norm..P..rest, `norm` being DIR made absolute and normal with a final "/" (a module name's
-- segments are never empty, "." or ".."), worked out again when the working directory changes (nil when it
-- cannot be made). `relative`: whether a template depends on the working directory.
local path_templates
do
  local templates_for = { path = nil, list = nil }
  function path_templates()
    local path = package.path
    local t = templates_for
    if t.path == path then return t.list end
    local list = { relative = false, dir = false }
    for template in path:gmatch("[^;]+") do
      local e = { template = template }
      local head, rest = template:match("^(.*/)%?([^?]*)$")
      if head and head ~= "/" and not head:find("?", 1, true) and (rest == "" or is_normal("/x" .. rest)) then
        e.head, e.rest = head, rest
        e.fixed = #head + #rest -- the length of a file it names, less the name's path
        e.dotdot = ("/" .. head):find("/../", 1, true) ~= nil
      end
      if template:byte(1) ~= 47 then list.relative = true end
      list[#list + 1] = e
    end
    t.path, t.list = path, list
    return list
  end
end

local function set_norms(list, dir)
  if list.dir == dir then return end
  for _, e in ipairs(list) do
    if e.head then
      local n = normal(e.head, dir)
      e.norm = (n and n ~= "/") and n .. "/" or nil
      e.norm_fixed = e.norm and #e.norm + #e.rest
    end
  end
  list.dir = dir
end

-- Whether `s` is `a`..`b`..`c` (no string made).
local function is_joined(s, a, b, c)
  local na, nb = #a, #b
  return #s == na + nb + #c and s:find(a, 1, true) == 1 and s:find(b, na + 1, true) == na + 1
    and (c == "" or s:find(c, na + nb + 1, true) == na + nb + 1)
end

-- The file name Lua's own searcher would use for the file importkit found: the first package.path template
-- that names the same file, filled with `name` ("./mods/x.lua" where importkit says "/abs/./mods/x.lua");
-- else the file. (No string is made for a template that does not name it.)
function lua_file_name(name, file, here)
  if ffi.os == "Windows" or type(package.path) ~= "string" then return file end
  local filled = name:gsub("%.", "/")
  local list = path_templates()
  local clean_file = is_normal(file)
  local dir
  if list.relative or not clean_file then
    -- `here`: the working directory the caller read for this search (false: it could not be read)
    if here == nil then dir = cwd() else dir = here or nil end
  end
  set_norms(list, dir or nil)
  local want = clean_file and file or normal(file, dir)
  -- The lengths of the file and of the name's path first: most templates are told apart by them alone.
  local file_len, want_len, filled_len = #file, want and #want, #filled
  for i, e in ipairs(list) do
    if e.head then
      local n = e.norm
      if file_len == e.fixed + filled_len and is_joined(file, e.head, filled, e.rest) then
        return e.head .. filled .. e.rest, i
      end
      if want and n and want_len == e.norm_fixed + filled_len and not (want == file and n == e.head)
        and is_joined(want, n, filled, e.rest) then
        -- Equal once "." and ".." are taken out as text; through a symbolic link ".." is not that: with ".."
        -- in the template the file it names must open (as Lua's searcher opens it).
        local candidate = e.head .. filled .. e.rest
        if not e.dotdot then return candidate, i end
        local f = io.open(candidate, "rb")
        if f then
          f:close()
          return candidate, i
        end
      end
    else
      local candidate = e.template:gsub("%?", (filled:gsub("%%", "%%%%")))
      if candidate == file then return candidate, i end
      if want and normal(candidate, dir) == want then return candidate, i end
    end
  end
  return file
end

-- What executing `name` would get (ik_runtime_get_code), executing nothing: the spec table, the bytes (bytecode
-- for this runtime's cache tag when `is_code`, else the source; nil for a file Lua reads itself, a native),
-- and is_code; nil and the error when nothing finds it. `whole`: the name found whole, as Lua's searcher
-- finds it (`a/b.lua` without `a/init.lua`). A file is read by importkit only where there may be code for it
-- (compiling, or a code cache directory); else Lua reads it, as its own searcher does.
local get_code
do
  -- What require's searcher needs of a spec with a file, read cheaply (one call, one string): { name, kind, file,
  -- is_package, lean = true } (no origin: what reads one of these takes the file); nil for a spec without a
  -- file (read it whole).
  local function read_spec_lean(spec, name)
    local f = spec_fields
    if lib.ik_spec_get_fields(spec, f, nil) ~= IK_OK then return nil end
    local file = f.file
    if file == nil then return nil end
    file = ffi.string(file)
    return { name = name, kind = KIND_NAMES[f.kind] or "unknown", file = file, is_package = f.is_package, lean = true }
  end

  -- `lean`: the spec read as require's searcher needs it (read_spec_lean), where it has a file.
  function get_code(rt, name, whole, quiet, lean)
    local flags = 0
    if whole then flags = flags + lib.IK_CODE_WHOLE_NAME end
    if rt._compile or rt._code_dir then
      flags = flags + lib.IK_CODE_FILES
      ensure_executor(rt) -- (its compile)
    end
    local p = enter(rt)
    local st
    if quiet then
      -- Asked for no error object (a miss then costs no explaining pass): nil for a miss; any other failure
      -- asked again, for its error.
      st = lib.ik_runtime_get_code(p, name, #name, flags, out_spec, out_resource, out_bool, nil)
      leave(rt)
      if st == IK_ERR_NOT_FOUND then return nil end
      if st ~= IK_OK then return get_code(rt, name, whole) end
    else
      out_err[0] = nil
      st = lib.ik_runtime_get_code(p, name, #name, flags, out_spec, out_resource, out_bool, out_err)
      leave(rt)
      if st ~= IK_OK then
        local err = error_from(tonumber(st), out_err[0], rt)
        if err.status == IK_ERR_NOT_FOUND then return nil, err end
        error(err)
      end
    end
    local spec, r = out_spec[0], out_resource[0]
    local ok, s = true, lean and read_spec_lean(spec, name)
    if not s then ok, s = pcall(read_spec, spec) end
    lib.ik_spec_free(spec)
    local bytes, is_code
    if r ~= nil then
      is_code = out_bool[0]
      local data = lib.ik_resource_data(r, len_buf)
      bytes = ffi.string(data, len_buf[0])
      lib.ik_resource_free(r)
    end
    if not ok then error(s, 0) end
    return s, bytes, is_code
  end
  jit_off(get_code)
end

-- The chunk of a source module found for require, loaded as Lua's searcher loads it: fn, or nil and the
-- message; and the file name (or origin) it was loaded from. A file is `loadfile`d under the name the
-- package.path template gives it, unless importkit read it (then its bytes, text or bytecode, load under
-- that name, as loadfile would); a module of a mount or a bundle loads under its origin.
local function lua_chunk(name, spec, bytes, is_code, file_name)
  local where = file_name or spec.file and (lua_file_name(name, spec.file)) or spec.origin
  if bytes then
    local fn, msg = load_chunk(bytes, "@" .. where, is_code, nil, "bt")
    return fn, msg, where
  elseif spec.file then
    local fn, msg = loadfile(where)
    return fn, msg, where
  end
  return nil, "importkit: no source for " .. spec.origin, where
end

-- package.path's templates against install()'s search directories (`rt._lua_dirs`, made from package.path's
-- "?.lua" templates when install() was called), worked out again when package.path changes: `templates` in
-- order, and `pos[i]`, where importkit's search reaches template i (directory by directory, `x.lua` then
-- `x/init.lua` in each), or nil for a template importkit does not search.
local function lua_order(rt)
  local path = package.path
  local cached = rt._lua_order
  if cached and cached.path == path then return cached end
  local index = {}
  for i, dir in ipairs(rt._lua_dirs) do index[dir] = i end
  local templates, pos = {}, {}
  for template in path:gmatch("[^;]+") do
    local i = #templates + 1
    templates[i] = template
    local dir = template:match("^(.*)/%?%.lua$") or (template == "?.lua" and ".")
    if dir and index[dir] then
      pos[i] = index[dir] * 2
    else
      dir = template:match("^(.*)/%?/init%.lua$")
      if dir and index[dir] then pos[i] = index[dir] * 2 + 1 end
    end
  end
  rt._lua_order = { path = path, templates = templates, pos = pos }
  return rt._lua_order
end

-- Whether Lua's own searcher would take another file for `name` than the one importkit found (`file`, found
-- through package.path template `k`; nil: no template names it): a template before `k` that importkit does
-- not search, or searches after it, names a file that exists (package.searchpath opens it, as Lua does).
-- Then install()'s searcher steps aside and LuaJIT's searchers load the module, as they would without it.
local function lua_would_differ(rt, name, k)
  if not rt._lua_dirs then return false end -- directories the program gave: importkit's order is theirs
  if not k then return true end
  local order = lua_order(rt)
  local at = order.pos[k]
  if not at then return true end
  for j = 1, k - 1 do
    local p = order.pos[j]
    if (p == nil or p > at) and package.searchpath(name, order.templates[j]) then return true end
  end
  return false
end

-- Whether a template of package.path that importkit does not search names a file for `name` (Lua's file
-- searcher, which comes before the C searchers, would load it).
local function lua_elsewhere(rt, name)
  if not rt._lua_dirs then return false end
  local order = lua_order(rt)
  for j, template in ipairs(order.templates) do
    if order.pos[j] == nil and package.searchpath(name, template) then return true end
  end
  return false
end

-- Whether Lua's C searcher would open another library for `name` than importkit's: a cpath template that
-- importkit does not search (`./lib/lib?.so`), before the first of importkit's that has the module, gives a
-- file (package.searchpath opens it, as Lua's searcher does). Then LuaJIT's own C searchers load it.
local function c_elsewhere(rt, name, memo)
  local order = rt._cpath_order
  if not order then return false end
  for _, e in ipairs(order) do
    if e.t then
      if c_lookup(rt, name, e.t, true, memo) then return false end
    elseif package.searchpath(name, e.template) then
      return true
    end
  end
  return false
end

local function lua_loader(rt, o, name, spec, bytes, is_code)
  if spec.kind ~= "source" then
    -- A native (or another host-made module): importkit makes it.
    return function()
      local ok, v = pcall(do_import, rt, name, nil)
      if ok then return v end
      last_error = v
      if M.is_error(v) then
        if v.cause ~= nil then error(v.cause, 0) end
        error(format("error loading module '%s':\n\timportkit: %s", name, tostring(v.message)), 0)
      end
      error(v, 0)
    end
  end
  local file_name, k
  if spec.file then
    file_name, k = lua_file_name(name, spec.file, rt._relative_dirs and rt._searched_in or nil)
    if not bytes and lua_would_differ(rt, name, k) then return nil end
  end
  local fn, msg, where = lua_chunk(name, spec, bytes, is_code, file_name)
  if not fn then
    last_error = new_error(IK_ERR_EXEC, tostring(msg), { module = name })
    error(format("error loading module '%s' from file '%s':\n\t%s", name, where, tostring(msg)), 0)
  end
  local run, env = fn, nil
  if o.environments == "module" then
    env = setmetatable({ _NAME = name, _SPEC = spec, import = make_env_import(rt, spec.parent) }, rt._envmeta)
    setfenv(fn, env)
    run = function(...)
      local value = fn(...)
      if value == nil then return env end
      return value
    end
  elseif o.globals then
    setfenv(fn, o.globals)
  end
  -- Remembered for rt:watch() and rt:reload (a module of a file; a mounted one is never watched).
  rt._lua_modules[name] = { spec = spec, env = env }
  if not (rt._watch and spec.file) then return run end
  -- While watching: the edges of what the chunk requires are recorded, and its file watched once it ran.
  -- (The chunk runs under pcall here: an error it raises is raised again as it is, from this function.)
  return function(...)
    local saved = begin_load(rt, name)
    local ok, value = pcall(run, ...)
    end_load(rt, name, saved, ok)
    if not ok then error(value, 0) end
    watch_module(rt, name, spec, "lua")
    return value
  end
end

-- The templates of a package.cpath string that importkit searches, in order: those of the form DIR/?SUFFIX
-- (and ?SUFFIX, the current directory) with `?` only there; `{ template, dir, suffix }` each. Others (such as
-- ".../loadall.so") are left to LuaJIT's own C searchers, which come after importkit's.
function c_templates(cpath)
  local out, seen = {}, {}
  for template in cpath:gmatch("[^;]+") do
    local dir, suffix = template:match("^(.*)/%?(%.[^/?]+)$")
    if not dir and template:match("^%?%.[^/?]+$") then dir, suffix = ".", template:sub(2) end
    if dir and dir ~= "" and not dir:find("?", 1, true) and #suffix <= 64 and not seen[template] then
      seen[template] = true
      out[#out + 1] = { template = template, dir = dir, suffix = suffix }
    end
  end
  return out
end

-- The name of the C function that opens module `name` (Lua 5.1's rule, which LuaJIT keeps): the name up to
-- and including its first '-' dropped, dots made underscores, after "luaopen_" ("a.v1-b.c" gives luaopen_b_c).
function luaopen_name(name)
  local tail = name:gsub("^[^-]*%-", "")
  return "luaopen_" .. tail:gsub("%.", "_")
end

-- The finder of C modules with `suffix` (".so") of runtime `rt`: a second runtime whose profile has that
-- suffix alone as extension files, no sources (one per suffix, so that a template finds only its own
-- files); made on the first search for such a module.
local function c_finder(rt, suffix)
  rt._c = rt._c or {}
  local c = rt._c[suffix]
  if c then return c end
  c = new_runtime({ c_suffixes = { suffix }, lazy_executor = true }) -- (it only finds)
  enable_filesystem(c)
  rt._c[suffix] = c
  return c
end

-- The C module file for `name` in the directory of cpath template `t`, as importkit's finder of C modules
-- (an extension kind) finds it: the file name as the template gives it ("./a/b.so"), and the spec; or nil
-- and the attempt to record.
-- The spec of `name` the path finder of runtime `c` finds in `entries` (a list of directories; nil: the search
-- path), asked for no error object (so a miss costs the library no second, explaining pass): the spec table,
-- nil when there is none, or false when the search failed otherwise (the caller asks again for the error).
-- `entries` may be one entry (a string).
local one_entry -- (a `const char *[1]` for one entry, made once)
function quiet_path_find(c, name, entries)
  local array, count = nil, 0
  if type(entries) == "string" then
    one_entry = one_entry or ffi.new("const char *[1]")
    one_entry[0] = entries -- (`entries` holds the string for the call)
    array, count = one_entry, 1
  elseif entries then
    count = #entries
    array = ffi.new("const char *[?]", math.max(count, 1))
    for i = 1, count do array[i - 1] = entries[i] end
  end
  local p = enter(c)
  local st = lib.ik_runtime_path_find_spec(p, name, array, count, out_spec, nil)
  local spec = out_spec[0]
  leave(c)
  if st == IK_ERR_NOT_FOUND then return nil end
  if st ~= IK_OK then return false end
  local ok, sp = pcall(read_spec, spec)
  lib.ik_spec_free(spec)
  if not ok then return false end
  return sp
end
jit_off(quiet_path_find)

-- `quiet`: a miss gives nil alone, without the attempt (made by asking again when an error needs it).
-- `memo` (quiet only): the lookups of one search (template NUL name -> { file, spec } or false), so that
-- one search asks the library once per template and name.
function c_lookup(rt, name, t, quiet, memo)
  if memo then
    local key = t.template .. "\0" .. name
    local hit = memo[key]
    if hit == nil then
      local file, spec = c_lookup(rt, name, t, true)
      hit = file and { file, spec } or false
      memo[key] = hit
    end
    if hit then return hit[1], hit[2] end
    return nil
  end
  local rel = name:gsub("%.", "/")
  local parent_rel = rel:match("^(.*)/[^/]*$")
  local entry = parent_rel and (t.dir .. "/" .. parent_rel) or t.dir
  local spec, err
  if quiet then
    spec = quiet_path_find(c_finder(rt, t.suffix), name, entry)
    if spec == nil then return nil end
  end
  if not spec then spec, err = c_finder(rt, t.suffix):path_find(name, { entry }) end
  local filled = t.template:gsub("%?", (rel:gsub("%%", "%%%%")))
  if spec and not spec.is_package and spec.kind == "extension" and spec.file
    and spec.file:sub(-#t.suffix) == t.suffix then
    return filled, spec
  end
  if quiet then return nil end
  -- A plain miss reads as Lua's line; a refusal (confinement, an unreadable directory) keeps importkit's words.
  local reason = format("no file '%s'", filled)
  for _, a in ipairs(err and err.attempts or {}) do
    if not (a.reason:find("^no ") or a.reason:find("^not a directory")) then reason = format("%s (%s: %s)", reason, a.place, a.reason) end
  end
  return nil, { place = "cpath", reason = reason }
end

-- The first library along `rt`'s cpath templates for `name`, as Lua's two C searchers look (for the host
-- finder of C modules, importkit's semantics): `DIR/a/b.so`; then, for a dotted name, the first library of
-- its root (`DIR/a.so`), which must hold luaopen_a_b (looked up now, as Lua's all-in-one loader does; a
-- library that does not open raises). Returns the file (the template filled in) and its spec; or nil, the
-- places tried kept in `tried[name]` for the error.
function c_find_module(rt, name, lua_first)
  for _, t in ipairs(rt._ctemplates) do
    local file, found = c_lookup(rt, name, t, true)
    if file then
      if lua_first and lua_first() then return nil end -- a Lua file comes first
      return file, found
    end
  end
  local root = name:match("^([^.]+)%.")
  if not root then return nil end
  for _, t in ipairs(rt._ctemplates) do
    local file, found = c_lookup(rt, root, t, true)
    if file then
      -- A Lua file comes first, and the root library is then not opened.
      if lua_first and lua_first() then return nil end
      local f, msg, where = package.loadlib(file, luaopen_name(name))
      if f then return file, found end
      if where ~= "init" then
        error(format("C module '%s': cannot open library '%s': %s", name, file, tostring(msg)), 0)
      end
      return nil
    end
  end
  return nil
end

-- The places the finder of C modules tried for `name` along the first `upto` templates (all: nil), appended
-- to `attempts` as c_lookup gives them: one search of the library per suffix, along the templates' directories
-- at once (its attempts come one per entry, in order); a template at a time where that does not answer.
local function c_reasons(rt, name, attempts, upto)
  local templates = rt._ctemplates
  upto = upto or #templates
  local rel = name:gsub("%.", "/")
  local parent_rel = rel:match("^(.*)/[^/]*$")
  local groups, order = {}, {}
  for i = 1, upto do
    local t = templates[i]
    local g = groups[t.suffix]
    if not g then
      g = { entries = {}, at = {} }
      groups[t.suffix] = g
      order[#order + 1] = t.suffix
    end
    g.entries[#g.entries + 1] = parent_rel and (t.dir .. "/" .. parent_rel) or t.dir
    g.at[#g.at + 1] = i
  end
  local reasons = {}
  for _, suffix in ipairs(order) do
    local g = groups[suffix]
    local spec, err = c_finder(rt, suffix):path_find(name, g.entries)
    if spec or not err or #err.attempts ~= #g.entries then
      reasons = nil -- found meanwhile, or attempts that do not map to the entries: a template at a time
      break
    end
    for k, a in ipairs(err.attempts) do
      local t = templates[g.at[k]]
      local reason = format("no file '%s'", (t.template:gsub("%?", (rel:gsub("%%", "%%%%")))))
      if not (a.reason:find("^no ") or a.reason:find("^not a directory")) then
        reason = format("%s (%s: %s)", reason, a.place, a.reason)
      end
      reasons[g.at[k]] = { place = "cpath", reason = reason }
    end
  end
  for i = 1, upto do
    local r = reasons and reasons[i]
    if not r then
      local file
      file, r = c_lookup(rt, name, templates[i])
      if file then r = nil end
    end
    if r then attempts[#attempts + 1] = r end
  end
  return attempts
end

-- The places the finder of C modules tried for `name` (with their reasons, as an error shows them): its
-- own name along every template, then, for a dotted name, its root's, up to the template whose root library
-- was found, or along every template.
function c_attempts(rt, name)
  local attempts = c_reasons(rt, name, {})
  local root = name:match("^([^.]+)%.")
  if root then
    for i, t in ipairs(rt._ctemplates) do
      local file = c_lookup(rt, root, t, true)
      if file then
        c_reasons(rt, root, attempts, i - 1)
        attempts[#attempts + 1] = { place = "cpath", reason = format("no module '%s' in file '%s'", name, file) }
        return attempts
      end
    end
    c_reasons(rt, root, attempts)
  end
  return attempts
end

-- Puts the host finder of C modules last on `rt`'s meta path (after its mounts and bundles, before the
-- path finder), or moves it there again after a mount.
function add_c_finder(rt)
  if rt._cfinder_id then
    call(rt, "ik_runtime_remove_finder", rt._cfinder_id)
    rt._cfinder_id = nil
  end
  local vt = ffi.new(declared "ik_finder")
  vt.size = ffi.sizeof(declared "ik_finder")
  vt.name = "cpath"
  vt.userdata = ffi.cast("void *", rt._id)
  vt.find = find_callback()
  local p = enter(rt)
  out_err[0] = nil
  local st = lib.ik_runtime_add_finder(p, vt, ffi.cast("size_t", -1), out_u64, out_err)
  local id, e = out_u64[0], out_err[0]
  leave(rt)
  check(rt, st, e)
  rt._cfinder_id = id
end
jit_off(add_c_finder)

-- Lua's two C searchers through importkit, after the Lua files: `name` as a C module along the cpath
-- templates (its luaopen_ function), then, for a dotted name `a.b`, the first library of its root `a` holding
-- luaopen_a_b (the all-in-one loader). Returns the loader, or nil, appending the places tried to `err`. A
-- library that does not open raises Lua's "error loading module"; one without the function is left to
-- LuaJIT's own searchers (they come next: they look for it again, and for embedded bytecode, luaJIT_BC_).
-- `memo`: the lookups this search made already (c_lookup).
local function c_search(rt, name, err, memo)
  local function failed(file, msg)
    last_error = new_error(IK_ERR_EXEC, tostring(msg), { module = name })
    error(format("error loading module '%s' from file '%s':\n\t%s", name, file, tostring(msg)), 0)
  end
  local attempts = err and err.attempts -- nil: quiet (no attempts, no error objects asked for)
  memo = memo or {}
  rt._c_loaded = rt._c_loaded or {}
  -- The library for the whole name, then the all-in-one library of its root: where one is found, the places
  -- before it are the attempts.
  local function open(lookup, i, file, found, why)
    local f, msg, where = package.loadlib(file, luaopen_name(name))
    if f then
      rt._c_loaded[name] = file
      return f, found
    end
    if where ~= "init" then failed(file, msg) end
    if attempts then
      c_reasons(rt, lookup, attempts, i - 1)
      attempts[#attempts + 1] = { place = "cpath", reason = why(file) }
    end
    return nil
  end
  for i, t in ipairs(rt._ctemplates) do
    local file, found = c_lookup(rt, name, t, true, memo)
    if file then
      return open(name, i, file, found, function(f) return format("no %s in file '%s'", luaopen_name(name), f) end)
    end
  end
  if attempts then c_reasons(rt, name, attempts) end
  local root = name:match("^([^.]+)%.")
  if not root then return nil end
  for i, t in ipairs(rt._ctemplates) do
    local file, found = c_lookup(rt, root, t, true, memo)
    if file then
      return open(root, i, file, found, function(f) return format("no module '%s' in file '%s'", name, f) end)
    end
  end
  if attempts then c_reasons(rt, root, attempts) end
  return nil
end

-- The searcher of `install()`: importkit finds (its mounts, natives, search path, policy and caches), and the
-- chunk is loaded and run as Lua's own searcher and require do it.
local function lua_searcher(rt, o)
  -- Why `name` is not found (or what failed), with every place tried: the search again, asking for error
  -- objects (it finds the module if it appeared meanwhile).
  local function explained(name, memo)
    -- A dotted name found whole, as Lua's searcher finds it (`a/b/c.lua` or `a/b/c/init.lua` in each mount,
    -- bundle and search directory in turn, whether or not `a` and `a.b` exist), in Lua's order.
    local ok, spec, bytes, is_code = pcall(get_code, rt, name, name:find(".", 1, true) ~= nil)
    if not ok then
      local err = spec
      last_error = err
      if M.is_error(err) then
        if err.status == IK_ERR_INVALID_NAME or err.status == IK_ERR_INVALID_ARGUMENT then
          return "\n\timportkit: " .. err.message
        end
        if err.status == IK_ERR_DENIED then
          -- Raised at once: the file searchers must not load what the policy denies.
          error(format("module '%s' not found:\n\timportkit: %s", name, err.message), 0)
        end
        error(format("error loading module '%s':\n\timportkit: %s", name, err.message), 0)
      end
      error(err, 0)
    end
    if not spec then
      local err = bytes
      last_error = err
      -- Not a Lua file: a C module along package.cpath (loaded through package.loadlib, as Lua does).
      if rt._ctemplates then
        local loader = c_search(rt, name, err, memo)
        if loader then return loader end
      end
      return attempt_lines(err)
    end
    return lua_loader(rt, o, name, spec, bytes, is_code)
  end
  -- First without error objects (a name found elsewhere, a C module, costs no explaining pass); explained
  -- only when nothing is found.
  local function searcher(name)
    if type(name) ~= "string" then return nil end
    if rt:is_closed() then return "\n\timportkit: the installed runtime is closed" end
    if rt._relative_dirs then
      -- Lua resolves "./?.lua" at each fopen; importkit resolves a relative directory when it first searches
      -- it: when the working directory changed since the last search (lfs.chdir), that is done again.
      local here = cwd() or false
      if here ~= rt._searched_in then
        if rt._searched_in ~= nil then rt:invalidate() end
        rt._searched_in = here
      end
    end
    -- The spec read lean, unless a module's environment (_SPEC) or the watcher wants it whole.
    local lean = o.environments ~= "module" and not rt._watch
    local ok, spec, bytes, is_code = pcall(get_code, rt, name, name:find(".", 1, true) ~= nil, true, lean)
    if ok and spec then return lua_loader(rt, o, name, spec, bytes, is_code) end
    if ok and lua_elsewhere(rt, name) then return nil end -- a Lua file comes first: Lua's searcher loads it
    local memo -- the C lookups made (c_lookup), for the explaining pass
    if ok and rt._ctemplates then
      memo = {}
      if c_elsewhere(rt, name, memo) then return nil end -- Lua's C searcher opens another library first
      local loader = c_search(rt, name, nil, memo)
      if loader then return loader end
    end
    return explained(name, memo)
  end
  return searcher
end

--- Installs an importkit searcher into package.loaders (after the preload searcher, ahead of the file
--- searchers) with a new runtime made from `opts`; returns that runtime.
function M.install(opts)
  local ok, o = pcall(check_options, opts, "importkit.install")
  if not ok then error(o, 2) end
  if installed then
    error("importkit.install: importkit is installed already (importkit.uninstall() first)", 2)
  end
  local loaders = loaders_table()
  if not o.path and not o.no_path and M.has_filesystem() then
    -- Default search path: the directories of package.path's "?.lua" templates.
    local dirs, seen = {}, {}
    for template in package.path:gmatch("[^;]+") do
      local dir = template:match("^(.*)/%?%.lua$") or (template == "?.lua" and ".")
      if dir and dir ~= "" and not dir:find("?", 1, true) and not seen[dir] then
        seen[dir] = true
        dirs[#dirs + 1] = dir
      end
    end
    o.path = dirs
    o.lua_dirs = dirs
  end
  -- (A bundle's bytecode reaches a runtime with an executor that takes code: not lazy then.)
  o.lazy_executor = not o.parents and not o.bundles
  local rt = new_runtime(o)
  rt._lua_dirs = o.lua_dirs
  for _, dir in ipairs(o.path or {}) do
    if dir:sub(1, 1) ~= "/" then rt._relative_dirs = true end
  end
  rt._installed = true
  rt._sync_loaded = o.parents
  if not o.parents then rt._lua_opts = o end
  installed = rt
  installed_searcher = o.parents and importkit_searcher(rt) or lua_searcher(rt, o)
  table.insert(loaders, math.min(2, #loaders + 1), installed_searcher)
  return rt
end

--- Removes the searcher `install` put in package.loaders; returns the runtime it used (still open), or nil.
function M.uninstall()
  local rt = installed
  if not rt then return nil end
  local loaders = loaders_table()
  for i = #loaders, 1, -1 do
    if loaders[i] == installed_searcher then table.remove(loaders, i) end
  end
  rt._installed = false
  rt._sync_loaded = false
  installed, installed_searcher = nil, nil
  return rt
end

--- The installed runtime, or nil.
function M.installed()
  return installed
end

---------------------------------------------------------------------------------------------------------------
-- Building bundles: importkit.bundle{}
---------------------------------------------------------------------------------------------------------------

local BUILD_OPTIONS = { out = true, dirs = true, files = true, compile = true, strip = true, compress = true,
  exclude = true }
local BUILD_OPTION_LIST = "compile, compress, dirs, exclude, files, out, strip"

-- Calls `lib[fname](builder, ...)` with the out_err buffer last and raises on failure.
local function build_call(fname, ...)
  out_err[0] = nil
  local st = lib[fname](...)
  if st ~= IK_OK then error(error_from(tonumber(st), out_err[0])) end
end

-- The bundle's bytes, as built now.
local function built_bytes(b)
  build_call("ik_bundle_builder_build", b, out_resource, out_err)
  local r = out_resource[0]
  local data = lib.ik_resource_data(r, len_buf)
  local ok, bytes = pcall(ffi.string, data, len_buf[0])
  lib.ik_resource_free(r)
  if not ok then error(bytes, 0) end
  return bytes
end

-- Each source module of builder `b` gets its bytecode for this LuaJIT's cache tag: the bundle as built so far
-- is mounted in a runtime that compiles (option `bytecode`), and each module's code is what importkit gives
-- that runtime for it (ik_runtime_get_code: the code cache's compile hook, string.dump). Returns how many.
local function add_bytecode(b, strip)
  build_call("ik_bundle_builder_modules", b, lib.IK_KIND_SOURCE, out_list, out_err)
  local list = out_list[0]
  local names = {}
  for i = 0, tonumber(lib.ik_name_list_count(list)) - 1 do names[#names + 1] = text(lib.ik_name_list_get, list, i) end
  lib.ik_name_list_free(list)
  if #names == 0 then return 0 end
  local ok, o = pcall(check_options, { bytecode = true, strip = strip }, "importkit.runtime")
  if not ok then error(o, 0) end
  local scratch = new_runtime(o)
  local done, err = pcall(function()
    -- Mounted under a point of its own, so that the root package ("") is a module too.
    scratch:mount_bundle(built_bytes(b), { point = "bundle" })
    for _, name in ipairs(names) do
      local spec, code, is_code = get_code(scratch, name == "" and "bundle" or "bundle." .. name, true)
      local path = spec and spec.origin:gsub("^bundle:/bundle/", "") or name
      if not (spec and is_code) then
        local _, why = load(code or "", "@" .. path, "t")
        error(new_error(IK_ERR_EXEC, format("importkit.bundle: module '%s' (%s) does not compile: %s", name, path,
          tostring(why or "no code")), { module = name }))
      end
      build_call("ik_bundle_builder_add_code", b, name, M.cache_tag, ffi.cast("const uint8_t *", code), #code,
        out_err)
    end
  end)
  scratch:close()
  if not done then error(err, 0) end
  return #names
end

--- Builds a bundle (docs/LUA.md, Bundles): the files of each directory of `dirs` (walked as `importkit
--- bundle build` walks one; names matching an `exclude` pattern left out) and of `files` (relative path ->
--- bytes; a nested table is a directory), its modules told apart under Lua's conventions; with `compile`,
--- each Lua source module's bytecode for this LuaJIT (`strip`: without debug information), so the bundle
--- loads bytecode, not source; `compress`: deflated blobs. Written atomically to `out`, or, without `out`,
--- given back as bytes. Returns { out =, bytes =, size =, sha256 = (of the file), modules =, compiled = }.
function M.bundle(opts)
  if type(opts) ~= "table" then argerror(1, "bundle", "table", opts, 2) end
  for k in pairs(opts) do
    if not BUILD_OPTIONS[k] then
      error(format("importkit.bundle: unknown option '%s' (expected one of: %s)", tostring(k), BUILD_OPTION_LIST), 2)
    end
  end
  local ok, dirs = pcall(function()
    if opts.dirs == nil then return {} end
    return string_list(opts.dirs, "dirs", "importkit.bundle")
  end)
  if not ok then error(dirs, 2) end
  local okx, excludes = pcall(function()
    if opts.exclude == nil then return {} end
    return string_list(opts.exclude, "exclude", "importkit.bundle")
  end)
  if not okx then error(excludes, 2) end
  for _, k in ipairs({ "compile", "strip", "compress" }) do
    if opts[k] ~= nil and type(opts[k]) ~= "boolean" then
      error(format("importkit.bundle: option '%s' must be a boolean, got %s", k, type(opts[k])), 2)
    end
  end
  if opts.out ~= nil and type(opts.out) ~= "string" then
    error(format("importkit.bundle: option 'out' must be a path, got %s", type(opts.out)), 2)
  end
  if opts.files ~= nil and type(opts.files) ~= "table" then
    error(format("importkit.bundle: option 'files' must be a table of path -> bytes, got %s", type(opts.files)), 2)
  end
  if #dirs == 0 and opts.files == nil then error("importkit.bundle: give 'dirs' or 'files' (or both)", 2) end
  load_library()
  local out = opts.out and cstring(opts.out, "out")
  if out then
    -- The bundle is never read as one of its own sources.
    local here = cwd()
    local target = normal(out, here)
    for _, dir in ipairs(dirs) do
      local d = normal(dir, here)
      if target and d and (target:sub(1, #d + 1) == d .. "/" or d == "/") then
        error(format("importkit.bundle: the output '%s' is inside the source directory '%s': write it elsewhere",
          out, dir), 2)
      end
    end
  end
  local profile = lua_profile()
  local made = ffi.new("ik_bundle_builder *[1]")
  out_err[0] = nil
  local st = lib.ik_bundle_builder_new(profile, made, out_err)
  lib.ik_profile_free(profile)
  if st ~= IK_OK then error(error_from(tonumber(st), out_err[0])) end
  local b = ffi.gc(made[0], lib.ik_bundle_builder_free)
  local array = ffi.new("const char *[?]", math.max(#excludes, 1))
  for i, x in ipairs(excludes) do array[i - 1] = cstring(x, "exclude pattern") end
  for _, dir in ipairs(dirs) do
    build_call("ik_bundle_builder_add_dir", b, cstring(dir, "directory"), array, #excludes, out_err)
  end
  if opts.files then
    local files, list = file_array(opts.files, "importkit.bundle files", 3)
    build_call("ik_bundle_builder_add_tree", b, files, #list, out_err)
  end
  build_call("ik_bundle_builder_set_compress", b, opts.compress == true, out_err)
  local info = { out = out, compiled = 0 }
  build_call("ik_bundle_builder_modules", b, lib.IK_KIND_SOURCE, out_list, out_err)
  info.modules = tonumber(lib.ik_name_list_count(out_list[0]))
  lib.ik_name_list_free(out_list[0])
  if opts.compile then info.compiled = add_bytecode(b, opts.strip == true) end
  if out then
    build_call("ik_bundle_builder_write", b, out, out_err)
    info.sha256 = M.verify_bundle(out)
    local f = assert(io.open(out, "rb"))
    info.size = f:seek("end")
    f:close()
  else
    info.bytes = built_bytes(b)
    info.size = #info.bytes
  end
  return info
end
jit_off(M.bundle)
jit_off(add_bytecode)

---------------------------------------------------------------------------------------------------------------
-- Hot reload: rt:watch(), rt:poll_changes()
---------------------------------------------------------------------------------------------------------------

-- Reloads a module that require loaded through install() with Lua's semantics (it is in package.loaded, not
-- in the runtime's table): found again, its chunk loaded and run as the searcher runs it (in the same
-- environment with environments = "module"), and package.loaded[name] set to its value. A failure leaves
-- package.loaded as it was and raises what the chunk raised (or Lua's loading message).
function reload_lua(rt, name, keep)
  local o = rt._lua_opts
  local spec, bytes, is_code = get_code(rt, name)
  local err = bytes
  if not spec and name:find(".", 1, true) then spec, bytes, is_code = get_code(rt, name, true) end
  if not spec then error(err, 0) end
  if spec.kind ~= "source" then
    error(new_error(IK_ERR_IMPORT, format("module '%s' is no Lua source now (%s)", name, spec.origin), { module = name }))
  end
  local fn, msg, where = lua_chunk(name, spec, bytes, is_code)
  if not fn then error(format("error loading module '%s' from file '%s':\n\t%s", name, where, tostring(msg)), 0) end
  local m = rt._lua_modules[name]
  local env = m and m.env
  if o.environments == "module" then
    env = env or setmetatable({ _NAME = name, import = make_env_import(rt, spec.parent) }, rt._envmeta)
    env._SPEC = spec
    setfenv(fn, env)
  elseif o.globals then
    setfenv(fn, o.globals)
  end
  local old = package.loaded[name]
  local saved = begin_load(rt, name)
  local ok, value = pcall(fn, name)
  end_load(rt, name, saved, ok)
  if not ok then
    package.loaded[name] = old
    error(value, 0)
  end
  if value == nil then
    -- As require: what the chunk stored in package.loaded itself, else its environment (per-module
    -- environments) or true.
    local stored = package.loaded[name]
    if stored ~= nil and not rawequal(stored, old) then value = stored else value = env or true end
  end
  if keep then value = keep_identity(old, value) end
  package.loaded[name] = value
  rt._lua_modules[name] = { spec = spec, env = env }
  watch_module(rt, name, spec, "lua")
  return value
end
jit_off(reload_lua)

--- Starts watching the files of the modules loaded from the filesystem (spec `file`), now and later; returns
--- how many are watched. Mounted modules and natives are never watched.
function Runtime:watch()
  if getmetatable(self) ~= Runtime then error("importkit: call runtime methods with ':' (rt:watch()), not '.'", 2) end
  if self:is_closed() then error(closed_error()) end
  local stamp, why = file_stamper()
  if not stamp then error(new_error(IK_ERR_UNAVAILABLE, "watch: " .. why)) end
  self._watch = self._watch or {}
  for h, rec in pairs(self._modules) do
    if rec.executed and rec.spec and rec.spec.file and not self._watch[rec.name] then
      watch_module(self, rec.name, rec.spec, "table", h)
    end
  end
  for name, m in pairs(self._lua_modules) do
    if package.loaded[name] ~= nil and m.spec.file and not self._watch[name] then
      watch_module(self, name, m.spec, "lua")
    end
  end
  local n = 0
  for _ in pairs(self._watch) do n = n + 1 end
  return n
end

--- Stops watching (rt:watch() starts again, from the files as they are then).
function Runtime:unwatch()
  self._watch = nil
end

--- The names of the watched modules, sorted, and a table name -> file.
function Runtime:watched()
  local names, files = {}, {}
  for name, w in pairs(self._watch or {}) do
    names[#names + 1] = name
    files[name] = w.file
  end
  sort(names)
  return names, files
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  sort(keys)
  return keys
end

--- Checks the watched files and reloads the modules whose file changed, dependencies first; returns the list
--- of what changed: { { name =, file =, change = "modified" | "replaced" | "removed", ok =, value =, error = } }.
function Runtime:poll_changes()
  if getmetatable(self) ~= Runtime then error("importkit: call runtime methods with ':' (rt:poll_changes()), not '.'", 2) end
  if self:is_closed() then error(closed_error()) end
  local watch = self._watch
  if not watch then error("importkit: poll_changes: the runtime is not watching (call rt:watch() first)", 2) end
  local changed, removed = {}, {}
  for _, name in ipairs(sorted_keys(watch)) do
    local w = watch[name]
    if w.source == "lua" and package.loaded[name] == nil then
      watch[name] = nil -- taken out of package.loaded: require loads it again, and it is watched from then
    else
      local now = stamp_fn(w.file)
      local before = w.stamp
      if not now then
        if before then removed[#removed + 1] = { name = name, file = w.file, change = "removed" } end
      elseif not before or now.id ~= before.id then
        changed[name] = "replaced"
      elseif now.sec ~= before.sec or now.nsec ~= before.nsec or now.size ~= before.size then
        changed[name] = "modified"
      end
      -- Seen once: a reload that fails is not tried again until the file changes again.
      w.stamp = now
    end
  end
  -- Dependencies first, through modules that did not change too (a depends on b depends on c: c, then a).
  local order, seen = {}, {}
  local function visit(name)
    if seen[name] then return end
    seen[name] = true
    for _, dep in ipairs(sorted_keys(self._deps[name] or {})) do visit(dep) end
    if changed[name] then order[#order + 1] = name end
  end
  for _, name in ipairs(sorted_keys(changed)) do visit(name) end
  if #order > 0 and self._fs then pcall(call, self, "ik_runtime_invalidate") end
  local result = {}
  for _, name in ipairs(order) do
    local w = watch[name]
    local item = { name = name, file = w.file, change = changed[name] }
    local ok, value = pcall(Runtime.reload, self, name, { keep = true })
    item.ok = ok
    if ok then item.value = value else item.error = value end
    result[#result + 1] = item
  end
  for _, item in ipairs(removed) do result[#result + 1] = item end
  return result
end

---------------------------------------------------------------------------------------------------------------
-- The C declarations (include/importkit_cdef.h), carried here so that this file is all a host vendors
---------------------------------------------------------------------------------------------------------------

-- BEGIN GENERATED CDEF (build.rs writes this block from include/importkit.h; do not edit)
CDEF = [[
/* importkit_cdef.h: GENERATED from importkit.h by build.rs for LuaJIT's ffi.cdef; do not edit. */
typedef enum {
    IK_OK = 0,
    IK_ERR_INVALID_ARGUMENT = 1,
    IK_ERR_INVALID_NAME = 2,
    IK_ERR_NOT_FOUND = 3,
    IK_ERR_IMPORT = 4,
    IK_ERR_DENIED = 5,
    IK_ERR_EXEC = 6,
    IK_ERR_HOST = 7,
    IK_ERR_DEADLOCK = 8,
    IK_ERR_EXISTS = 9,
    IK_ERR_INVALID_MOUNT = 10,
    IK_ERR_UNAVAILABLE = 11,
    IK_ERR_INTERNAL = 12,
    IK_ERR_IO = 13,
} ik_status;
typedef enum {
    IK_KIND_SOURCE = 0,
    IK_KIND_BYTECODE = 1,
    IK_KIND_EXTENSION = 2,
    IK_KIND_NATIVE = 3,
    IK_KIND_NAMESPACE = 4,
} ik_kind;
typedef struct ik_spec ik_spec;
typedef struct ik_profile ik_profile;
typedef struct ik_runtime ik_runtime;
typedef struct ik_bundle_builder ik_bundle_builder;
typedef struct ik_bytes ik_bytes;
typedef struct ik_error ik_error;
typedef struct ik_found ik_found;
typedef struct ik_modules ik_modules;
typedef struct ik_name_list ik_name_list;
typedef struct ik_report ik_report;
typedef struct ik_resource ik_resource;
typedef struct ik_strings ik_strings;
typedef void (*ik_release_fn)(void *userdata);
]]
CDEF_PROBED = 14
CDEF_LAZY = {
  IK_VERSION_MAJOR = [[
static const uint32_t IK_VERSION_MAJOR = 0;
]],
  IK_VERSION_MINOR = [[
static const uint32_t IK_VERSION_MINOR = 1;
]],
  IK_VERSION_PATCH = [[
static const uint32_t IK_VERSION_PATCH = 0;
]],
  IK_BUNDLE_READ = [[
static const uint32_t IK_BUNDLE_READ = 4;
]],
  IK_SHA256_LEN = [[
static const uint32_t IK_SHA256_LEN = 32;
]],
  IK_NATIVE_POWERFUL = [[
static const uint32_t IK_NATIVE_POWERFUL = 1;
]],
  IK_NATIVE_PACKAGE = [[
static const uint32_t IK_NATIVE_PACKAGE = 2;
]],
  IK_CODE_WHOLE_NAME = [[
static const uint32_t IK_CODE_WHOLE_NAME = 1;
]],
  IK_CODE_FILES = [[
static const uint32_t IK_CODE_FILES = 2;
]],
  IK_MODULE_INITIALIZING = [[
static const uint32_t IK_MODULE_INITIALIZING = 0;
]],
  IK_MODULE_READY = [[
static const uint32_t IK_MODULE_READY = 1;
]],
  IK_MOUNT_BORROW = [[
static const uint32_t IK_MOUNT_BORROW = 1;
]],
  IK_MOUNT_REPLACE = [[
static const uint32_t IK_MOUNT_REPLACE = 2;
]],
  IK_PROFILE_PYTHON = [[
static const uint32_t IK_PROFILE_PYTHON = 0;
]],
  IK_PROFILE_LUA = [[
static const uint32_t IK_PROFILE_LUA = 1;
]],
  IK_PROFILE_EMPTY = [[
static const uint32_t IK_PROFILE_EMPTY = 2;
]],
  IK_IDENT_PYTHON = [[
static const uint32_t IK_IDENT_PYTHON = 0;
]],
  IK_IDENT_LUA = [[
static const uint32_t IK_IDENT_LUA = 1;
]],
  IK_IDENT_ANY = [[
static const uint32_t IK_IDENT_ANY = 2;
]],
  IK_MAX_NAME_LEN = [[
static const uint32_t IK_MAX_NAME_LEN = 4096;
]],
  IK_MAX_NAME_SEGMENTS = [[
static const uint32_t IK_MAX_NAME_SEGMENTS = 256;
]],
  IK_MAX_PATH_LEN = [[
static const uint32_t IK_MAX_PATH_LEN = 4096;
]],
  IK_MAX_SUFFIX_LEN = [[
static const uint32_t IK_MAX_SUFFIX_LEN = 64;
]],
  IK_MAX_HOST_MESSAGE_LEN = [[
static const uint32_t IK_MAX_HOST_MESSAGE_LEN = 65536;
]],
  IK_MAX_PATH_ENTRIES = [[
static const uint32_t IK_MAX_PATH_ENTRIES = 65536;
]],
  IK_MAX_SUFFIXES = [[
static const uint32_t IK_MAX_SUFFIXES = 64;
]],
  IK_MAX_FROMLIST = [[
static const uint32_t IK_MAX_FROMLIST = 65536;
]],
  IK_MAX_LISTED = [[
static const uint32_t IK_MAX_LISTED = 1000000;
]],
  IK_MAX_IMPORT_DEPTH = [[
static const uint32_t IK_MAX_IMPORT_DEPTH = 200;
]],
  IK_MAX_REF_HOPS = [[
static const uint32_t IK_MAX_REF_HOPS = 8;
]],
  IK_MAX_REF_SIZE = [[
static const uint32_t IK_MAX_REF_SIZE = 65536;
]],
  IK_MAX_REF_TARGETS = [[
static const uint32_t IK_MAX_REF_TARGETS = 4096;
]],
  IK_MAX_LINKS = [[
static const uint32_t IK_MAX_LINKS = 40;
]],
  IK_MAX_QUOTED = [[
static const uint32_t IK_MAX_QUOTED = 200;
]],
  IK_MAX_NOTES = [[
static const uint32_t IK_MAX_NOTES = 64;
]],
  IK_MAX_LISTED_ATTEMPTS = [[
static const uint32_t IK_MAX_LISTED_ATTEMPTS = 64;
]],
  IK_MAX_ATTEMPT_TEXT = [[
static const uint32_t IK_MAX_ATTEMPT_TEXT = 1024;
]],
  IK_MAX_SHOWN_NAME = [[
static const uint32_t IK_MAX_SHOWN_NAME = 80;
]],
  IK_MAX_SHOWN_PATH = [[
static const uint32_t IK_MAX_SHOWN_PATH = 120;
]],
  IK_MAX_FINDER_NAME_LEN = [[
static const uint32_t IK_MAX_FINDER_NAME_LEN = 64;
]],
  IK_MAX_CACHED_RUNTIMES = [[
static const uint32_t IK_MAX_CACHED_RUNTIMES = 4;
]],
  IK_MAX_ZIP_MEMBERS = [[
static const uint32_t IK_MAX_ZIP_MEMBERS = 1000000;
]],
  INLINE = [[
static const uint32_t INLINE = 24;
]],
  ik_mount_file = [[
typedef struct {
    const char *path;
    size_t path_len;
    const uint8_t *data;
    size_t data_len;
} ik_mount_file;
]],
  ik_code_cache_stats = [[
typedef struct {
    uint32_t size;
    uint32_t reserved;
    uint64_t compiles;
    uint64_t hits_source;
    uint64_t hits_memory;
    uint64_t hits_directory;
    uint64_t misses;
    uint64_t rejected;
    uint64_t stores;
    uint64_t store_failures;
    uint64_t evictions;
    uint64_t entries;
    uint64_t bytes;
    uint64_t limit;
} ik_code_cache_stats;
]],
  ik_executor = [[
typedef struct {
    uint32_t size;
    void *userdata;
    int32_t (*create)(void *userdata, const ik_spec *spec, void **out_module, ik_report *report);
    int32_t (*exec)(void *userdata,
                    const ik_spec *spec,
                    void *module,
                    const uint8_t *source,
                    size_t source_len,
                    ik_report *report);
    int32_t (*bind)(void *userdata, void *parent, const char *name, size_t name_len, void *child);
    bool (*has_attr)(void *userdata, void *module, const char *name, size_t name_len);
    int32_t (*all_names)(void *userdata, void *module, ik_strings *out, ik_report *report);
    void (*release)(void *userdata, void *module);
    ik_release_fn release_userdata;
    int32_t (*compile)(void *userdata,
                       const ik_spec *spec,
                       const uint8_t *source,
                       size_t source_len,
                       ik_bytes *out,
                       ik_report *report);
    int32_t (*exec_code)(void *userdata,
                         const ik_spec *spec,
                         void *module,
                         const uint8_t *code,
                         size_t code_len,
                         ik_report *report);
} ik_executor;
]],
  ik_native = [[
typedef struct {
    uint32_t size;
    uint32_t flags;
    void *userdata;
    int32_t (*create)(void *userdata, const ik_spec *spec, void **out_module, ik_report *report);
    ik_release_fn release_userdata;
} ik_native;
]],
  ik_finder = [[
typedef struct {
    uint32_t size;
    const char *name;
    void *userdata;
    int32_t (*find)(void *userdata,
                    const char *name,
                    size_t name_len,
                    const char *const *path,
                    size_t path_count,
                    ik_found *found,
                    ik_report *report);
    void (*invalidate)(void *userdata);
    ik_release_fn release_userdata;
    int32_t (*read_resource)(void *userdata,
                             const char *package,
                             size_t package_len,
                             const char *resource,
                             size_t resource_len,
                             ik_bytes *out,
                             ik_report *report);
    int32_t (*resources)(void *userdata,
                         const char *package,
                         size_t package_len,
                         ik_strings *out,
                         ik_report *report);
    int32_t (*iter_modules)(void *userdata,
                            const char *package,
                            size_t package_len,
                            ik_modules *out,
                            ik_report *report);
} ik_finder;
]],
  ik_entry_finder = [[
typedef struct {
    uint32_t size;
    void *userdata;
    int32_t (*find)(void *userdata, const char *name, size_t name_len, ik_found *found, ik_report *report);
    void (*invalidate)(void *userdata);
    ik_release_fn release_userdata;
    int32_t (*read_resource)(void *userdata,
                             const char *resource,
                             size_t resource_len,
                             ik_bytes *out,
                             ik_report *report);
    int32_t (*resources)(void *userdata, ik_strings *out, ik_report *report);
    int32_t (*iter_modules)(void *userdata, ik_modules *out, ik_report *report);
} ik_entry_finder;
]],
  ik_path_hook = [[
typedef struct {
    uint32_t size;
    const char *name;
    void *userdata;
    int32_t (*hook)(void *userdata,
                    const char *entry,
                    size_t entry_len,
                    ik_entry_finder *out,
                    bool *claimed,
                    ik_report *report);
    ik_release_fn release_userdata;
} ik_path_hook;
]],
  ik_spec_fields = [[
typedef struct {
    uint32_t size;
    uint32_t kind;
    bool is_package;
    const char *name;
    size_t name_len;
    const char *origin;
    size_t origin_len;
    const char *file;
    size_t file_len;
    const char *cached;
    size_t cached_len;
    const char *parent;
    size_t parent_len;
    size_t location_count;
    size_t ref_count;
    void *host_data;
} ik_spec_fields;
]],
  ik_version = [[
const char *ik_version(void);
]],
  ik_version_number = [[
uint32_t ik_version_number(void);
]],
  ik_runtime_mount_bundle = [[
ik_status ik_runtime_mount_bundle(const ik_runtime *rt,
                                  const char *point,
                                  const char *path,
                                  uint32_t flags,
                                  const uint8_t *sha256,
                                  uint64_t *out_id,
                                  ik_error **out_error);
]],
  ik_runtime_mount_bundle_bytes = [[
ik_status ik_runtime_mount_bundle_bytes(const ik_runtime *rt,
                                        const char *point,
                                        const uint8_t *data,
                                        size_t len,
                                        uint32_t flags,
                                        const uint8_t *sha256,
                                        ik_release_fn release,
                                        void *release_userdata,
                                        uint64_t *out_id,
                                        ik_error **out_error);
]],
  ik_runtime_mount_bundle_appended = [[
ik_status ik_runtime_mount_bundle_appended(const ik_runtime *rt,
                                           const char *point,
                                           const char *path,
                                           uint32_t flags,
                                           const uint8_t *sha256,
                                           uint64_t *out_id,
                                           ik_error **out_error);
]],
  ik_bundle_verify = [[
ik_status ik_bundle_verify(const char *path, uint8_t *out_sha256, ik_error **out_error);
]],
  ik_bundle_builder_new = [[
ik_status ik_bundle_builder_new(const ik_profile *profile,
                                ik_bundle_builder **out_builder,
                                ik_error **out_error);
]],
  ik_bundle_builder_free = [[
void ik_bundle_builder_free(ik_bundle_builder *builder);
]],
  ik_bundle_builder_set_compress = [[
ik_status ik_bundle_builder_set_compress(ik_bundle_builder *builder, bool compress, ik_error **out_error);
]],
  ik_bundle_builder_add_tree = [[
ik_status ik_bundle_builder_add_tree(ik_bundle_builder *builder,
                                     const ik_mount_file *files,
                                     size_t count,
                                     ik_error **out_error);
]],
  ik_bundle_builder_add_dir = [[
ik_status ik_bundle_builder_add_dir(ik_bundle_builder *builder,
                                    const char *dir,
                                    const char *const *excludes,
                                    size_t exclude_count,
                                    ik_error **out_error);
]],
  ik_bundle_builder_add_module = [[
ik_status ik_bundle_builder_add_module(ik_bundle_builder *builder,
                                       const char *name,
                                       const char *path,
                                       uint32_t kind,
                                       bool is_package,
                                       const uint8_t *source,
                                       size_t source_len,
                                       ik_error **out_error);
]],
  ik_bundle_builder_add_code = [[
ik_status ik_bundle_builder_add_code(ik_bundle_builder *builder,
                                     const char *name,
                                     const char *cache_tag,
                                     const uint8_t *code,
                                     size_t code_len,
                                     ik_error **out_error);
]],
  ik_bundle_builder_modules = [[
ik_status ik_bundle_builder_modules(ik_bundle_builder *builder,
                                    uint32_t kind,
                                    ik_name_list **out_list,
                                    ik_error **out_error);
]],
  ik_bundle_builder_add_file = [[
ik_status ik_bundle_builder_add_file(ik_bundle_builder *builder,
                                     const char *package,
                                     const char *path,
                                     const uint8_t *data,
                                     size_t data_len,
                                     ik_error **out_error);
]],
  ik_bundle_builder_build = [[
ik_status ik_bundle_builder_build(ik_bundle_builder *builder, ik_resource **out_bytes, ik_error **out_error);
]],
  ik_bundle_builder_write = [[
ik_status ik_bundle_builder_write(ik_bundle_builder *builder, const char *path, ik_error **out_error);
]],
  ik_runtime_set_code_cache_dir = [[
ik_status ik_runtime_set_code_cache_dir(const ik_runtime *rt, const char *dir, ik_error **out_error);
]],
  ik_runtime_set_code_cache_limit = [[
ik_status ik_runtime_set_code_cache_limit(const ik_runtime *rt, uint64_t bytes, ik_error **out_error);
]],
  ik_runtime_code_cache_stats = [[
ik_status ik_runtime_code_cache_stats(const ik_runtime *rt,
                                      ik_code_cache_stats *out_stats,
                                      ik_error **out_error);
]],
  ik_error_free = [[
void ik_error_free(ik_error *error);
]],
  ik_error_status = [[
ik_status ik_error_status(const ik_error *error);
]],
  ik_error_message = [[
const char *ik_error_message(const ik_error *error, size_t *len_out);
]],
  ik_error_module = [[
const char *ik_error_module(const ik_error *error, size_t *len_out);
]],
  ik_error_attempt_count = [[
size_t ik_error_attempt_count(const ik_error *error);
]],
  ik_error_attempt_place = [[
const char *ik_error_attempt_place(const ik_error *error, size_t index, size_t *len_out);
]],
  ik_error_attempt_reason = [[
const char *ik_error_attempt_reason(const ik_error *error, size_t index, size_t *len_out);
]],
  ik_error_host_message = [[
const char *ik_error_host_message(const ik_error *error, size_t *len_out);
]],
  ik_error_host_data = [[
void *ik_error_host_data(const ik_error *error);
]],
  ik_error_line = [[
uint32_t ik_error_line(const ik_error *error);
]],
  ik_error_column = [[
uint32_t ik_error_column(const ik_error *error);
]],
  ik_runtime_get_code = [[
ik_status ik_runtime_get_code(const ik_runtime *rt,
                              const char *name,
                              size_t name_len,
                              uint32_t flags,
                              const ik_spec **out_spec,
                              ik_resource **out_bytes,
                              bool *out_is_code,
                              ik_error **out_error);
]],
  ik_runtime_import = [[
ik_status ik_runtime_import(const ik_runtime *rt,
                            const char *name,
                            const char *package,
                            void **out_module,
                            ik_error **out_error);
]],
  ik_runtime_import_n = [[
ik_status ik_runtime_import_n(const ik_runtime *rt,
                              const char *name,
                              size_t name_len,
                              const char *package,
                              size_t package_len,
                              void **out_module,
                              ik_error **out_error);
]],
  ik_runtime_import_from = [[
ik_status ik_runtime_import_from(const ik_runtime *rt,
                                 const char *name,
                                 const char *package,
                                 uint32_t level,
                                 const char *const *fromlist,
                                 size_t count,
                                 void **out_module,
                                 ik_error **out_error);
]],
  ik_runtime_find_spec = [[
ik_status ik_runtime_find_spec(const ik_runtime *rt,
                               const char *name,
                               const char *package,
                               const ik_spec **out_spec,
                               ik_error **out_error);
]],
  ik_runtime_reload = [[
ik_status ik_runtime_reload(const ik_runtime *rt, const char *name, void **out_module, ik_error **out_error);
]],
  ik_runtime_get_module = [[
ik_status ik_runtime_get_module(const ik_runtime *rt,
                                const char *name,
                                void **out_module,
                                uint32_t *out_state,
                                ik_error **out_error);
]],
  ik_runtime_module_spec = [[
ik_status ik_runtime_module_spec(const ik_runtime *rt,
                                 const char *name,
                                 const ik_spec **out_spec,
                                 ik_error **out_error);
]],
  ik_runtime_contains = [[
ik_status ik_runtime_contains(const ik_runtime *rt,
                              const char *name,
                              bool *out_contains,
                              ik_error **out_error);
]],
  ik_runtime_remove_module = [[
ik_status ik_runtime_remove_module(const ik_runtime *rt, const char *name, ik_error **out_error);
]],
  ik_runtime_insert_module = [[
ik_status ik_runtime_insert_module(const ik_runtime *rt,
                                   const char *name,
                                   void *module,
                                   ik_error **out_error);
]],
  ik_runtime_insert_package = [[
ik_status ik_runtime_insert_package(const ik_runtime *rt,
                                    const char *name,
                                    void *module,
                                    const char *const *locations,
                                    size_t count,
                                    ik_error **out_error);
]],
  ik_runtime_list_modules = [[
ik_status ik_runtime_list_modules(const ik_runtime *rt, ik_name_list **out_list, ik_error **out_error);
]],
  ik_name_list_count = [[
size_t ik_name_list_count(const ik_name_list *list);
]],
  ik_name_list_get = [[
const char *ik_name_list_get(const ik_name_list *list, size_t index, size_t *len_out);
]],
  ik_name_list_is_package = [[
int32_t ik_name_list_is_package(const ik_name_list *list, size_t index);
]],
  ik_name_list_free = [[
void ik_name_list_free(ik_name_list *list);
]],
  ik_runtime_mount = [[
ik_status ik_runtime_mount(const ik_runtime *rt,
                           const char *point,
                           const ik_mount_file *files,
                           size_t count,
                           uint32_t flags,
                           ik_release_fn release,
                           void *release_userdata,
                           uint64_t *out_id,
                           ik_error **out_error);
]],
  ik_runtime_unmount = [[
ik_status ik_runtime_unmount(const ik_runtime *rt, const char *point, ik_error **out_error);
]],
  ik_profile_new = [[
ik_status ik_profile_new(uint32_t base, const char *name, ik_profile **out_profile, ik_error **out_error);
]],
  ik_profile_free = [[
void ik_profile_free(ik_profile *profile);
]],
  ik_profile_add_suffix = [[
ik_status ik_profile_add_suffix(ik_profile *profile, uint32_t kind, const char *suffix, ik_error **out_error);
]],
  ik_profile_clear_suffixes = [[
ik_status ik_profile_clear_suffixes(ik_profile *profile, uint32_t kind, ik_error **out_error);
]],
  ik_profile_set_init_stem = [[
ik_status ik_profile_set_init_stem(ik_profile *profile, const char *stem, ik_error **out_error);
]],
  ik_profile_set_namespace_dirs = [[
ik_status ik_profile_set_namespace_dirs(ik_profile *profile, bool enabled, ik_error **out_error);
]],
  ik_profile_set_identifiers = [[
ik_status ik_profile_set_identifiers(ik_profile *profile, uint32_t rule, ik_error **out_error);
]],
  ik_profile_set_cache_tag = [[
ik_status ik_profile_set_cache_tag(ik_profile *profile, const char *tag, ik_error **out_error);
]],
  ik_report_error = [[
ik_status ik_report_error(ik_report *report,
                          int32_t status,
                          const char *message,
                          uint32_t line,
                          uint32_t column,
                          ik_error **out_error);
]],
  ik_report_pass = [[
ik_status ik_report_pass(ik_report *report, const ik_error *error, ik_error **out_error);
]],
  ik_found_set = [[
ik_status ik_found_set(ik_found *found,
                       const char *origin,
                       uint32_t kind,
                       bool is_package,
                       ik_error **out_error);
]],
  ik_found_add_location = [[
ik_status ik_found_add_location(ik_found *found, const char *location, ik_error **out_error);
]],
  ik_found_set_file = [[
ik_status ik_found_set_file(ik_found *found, const char *file, ik_error **out_error);
]],
  ik_found_set_source = [[
ik_status ik_found_set_source(ik_found *found, const uint8_t *data, size_t len, ik_error **out_error);
]],
  ik_found_set_code = [[
ik_status ik_found_set_code(ik_found *found,
                            const char *cache_tag,
                            const uint8_t *data,
                            size_t len,
                            ik_error **out_error);
]],
  ik_strings_push = [[
ik_status ik_strings_push(ik_strings *strings, const char *name, size_t name_len, ik_error **out_error);
]],
  ik_bytes_set = [[
ik_status ik_bytes_set(ik_bytes *out, const uint8_t *data, size_t len, ik_error **out_error);
]],
  ik_modules_push = [[
ik_status ik_modules_push(ik_modules *out,
                          const char *name,
                          size_t name_len,
                          bool is_package,
                          ik_error **out_error);
]],
  ik_found_set_host_data = [[
ik_status ik_found_set_host_data(ik_found *found, void *data, ik_release_fn release, ik_error **out_error);
]],
  ik_report_host_data = [[
ik_status ik_report_host_data(ik_report *report, void *data, ik_release_fn release, ik_error **out_error);
]],
  ik_runtime_read_resource = [[
ik_status ik_runtime_read_resource(const ik_runtime *rt,
                                   const char *package,
                                   const char *resource,
                                   ik_resource **out_resource,
                                   ik_error **out_error);
]],
  ik_runtime_read_file = [[
ik_status ik_runtime_read_file(const ik_runtime *rt,
                               const char *path,
                               ik_resource **out_resource,
                               ik_error **out_error);
]],
  ik_runtime_distributions = [[
ik_status ik_runtime_distributions(const ik_runtime *rt, ik_name_list **out_list, ik_error **out_error);
]],
  ik_resource_data = [[
const uint8_t *ik_resource_data(const ik_resource *resource, size_t *out_len);
]],
  ik_resource_free = [[
void ik_resource_free(ik_resource *resource);
]],
  ik_runtime_resources = [[
ik_status ik_runtime_resources(const ik_runtime *rt,
                               const char *package,
                               ik_name_list **out_list,
                               ik_error **out_error);
]],
  ik_runtime_iter_modules = [[
ik_status ik_runtime_iter_modules(const ik_runtime *rt,
                                  const char *package,
                                  ik_name_list **out_list,
                                  ik_error **out_error);
]],
  ik_runtime_new = [[
ik_status ik_runtime_new(const ik_profile *profile, ik_runtime **out_runtime, ik_error **out_error);
]],
  ik_runtime_free = [[
void ik_runtime_free(ik_runtime *rt);
]],
  ik_runtime_set_executor = [[
ik_status ik_runtime_set_executor(const ik_runtime *rt, const ik_executor *executor, ik_error **out_error);
]],
  ik_runtime_set_virtual_root = [[
ik_status ik_runtime_set_virtual_root(const ik_runtime *rt, const char *root, ik_error **out_error);
]],
  ik_runtime_register_native = [[
ik_status ik_runtime_register_native(const ik_runtime *rt,
                                     const char *name,
                                     const ik_native *native,
                                     ik_error **out_error);
]],
  ik_runtime_unregister_native = [[
ik_status ik_runtime_unregister_native(const ik_runtime *rt, const char *name, ik_error **out_error);
]],
  ik_runtime_add_finder = [[
ik_status ik_runtime_add_finder(const ik_runtime *rt,
                                const ik_finder *finder,
                                size_t position,
                                uint64_t *out_id,
                                ik_error **out_error);
]],
  ik_runtime_remove_finder = [[
ik_status ik_runtime_remove_finder(const ik_runtime *rt, uint64_t id, ik_error **out_error);
]],
  ik_runtime_allow = [[
ik_status ik_runtime_allow(const ik_runtime *rt, const char *name, ik_error **out_error);
]],
  ik_runtime_deny = [[
ik_status ik_runtime_deny(const ik_runtime *rt, const char *name, ik_error **out_error);
]],
  ik_runtime_clear_policy = [[
ik_status ik_runtime_clear_policy(const ik_runtime *rt, ik_error **out_error);
]],
  ik_runtime_invalidate = [[
ik_status ik_runtime_invalidate(const ik_runtime *rt, ik_error **out_error);
]],
  ik_runtime_enable_filesystem = [[
ik_status ik_runtime_enable_filesystem(const ik_runtime *rt, bool enabled, ik_error **out_error);
]],
  ik_runtime_path_append = [[
ik_status ik_runtime_path_append(const ik_runtime *rt, const char *entry, ik_error **out_error);
]],
  ik_runtime_path_insert = [[
ik_status ik_runtime_path_insert(const ik_runtime *rt, size_t index, const char *entry, ik_error **out_error);
]],
  ik_runtime_path_remove = [[
ik_status ik_runtime_path_remove(const ik_runtime *rt, const char *entry, ik_error **out_error);
]],
  ik_runtime_path_set = [[
ik_status ik_runtime_path_set(const ik_runtime *rt,
                              const char *const *entries,
                              size_t count,
                              ik_error **out_error);
]],
  ik_runtime_path_list = [[
ik_status ik_runtime_path_list(const ik_runtime *rt, ik_name_list **out_list, ik_error **out_error);
]],
  ik_runtime_add_path_hook = [[
ik_status ik_runtime_add_path_hook(const ik_runtime *rt,
                                   const ik_path_hook *hook,
                                   size_t position,
                                   uint64_t *out_id,
                                   ik_error **out_error);
]],
  ik_runtime_remove_path_hook = [[
ik_status ik_runtime_remove_path_hook(const ik_runtime *rt, uint64_t id, ik_error **out_error);
]],
  ik_runtime_set_recheck = [[
ik_status ik_runtime_set_recheck(const ik_runtime *rt, uint32_t milliseconds, ik_error **out_error);
]],
  ik_runtime_confine = [[
ik_status ik_runtime_confine(const ik_runtime *rt, const char *root, ik_error **out_error);
]],
  ik_runtime_clear_confinement = [[
ik_status ik_runtime_clear_confinement(const ik_runtime *rt, ik_error **out_error);
]],
  ik_runtime_drop_caches = [[
ik_status ik_runtime_drop_caches(const ik_runtime *rt, ik_error **out_error);
]],
  ik_runtime_namespace_locations = [[
ik_status ik_runtime_namespace_locations(const ik_runtime *rt,
                                         const char *name,
                                         ik_name_list **out_list,
                                         ik_error **out_error);
]],
  ik_runtime_path_find_spec = [[
ik_status ik_runtime_path_find_spec(const ik_runtime *rt,
                                    const char *name,
                                    const char *const *entries,
                                    size_t count,
                                    const ik_spec **out_spec,
                                    ik_error **out_error);
]],
  ik_kind_name = [[
const char *ik_kind_name(uint32_t kind);
]],
  ik_spec_name = [[
const char *ik_spec_name(const ik_spec *spec, size_t *len_out);
]],
  ik_spec_origin = [[
const char *ik_spec_origin(const ik_spec *spec, size_t *len_out);
]],
  ik_spec_file = [[
const char *ik_spec_file(const ik_spec *spec, size_t *len_out);
]],
  ik_spec_host_data = [[
void *ik_spec_host_data(const ik_spec *spec);
]],
  ik_spec_cached = [[
const char *ik_spec_cached(const ik_spec *spec, size_t *len_out);
]],
  ik_spec_parent = [[
const char *ik_spec_parent(const ik_spec *spec, size_t *len_out);
]],
  ik_spec_kind = [[
uint32_t ik_spec_kind(const ik_spec *spec);
]],
  ik_spec_is_package = [[
bool ik_spec_is_package(const ik_spec *spec);
]],
  ik_spec_location_count = [[
size_t ik_spec_location_count(const ik_spec *spec);
]],
  ik_spec_location = [[
const char *ik_spec_location(const ik_spec *spec, size_t index, size_t *len_out);
]],
  ik_spec_ref_count = [[
size_t ik_spec_ref_count(const ik_spec *spec);
]],
  ik_spec_ref = [[
const char *ik_spec_ref(const ik_spec *spec, size_t index, size_t *len_out);
]],
  ik_spec_location_ref_count = [[
size_t ik_spec_location_ref_count(const ik_spec *spec, size_t location);
]],
  ik_spec_location_ref = [[
const char *ik_spec_location_ref(const ik_spec *spec, size_t location, size_t index, size_t *len_out);
]],
  ik_spec_get_fields = [[
ik_status ik_spec_get_fields(const ik_spec *spec, ik_spec_fields *out, ik_error **out_error);
]],
  ik_spec_free = [[
void ik_spec_free(const ik_spec *spec);
]],
  ik_status_name = [[
const char *ik_status_name(int32_t status);
]],
}
CDEF_NEEDS = {
  ik_path_hook = { "ik_entry_finder" },
  ik_bundle_builder_add_tree = { "ik_mount_file" },
  ik_runtime_code_cache_stats = { "ik_code_cache_stats" },
  ik_runtime_mount = { "ik_mount_file" },
  ik_runtime_set_executor = { "ik_executor" },
  ik_runtime_register_native = { "ik_native" },
  ik_runtime_add_finder = { "ik_finder" },
  ik_runtime_add_path_hook = { "ik_path_hook" },
  ik_spec_get_fields = { "ik_spec_fields" },
}
-- END GENERATED CDEF

return M

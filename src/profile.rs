//! The file conventions of a language: which suffixes make modules of which kind, the stem of a package's
//! init file, whether a directory without one is a namespace package, and what a name segment may contain.

use once_cell::sync::Lazy;

use crate::error::{Error, Result};
use crate::limits::{MAX_SUFFIXES, MAX_SUFFIX_LEN};
use crate::spec::ModuleKind;

/// What a segment of a module name may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifierRule {
    /// Python's `str.isidentifier()`: a Unicode XID_Start (or `_`) then XID_Continue characters.
    Python,
    /// Lua-style file names: ASCII letters, digits, `_` and `-`.
    Lua,
    /// Every segment CPython's import accepts (`import_module("_sysconfigdata__linux_x86_64-linux-gnu")`,
    /// `"my-module"`): any text, as long as it is not empty and holds no `/`, `\` or NUL (refused under every
    /// rule).
    Any,
}

/// The file conventions of one language. A runtime's profile is fixed when the runtime is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    name: String,
    /// Suffixes in the order a directory is searched: extensions, then sources, then bytecode, as CPython's
    /// FileFinder orders its loaders.
    suffixes: Vec<(String, ModuleKind)>,
    init_stem: String,
    namespace_dirs: bool,
    identifiers: IdentifierRule,
    /// The tag of compiled files in `__pycache__` (`cpython-311`), for `cached`; none: no cache.
    cache_tag: Option<String>,
}

impl Default for Profile {
    fn default() -> Self {
        Profile::python()
    }
}

impl Profile {
    /// CPython 3.11 on this platform: `.cpython-311-x86_64-linux-gnu.so`, `.abi3.so`, `.so` extensions,
    /// `.py` sources, `.pyc` bytecode, `__init__` packages, namespace directories, cache tag `cpython-311`.
    /// [`Profile::python_for`] gives another interpreter's.
    pub fn python() -> Self {
        static PYTHON: Lazy<Profile> = Lazy::new(|| {
            Profile::python_for(Some(CPYTHON_311_CACHE_TAG), &cpython_311_extension_suffixes())
                .expect("CPython 3.11's conventions are a valid profile")
        });
        PYTHON.clone()
    }

    /// CPython's conventions for one interpreter, given what it says of itself: its cache tag
    /// (`sys.implementation.cache_tag`, e.g. `cpython-313`; `None`, as CPython may have, gives modules no
    /// `cached`) and its extension suffixes (`importlib.machinery.EXTENSION_SUFFIXES`, most specific first);
    /// `.py` sources, `.pyc` bytecode, `__init__` packages, namespace directories.
    pub fn python_for<S: AsRef<str>>(cache_tag: Option<&str>, extension_suffixes: &[S]) -> Result<Self> {
        let mut p = Profile::empty("python", "__init__", true, IdentifierRule::Python);
        for ext in extension_suffixes {
            p.add_suffix(ModuleKind::Extension, ext.as_ref())?;
        }
        p.add_suffix(ModuleKind::Source, ".py")?;
        p.add_suffix(ModuleKind::Bytecode, ".pyc")?;
        p.set_cache_tag(cache_tag)?;
        Ok(p)
    }

    /// Lua: `.lua` sources, `init.lua` packages, no namespace directories.
    pub fn lua() -> Self {
        let mut p = Profile::empty("lua", "init", false, IdentifierRule::Lua);
        p.suffixes.push((".lua".into(), ModuleKind::Source));
        p
    }

    /// A profile with no suffixes, to be filled in by the host.
    pub fn custom(name: &str) -> Result<Self> {
        if name.is_empty() || name.len() > MAX_SUFFIX_LEN {
            return Err(Error::invalid_argument(format!(
                "a profile name must have 1 to {MAX_SUFFIX_LEN} bytes, got {}",
                name.len()
            )));
        }
        Ok(Profile::empty(name, "__init__", true, IdentifierRule::Python))
    }

    fn empty(name: &str, init_stem: &str, namespace_dirs: bool, identifiers: IdentifierRule) -> Self {
        Profile {
            name: name.into(),
            suffixes: Vec::new(),
            init_stem: init_stem.into(),
            namespace_dirs,
            identifiers,
            cache_tag: None,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The same conventions under another name.
    pub fn renamed(mut self, name: &str) -> Result<Self> {
        self.name = Profile::custom(name)?.name;
        Ok(self)
    }

    /// Adds a suffix of a file kind. Within a directory, extension suffixes are tried first, then sources,
    /// then bytecode; suffixes of one kind in the order they were added.
    pub fn add_suffix(&mut self, kind: ModuleKind, suffix: &str) -> Result<()> {
        if !matches!(kind, ModuleKind::Source | ModuleKind::Bytecode | ModuleKind::Extension) {
            return Err(Error::invalid_argument(format!(
                "a suffix must be of kind source, bytecode or extension, not {}",
                kind.name()
            )));
        }
        let valid = suffix.len() >= 2
            && suffix.len() <= MAX_SUFFIX_LEN
            && suffix.starts_with('.')
            && !suffix.contains(['/', '\\', '\0']);
        if !valid {
            return Err(Error::invalid_argument(format!(
                "invalid suffix '{}': it must start with '.', have 2 to {MAX_SUFFIX_LEN} bytes and no '/', '\\' or NUL",
                suffix.escape_debug()
            )));
        }
        if self.suffixes.len() >= MAX_SUFFIXES {
            return Err(Error::invalid_argument(format!("a profile holds at most {MAX_SUFFIXES} suffixes")));
        }
        if self.suffixes.iter().any(|(s, _)| s == suffix) {
            return Err(Error::invalid_argument(format!("suffix '{suffix}' is already in profile '{}'", self.name)));
        }
        let rank = kind_rank(kind);
        let at = self.suffixes.iter().position(|(_, k)| kind_rank(*k) > rank).unwrap_or(self.suffixes.len());
        self.suffixes.insert(at, (suffix.to_owned(), kind));
        Ok(())
    }

    /// Removes every suffix of a kind.
    pub fn clear_suffixes(&mut self, kind: ModuleKind) {
        self.suffixes.retain(|(_, k)| *k != kind);
    }

    /// Sets the stem of a package's init file (`__init__` for Python, `init` for Lua).
    pub fn set_init_stem(&mut self, stem: &str) -> Result<()> {
        if stem.is_empty() || stem.len() > MAX_SUFFIX_LEN || stem.contains(['/', '\\', '\0', '.']) {
            return Err(Error::invalid_argument(format!(
                "invalid init stem '{}': it must have 1 to {MAX_SUFFIX_LEN} bytes and no '.', '/', '\\' or NUL",
                stem.escape_debug()
            )));
        }
        self.init_stem = stem.to_owned();
        Ok(())
    }

    pub fn set_namespace_dirs(&mut self, on: bool) {
        self.namespace_dirs = on;
    }

    pub fn set_identifiers(&mut self, rule: IdentifierRule) {
        self.identifiers = rule;
    }

    /// Suffixes in search order, with their kinds.
    pub fn suffixes(&self) -> &[(String, ModuleKind)] {
        &self.suffixes
    }

    pub fn init_stem(&self) -> &str {
        &self.init_stem
    }

    pub fn namespace_dirs(&self) -> bool {
        self.namespace_dirs
    }

    pub fn identifiers(&self) -> IdentifierRule {
        self.identifiers
    }

    /// Sets the tag of compiled files kept in `__pycache__` (`None`: modules have no `cached`).
    pub fn set_cache_tag(&mut self, tag: Option<&str>) -> Result<()> {
        if let Some(t) = tag {
            check_cache_tag(t)?;
        }
        self.cache_tag = tag.map(str::to_owned);
        Ok(())
    }

    /// The tag of compiled code for this profile's interpreter (`cpython-311`), if it has one: what names
    /// compiled files in `__pycache__`, and which code of a bundle or the code cache is this runtime's.
    pub fn cache_tag(&self) -> Option<&str> {
        self.cache_tag.as_deref()
    }

    /// Appends where compiled code for the file `<dir>/<stem><suffix>` is cached (see [`Profile::cached_for`])
    /// to `out`; false (nothing appended) when it has no such place. `dir` is absolute, without a trailing
    /// `/` (`""` for the root).
    pub(crate) fn push_cached(&self, out: &mut String, dir: &str, stem: &str, kind: ModuleKind, suffix: &str) -> bool {
        let Some(tag) = self.cache_tag.as_deref() else { return false };
        match kind {
            ModuleKind::Bytecode => {
                out.push_str(dir);
                out.push('/');
                out.push_str(stem);
                out.push_str(suffix);
                true
            }
            ModuleKind::Source => {
                // A profile without bytecode files (Lua's) keeps no compiled file beside a source.
                let Some(bytecode) = self.bytecode_suffix() else { return false };
                // CPython cuts the file name at its last dot; a suffix starts with one, so that dot is in it.
                let cut = suffix.rfind('.').unwrap_or(0);
                // `dir` has no trailing '/': "" is the root directory.
                out.push_str(dir);
                out.push_str("/__pycache__/");
                out.push_str(stem);
                out.push_str(&suffix[..cut]);
                out.push('.');
                out.push_str(tag);
                out.push_str(bytecode);
                true
            }
            _ => false,
        }
    }

    /// The first bytecode suffix (`.pyc`): what compiled files beside sources are named with; none for a
    /// profile without bytecode files (Lua's, whose compiled code lives in bundles and the code cache only).
    fn bytecode_suffix(&self) -> Option<&str> {
        self.suffixes.iter().find(|(_, k)| *k == ModuleKind::Bytecode).map(|(s, _)| s.as_str())
    }

    /// Where compiled code for `file` (of `kind`) is cached, as CPython's `_get_cached` says: a source's
    /// `__pycache__/<stem>.<tag>.pyc` (with the profile's first bytecode suffix; nothing for a profile that
    /// has none), a bytecode file itself, nothing for other kinds.
    pub fn cached_for(&self, file: &str, kind: ModuleKind) -> Option<String> {
        let tag = self.cache_tag.as_deref()?;
        match kind {
            ModuleKind::Bytecode => Some(file.to_owned()),
            ModuleKind::Source => {
                let (head, tail) = file.rsplit_once('/').unwrap_or(("", file));
                let base = match tail.rsplit_once('.') {
                    Some(("", rest)) => rest,
                    Some((base, _)) => base,
                    None => tail,
                };
                let bytecode = self.bytecode_suffix()?;
                let dir = if head.is_empty() { "__pycache__".to_owned() } else { format!("{head}/__pycache__") };
                Some(format!("{dir}/{base}.{tag}{bytecode}"))
            }
            _ => None,
        }
    }

    /// The kind and stem of a file name, if the profile knows its suffix (`mod.py` -> (Source, "mod")).
    /// The longest matching suffix wins, so `x.abi3.so` is the extension `x`, not `x.abi3`.
    pub fn classify<'a>(&self, file_name: &'a str) -> Option<(ModuleKind, &'a str)> {
        self.suffixes
            .iter()
            .filter(|(s, _)| file_name.len() > s.len() && file_name.ends_with(s.as_str()))
            .max_by_key(|(s, _)| s.len())
            .map(|(s, k)| (*k, &file_name[..file_name.len() - s.len()]))
    }
}

/// Checks a cache tag: 1 to `MAX_SUFFIX_LEN` bytes, no `/`, `\\` or NUL (it names files).
pub fn check_cache_tag(tag: &str) -> Result<()> {
    if tag.is_empty() || tag.len() > MAX_SUFFIX_LEN || tag.contains(['/', '\\', '\0']) {
        return Err(Error::invalid_argument(format!("invalid cache tag '{}'", tag.escape_debug())));
    }
    Ok(())
}

fn kind_rank(kind: ModuleKind) -> u8 {
    match kind {
        ModuleKind::Extension => 0,
        ModuleKind::Source => 1,
        _ => 2,
    }
}

/// The cache tag of CPython 3.11, the default Python profile's.
const CPYTHON_311_CACHE_TAG: &str = "cpython-311";

/// The extension suffixes CPython 3.11 uses on this platform, most specific first.
fn cpython_311_extension_suffixes() -> Vec<String> {
    let arch = std::env::consts::ARCH;
    let os = std::env::consts::OS;
    if os == "windows" {
        return vec![".cp311-win_amd64.pyd".into(), ".pyd".into()];
    }
    let triplet = match os {
        "macos" => "darwin".to_owned(),
        _ => format!("{arch}-{os}-gnu"),
    };
    vec![format!(".cpython-311-{triplet}.so"), ".abi3.so".into(), ".so".into()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_orders_extension_source_bytecode() {
        let p = Profile::python();
        let kinds: Vec<ModuleKind> = p.suffixes().iter().map(|(_, k)| *k).collect();
        assert_eq!(kinds.first(), Some(&ModuleKind::Extension));
        assert_eq!(kinds.last(), Some(&ModuleKind::Bytecode));
        assert_eq!(p.classify("m.py"), Some((ModuleKind::Source, "m")));
        assert_eq!(p.classify("m.abi3.so"), Some((ModuleKind::Extension, "m")));
        assert_eq!(p.classify("m.pyc"), Some((ModuleKind::Bytecode, "m")));
        assert_eq!(p.classify(".py"), None);
        assert_eq!(p.classify("data.json"), None);
        assert_eq!(
            p.cached_for("/lib/json/__init__.py", ModuleKind::Source).as_deref(),
            Some("/lib/json/__pycache__/__init__.cpython-311.pyc")
        );
        assert_eq!(p.cached_for("/lib/m.pyc", ModuleKind::Bytecode).as_deref(), Some("/lib/m.pyc"));
        assert_eq!(p.cached_for("/lib/m.so", ModuleKind::Extension), None);
        assert_eq!(Profile::lua().cached_for("/lib/m.lua", ModuleKind::Source), None);
    }

    #[test]
    fn python_for_another_interpreter_has_its_tag_and_suffixes() {
        let ext = [".cpython-313-x86_64-linux-gnu.so", ".abi3.so", ".so"];
        let p = Profile::python_for(Some("cpython-313"), &ext).unwrap();
        assert_eq!(
            p.cached_for("/lib/x.py", ModuleKind::Source).as_deref(),
            Some("/lib/__pycache__/x.cpython-313.pyc")
        );
        assert_eq!(p.cached_for("x.py", ModuleKind::Source).as_deref(), Some("__pycache__/x.cpython-313.pyc"));
        let mut cached = String::new();
        assert!(p.push_cached(&mut cached, "/lib", "x", ModuleKind::Source, ".py"));
        assert_eq!(cached, "/lib/__pycache__/x.cpython-313.pyc");
        assert_eq!(p.classify("x.cpython-313-x86_64-linux-gnu.so"), Some((ModuleKind::Extension, "x")));
        assert_eq!(
            p.classify("x.cpython-311-x86_64-linux-gnu.so"),
            Some((ModuleKind::Extension, "x.cpython-311-x86_64-linux-gnu"))
        );
        let kinds: Vec<ModuleKind> = p.suffixes().iter().map(|(_, k)| *k).collect();
        assert_eq!(
            kinds,
            [
                ModuleKind::Extension,
                ModuleKind::Extension,
                ModuleKind::Extension,
                ModuleKind::Source,
                ModuleKind::Bytecode
            ]
        );
        let p312 = Profile::python_for(Some("cpython-312"), &[".cpython-312-darwin.so", ".so"]).unwrap();
        assert_eq!(
            p312.cached_for("/a/b/__init__.py", ModuleKind::Source).as_deref(),
            Some("/a/b/__pycache__/__init__.cpython-312.pyc")
        );
        // The default is CPython 3.11's.
        assert_eq!(
            Profile::python(),
            Profile::python_for(Some("cpython-311"), &cpython_311_extension_suffixes()).unwrap()
        );
    }

    #[test]
    fn a_profile_without_bytecode_files_has_no_cached_path_whatever_its_tag() {
        // Lua's code lives in bundles and the code cache, never in a __pycache__ beside the sources.
        let mut p = Profile::lua();
        p.set_cache_tag(Some("luajit-2.1")).unwrap();
        assert_eq!(p.cache_tag(), Some("luajit-2.1"));
        assert_eq!(p.cached_for("/game/x.lua", ModuleKind::Source), None);
        assert!(!p.push_cached(&mut String::new(), "/game", "x", ModuleKind::Source, ".lua"));
    }

    #[test]
    fn python_for_without_a_cache_tag_gives_no_cached_path() {
        // As CPython whose sys.implementation.cache_tag is None: no __pycache__ path, not even for bytecode.
        let p = Profile::python_for(None, &[".so"]).unwrap();
        assert_eq!(p.cached_for("/lib/x.py", ModuleKind::Source), None);
        assert_eq!(p.cached_for("/lib/x.pyc", ModuleKind::Bytecode), None);
        assert!(!p.push_cached(&mut String::new(), "/lib", "x", ModuleKind::Source, ".py"));
        let no_ext: [&str; 0] = [];
        assert_eq!(Profile::python_for(None, &no_ext).unwrap().classify("x.so"), None);
        // A tag or suffix that is no tag or suffix is refused, as by set_cache_tag and add_suffix.
        assert!(Profile::python_for(Some(""), &[".so"]).is_err());
        assert!(Profile::python_for(Some("a/b"), &[".so"]).is_err());
        assert!(Profile::python_for(Some("cpython-313"), &["so"]).is_err());
        assert!(Profile::python_for(Some("cpython-313"), &[".so", ".so"]).is_err());
    }

    #[test]
    fn custom_profile_keeps_kind_order_and_refuses_bad_suffixes() {
        let mut p = Profile::custom("tl").unwrap();
        p.add_suffix(ModuleKind::Bytecode, ".tlc").unwrap();
        p.add_suffix(ModuleKind::Source, ".tl").unwrap();
        assert_eq!(p.suffixes()[0].0, ".tl");
        assert!(p.add_suffix(ModuleKind::Source, "tl").is_err());
        assert!(p.add_suffix(ModuleKind::Source, ".a/b").is_err());
        assert!(p.add_suffix(ModuleKind::Source, ".tl").is_err());
        assert!(p.add_suffix(ModuleKind::Native, ".x").is_err());
        assert!(p.set_init_stem("in.it").is_err());
        assert!(Profile::custom("").is_err());
    }
}

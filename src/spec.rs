//! Module specs: what a finder says about a module before anything is executed.

use std::sync::Arc;

/// What a module is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModuleKind {
    /// Source text the host compiles and executes.
    Source,
    /// Compiled code the host executes.
    Bytecode,
    /// A native extension file the host loads (a shared library).
    Extension,
    /// A module made by a factory the host registered with importkit.
    Native,
    /// A namespace package (PEP 420): a package with no init file and nothing to execute.
    Namespace,
}

impl ModuleKind {
    pub fn name(self) -> &'static str {
        match self {
            ModuleKind::Source => "source",
            ModuleKind::Bytecode => "bytecode",
            ModuleKind::Extension => "extension",
            ModuleKind::Native => "native",
            ModuleKind::Namespace => "namespace",
        }
    }
}

/// A field of a spec: where its text lies in the spec's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

/// The description of one module, as a finder found it.
///
/// All its strings live in one buffer, each followed by a NUL byte, so that a spec is two allocations and
/// the C layer can hand out `const char *` views of its fields without copying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleSpec {
    /// The name's length and first bytes, first in the struct (beside an `Arc`'s counts): an index compares a
    /// name against a spec without reading its text.
    text: String,
    name: Span,
    origin: Span,
    parent: Span,
    file: Option<Span>,
    cached: Option<Span>,
    locations: Vec<Span>,
    refs: Vec<Span>,
    /// A namespace package's `.ref` chains, per portion: (location index, ref file), in chain order.
    location_refs: Vec<(u32, Span)>,
    kind: ModuleKind,
    is_package: bool,
    host_data: Option<HostData>,
}

/// Something of the host's that a finder attached to a spec (`ik_found_set_host_data`), given back with the
/// spec (`ik_spec_host_data`) until the last copy of the spec goes. Two specs are equal only if they share it.
#[derive(Clone)]
pub struct HostData(pub Arc<dyn std::any::Any + Send + Sync>);

impl PartialEq for HostData {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for HostData {}

impl std::fmt::Debug for HostData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostData")
    }
}

/// `path` without trailing slashes (a byte loop: this runs for every file spec a search makes).
pub fn trim_slashes(path: &str) -> &str {
    let mut end = path.len();
    while end > 0 && path.as_bytes()[end - 1] == b'/' {
        end -= 1;
    }
    &path[..end]
}

/// The package part of a dotted name (`a.b` for `a.b.c`, empty for a top-level name).
fn parent_of(name: &str) -> &str {
    name.bytes().rposition(|b| b == b'.').map_or("", |i| &name[..i])
}

impl ModuleSpec {
    /// A spec with no file, no locations and no `.ref` chain; `parent` is derived as CPython does (the name
    /// itself for a package, the part before the last dot otherwise).
    pub fn new(name: &str, origin: &str, kind: ModuleKind, is_package: bool) -> Self {
        Self::with_origin_of(name, &[origin], kind, is_package)
    }

    /// [`ModuleSpec::new`] with the origin given in parts (`["bundle:/", "game", "/", "core.py"]`), joined
    /// into the spec's one allocation of text.
    pub fn with_origin_of(name: &str, origin: &[&str], kind: ModuleKind, is_package: bool) -> Self {
        let parent = if is_package { name } else { parent_of(name) };
        let origin_len: usize = origin.iter().map(|p| p.len()).sum();
        let mut text = String::with_capacity(name.len() + origin_len + parent.len() + 3);
        let name = push(&mut text, name);
        let start = text.len() as u32;
        for part in origin {
            text.push_str(part);
        }
        text.push('\0');
        let origin = Span { start, len: origin_len as u32 };
        let parent = if is_package { name } else { push(&mut text, parent) };
        ModuleSpec {
            text,
            name,
            origin,
            parent,
            file: None,
            cached: None,
            locations: Vec::new(),
            refs: Vec::new(),
            location_refs: Vec::new(),
            kind,
            is_package,
            host_data: None,
        }
    }

    /// The spec of a module file `<dir>/<stem><suffix>` as CPython's `spec_from_file_location` makes it:
    /// origin `<scheme><file>` (`fs:`, `zip:`), a package searching `dir`, and `cached` as `push_cached` writes
    /// it at the end of the buffer (it returns whether there is one). One allocation of text.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn for_file_with(
        name: &str,
        kind: ModuleKind,
        scheme: &str,
        dir: &str,
        stem: &str,
        suffix: &str,
        is_package: bool,
        push_cached: impl FnOnce(&mut String) -> bool,
    ) -> Self {
        let dir = trim_slashes(dir);
        let parent = if is_package { name } else { parent_of(name) };
        let file_len = dir.len() + 1 + stem.len() + suffix.len();
        let mut text =
            String::with_capacity(name.len() + parent.len() + 3 * file_len + 32 + 2 * dir.len() + scheme.len());
        let name_span = push(&mut text, name);
        let origin_start = text.len();
        text.push_str(scheme);
        let file_start = text.len();
        text.push_str(dir);
        text.push('/');
        text.push_str(stem);
        text.push_str(suffix);
        let origin = Span { start: origin_start as u32, len: (text.len() - origin_start) as u32 };
        let file = Span { start: file_start as u32, len: (text.len() - file_start) as u32 };
        text.push('\0');
        let parent = if is_package { name_span } else { push(&mut text, parent) };
        let cached_start = text.len();
        let cached = push_cached(&mut text).then(|| {
            let span = Span { start: cached_start as u32, len: (text.len() - cached_start) as u32 };
            text.push('\0');
            span
        });
        let locations = if is_package { vec![push(&mut text, dir)] } else { Vec::new() };
        ModuleSpec {
            text,
            name: name_span,
            origin,
            parent,
            file: Some(file),
            cached,
            locations,
            refs: Vec::new(),
            location_refs: Vec::new(),
            kind,
            is_package,
            host_data: None,
        }
    }

    pub fn with_locations<I: IntoIterator<Item = String>>(mut self, locations: I) -> Self {
        for l in locations {
            self.push_location(&l);
        }
        self
    }

    pub(crate) fn push_location(&mut self, location: &str) {
        let span = push(&mut self.text, location);
        self.locations.push(span);
    }

    pub fn with_file(mut self, file: Option<&str>) -> Self {
        self.file = file.map(|f| push(&mut self.text, f));
        self
    }

    pub fn with_cached(mut self, cached: Option<&str>) -> Self {
        self.cached = cached.map(|c| push(&mut self.text, c));
        self
    }

    pub fn with_refs<I: IntoIterator<Item = String>>(mut self, refs: I) -> Self {
        for r in refs {
            let span = push(&mut self.text, &r);
            self.refs.push(span);
        }
        self
    }

    /// Adds search location `location` and the chain of `.ref` files that led to it (a namespace portion).
    pub fn push_location_with_refs<'r>(&mut self, location: &str, refs: impl IntoIterator<Item = &'r str>) {
        let index = self.locations.len() as u32;
        self.push_location(location);
        for r in refs {
            let span = push(&mut self.text, r);
            self.location_refs.push((index, span));
        }
    }

    /// Attaches the host's data (see [`HostData`]).
    pub fn with_host_data(mut self, data: Option<HostData>) -> Self {
        self.host_data = data;
        self
    }

    /// What the host attached when its finder found the module, if anything.
    pub fn host_data(&self) -> Option<&HostData> {
        self.host_data.as_ref()
    }

    fn get(&self, span: Span) -> &str {
        &self.text[span.start as usize..(span.start + span.len) as usize]
    }

    /// The full dotted name.
    pub fn name(&self) -> &str {
        self.get(self.name)
    }

    /// Where the module comes from, with a scheme: `memory:/game/x.py`, `builtin:time`, `host:...`.
    pub fn origin(&self) -> &str {
        self.get(self.origin)
    }

    pub fn kind(&self) -> ModuleKind {
        self.kind
    }

    pub fn is_package(&self) -> bool {
        self.is_package
    }

    /// Where the submodules of a package are searched (`__path__`); empty for a module.
    pub fn locations(&self) -> impl ExactSizeIterator<Item = &str> {
        self.locations.iter().map(|s| self.get(*s))
    }

    /// Search location `index`, if there is one.
    pub fn location(&self, index: usize) -> Option<&str> {
        self.locations.get(index).map(|s| self.get(*s))
    }

    /// The file the module was loaded from, where one exists (or a virtual one the runtime was asked for).
    pub fn file(&self) -> Option<&str> {
        self.file.map(|s| self.get(s))
    }

    /// Where compiled code for the file is kept, where the profile has such a place.
    pub fn cached(&self) -> Option<&str> {
        self.cached.map(|s| self.get(s))
    }

    /// `__package__`: the package relative imports inside this module resolve against.
    pub fn parent(&self) -> &str {
        self.get(self.parent)
    }

    /// The `.ref` files that led to the module, in order.
    pub fn refs(&self) -> impl ExactSizeIterator<Item = &str> {
        self.refs.iter().map(|s| self.get(*s))
    }

    /// `.ref` file `index` of the chain, if there is one.
    pub fn ref_file(&self, index: usize) -> Option<&str> {
        self.refs.get(index).map(|s| self.get(*s))
    }

    /// The `.ref` files that led to search location `location` of a namespace package, in order (none for a
    /// location no ref file led to, and for every location of other modules: their chain is [`Self::refs`]).
    pub fn location_refs(&self, location: usize) -> impl Iterator<Item = &str> {
        self.location_refs.iter().filter(move |(i, _)| *i as usize == location).map(|(_, s)| self.get(*s))
    }
}

/// Appends `s` and a NUL to the buffer; the span covers `s` only. Specs are far below 4 GiB (every field
/// is limited to a few KiB).
fn push(text: &mut String, s: &str) -> Span {
    let start = text.len() as u32;
    text.push_str(s);
    text.push('\0');
    Span { start, len: s.len() as u32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_specs_keep_every_field_apart() {
        let cached = |t: &mut String| {
            t.push_str("/c/x.pyc");
            true
        };
        let s = ModuleSpec::for_file_with("a.x", ModuleKind::Source, "zip:", "/a", "x", ".py", false, cached);
        assert_eq!((s.origin(), s.file(), s.cached()), ("zip:/a/x.py", Some("/a/x.py"), Some("/c/x.pyc")));
        assert_eq!((s.parent(), s.locations().count()), ("a", 0));
        let pkg = ModuleSpec::for_file_with("p", ModuleKind::Source, "fs:", "/p/", "__init__", ".py", true, |_| false);
        assert_eq!((pkg.file(), pkg.cached(), pkg.parent()), (Some("/p/__init__.py"), None, "p"));
        assert_eq!(pkg.locations().collect::<Vec<_>>(), ["/p"]);
    }

    #[test]
    fn parent_follows_cpython() {
        assert_eq!(ModuleSpec::new("a.b", "memory:/a/b.py", ModuleKind::Source, false).parent(), "a");
        assert_eq!(ModuleSpec::new("a.b", "memory:/a/b/__init__.py", ModuleKind::Source, true).parent(), "a.b");
        assert_eq!(ModuleSpec::new("a", "memory:/a.py", ModuleKind::Source, false).parent(), "");
        let s = ModuleSpec::new("p", "namespace:p", ModuleKind::Namespace, true)
            .with_locations(vec!["memory:/p".to_owned()]);
        assert_eq!(s.locations().collect::<Vec<_>>(), vec!["memory:/p"]);
        assert_eq!(s.file(), None);
    }

    #[test]
    fn location_refs_belong_to_their_location() {
        let mut s = ModuleSpec::new("p", "namespace:p", ModuleKind::Namespace, true);
        s.push_location_with_refs("/a/p", []);
        s.push_location_with_refs("/b/p", ["/e/p.ref", "/b/p.ref"]);
        assert_eq!(s.locations().collect::<Vec<_>>(), ["/a/p", "/b/p"]);
        assert_eq!(s.location_refs(0).count(), 0);
        assert_eq!(s.location_refs(1).collect::<Vec<_>>(), ["/e/p.ref", "/b/p.ref"]);
        assert_eq!(s.location_refs(2).count(), 0);
        assert_eq!(s.refs().count(), 0);
    }
}

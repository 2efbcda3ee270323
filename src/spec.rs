//! Module specs: what a finder says about a module before anything is executed.

use std::sync::Arc;

use crate::text::Text;

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

/// The description of one module, as a finder found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleSpec {
    pub(crate) name: Text,
    pub(crate) origin: Text,
    pub(crate) kind: ModuleKind,
    pub(crate) is_package: bool,
    pub(crate) locations: Vec<Text>,
    pub(crate) file: Option<Text>,
    pub(crate) cached: Option<Text>,
    pub(crate) parent: Text,
    pub(crate) refs: Vec<Text>,
}

impl ModuleSpec {
    /// A spec with no file, no locations and no `.ref` chain; `parent` is derived as CPython does (the name
    /// itself for a package, the part before the last dot otherwise).
    pub fn new(name: &str, origin: &str, kind: ModuleKind, is_package: bool) -> Self {
        let parent = if is_package { name } else { crate::name::parent(name).unwrap_or("") };
        ModuleSpec {
            name: name.into(),
            origin: origin.into(),
            kind,
            is_package,
            locations: Vec::new(),
            file: None,
            cached: None,
            parent: parent.into(),
            refs: Vec::new(),
        }
    }

    pub fn with_locations<I: IntoIterator<Item = String>>(mut self, locations: I) -> Self {
        self.locations = locations.into_iter().map(Text::from).collect();
        self
    }

    pub fn with_file(mut self, file: Option<&str>) -> Self {
        self.file = file.map(Text::from);
        self
    }

    pub fn with_cached(mut self, cached: Option<&str>) -> Self {
        self.cached = cached.map(Text::from);
        self
    }

    /// The full dotted name.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// Where the module comes from, with a scheme: `memory:/game/x.py`, `builtin:time`, `host:...`,
    /// `namespace:NAME` for a namespace package.
    pub fn origin(&self) -> &str {
        self.origin.as_str()
    }

    pub fn kind(&self) -> ModuleKind {
        self.kind
    }

    pub fn is_package(&self) -> bool {
        self.is_package
    }

    /// Where the submodules of a package are searched (`__path__`); empty for a module.
    pub fn locations(&self) -> impl ExactSizeIterator<Item = &str> {
        self.locations.iter().map(Text::as_str)
    }

    /// The file the module was loaded from, where one exists (or a virtual one the runtime was asked for).
    pub fn file(&self) -> Option<&str> {
        self.file.as_ref().map(Text::as_str)
    }

    /// Where compiled code for the file is kept, where the profile has such a place.
    pub fn cached(&self) -> Option<&str> {
        self.cached.as_ref().map(Text::as_str)
    }

    /// `__package__`: the package relative imports inside this module resolve against.
    pub fn parent(&self) -> &str {
        self.parent.as_str()
    }

    /// The `.ref` files that led to the module, in order.
    pub fn refs(&self) -> impl ExactSizeIterator<Item = &str> {
        self.refs.iter().map(Text::as_str)
    }
}

/// What a found module is made from, kept apart from the spec so that the module table does not keep a
/// whole mounted tree alive after it is unmounted.
#[derive(Clone)]
pub enum Content {
    /// Nothing importkit holds: namespace packages, and files the host reads itself.
    None,
    /// A file of a mounted tree.
    Memory(Arc<crate::finders::memory::MountedTree>, usize),
    /// Bytes a host finder gave.
    Host(Arc<[u8]>),
    /// A native module's factory.
    Native(Arc<dyn crate::executor::NativeFactory>),
}

impl Content {
    /// The bytes handed to the executor, if importkit has them.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Content::Memory(tree, index) => Some(tree.data(*index)),
            Content::Host(bytes) => Some(bytes),
            Content::None | Content::Native(_) => None,
        }
    }
}

impl std::fmt::Debug for Content {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Content::None => f.write_str("Content::None"),
            Content::Memory(_, i) => write!(f, "Content::Memory(#{i})"),
            Content::Host(b) => write!(f, "Content::Host({} bytes)", b.len()),
            Content::Native(_) => f.write_str("Content::Native"),
        }
    }
}

/// A spec and what the module is made from: what a finder returns.
#[derive(Debug, Clone)]
pub struct Found {
    pub spec: Arc<ModuleSpec>,
    pub content: Content,
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

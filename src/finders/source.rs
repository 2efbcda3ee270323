//! Where a found module's bytes are: a source handle, read when the module executes, never when it is found.

use std::borrow::Cow;
use std::sync::Arc;

use crate::error::HostError;
use crate::spec::ModuleSpec;

/// Makes the module object of a native module. The module is complete when it returns; it goes into the
/// table ready. A factory may import other modules.
pub trait NativeFactory: Send + Sync {
    fn create(&self, spec: &ModuleSpec) -> Result<crate::executor::ModuleHandle, HostError>;
}

impl<F> NativeFactory for F
where
    F: Fn(&ModuleSpec) -> Result<crate::executor::ModuleHandle, HostError> + Send + Sync,
{
    fn create(&self, spec: &ModuleSpec) -> Result<crate::executor::ModuleHandle, HostError> {
        self(spec)
    }
}

/// What holds the bytes of modules: a mounted tree, a host finder's copy, an archive, a bundle. Each module's
/// bytes are item `index` of it (a source of one module ignores the index), read when the module executes.
/// Reading may fail (an archive changed on disk); the import then fails naming the module.
pub trait ModuleBytes: Send + Sync {
    fn read(&self, index: u32) -> Result<Cow<'_, [u8]>, HostError>;

    /// Compiled code of item `index` for the cache tag `cache_tag`, if the holder keeps some beside its
    /// bytes (a bundle's code entry, checked against its checksum as it is read). The code cache hands it to
    /// the executor instead of compiling (docs/CODE_CACHE.md); a failure here counts as a rejected entry and
    /// the module is compiled or executed from its bytes instead. None by default.
    fn code(&self, index: u32, cache_tag: &str) -> Result<Option<Cow<'_, [u8]>>, HostError> {
        let _ = (index, cache_tag);
        Ok(None)
    }
}

/// Reads the file of a module that the host reads itself (`spec.file()`, a file of a directory on the search
/// path), as the finder that found it would (under the confinement roots it was found under). importkit
/// reads such a file only to look up compiled code for it (an executor that accepts code), when the module
/// executes.
pub trait FileReader: Send + Sync {
    fn read_file(&self, path: &str) -> Result<Vec<u8>, HostError>;
}

/// Bytes held in memory already (what a host finder copied in).
impl ModuleBytes for Arc<[u8]> {
    fn read(&self, _: u32) -> Result<Cow<'_, [u8]>, HostError> {
        Ok(Cow::Borrowed(self))
    }
}

/// The bytes of a package's resource as a source gives them: a copy of its own (a file read from disk, a
/// member inflated from an archive), or a handle on bytes the source keeps (a mounted file, a bundle's
/// mapping), read in place. A held resource keeps its holder alive, so the bytes outlast an unmount.
#[derive(Clone)]
pub enum Resource {
    Owned(Vec<u8>),
    Held(Arc<dyn ModuleBytes>, u32),
}

impl Resource {
    /// The bytes: borrowed from the copy or the holder when it can.
    pub fn bytes(&self) -> Result<Cow<'_, [u8]>, HostError> {
        match self {
            Resource::Owned(v) => Ok(Cow::Borrowed(v)),
            Resource::Held(holder, index) => holder.read(*index),
        }
    }

    /// The bytes as a vector of the caller's (copied when held).
    pub fn into_vec(self) -> Result<Vec<u8>, HostError> {
        match self {
            Resource::Owned(v) => Ok(v),
            Resource::Held(holder, index) => holder.read(index).map(Cow::into_owned),
        }
    }
}

impl std::fmt::Debug for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resource::Owned(v) => write!(f, "Resource::Owned({} bytes)", v.len()),
            Resource::Held(_, i) => write!(f, "Resource::Held(#{i})"),
        }
    }
}

/// What a found module is made from, kept apart from the spec so that the module table does not keep a
/// whole source (a mounted tree, an archive) alive after it is removed.
#[derive(Clone)]
pub enum Source {
    /// Nothing importkit reads: namespace packages, and files only the host reads (`spec.file()`).
    None,
    /// A file the host reads itself (`spec.file()`, handed to `exec` without bytes), which importkit reads
    /// through the reader only for the code cache: when the executor accepts compiled code and the module is
    /// a source (its bytes then go to `compile`, or to `exec` when there is no code).
    File(Arc<dyn FileReader>),
    /// Item `.1` of a holder of bytes, read when the module executes (a find costs a reference count, no
    /// allocation).
    Bytes(Arc<dyn ModuleBytes>, u32),
    /// A native module's factory.
    Native(Arc<dyn NativeFactory>),
}

impl Source {
    /// Bytes already in memory.
    pub fn held(bytes: impl Into<Arc<[u8]>>) -> Source {
        Source::Bytes(Arc::new(bytes.into()), 0)
    }
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::None => f.write_str("Source::None"),
            Source::File(_) => f.write_str("Source::File"),
            Source::Bytes(_, i) => write!(f, "Source::Bytes(#{i})"),
            Source::Native(_) => f.write_str("Source::Native"),
        }
    }
}

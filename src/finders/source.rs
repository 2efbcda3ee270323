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

/// Bytes a source gives when the module executes: a mounted file, a host finder's bytes, a member of an
/// archive. Reading may fail (an archive changed on disk); the import then fails naming the module.
pub trait ModuleBytes: Send + Sync {
    fn read(&self) -> Result<Cow<'_, [u8]>, HostError>;
}

/// Bytes held in memory already (what a host finder copied in).
impl ModuleBytes for Arc<[u8]> {
    fn read(&self) -> Result<Cow<'_, [u8]>, HostError> {
        Ok(Cow::Borrowed(self))
    }
}

/// What a found module is made from, kept apart from the spec so that the module table does not keep a
/// whole source (a mounted tree, an archive) alive after it is removed.
#[derive(Clone)]
pub enum Source {
    /// Nothing importkit reads: namespace packages, and files the host reads itself (`spec.file()`).
    None,
    /// Bytes read when the module executes.
    Bytes(Arc<dyn ModuleBytes>),
    /// A native module's factory.
    Native(Arc<dyn NativeFactory>),
}

impl Source {
    /// Bytes already in memory.
    pub fn held(bytes: impl Into<Arc<[u8]>>) -> Source {
        Source::Bytes(Arc::new(bytes.into()))
    }
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::None => f.write_str("Source::None"),
            Source::Bytes(_) => f.write_str("Source::Bytes"),
            Source::Native(_) => f.write_str("Source::Native"),
        }
    }
}

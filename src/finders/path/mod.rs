//! The path finder and what serves its entries: directories (with `.ref` files and confinement), host
//! entry finders through path hooks, namespace packages collected across entries (PEP 420).

pub mod archive;
pub mod bundle;
pub mod confine;
pub mod ctx;
pub mod dir;
pub mod entry;
pub mod finder;
pub mod listing;
pub mod namespace;
pub mod open;
pub mod refs;
pub mod scope;
pub mod zip;
pub mod zip_index;

pub use ctx::{join, Ctx, REFUSED};
pub use entry::{Entry, EntryAnswer, Wanted};
pub use finder::{PathFinder, DEFAULT_RECHECK};

//! Where templates come from: compiled into the binary, a directory (on the search path or
//! given), or a git repository (local, or fetched into the cache). Each source gives a
//! template as files in memory.

pub(crate) mod directory;
pub(crate) mod embedded;
pub(crate) mod git;
pub(crate) mod registry;
pub(crate) mod source;

//! Leaf helpers every stage may use: errors and exit codes, text and the terminal, every bound
//! and bounded reading, the rules for paths, content ids, Python names, three-way merges, bounded diffs. None
//! of them knows about templates or projects.

pub(crate) mod diff;
pub(crate) mod error;
pub(crate) mod hash;
pub(crate) mod hook;
pub(crate) mod limits;
pub(crate) mod merge;
pub(crate) mod paths;
pub(crate) mod portable;
pub(crate) mod python;
pub(crate) mod read;
pub(crate) mod term;
pub(crate) mod text;

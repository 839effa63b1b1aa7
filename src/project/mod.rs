//! A generated project: its answers file (written, and read as untrusted input), its root
//! opened once and every file scaffold touches below it (never through a symlink), its
//! `.scaffold/` state and the lock that lets one run at a time write it, what scaffold
//! generated for it (rendered again), `new`'s plan and its writing, and an update applied all
//! or nothing (journal, backups, recovery). Everything that writes under a project's root is
//! here.

pub(crate) mod apply;
pub(crate) mod base;
pub(crate) mod disk;
pub(crate) mod journal;
pub(crate) mod parse;
pub(crate) mod plan;
pub(crate) mod record;
pub(crate) mod root;
pub(crate) mod state;
pub(crate) mod write;

//! The operations, one file (or folder) each, as short pipelines over the stages before them:
//! `new` (locate, answer, render, plan, write), `check`, `status`, `diff`, and `update` (locate
//! the new version and the base, render both, read the disk, decide per file, apply). They
//! print nothing of their results: the command line does.

pub(crate) mod check;
pub(crate) mod diff;
pub(crate) mod new;
pub(crate) mod status;
pub(crate) mod update;

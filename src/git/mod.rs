//! Local git repositories, read and written in process with gitoxide (`gix`), never with the
//! git command.
//!
//! Nothing here can make a repository run a program, or a read block: every file gix reads
//! in a repository is checked first ([`files`]), and repositories are opened with isolated
//! configuration (only the repository's own file is read, no system or user configuration,
//! no environment variables, so `GIT_DIR`, `GIT_WORK_TREE`, `GIT_CONFIG_PARAMETERS` and the
//! rest are ignored even when scaffold runs inside a git hook), objects are read straight from
//! the object database (no checkout, no filters, no hooks, no fsmonitor), and the only thing
//! ever written is the new repository of [`commit::init_commit`]. A template's tree is accepted
//! only as regular files: [`tree::TemplateRepo::read_tree`] refuses symbolic links, submodules, `.git`
//! in any disguise and names that could leave the destination, within size limits.

pub(crate) mod blobs;
pub(crate) mod commit;
pub(crate) mod files;
pub(crate) mod repo;
pub(crate) mod tree;

#[cfg(test)]
mod testing;

//! A project's root, opened once. STAND-IN for the `state` engineer's `project::root` (issue 19,
//! items 1 to 5): the same `Root::open` and `path`, so that `new --force` can take the
//! project's lock through the same API; their module, which reaches every path below the root
//! without following a symlink, replaces this file whole when their branch lands.

use std::io;
use std::path::{Path, PathBuf};

/// A project's root: the directory the user named (symlinks in that path are theirs).
#[derive(Debug)]
pub(crate) struct Root {
    path: PathBuf,
}

impl Root {
    /// Opens `path` as a project's root: it must be a directory.
    pub(crate) fn open(path: &Path) -> io::Result<Root> {
        if !std::fs::metadata(path)?.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory",
            ));
        }
        Ok(Root {
            path: path.to_path_buf(),
        })
    }

    /// The path the root was opened at.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

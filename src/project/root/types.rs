//! The words of a project's root: what is at a path (`Kind`, `Meta`), what a bounded read
//! found, the open root itself, and the path rules every call checks first.

use std::io;
use std::path::PathBuf;

/// What is at a path, as `lstat` sees it (a symlink is never followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// A FIFO, socket or device.
    Special,
}

impl Kind {
    /// Why scaffold does not read it, for messages (`None` for a regular file).
    pub(crate) fn refusal(self) -> Option<&'static str> {
        match self {
            Kind::File => None,
            Kind::Dir => Some("is a directory"),
            Kind::Symlink => Some("is a symlink"),
            Kind::Special => Some("is not a regular file (a FIFO, socket or device)"),
        }
    }
}

/// What a bounded read found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    /// Nothing there (or a component on the way is not a directory).
    Missing,
    /// A regular file within the bound.
    File {
        /// Its bytes.
        bytes: Vec<u8>,
        /// Whether it has an executable bit.
        executable: bool,
    },
    /// A regular file larger than the bound: not read.
    TooBig(u64),
    /// Something that is not read: `at` (the path itself, or a folder on the way) `why`.
    Refused {
        /// The path (under the root) that is not a regular file or folder.
        at: String,
        /// What it is: [`Kind::refusal`].
        why: &'static str,
    },
}

/// A project's root directory, open.
#[derive(Debug)]
pub(crate) struct Root {
    pub(super) path: PathBuf,
    #[cfg(unix)]
    pub(super) fd: std::os::fd::OwnedFd,
}

/// Splits `rel` into its folder (`""` at the root) and its last component.
pub(super) fn split(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

/// A relative path scaffold may resolve: no empty, `.` or `..` component, not absolute.
pub(super) fn checked(rel: &str) -> io::Result<&str> {
    if rel.is_empty()
        || rel
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{rel}` is not a path below the project's root"),
        ));
    }
    Ok(rel)
}

/// Whether an error means "a symlink (or something not a folder) was in the way".
pub(crate) fn is_link_error(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(
            e.raw_os_error(),
            Some(code) if code == libc::ELOOP || code == libc::EXDEV || code == libc::EMLINK
        )
    }
    #[cfg(not(unix))]
    {
        e.kind() == io::ErrorKind::InvalidInput && e.to_string().contains("symlink")
    }
}

/// Whether an error means "nothing there": missing, or a component on the way is not a
/// directory.
pub(crate) fn is_missing(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// What `lstat` said, as much as scaffold uses.
#[derive(Debug, Clone, Copy)]
pub(super) struct Meta {
    pub(super) kind: Kind,
    pub(super) len: u64,
    #[cfg_attr(not(unix), expect(dead_code, reason = "identities are Unix's"))]
    pub(super) id: (u64, u64),
}

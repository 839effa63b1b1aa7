//! A project's root, opened once, and every path below it reached without following a symlink
//! at any component: the one place that owns "nothing scaffold reads, writes, moves or removes
//! under a project leaves it". The root itself is the directory the user named (symlinks in
//! that path are theirs); below it, a path is resolved relative to the root's open descriptor
//! with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` on Linux, or component by component
//! with `O_NOFOLLOW | O_DIRECTORY` where that call is missing, and every change (create,
//! rename, link, remove) is made relative to the descriptor of the parent directory so opened.
//! A folder swapped for a symlink after a check cannot redirect anything: the check and the
//! change are the same open.
//!
//! Reads are of regular files only, measured on the open descriptor before anything is read:
//! a FIFO or device is refused without being opened for reading (it is looked at first, and
//! opened with `O_NONBLOCK | O_NOCTTY`, so one swapped in cannot block or become the terminal).
//! Off Unix, the same calls check each component's metadata first (today's behaviour there).

use std::io;
use std::path::{Path, PathBuf};

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
    path: PathBuf,
    #[cfg(unix)]
    fd: std::os::fd::OwnedFd,
}

/// Splits `rel` into its folder (`""` at the root) and its last component.
fn split(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

/// A relative path scaffold may resolve: no empty, `.` or `..` component, not absolute.
fn checked(rel: &str) -> io::Result<&str> {
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

impl Root {
    /// The directory the user named (made absolute), as it is now.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// `rel` below the root, for messages.
    pub(crate) fn full(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            self.path.clone()
        } else {
            self.path.join(rel)
        }
    }

    /// `rel` below the root as messages show it: whole, on one line, every control character
    /// escaped, bytes that are not UTF-8 as `\xNN` ([`crate::util::text::path`]).
    pub(crate) fn shown(&self, rel: &str) -> String {
        crate::util::text::path(&self.full(rel))
    }

    /// What is at `rel` (never following a symlink), or `None` when nothing is (a component on
    /// the way missing or not a directory). A symlink on the way is an error.
    pub(crate) fn kind(&self, rel: &str) -> io::Result<Option<Kind>> {
        Ok(self.meta(rel)?.map(|m| m.kind))
    }

    /// Reads `rel` if it is a regular file of at most `max` bytes; see [`Found`]. An error only
    /// when reading fails for another reason (permissions, I/O).
    pub(crate) fn read(&self, rel: &str, max: u64) -> io::Result<Found> {
        match self.read_file(rel, max) {
            Err(e) if is_link_error(&e) => Ok(match self.blocked_at(rel) {
                Some((at, kind)) => Found::Refused {
                    at: at.to_string(),
                    why: kind.refusal().unwrap_or("is a symlink"),
                },
                // Swapped for a symlink since it was looked at.
                None => Found::Refused {
                    at: rel.to_string(),
                    why: "is a symlink",
                },
            }),
            other => other,
        }
    }

    /// The first component of `rel` (its path under the root) that is a symlink, with what it
    /// is: for messages after an open refused a link on the way.
    pub(crate) fn blocked_at<'r>(&self, rel: &'r str) -> Option<(&'r str, Kind)> {
        let mut end = 0;
        for c in rel.split('/') {
            end += c.len();
            let at = &rel[..end];
            match self.meta_walk(at) {
                Ok(Some(m)) if m.kind == Kind::Symlink => return Some((at, m.kind)),
                Ok(Some(m)) if m.kind == Kind::Dir => {}
                _ => return None,
            }
            end += 1;
        }
        None
    }
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
struct Meta {
    kind: Kind,
    len: u64,
    #[cfg_attr(not(unix), expect(dead_code, reason = "identities are Unix's"))]
    id: (u64, u64),
}

#[cfg(unix)]
mod sys {
    //! The Unix calls, through rustix (safe wrappers of the system calls).

    use std::ffi::OsString;
    use std::io::{self, Read as _, Write as _};
    use std::os::fd::{AsFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt as _;
    use std::path::Path;
    use std::sync::atomic::{AtomicU8, Ordering};

    use rustix::fs::{AtFlags, FileType, Mode, OFlags};

    use super::{Kind, Meta, Root, checked, split};

    fn kind_of(mode: u32) -> Kind {
        match FileType::from_raw_mode(mode) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            _ => Kind::Special,
        }
    }

    fn meta_of(st: &rustix::fs::Stat) -> Meta {
        Meta {
            kind: kind_of(st.st_mode),
            len: u64::try_from(st.st_size).unwrap_or(0),
            #[allow(
                clippy::useless_conversion,
                reason = "the types differ between systems"
            )]
            id: (u64::from(st.st_dev), u64::from(st.st_ino)),
        }
    }

    const DIR_FLAGS: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::NOFOLLOW)
        .union(OFlags::CLOEXEC);

    /// Whether `openat2` works here: 0 unknown, 1 yes, 2 no.
    static OPENAT2: AtomicU8 = AtomicU8::new(0);

    impl Root {
        /// Opens the directory the user named (following symlinks in that path: they are
        /// the user's), once.
        pub(crate) fn open(path: &Path) -> io::Result<Root> {
            let path = std::path::absolute(path)?;
            let fd =
                rustix::fs::open(&path, DIR_FLAGS.difference(OFlags::NOFOLLOW), Mode::empty())?;
            Ok(Root { path, fd })
        }

        /// The root directory's (device, inode).
        pub(crate) fn identity(&self) -> io::Result<(u64, u64)> {
            Ok(meta_of(&rustix::fs::fstat(&self.fd)?).id)
        }

        /// The same root, opened again.
        pub(crate) fn try_clone(&self) -> io::Result<Root> {
            Ok(Root {
                path: self.path.clone(),
                fd: self.fd.try_clone()?,
            })
        }

        /// Opens the existing file `rel` for locking: read only (a lock needs no more, so
        /// scaffold never writes into a lock file it did not make), never through a symlink,
        /// never blocking (a FIFO is refused after).
        pub(crate) fn open_lock(&self, rel: &str) -> io::Result<std::fs::File> {
            let (dir, name) = self.parent(rel)?;
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY;
            let fd = rustix::fs::openat(&dir, name, flags | OFlags::CLOEXEC, Mode::empty())?;
            if kind_of(rustix::fs::fstat(&fd)?.st_mode) != Kind::File {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("`{rel}` is not a regular file"),
                ));
            }
            Ok(std::fs::File::from(fd))
        }

        /// Creates `rel` (it must not exist; a symlink there is not followed) with `mode`,
        /// writes `contents` and returns it open; removed again if writing fails.
        pub(crate) fn create_open(
            &self,
            rel: &str,
            contents: &[u8],
            mode: u32,
        ) -> io::Result<std::fs::File> {
            let (dir, name) = self.parent(rel)?;
            let flags =
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let fd = rustix::fs::openat(&dir, name, flags, Mode::from_raw_mode(mode))?;
            let mut file = std::fs::File::from(fd);
            let result = (|| -> io::Result<()> {
                if rustix::fs::fstat(&file)?.st_mode & 0o7777 != mode {
                    rustix::fs::fchmod(&file, Mode::from_raw_mode(mode))?;
                }
                file.write_all(contents)
            })();
            match result {
                Ok(()) => Ok(file),
                Err(e) => {
                    let _ = rustix::fs::unlinkat(&dir, name, AtFlags::empty());
                    Err(e)
                }
            }
        }

        /// Gives the file `from` the name `to` where nothing is (`AlreadyExists` otherwise),
        /// `from` going: never replacing what is there, never through a symlink.
        pub(crate) fn rename_new(&self, from: &str, to: &str) -> io::Result<()> {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            {
                let (a, an) = self.parent(from)?;
                let (b, bn) = self.parent(to)?;
                match rustix::fs::renameat_with(&a, an, &b, bn, rustix::fs::RenameFlags::NOREPLACE)
                {
                    // A file system without renameat2's flags: a link, then the old name goes.
                    Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {}
                    other => return Ok(other?),
                }
            }
            self.link(from, to)?;
            self.unlink(from)
        }

        /// Whether this user may write the root directory (a read-only mount, another user's
        /// folder: not).
        pub(crate) fn writable(&self) -> bool {
            rustix::fs::accessat(
                &self.fd,
                ".",
                rustix::fs::Access::WRITE_OK,
                AtFlags::empty(),
            )
            .is_ok()
        }

        /// The owner and permission bits of `rel` (never following a symlink), if anything
        /// is there.
        pub(crate) fn owner_and_mode(&self, rel: &str) -> io::Result<Option<(u32, u32)>> {
            let (dir, name) = match self.parent(rel) {
                Ok(p) => p,
                Err(e) if super::is_missing(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
            match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => Ok(Some((st.st_uid, st.st_mode & 0o7777))),
                Err(e) if super::is_missing(&io::Error::from(e)) => Ok(None),
                Err(e) => Err(e.into()),
            }
        }

        /// Sets the permission bits of the directory `rel`, opened without following a
        /// symlink.
        pub(crate) fn chmod_dir(&self, rel: &str, mode: u32) -> io::Result<()> {
            Ok(rustix::fs::fchmod(
                self.dir(rel)?,
                Mode::from_raw_mode(mode),
            )?)
        }

        /// Whether `rel` is (still) the very file open as `file`.
        pub(crate) fn is_same(&self, rel: &str, file: &std::fs::File) -> io::Result<bool> {
            let open = meta_of(&rustix::fs::fstat(file)?).id;
            Ok(self.meta(rel)?.is_some_and(|m| m.id == open))
        }

        /// The directory `rel` (`""`: the root), opened without following a symlink. A
        /// symlink on the way is `ELOOP` (opening one with `O_DIRECTORY` says `ENOTDIR`, as
        /// for a file on the way, which means "nothing there").
        fn dir(&self, rel: &str) -> io::Result<OwnedFd> {
            match self.dir_with(rel, OPENAT2.load(Ordering::Relaxed) != 2) {
                Err(e)
                    if e.raw_os_error() == Some(libc::ENOTDIR)
                        && self.blocked_at(rel).is_some() =>
                {
                    Err(io::Error::from_raw_os_error(libc::ELOOP))
                }
                other => other,
            }
        }

        pub(super) fn dir_with(&self, rel: &str, use_openat2: bool) -> io::Result<OwnedFd> {
            if rel.is_empty() {
                return self.fd.try_clone();
            }
            let rel = checked(rel)?;
            #[cfg(any(target_os = "linux", target_os = "android"))]
            if use_openat2 {
                use rustix::fs::ResolveFlags;
                let how =
                    ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
                match rustix::fs::openat2(&self.fd, rel, DIR_FLAGS, Mode::empty(), how) {
                    Ok(fd) => {
                        OPENAT2.store(1, Ordering::Relaxed);
                        return Ok(fd);
                    }
                    // Missing (old kernel), forbidden (seccomp) or refused flags: walk.
                    Err(e)
                        if matches!(
                            e,
                            rustix::io::Errno::NOSYS
                                | rustix::io::Errno::PERM
                                | rustix::io::Errno::INVAL
                        ) && OPENAT2.load(Ordering::Relaxed) != 1 =>
                    {
                        OPENAT2.store(2, Ordering::Relaxed);
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            let _ = use_openat2;
            let mut fd = self.fd.try_clone()?;
            for c in rel.split('/') {
                fd = rustix::fs::openat(&fd, c, DIR_FLAGS, Mode::empty())?;
            }
            Ok(fd)
        }

        /// `rel`'s parent directory, open, and `rel`'s last component.
        fn parent<'r>(&self, rel: &'r str) -> io::Result<(OwnedFd, &'r str)> {
            let (dir, name) = split(checked(rel)?);
            Ok((self.dir(dir)?, name))
        }

        pub(super) fn meta(&self, rel: &str) -> io::Result<Option<Meta>> {
            let (dir, name) = match self.parent(rel) {
                Ok(p) => p,
                Err(e) if super::is_missing(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
            match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => Ok(Some(meta_of(&st))),
                Err(e) => {
                    let e = io::Error::from(e);
                    if super::is_missing(&e) {
                        Ok(None)
                    } else {
                        Err(e)
                    }
                }
            }
        }

        /// [`Root::meta`], walking component by component (for messages).
        pub(super) fn meta_walk(&self, rel: &str) -> io::Result<Option<Meta>> {
            let (dir, name) = split(checked(rel)?);
            let dir = match self.dir_with(dir, false) {
                Ok(d) => d,
                Err(e) if super::is_missing(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
            match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => Ok(Some(meta_of(&st))),
                Err(e) => {
                    let e = io::Error::from(e);
                    if super::is_missing(&e) {
                        Ok(None)
                    } else {
                        Err(e)
                    }
                }
            }
        }

        /// Reads `rel` (see [`Root::read`]), its folder opened once: looked at, then opened
        /// only if it is a regular file within the bound.
        pub(super) fn read_file(&self, rel: &str, max: u64) -> io::Result<super::Found> {
            let missing = |e: &io::Error| super::is_missing(e);
            let (dir, name) = match self.parent(rel) {
                Ok(p) => p,
                Err(e) if missing(&e) => return Ok(super::Found::Missing),
                Err(e) => return Err(e),
            };
            let seen = match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => meta_of(&st),
                Err(e) => {
                    let e = io::Error::from(e);
                    return if missing(&e) {
                        Ok(super::Found::Missing)
                    } else {
                        Err(e)
                    };
                }
            };
            if let Some(why) = seen.kind.refusal() {
                return Ok(super::Found::Refused {
                    at: rel.to_string(),
                    why,
                });
            }
            if seen.len > max {
                return Ok(super::Found::TooBig(seen.len));
            }
            let flags = OFlags::RDONLY
                | OFlags::NOFOLLOW
                | OFlags::NONBLOCK
                | OFlags::NOCTTY
                | OFlags::CLOEXEC;
            let fd = rustix::fs::openat(&dir, name, flags, Mode::empty())?;
            let st = rustix::fs::fstat(&fd)?;
            let now = meta_of(&st);
            if now.kind != Kind::File || now.id != seen.id {
                return Ok(super::Found::Refused {
                    at: rel.to_string(),
                    why: "changed while it was being read",
                });
            }
            if now.len > max {
                return Ok(super::Found::TooBig(now.len));
            }
            let mut bytes = Vec::with_capacity(usize::try_from(now.len).unwrap_or(0));
            std::fs::File::from(fd)
                .take(max + 1)
                .read_to_end(&mut bytes)?;
            if bytes.len() as u64 > max {
                return Ok(super::Found::TooBig(bytes.len() as u64));
            }
            Ok(super::Found::File {
                bytes,
                executable: st.st_mode & 0o111 != 0,
            })
        }

        /// Creates `rel` (it must not exist; a symlink there is not followed) with `mode`
        /// exactly, and writes `contents`; removed again if writing fails.
        pub(crate) fn create(&self, rel: &str, contents: &[u8], mode: u32) -> io::Result<()> {
            let (dir, name) = self.parent(rel)?;
            let flags =
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let fd = rustix::fs::openat(&dir, name, flags, Mode::from_raw_mode(mode))?;
            let result = (|| -> io::Result<()> {
                // The mode given at creation is reduced by the umask: set it exactly.
                if rustix::fs::fstat(&fd)?.st_mode & 0o7777 != mode {
                    rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))?;
                }
                std::fs::File::from(fd).write_all(contents)
            })();
            if result.is_err() {
                let _ = rustix::fs::unlinkat(&dir, name, AtFlags::empty());
            }
            result
        }

        /// Writes `rel`'s data and its directory entry to disk.
        pub(crate) fn sync(&self, rel: &str) -> io::Result<()> {
            let (dir, name) = self.parent(rel)?;
            let fd = rustix::fs::openat(
                &dir,
                name,
                OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
                Mode::empty(),
            )?;
            rustix::fs::fsync(&fd)?;
            rustix::fs::fsync(&dir)?;
            Ok(())
        }

        /// Renames `from` to `to` (replacing a file there), both under the root.
        pub(crate) fn rename(&self, from: &str, to: &str) -> io::Result<()> {
            let (a, an) = self.parent(from)?;
            if split(from).0 == split(checked(to)?).0 {
                // One folder: opened once.
                return Ok(rustix::fs::renameat(&a, an, &a, split(to).1)?);
            }
            let (b, bn) = self.parent(to)?;
            Ok(rustix::fs::renameat(&a, an, &b, bn)?)
        }

        /// A second name for the file `from` (a symlink there is linked as itself).
        pub(crate) fn link(&self, from: &str, to: &str) -> io::Result<()> {
            let (a, an) = self.parent(from)?;
            let (b, bn) = self.parent(to)?;
            Ok(rustix::fs::linkat(&a, an, &b, bn, AtFlags::empty())?)
        }

        /// Removes the file (or symlink) `rel`.
        pub(crate) fn unlink(&self, rel: &str) -> io::Result<()> {
            let (dir, name) = self.parent(rel)?;
            Ok(rustix::fs::unlinkat(&dir, name, AtFlags::empty())?)
        }

        /// Makes the directory `rel` (its parent must exist).
        pub(crate) fn mkdir(&self, rel: &str, mode: u32) -> io::Result<()> {
            let (dir, name) = self.parent(rel)?;
            Ok(rustix::fs::mkdirat(&dir, name, Mode::from_raw_mode(mode))?)
        }

        /// Removes the directory `rel` if it is empty.
        pub(crate) fn rmdir(&self, rel: &str) -> io::Result<()> {
            let (dir, name) = self.parent(rel)?;
            Ok(rustix::fs::unlinkat(&dir, name, AtFlags::REMOVEDIR)?)
        }

        /// Removes `name` in the folder `dir` and everything in it, each entry relative to
        /// its folder's descriptor, never following a symlink.
        pub(super) fn remove_tree_in(&self, dir: &str, name: &str) -> io::Result<()> {
            fn empty(dir: &OwnedFd) -> io::Result<()> {
                let mut entries = rustix::fs::Dir::read_from(dir.as_fd())?;
                let mut names = Vec::new();
                while let Some(entry) = entries.read() {
                    let entry = entry?;
                    let name = entry.file_name().to_bytes();
                    if name != b"." && name != b".." {
                        names.push((name.to_vec(), entry.file_type()));
                    }
                }
                for (name, kind) in names {
                    let name = std::ffi::OsStr::from_bytes(&name);
                    let is_dir = match kind {
                        FileType::Directory => true,
                        FileType::Unknown => {
                            let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
                            kind_of(st.st_mode) == Kind::Dir
                        }
                        _ => false,
                    };
                    if is_dir {
                        empty(&rustix::fs::openat(dir, name, DIR_FLAGS, Mode::empty())?)?;
                        rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR)?;
                    } else {
                        rustix::fs::unlinkat(dir, name, AtFlags::empty())?;
                    }
                }
                Ok(())
            }
            let parent = self.dir(dir)?;
            empty(&rustix::fs::openat(
                &parent,
                name,
                DIR_FLAGS,
                Mode::empty(),
            )?)?;
            Ok(rustix::fs::unlinkat(&parent, name, AtFlags::REMOVEDIR)?)
        }

        /// The entries of the directory `rel` (`""`: the root), with what each is.
        pub(crate) fn list(&self, rel: &str) -> io::Result<Vec<(OsString, Kind)>> {
            let dir = self.dir(rel)?;
            let mut out = Vec::new();
            let mut entries = rustix::fs::Dir::read_from(dir.as_fd())?;
            while let Some(entry) = entries.read() {
                let entry = entry?;
                let name = entry.file_name().to_bytes();
                if name == b"." || name == b".." {
                    continue;
                }
                let name = std::ffi::OsStr::from_bytes(name).to_os_string();
                let kind = match entry.file_type() {
                    FileType::RegularFile => Kind::File,
                    FileType::Directory => Kind::Dir,
                    FileType::Symlink => Kind::Symlink,
                    FileType::Unknown => {
                        let st =
                            rustix::fs::statat(&dir, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW)?;
                        kind_of(st.st_mode)
                    }
                    _ => Kind::Special,
                };
                out.push((name, kind));
            }
            Ok(out)
        }
    }
}

#[cfg(not(unix))]
mod sys {
    //! Off Unix: paths, with every component's metadata checked first.

    use std::ffi::OsString;
    use std::io::{self, Read as _, Write as _};
    use std::path::{Path, PathBuf};

    use super::{Kind, Meta, Root, checked};

    fn kind_of(ft: std::fs::FileType) -> Kind {
        if ft.is_symlink() {
            Kind::Symlink
        } else if ft.is_dir() {
            Kind::Dir
        } else if ft.is_file() {
            Kind::File
        } else {
            Kind::Special
        }
    }

    impl Root {
        /// Opens the directory the user named.
        pub(crate) fn open(path: &Path) -> io::Result<Root> {
            let path = std::path::absolute(path)?;
            if !std::fs::metadata(&path)?.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    "not a directory",
                ));
            }
            Ok(Root { path })
        }

        /// No identity off Unix.
        pub(crate) fn identity(&self) -> io::Result<(u64, u64)> {
            Ok((0, 0))
        }

        /// The same root.
        pub(crate) fn try_clone(&self) -> io::Result<Root> {
            Ok(Root {
                path: self.path.clone(),
            })
        }

        /// Opens the existing file `rel`, read only.
        pub(crate) fn open_lock(&self, rel: &str) -> io::Result<std::fs::File> {
            std::fs::File::open(self.at(rel)?)
        }

        /// Creates `rel` (it must not exist), writes `contents` and returns it open.
        pub(crate) fn create_open(
            &self,
            rel: &str,
            contents: &[u8],
            mode: u32,
        ) -> io::Result<std::fs::File> {
            self.create(rel, contents, mode)?;
            std::fs::File::open(self.at(rel)?)
        }

        /// Gives the file `from` the name `to` where nothing is.
        pub(crate) fn rename_new(&self, from: &str, to: &str) -> io::Result<()> {
            self.link(from, to)?;
            self.unlink(from)
        }

        /// Whether the root directory may be written.
        pub(crate) fn writable(&self) -> bool {
            std::fs::metadata(&self.path).is_ok_and(|m| !m.permissions().readonly())
        }

        /// Off Unix, owners and modes are not told.
        pub(crate) fn owner_and_mode(&self, _rel: &str) -> io::Result<Option<(u32, u32)>> {
            Ok(None)
        }

        /// Off Unix, modes are left as they are.
        pub(crate) fn chmod_dir(&self, _rel: &str, _mode: u32) -> io::Result<()> {
            Ok(())
        }

        /// Off Unix, a file is taken to be the one still there.
        pub(crate) fn is_same(&self, _rel: &str, _file: &std::fs::File) -> io::Result<bool> {
            Ok(true)
        }

        /// `rel`, every folder on the way checked to be one (not a symlink).
        fn at(&self, rel: &str) -> io::Result<PathBuf> {
            let rel = checked(rel)?;
            let mut at = self.path.clone();
            let parts: Vec<&str> = rel.split('/').collect();
            for (i, c) in parts.iter().enumerate() {
                at.push(c);
                if i + 1 < parts.len() {
                    let m = std::fs::symlink_metadata(&at)?;
                    if m.file_type().is_symlink() {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidInput,
                            "a symlink on the way",
                        ));
                    }
                    if !m.is_dir() {
                        return Err(io::Error::new(
                            io::ErrorKind::NotADirectory,
                            "not a directory",
                        ));
                    }
                }
            }
            Ok(at)
        }

        pub(super) fn meta(&self, rel: &str) -> io::Result<Option<Meta>> {
            match self.at(rel).and_then(std::fs::symlink_metadata) {
                Ok(m) => Ok(Some(Meta {
                    kind: kind_of(m.file_type()),
                    len: m.len(),
                    id: (0, 0),
                })),
                Err(e) if super::is_missing(&e) => Ok(None),
                Err(e) => Err(e),
            }
        }

        pub(super) fn meta_walk(&self, rel: &str) -> io::Result<Option<Meta>> {
            self.meta(rel)
        }

        pub(super) fn read_file(&self, rel: &str, max: u64) -> io::Result<super::Found> {
            let seen = match self.meta(rel)? {
                None => return Ok(super::Found::Missing),
                Some(m) => m,
            };
            if let Some(why) = seen.kind.refusal() {
                return Ok(super::Found::Refused {
                    at: rel.to_string(),
                    why,
                });
            }
            if seen.len > max {
                return Ok(super::Found::TooBig(seen.len));
            }
            let mut bytes = Vec::new();
            std::fs::File::open(self.at(rel)?)?
                .take(max + 1)
                .read_to_end(&mut bytes)?;
            if bytes.len() as u64 > max {
                return Ok(super::Found::TooBig(bytes.len() as u64));
            }
            Ok(super::Found::File {
                bytes,
                executable: false,
            })
        }

        /// Creates `rel` (it must not exist) and writes `contents`.
        pub(crate) fn create(&self, rel: &str, contents: &[u8], _mode: u32) -> io::Result<()> {
            let at = self.at(rel)?;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&at)?;
            let result = f.write_all(contents);
            if result.is_err() {
                let _ = std::fs::remove_file(&at);
            }
            result
        }

        /// Writes `rel`'s data to disk.
        pub(crate) fn sync(&self, rel: &str) -> io::Result<()> {
            std::fs::File::open(self.at(rel)?)?.sync_all()
        }

        /// Renames `from` to `to`.
        pub(crate) fn rename(&self, from: &str, to: &str) -> io::Result<()> {
            std::fs::rename(self.at(from)?, self.at(to)?)
        }

        /// A second name for the file `from`.
        pub(crate) fn link(&self, from: &str, to: &str) -> io::Result<()> {
            std::fs::hard_link(self.at(from)?, self.at(to)?)
        }

        /// Removes the file `rel`.
        pub(crate) fn unlink(&self, rel: &str) -> io::Result<()> {
            std::fs::remove_file(self.at(rel)?)
        }

        /// Makes the directory `rel`.
        pub(crate) fn mkdir(&self, rel: &str, _mode: u32) -> io::Result<()> {
            std::fs::create_dir(self.at(rel)?)
        }

        /// Removes the directory `rel` if it is empty.
        pub(crate) fn rmdir(&self, rel: &str) -> io::Result<()> {
            std::fs::remove_dir(self.at(rel)?)
        }

        /// Removes `name` in the folder `dir` and everything in it (a symlink as itself).
        pub(super) fn remove_tree_in(&self, dir: &str, name: &str) -> io::Result<()> {
            let rel = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            for (child, kind) in self.list(&rel)? {
                let child = format!("{rel}/{}", child.to_string_lossy());
                if kind == Kind::Dir {
                    let (d, n) = super::split(&child);
                    self.remove_tree_in(d, n)?;
                } else {
                    self.unlink(&child)?;
                }
            }
            self.rmdir(&rel)
        }

        /// The entries of the directory `rel`.
        pub(crate) fn list(&self, rel: &str) -> io::Result<Vec<(OsString, Kind)>> {
            let dir = if rel.is_empty() {
                self.path.clone()
            } else {
                self.at(rel)?
            };
            let mut out = Vec::new();
            for e in std::fs::read_dir(dir)? {
                let e = e?;
                out.push((e.file_name(), kind_of(e.file_type()?)));
            }
            Ok(out)
        }
    }
}

impl Root {
    /// Makes every missing directory on the way to `rel`'s parent (mode `mode`), returning
    /// those it made, parents first. A symlink or file on the way is an error.
    pub(crate) fn make_parents(&self, rel: &str, mode: u32) -> io::Result<Vec<String>> {
        let mut created = Vec::new();
        let Some((dir, _)) = rel.rsplit_once('/') else {
            return Ok(created);
        };
        // Most often the folder is there already: one look.
        if self.meta(dir)?.is_some_and(|m| m.kind == Kind::Dir) {
            return Ok(created);
        }
        let mut end = 0;
        for c in dir.split('/') {
            end += c.len();
            let at = &dir[..end];
            match self.meta(at)? {
                Some(m) if m.kind == Kind::Dir => {}
                Some(m) => {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!("`{at}` {}", m.kind.refusal().unwrap_or("is a file")),
                    ));
                }
                None => {
                    self.mkdir(at, mode)?;
                    created.push(at.to_string());
                }
            }
            end += 1;
        }
        Ok(created)
    }

    /// Whether `a` and `b` are both regular files and the very same file (one file with two
    /// names), never following a symlink. Off Unix, where that cannot be told: never.
    pub(crate) fn same_file(&self, a: &str, b: &str) -> io::Result<bool> {
        #[cfg(unix)]
        {
            Ok(match (self.meta(a)?, self.meta(b)?) {
                (Some(x), Some(y)) => x.kind == Kind::File && y.kind == Kind::File && x.id == y.id,
                _ => false,
            })
        }
        #[cfg(not(unix))]
        {
            let _ = (a, b);
            Ok(false)
        }
    }

    /// Removes the directory `rel` and everything in it, never following a symlink (one
    /// inside is removed as itself). For scaffold's own folders only.
    pub(crate) fn remove_tree(&self, rel: &str) -> io::Result<()> {
        let (dir, name) = split(checked(rel)?);
        self.remove_tree_in(dir, name)
    }

    /// The names in the directory `rel` that are valid UTF-8, with what each is; nothing when
    /// it does not exist.
    pub(crate) fn names(&self, rel: &str) -> io::Result<Vec<(String, Kind)>> {
        match self.list(rel) {
            Ok(entries) => Ok(entries
                .into_iter()
                .filter_map(|(n, k)| n.into_string().ok().map(|n| (n, k)))
                .collect()),
            Err(e) if is_missing(&e) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// Every way a path below the root can lead elsewhere, through both resolvers (openat2
    /// and the walk): what reading it gives, and that changes through a link are refused.
    #[test]
    fn nothing_below_the_root_is_reached_through_a_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root_path = dir.path().join("p");
        std::fs::create_dir_all(root_path.join("real/deep")).unwrap();
        std::fs::write(root_path.join("real/a.txt"), "a").unwrap();
        std::fs::write(dir.path().join("outside.txt"), "secret").unwrap();
        std::os::unix::fs::symlink(dir.path(), root_path.join("up")).unwrap();
        std::os::unix::fs::symlink("..", root_path.join("real/back")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.txt"), root_path.join("l.txt"))
            .unwrap();
        let fifo = root_path.join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let root = Root::open(&root_path).unwrap();
        for use_openat2 in [true, false] {
            assert!(root.dir_with("real/deep", use_openat2).is_ok());
            for rel in ["up", "real/back", "real/back/real", "up/p/real"] {
                assert!(
                    root.dir_with(rel, use_openat2).is_err(),
                    "{rel} opened ({use_openat2})"
                );
            }
        }
        let read = |rel: &str| root.read(rel, 100).unwrap();
        assert_eq!(
            read("real/a.txt"),
            Found::File {
                bytes: b"a".to_vec(),
                executable: false
            }
        );
        assert_eq!(read("missing"), Found::Missing);
        assert_eq!(read("real/a.txt/x"), Found::Missing);
        assert_eq!(
            read("real"),
            Found::Refused {
                at: "real".into(),
                why: "is a directory"
            }
        );
        assert_eq!(
            read("l.txt"),
            Found::Refused {
                at: "l.txt".into(),
                why: "is a symlink"
            }
        );
        assert_eq!(
            read("up/outside.txt"),
            Found::Refused {
                at: "up".into(),
                why: "is a symlink"
            }
        );
        assert_eq!(
            read("real/back/l.txt"),
            Found::Refused {
                at: "real/back".into(),
                why: "is a symlink"
            }
        );
        assert!(matches!(read("fifo"), Found::Refused { why, .. } if why.contains("FIFO")));
        assert_eq!(root.read("real/a.txt", 0).unwrap(), Found::TooBig(1));
        // Changes through a link are refused, and nothing outside changes.
        assert!(root.create("up/new.txt", b"x", 0o644).is_err());
        assert!(root.create("l.txt", b"x", 0o644).is_err());
        assert!(root.unlink("up/outside.txt").is_err());
        assert!(root.rename("real/a.txt", "up/moved.txt").is_err());
        assert!(root.rename("up/outside.txt", "stolen.txt").is_err());
        assert!(root.link("up/outside.txt", "stolen.txt").is_err());
        assert!(root.mkdir("up/made", 0o755).is_err());
        assert!(root.make_parents("up/x/y.txt", 0o755).is_err());
        assert!(root.read("../outside.txt", 100).is_err());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("outside.txt")).unwrap(),
            "secret"
        );
        assert!(!dir.path().join("new.txt").exists() && !dir.path().join("made").exists());
        // A tree removed is removed below the root only: the link goes, not what it points at.
        std::fs::create_dir_all(root_path.join("gone/sub")).unwrap();
        std::os::unix::fs::symlink(dir.path(), root_path.join("gone/sub/link")).unwrap();
        root.remove_tree("gone").unwrap();
        assert!(!root_path.join("gone").exists());
        assert!(dir.path().join("outside.txt").exists());
        // Made with the mode asked for, whatever the umask.
        root.create("real/private", b"s", 0o600).unwrap();
        let mode = std::fs::metadata(root_path.join("real/private"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(root.make_parents("n/m/f.txt", 0o755).unwrap(), ["n", "n/m"]);
    }
}

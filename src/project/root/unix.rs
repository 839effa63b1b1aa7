//! The Unix calls, through rustix (safe wrappers of the system calls).

use std::ffi::OsString;
use std::io::{self, Read as _, Write as _};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};

use super::types::{Kind, Meta, Root, checked, split};

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
        let fd = rustix::fs::open(&path, DIR_FLAGS.difference(OFlags::NOFOLLOW), Mode::empty())?;
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
            match rustix::fs::renameat_with(&a, an, &b, bn, rustix::fs::RenameFlags::NOREPLACE) {
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
            Err(e) if super::types::is_missing(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some((st.st_uid, st.st_mode & 0o7777))),
            Err(e) if super::types::is_missing(&io::Error::from(e)) => Ok(None),
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
            Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) && self.blocked_at(rel).is_some() => {
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
            Err(e) if super::types::is_missing(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(meta_of(&st))),
            Err(e) => {
                let e = io::Error::from(e);
                if super::types::is_missing(&e) {
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
            Err(e) if super::types::is_missing(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(meta_of(&st))),
            Err(e) => {
                let e = io::Error::from(e);
                if super::types::is_missing(&e) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// Reads `rel` (see [`Root::read`]), its folder opened once: looked at, then opened
    /// only if it is a regular file within the bound.
    pub(super) fn read_file(&self, rel: &str, max: u64) -> io::Result<super::types::Found> {
        let missing = |e: &io::Error| super::types::is_missing(e);
        let (dir, name) = match self.parent(rel) {
            Ok(p) => p,
            Err(e) if missing(&e) => return Ok(super::types::Found::Missing),
            Err(e) => return Err(e),
        };
        let seen = match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => meta_of(&st),
            Err(e) => {
                let e = io::Error::from(e);
                return if missing(&e) {
                    Ok(super::types::Found::Missing)
                } else {
                    Err(e)
                };
            }
        };
        if let Some(why) = seen.kind.refusal() {
            return Ok(super::types::Found::Refused {
                at: rel.to_string(),
                why,
            });
        }
        if seen.len > max {
            return Ok(super::types::Found::TooBig(seen.len));
        }
        let flags =
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&dir, name, flags, Mode::empty())?;
        let st = rustix::fs::fstat(&fd)?;
        let now = meta_of(&st);
        if now.kind != Kind::File || now.id != seen.id {
            return Ok(super::types::Found::Refused {
                at: rel.to_string(),
                why: "changed while it was being read",
            });
        }
        if now.len > max {
            return Ok(super::types::Found::TooBig(now.len));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(now.len).unwrap_or(0));
        std::fs::File::from(fd)
            .take(max + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > max {
            return Ok(super::types::Found::TooBig(bytes.len() as u64));
        }
        Ok(super::types::Found::File {
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
                    let st = rustix::fs::statat(&dir, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW)?;
                    kind_of(st.st_mode)
                }
                _ => Kind::Special,
            };
            out.push((name, kind));
        }
        Ok(out)
    }
}

//! Off Unix: paths, with every component's metadata checked first.

use std::ffi::OsString;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use super::types::{Kind, Meta, Root, checked};

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
            Err(e) if super::types::is_missing(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(super) fn meta_walk(&self, rel: &str) -> io::Result<Option<Meta>> {
        self.meta(rel)
    }

    pub(super) fn read_file(&self, rel: &str, max: u64) -> io::Result<super::types::Found> {
        let seen = match self.meta(rel)? {
            None => return Ok(super::types::Found::Missing),
            Some(m) => m,
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
        let mut bytes = Vec::new();
        std::fs::File::open(self.at(rel)?)?
            .take(max + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > max {
            return Ok(super::types::Found::TooBig(bytes.len() as u64));
        }
        Ok(super::types::Found::File {
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
                let (d, n) = super::types::split(&child);
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

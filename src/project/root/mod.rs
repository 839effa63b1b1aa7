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

mod types;

pub(crate) use types::{Found, Kind, Root, is_link_error, is_missing};
use types::{checked, split};

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

// The calls themselves: `impl Root` blocks, one per family of systems.
#[cfg(unix)]
mod unix;

#[cfg(not(unix))]
mod portable;

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

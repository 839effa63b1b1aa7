//! A generated project on disk: finding its root (the directory holding `.scaffold.toml`),
//! reading its answers file as untrusted input, and reading its files without ever following a
//! symlink out of it. `scaffold status` is here: hash-only, no rendering.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use crate::record::{self, Record, State};
use crate::util::error::usage;

/// The most bytes read of one project file to compare it with what scaffold wrote; a larger
/// file is reported as modified without being read.
pub(crate) const MAX_COMPARED_BYTES: u64 = 256 * 1024 * 1024;

/// A project and its answers file.
#[derive(Debug)]
pub(crate) struct Project {
    /// The directory holding `.scaffold.toml`.
    pub(crate) root: PathBuf,
    /// What the answers file says.
    pub(crate) record: Record,
}

/// The project that `start` is in: `start` itself or the nearest ancestor holding a
/// `.scaffold.toml` (so a command run from a subdirectory finds its project).
pub(crate) fn find(start: &Path) -> Result<Project> {
    let absolute = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    let mut at = absolute.as_path();
    loop {
        let candidate = at.join(record::FILE);
        match fs::symlink_metadata(&candidate) {
            Ok(m) if m.file_type().is_symlink() => bail!(
                "`{}` is a symlink; scaffold reads a project's answers file only as a regular file",
                candidate.display()
            ),
            Ok(m) if m.is_file() => {
                return Ok(Project {
                    root: at.to_path_buf(),
                    record: read_record(&candidate, m.len())?,
                });
            }
            _ => {}
        }
        match at.parent() {
            Some(parent) => at = parent,
            None => {
                return Err(usage!(
                    "`{}` is not in a project made by scaffold: no `{}` there or in any folder above",
                    start.display(),
                    record::FILE
                ));
            }
        }
    }
}

fn read_record(path: &Path, len: u64) -> Result<Record> {
    if len > record::MAX_BYTES {
        bail!(
            "`{}` is larger than {} MiB, more than an answers file can be",
            path.display(),
            record::MAX_BYTES / 1024 / 1024
        );
    }
    let mut text = String::new();
    fs::File::open(path)
        .and_then(|f| f.take(record::MAX_BYTES + 1).read_to_string(&mut text))
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    Record::parse(&text).map_err(|problems| {
        anyhow::anyhow!(
            "{}",
            crate::util::text::problems(&format!("`{}`", path.display()), &problems)
        )
    })
}

/// What is at a project path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OnDisk {
    /// Nothing.
    Missing,
    /// A regular file with these bytes.
    File {
        /// The contents.
        bytes: Vec<u8>,
        /// Whether it has an executable bit.
        executable: bool,
    },
    /// Something scaffold does not read: a symlink on the way or at the end, a directory, a
    /// special file, or a file too large to compare.
    Other(String),
}

/// Reads `root/rel` (a checked relative path) without following symlinks anywhere on the
/// way, so that a project file or folder replaced by a link cannot make scaffold read outside
/// the project.
pub(crate) fn read(root: &Path, rel: &str) -> Result<OnDisk> {
    read_checked(
        root,
        rel,
        &std::sync::Mutex::new(std::collections::HashSet::new()),
    )
}

/// [`read`] for many paths, on every core; directories already found to be real ones are not
/// looked at again.
pub(crate) fn read_many(
    root: &Path,
    paths: &[String],
) -> Result<std::collections::BTreeMap<String, OnDisk>> {
    let dirs = std::sync::Mutex::new(std::collections::HashSet::new());
    let one = |p: &String| read_checked(root, p, &dirs).map(|d| (p.clone(), d));
    let workers = crate::util::limits::workers(paths.len(), 128);
    if workers == 1 {
        return paths.iter().map(one).collect();
    }
    let chunk = paths.len().div_ceil(workers);
    std::thread::scope(|s| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(one).collect::<Result<Vec<_>>>()))
            .collect();
        let mut out = std::collections::BTreeMap::new();
        for h in handles {
            let part = h
                .join()
                .map_err(|_| anyhow::anyhow!("a reading thread panicked"))??;
            out.extend(part);
        }
        Ok(out)
    })
}

fn read_checked(
    root: &Path,
    rel: &str,
    dirs: &std::sync::Mutex<std::collections::HashSet<PathBuf>>,
) -> Result<OnDisk> {
    let mut at = root.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        at.push(part);
        let last = i + 1 == parts.len();
        if !last && dirs.lock().is_ok_and(|d| d.contains(&at)) {
            continue;
        }
        let meta = match fs::symlink_metadata(&at) {
            Ok(m) => m,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(OnDisk::Missing);
            }
            Err(e) => return Err(e).with_context(|| format!("cannot inspect `{}`", at.display())),
        };
        if meta.file_type().is_symlink() {
            return Ok(OnDisk::Other(format!("`{}` is a symlink", at.display())));
        }
        if !last && !meta.is_dir() {
            return Ok(OnDisk::Missing);
        }
        if !last && let Ok(mut d) = dirs.lock() {
            d.insert(at.clone());
        }
        if last {
            if !meta.is_file() {
                return Ok(OnDisk::Other(format!(
                    "`{}` is not a regular file",
                    at.display()
                )));
            }
            if meta.len() > MAX_COMPARED_BYTES {
                return Ok(OnDisk::Other(format!(
                    "`{}` is larger than {} MiB",
                    at.display(),
                    MAX_COMPARED_BYTES / 1024 / 1024
                )));
            }
            let bytes = fs::read(&at).with_context(|| format!("cannot read `{}`", at.display()))?;
            return Ok(OnDisk::File {
                bytes,
                executable: crate::util::read::is_executable(&meta),
            });
        }
    }
    Ok(OnDisk::Missing)
}

/// A generated file's state now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FileStatus {
    /// The bytes scaffold wrote.
    Unchanged,
    /// Changed since (or replaced by something that is not a regular file).
    Modified,
    /// Gone.
    Deleted,
    /// The last update left conflicts in it (markers, or its `.scaffold-new`) to resolve.
    Conflicted,
}

impl FileStatus {
    /// The word shown for it.
    pub(crate) fn word(self) -> &'static str {
        match self {
            FileStatus::Unchanged => "unchanged",
            FileStatus::Modified => "modified",
            FileStatus::Deleted => "deleted",
            FileStatus::Conflicted => "conflicted",
        }
    }
}

/// A conflict the last update left that is not resolved yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unresolved {
    /// The generated file.
    pub(crate) path: String,
    /// It still holds the update's conflict markers.
    pub(crate) markers: bool,
    /// The template's version is still beside it (`PATH.scaffold-new`).
    pub(crate) side_file: bool,
}

/// The conflicts the last update recorded that are still there, in the record's order.
pub(crate) fn unresolved(project: &Project) -> Result<Vec<Unresolved>> {
    let mut out = Vec::new();
    for path in &project.record.pending {
        let markers = matches!(
            read(&project.root, path)?,
            OnDisk::File { bytes, .. } if crate::util::merge::has_markers(&bytes, crate::util::merge::OURS)
        );
        let side = format!("{path}{}", crate::util::merge::SIDE_SUFFIX);
        let side_file = read(&project.root, &side)? != OnDisk::Missing;
        if markers || side_file {
            out.push(Unresolved {
                path: path.clone(),
                markers,
                side_file,
            });
        }
    }
    Ok(out)
}

/// The state of every generated file, in path order: hashes only, nothing rendered (and
/// the last update's unresolved conflicts).
pub(crate) fn status(project: &Project) -> Result<Vec<(String, FileStatus)>> {
    let open: Vec<String> = unresolved(project)?.into_iter().map(|u| u.path).collect();
    let mut out = Vec::with_capacity(project.record.files.len());
    for f in &project.record.files {
        if open.contains(&f.path) {
            out.push((f.path.clone(), FileStatus::Conflicted));
            continue;
        }
        let state = match read(&project.root, &f.path)? {
            OnDisk::Missing => FileStatus::Deleted,
            _ if f.state == State::Deleted => FileStatus::Modified,
            OnDisk::Other(_) => FileStatus::Modified,
            OnDisk::File { bytes, .. } => {
                if crate::util::hash::blob_id(&bytes)? == f.blob {
                    FileStatus::Unchanged
                } else {
                    FileStatus::Modified
                }
            }
        };
        out.push((f.path.clone(), state));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn reads_never_follow_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("p");
        fs::create_dir_all(root.join("real")).unwrap();
        fs::write(root.join("real/a.txt"), "a").unwrap();
        fs::write(dir.path().join("outside.txt"), "secret").unwrap();
        std::os::unix::fs::symlink(dir.path(), root.join("linked")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.txt"), root.join("l.txt")).unwrap();
        // (path, what reading it gives)
        for (rel, want) in [
            ("real/a.txt", "file"),
            ("missing.txt", "missing"),
            ("real/a.txt/x", "missing"),
            ("linked/outside.txt", "other"),
            ("l.txt", "other"),
            ("real", "other"),
        ] {
            let got = match read(&root, rel).unwrap() {
                OnDisk::File { .. } => "file",
                OnDisk::Missing => "missing",
                OnDisk::Other(_) => "other",
            };
            assert_eq!(got, want, "{rel}");
        }
    }
}

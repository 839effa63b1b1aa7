//! A template directory on disk, read as untrusted input: regular files only, never through a
//! symlink, within the limits on files and bytes. And a directory template in a git work tree:
//! the commit that holds it as it is, and the version a commit held.

use std::borrow::Cow;
use std::path::Path;

use anyhow::{Context as _, Result, anyhow, bail};

use super::source::{MANIFEST_FILE, Origin, SourceFile, TemplateSource, from_tree, tree_limits};
use crate::util::error::usage;
use crate::util::limits::{MAX_MANIFEST_BYTES, MAX_TEMPLATE_BYTES, MAX_TEMPLATE_FILES};
use crate::util::read::{read_regular, refusal};
use crate::util::text::Shown as _;

/// Loads a template directory from disk. Symlinks and special files (FIFOs, sockets, devices)
/// are refused by name without being opened; sizes and counts are bounded. Version-control
/// metadata at the template's root (`.git`, `.hg`, `.svn`: the template's own repository) is
/// not part of the template and is never read.
pub(crate) fn load_dir(dir: &Path) -> Result<TemplateSource> {
    check_root(dir)?;
    let manifest_text = read_manifest(dir)?;
    // Walk first (names and kinds, from the directory listing: no stat), then open, stat and
    // read the regular files on every core.
    let mut found: Vec<(std::path::PathBuf, String)> = Vec::new();
    let mut refused = Vec::new();
    let walk = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !(e.depth() == 1
                && e.file_name()
                    .to_str()
                    .is_some_and(|n| crate::util::paths::VCS_DIRS.contains(&n)))
        });
    for entry in walk {
        let entry = entry.with_context(|| format!("cannot read `{}`", dir.shown()))?;
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        if rel.as_os_str().is_empty() {
            continue;
        }
        let Some(path) = rel
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect::<Option<Vec<_>>>()
            .map(|parts| parts.join("/"))
        else {
            bail!(
                "template file name `{}` is not valid UTF-8",
                crate::util::text::shown(&entry.path().to_string_lossy())
            );
        };
        let ft = entry.file_type();
        if ft.is_dir() || path == MANIFEST_FILE {
            continue;
        }
        if let Some(why) = refusal(ft) {
            refused.push(format!("`{path}` {why}"));
            continue;
        }
        if found.len() >= MAX_TEMPLATE_FILES {
            bail!(
                "template `{}` has more than {MAX_TEMPLATE_FILES} files",
                dir.shown()
            );
        }
        found.push((entry.into_path(), path));
    }
    if !refused.is_empty() {
        bail!(
            "template `{}` holds files scaffold will not read:\n  {}",
            dir.shown(),
            refused.join("\n  ")
        );
    }
    let mut files = read_all(dir, found)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let name = std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "template".to_string());
    Ok(TemplateSource {
        name,
        origin: Origin::Directory(dir.to_path_buf()),
        manifest_text,
        files,
    })
}

/// Reads the walked files, on every core when there are many; the first error in walk order
/// is reported. Each file is opened without following a symlink in its last component (a
/// file replaced by a symlink since the walk is refused; the directories on the way are the
/// ones the walk saw, not checked again) and measured on its descriptor; the template's
/// total size is counted before each read, so no more than the limit is ever read.
fn read_all(dir: &Path, found: Vec<(std::path::PathBuf, String)>) -> Result<Vec<SourceFile>> {
    let total = std::sync::atomic::AtomicU64::new(0);
    let read = |(full, path): (std::path::PathBuf, String)| {
        let (contents, executable) = read_regular(&full, |len| {
            // Capped, so that no reported size (a FUSE file system can say anything) wraps
            // the shared count.
            let len = len.min(MAX_TEMPLATE_BYTES + 1);
            let before = total.fetch_add(len, std::sync::atomic::Ordering::Relaxed);
            if before.saturating_add(len) > MAX_TEMPLATE_BYTES {
                bail!(
                    "template `{}` holds more than {} MiB",
                    dir.shown(),
                    MAX_TEMPLATE_BYTES / 1024 / 1024
                );
            }
            Ok(())
        })?;
        let file = SourceFile::new(path, Cow::Owned(contents), executable);
        // Hashed on the reading thread, while the bytes are in the cache: the template's id
        // then costs nothing more.
        let _ = file.blob_id();
        Ok(file)
    };
    let workers = crate::util::limits::workers(found.len(), 128);
    if workers == 1 {
        return found.into_iter().map(read).collect();
    }
    let chunk = found.len().div_ceil(workers);
    let mut parts: Vec<Vec<(std::path::PathBuf, String)>> = Vec::new();
    let mut rest = found;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(chunk));
        parts.push(std::mem::replace(&mut rest, tail));
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| s.spawn(move || part.into_iter().map(read).collect::<Result<Vec<_>>>()))
            .collect();
        let mut out = Vec::new();
        for h in handles {
            out.extend(
                h.join()
                    .map_err(|_| anyhow!("a reading thread panicked"))??,
            );
        }
        Ok(out)
    })
}

fn check_root(dir: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(dir)
        .map_err(|e| usage!("cannot read the template directory `{}`: {e}", dir.shown()))?;
    if meta.file_type().is_symlink() {
        bail!(
            "template directory `{}` is a symlink; give the real directory",
            dir.shown()
        );
    }
    if !meta.is_dir() {
        bail!("template `{}` is not a directory", dir.shown());
    }
    Ok(())
}

fn read_manifest(dir: &Path) -> Result<String> {
    let manifest_path = dir.join(MANIFEST_FILE);
    match std::fs::symlink_metadata(&manifest_path) {
        Ok(m) if m.is_file() && m.len() > MAX_MANIFEST_BYTES => bail!(
            "`{}` is larger than {} KiB",
            manifest_path.shown(),
            MAX_MANIFEST_BYTES / 1024
        ),
        Ok(m) if m.is_file() => {}
        Ok(m) if m.file_type().is_symlink() => bail!(
            "`{}` is a symlink; scaffold does not follow symlinks in templates",
            manifest_path.shown()
        ),
        Ok(_) => bail!("`{}` is not a regular file", manifest_path.shown()),
        Err(_) => {
            return Err(usage!(
                "`{}` is not a template: it has no `{MANIFEST_FILE}`",
                dir.shown()
            ));
        }
    }
    // Read as the other files are: what stands there now is opened without following a
    // symlink, and its size is checked again on the open file.
    let (bytes, _) = read_regular(&manifest_path, |len| {
        if len > MAX_MANIFEST_BYTES {
            bail!(
                "`{}` is larger than {} KiB",
                manifest_path.shown(),
                MAX_MANIFEST_BYTES / 1024
            );
        }
        Ok(())
    })?;
    String::from_utf8(bytes).map_err(|_| anyhow!("`{}` is not valid UTF-8", manifest_path.shown()))
}

/// Where a template stands in git: the commit and the directory inside the repository. For
/// a git template, the commit it was read at; for a directory, when it is in a git work tree
/// and is exactly what that commit holds (uncommitted changes: `None`, there is no commit to
/// find it again in).
pub(crate) fn committed_at(source: &TemplateSource) -> Option<(String, String)> {
    let dir = match &source.origin {
        Origin::Directory(dir) => dir,
        Origin::Git(g) => return Some((g.commit.clone(), g.subdir.clone())),
        Origin::Embedded => return None,
    };
    let root = crate::git::repo::work_tree_of(dir)?;
    let dir = std::fs::canonicalize(dir).ok()?;
    let subdir: Vec<String> = dir
        .strip_prefix(&root)
        .ok()?
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let subdir = subdir.join("/");
    let repo = crate::git::tree::open_template_repo(&root).ok()?;
    let commit = repo.head_commit()?;
    let files = repo
        .read_tree(
            &commit,
            (!subdir.is_empty()).then_some(subdir.as_str()),
            &tree_limits(),
        )
        .ok()?;
    let committed = from_tree(&source.name, source.origin.clone(), files).ok()?;
    (committed.id().ok()? == source.id().ok()?).then_some((commit, subdir))
}

/// The directory template `dir` as the commit `commit` held it at `subdir` of its repository.
pub(crate) fn at_commit(dir: &Path, commit: &str, subdir: &str) -> Result<TemplateSource> {
    let root = crate::git::repo::work_tree_of(dir)
        .ok_or_else(|| anyhow!("`{}` is no longer in a git work tree", dir.shown()))?;
    let repo = crate::git::tree::open_template_repo(&root)?;
    let files = repo.read_tree(
        commit,
        (!subdir.is_empty()).then_some(subdir),
        &tree_limits(),
    )?;
    let name = subdir
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .map_or_else(
            || {
                root.file_name().map_or_else(
                    || "template".to_string(),
                    |n| n.to_string_lossy().into_owned(),
                )
            },
            str::to_string,
        );
    from_tree(&name, Origin::Directory(dir.to_path_buf()), files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The template's total size is checked before reading: files that together pass the
    /// limit are refused, whichever thread reads which (a sparse file: nothing is on disk).
    #[test]
    fn the_total_size_is_bounded_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let mut found = Vec::new();
        for i in 0..300 {
            let path = dir.path().join(format!("f{i:03}"));
            std::fs::write(&path, "x").unwrap();
            found.push((path, format!("f{i:03}")));
        }
        let big = dir.path().join("big");
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(MAX_TEMPLATE_BYTES).unwrap();
        found.insert(150, (big, "big".to_string()));
        let err = read_all(dir.path(), found).unwrap_err().to_string();
        assert!(err.contains("holds more than 64 MiB"), "{err}");
        // At the limit exactly, everything is read.
        let file = std::fs::File::create(dir.path().join("big")).unwrap();
        file.set_len(MAX_TEMPLATE_BYTES - 300).unwrap();
        let found = vec![
            (dir.path().join("big"), "big".to_string()),
            (dir.path().join("f000"), "f000".to_string()),
        ];
        let files = read_all(dir.path(), found).unwrap();
        assert_eq!(files.len(), 2);
    }
}

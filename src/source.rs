//! A template as files in memory, whatever it was loaded from, and reading one from disk.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};

use crate::util::error::usage;
use crate::util::limits::{MAX_MANIFEST_BYTES, MAX_TEMPLATE_BYTES, MAX_TEMPLATE_FILES};
use crate::util::read::{read_regular, refusal};

/// Where a git template came from, as recorded and shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitOrigin {
    /// The URL without credentials, or the local repository's path.
    pub(crate) location: String,
    /// Whether `location` is a local repository read in place.
    pub(crate) local: bool,
    /// The ref asked for (`--ref`), if one was.
    pub(crate) reference: Option<String>,
    /// The ref used: the one asked for, or the one the default rule chose.
    pub(crate) resolved: String,
    /// The full commit id.
    pub(crate) commit: String,
    /// The template's directory in the repository (empty: the root).
    pub(crate) subdir: String,
}

/// Where a template came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Compiled into the binary.
    Embedded,
    /// A directory on disk.
    Directory(PathBuf),
    /// A commit of a git repository.
    Git(GitOrigin),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Embedded => f.write_str("embedded"),
            Origin::Directory(dir) => write!(f, "{}", dir.display()),
            Origin::Git(g) => write!(f, "{} at {} ({})", g.location, g.resolved, &g.commit[..7]),
        }
    }
}

/// One file of a template.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    /// Path relative to the template root, `/`-separated, never empty, never `..`.
    pub(crate) path: String,
    /// The file's bytes, exactly as stored.
    pub(crate) contents: Cow<'static, [u8]>,
    /// Whether the source file itself is executable (templates on disk only).
    pub(crate) executable: bool,
    /// The git blob id of `contents`, once computed (templates on disk: by the thread that
    /// read the file, while its bytes are in the cache).
    pub(crate) blob: std::sync::OnceLock<String>,
}

impl SourceFile {
    /// A file whose blob id is not computed yet.
    pub(crate) fn new(path: String, contents: Cow<'static, [u8]>, executable: bool) -> Self {
        SourceFile {
            path,
            contents,
            executable,
            blob: std::sync::OnceLock::new(),
        }
    }

    /// The git blob id of the contents.
    pub(crate) fn blob_id(&self) -> &str {
        self.blob
            .get_or_init(|| crate::util::hash::blob(&self.contents))
    }
}

/// A template: its manifest text and every other file, sorted by path.
#[derive(Debug, Clone)]
pub(crate) struct TemplateSource {
    /// The template's name (its directory name).
    pub(crate) name: String,
    /// Where it came from.
    pub(crate) origin: Origin,
    /// The text of `template.toml`.
    pub(crate) manifest_text: String,
    /// Every file except `template.toml`, sorted by path.
    pub(crate) files: Vec<SourceFile>,
}

/// The manifest's file name at a template's root.
pub(crate) const MANIFEST_FILE: &str = "template.toml";

/// The suffix that marks a file for rendering; it is removed on output.
pub(crate) const RENDER_SUFFIX: &str = ".tera";

impl TemplateSource {
    /// Whether `path` names a file of the template, or a directory holding some.
    pub(crate) fn covers(&self, path: &str) -> bool {
        self.files
            .iter()
            .any(|f| crate::util::paths::covers(path, &f.path))
    }

    /// What the template is, exactly: the git tree id of its files with `template.toml`.
    pub(crate) fn id(&self) -> Result<String> {
        let mut entries: Vec<crate::util::hash::Entry<'_>> = self
            .files
            .iter()
            .map(|f| crate::util::hash::Entry {
                path: &f.path,
                executable: f.executable,
                contents: &f.contents,
                id: Some(f.blob_id()),
            })
            .collect();
        entries.push(crate::util::hash::Entry {
            path: MANIFEST_FILE,
            executable: false,
            contents: self.manifest_text.as_bytes(),
            id: None,
        });
        crate::util::hash::tree_id(&entries)
    }

    /// A label for messages: the name, and the directory for templates on disk.
    pub(crate) fn label(&self) -> String {
        match &self.origin {
            Origin::Embedded => self.name.clone(),
            Origin::Directory(dir) => dir.display().to_string(),
            Origin::Git(g) => g.location.clone(),
        }
    }
}

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
        let entry = entry.with_context(|| format!("cannot read `{}`", dir.display()))?;
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
                dir.display()
            );
        }
        found.push((entry.into_path(), path));
    }
    if !refused.is_empty() {
        bail!(
            "template `{}` holds files scaffold will not read:\n  {}",
            dir.display(),
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
                    dir.display(),
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
    let meta = std::fs::symlink_metadata(dir).map_err(|e| {
        usage!(
            "cannot read the template directory `{}`: {e}",
            dir.display()
        )
    })?;
    if meta.file_type().is_symlink() {
        bail!(
            "template directory `{}` is a symlink; give the real directory",
            dir.display()
        );
    }
    if !meta.is_dir() {
        bail!("template `{}` is not a directory", dir.display());
    }
    Ok(())
}

fn read_manifest(dir: &Path) -> Result<String> {
    let manifest_path = dir.join(MANIFEST_FILE);
    match std::fs::symlink_metadata(&manifest_path) {
        Ok(m) if m.is_file() && m.len() > MAX_MANIFEST_BYTES => bail!(
            "`{}` is larger than {} KiB",
            manifest_path.display(),
            MAX_MANIFEST_BYTES / 1024
        ),
        Ok(m) if m.is_file() => {}
        Ok(m) if m.file_type().is_symlink() => bail!(
            "`{}` is a symlink; scaffold does not follow symlinks in templates",
            manifest_path.display()
        ),
        Ok(_) => bail!("`{}` is not a regular file", manifest_path.display()),
        Err(_) => {
            return Err(usage!(
                "`{}` is not a template: it has no `{MANIFEST_FILE}`",
                dir.display()
            ));
        }
    }
    // Read as the other files are: what stands there now is opened without following a
    // symlink, and its size is checked again on the open file.
    let (bytes, _) = read_regular(&manifest_path, |len| {
        if len > MAX_MANIFEST_BYTES {
            bail!(
                "`{}` is larger than {} KiB",
                manifest_path.display(),
                MAX_MANIFEST_BYTES / 1024
            );
        }
        Ok(())
    })?;
    String::from_utf8(bytes)
        .map_err(|_| anyhow!("`{}` is not valid UTF-8", manifest_path.display()))
}

/// A template from the files of a git tree (`template.toml` among them).
pub(crate) fn from_tree(
    name: &str,
    origin: Origin,
    files: Vec<crate::git::tree::TreeFile>,
) -> Result<TemplateSource> {
    let mut manifest_text = None;
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        if f.path == MANIFEST_FILE {
            manifest_text = Some(
                String::from_utf8(f.contents)
                    .map_err(|_| anyhow!("`{MANIFEST_FILE}` is not valid UTF-8"))?,
            );
        } else {
            out.push(SourceFile::new(
                f.path,
                Cow::Owned(f.contents),
                f.executable,
            ));
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(TemplateSource {
        name: name.to_string(),
        origin,
        manifest_text: manifest_text
            .ok_or_else(|| usage!("there is no `{MANIFEST_FILE}` there"))?,
        files: out,
    })
}

/// The limits a template read from git is held to, as one read from a directory.
pub(crate) fn tree_limits() -> crate::git::tree::TreeLimits {
    crate::git::tree::TreeLimits {
        files: MAX_TEMPLATE_FILES,
        file_bytes: MAX_TEMPLATE_BYTES,
        total_bytes: MAX_TEMPLATE_BYTES,
    }
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
        .ok_or_else(|| anyhow!("`{}` is no longer in a git work tree", dir.display()))?;
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

//! The common ground of every repository scaffold opens: its files checked first (so that
//! none can make a read block or never end), configuration isolated from the system, the
//! user and the environment (so nothing a repository holds, and no `GIT_*` variable, can make
//! a program run), finding the repository a directory is in, object ids, and the path rule
//! for names going into or out of a tree.

use std::path::{Path, PathBuf};

use crate::util::text::Shown as _;
use anyhow::{Context, Result, anyhow, bail};
use gix::{ObjectId, Repository};

/// Options that read nothing but the repository's own configuration file, no environment
/// variable, and do not honour `refs/replace/` (which would let a repository show other
/// content under a commit id than the id's own); `extra` are more `key=value` overrides.
pub(crate) fn isolated_with(extra: &[String]) -> gix::open::Options {
    let overrides = extra
        .iter()
        .cloned()
        .chain(["core.useReplaceRefs=false".to_owned()]);
    gix::open::Options::isolated().config_overrides(overrides)
}

/// [`isolated_with`] and no more overrides.
pub(crate) fn isolated() -> gix::open::Options {
    isolated_with(&[])
}

/// Opens the repository at `path` (a work tree, a `.git` directory or a bare repository)
/// isolated, once every file gix reads there has passed [`super::files::checked`]; gix opens
/// exactly what was checked.
pub(crate) fn open(path: &Path) -> Result<Repository> {
    let _task = crate::util::limits::task(format!("reading the git repository `{}`", path.shown()));
    let checked = super::files::checked(path)?;
    gix::open_opts(checked, isolated().open_path_as_is(true))
        .with_context(|| format!("`{}` is not a git repository", path.shown()))
}

/// The repository containing `dir` (itself or a parent): the nearest directory upward that
/// holds a `.git` or is a git directory itself, opened as [`open`] opens one, without looking
/// at the environment (`GIT_DIR`, `GIT_CEILING_DIRECTORIES`, ...). Finding it only looks at
/// what each directory holds; it reads no file.
pub(crate) fn discover(dir: &Path) -> Result<Repository> {
    match find(dir)? {
        Some(repo) => Ok(repo),
        None => bail!(
            "`{}` is not inside a git repository",
            dir.canonicalize()
                .unwrap_or_else(|_| dir.to_path_buf())
                .shown()
        ),
    }
}

/// [`discover`], where no repository is an answer rather than an error (most projects and
/// template directories are in none: an error would be made, and with `RUST_BACKTRACE` set
/// a backtrace captured, on every run for nothing).
pub(crate) fn find(dir: &Path) -> Result<Option<Repository>> {
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot read `{}`", dir.shown()))?;
    let is_file = |p: PathBuf| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file());
    let is_dir = |p: PathBuf| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
    for at in dir.ancestors() {
        // A work tree's `.git`, or a git directory itself (bare, or `.git`).
        if std::fs::symlink_metadata(at.join(".git")).is_ok()
            || (is_file(at.join("HEAD")) && is_dir(at.join("objects")) && is_dir(at.join("refs")))
        {
            return open(at).map(Some);
        }
    }
    Ok(None)
}

/// The root of the git work tree that contains `dir` (searching upward), if there is one.
/// A bare repository, or a `.git` directory, has no work tree.
pub(crate) fn work_tree_of(dir: &Path) -> Option<PathBuf> {
    let repo = find(dir).ok()??;
    let root = repo.workdir()?.canonicalize().ok()?;
    let dir = dir.canonicalize().ok()?;
    // `core.worktree` may put the work tree elsewhere; and inside `.git` is not in it.
    let git_dir = repo.git_dir().canonicalize().ok()?;
    (dir.starts_with(&root) && !dir.starts_with(&git_dir)).then_some(root)
}

/// A full object id (40 hex digits), checked.
pub(crate) fn parse_id(id: &str) -> Result<ObjectId> {
    if id.len() != 40 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("`{id}` is not a full object id (40 hex digits)");
    }
    ObjectId::from_hex(id.as_bytes()).map_err(|e| anyhow!("`{id}` is not an object id: {e}"))
}

/// Checks one path component of a tree entry or of a path given to this module, by the rules
/// every path scaffold writes must pass ([`crate::util::paths`]): not empty, `.` or `..`, no
/// separator or control character, no version-control directory in any disguise.
pub(crate) fn check_component(component: &[u8]) -> Result<(), String> {
    let name =
        std::str::from_utf8(component).map_err(|_| "has a name that is not UTF-8".to_string())?;
    crate::util::paths::check_component(name)
        .map_err(|why| why.trim_start_matches("which ").to_string())
}

/// Checks a relative path given as text (`a/b/c`), component by component.
pub(crate) fn check_path(path: &str) -> Result<(), String> {
    path.split('/')
        .try_for_each(|c| check_component(c.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::testing::*;

    #[test]
    fn blob_ids_are_gits() {
        assert_eq!(blob_id(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
        // (crate::util::hash computes them; here they are compared with git's own.)
        let tmp = tempfile::tempdir().unwrap();
        for bytes in [
            &b"hello\n"[..],
            b"a\r\nb",
            b"\0\x01\xff binary",
            &vec![b'x'; 100_000],
        ] {
            assert_eq!(
                blob_id(bytes),
                git_in(tmp.path(), &["hash-object", "--stdin"], bytes)
            );
        }
    }

    #[test]
    fn finds_the_work_tree_root() {
        let f = fixture();
        let root = f.work.canonicalize().unwrap();
        assert_eq!(work_tree_of(&f.work), Some(root.clone()));
        assert_eq!(work_tree_of(&f.work.join("app")), Some(root));
        assert_eq!(work_tree_of(&f.work.join(".git")), None);
        assert_eq!(work_tree_of(&f.bare()), None);
        assert_eq!(work_tree_of(&f.work.join("missing")), None);
        let outside = tempfile::tempdir().unwrap();
        assert_eq!(work_tree_of(outside.path()), None);
    }
}

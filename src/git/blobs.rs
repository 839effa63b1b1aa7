//! A project's own git history, read: a blob by its id (the bytes scaffold wrote, when the
//! recorded version cannot be rendered again), and what the last commit holds for some paths
//! (to tell uncommitted changes). Read-only.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::repo::{discover, parse_id};
use crate::util::text::Shown as _;

/// A project's git history: the repository that contains the project, found once (a project
/// with thousands of files asks it for thousands of blobs).
pub(crate) struct History {
    repo: gix::Repository,
}

impl History {
    /// The repository that contains `dir` (searching upward); fails when there is none.
    pub(crate) fn of(dir: &Path) -> Result<History> {
        Ok(History {
            repo: discover(dir)?,
        })
    }

    /// The blob `blob_id`, or `None` when the repository does not have it. Fails when the
    /// object is not a blob, or when it is larger than `max_bytes`.
    pub(crate) fn blob(&self, blob_id: &str, max_bytes: u64) -> Result<Option<Vec<u8>>> {
        let id = parse_id(blob_id)?;
        let repo = &self.repo;
        let place = || format!("object `{blob_id}` in `{}`", repo.git_dir().shown());
        let Some(header) = repo.try_find_header(id).with_context(place)? else {
            return Ok(None);
        };
        if header.kind() != gix::object::Kind::Blob {
            bail!("{} is a {}, not a blob", place(), header.kind());
        }
        if header.size() > max_bytes {
            bail!(
                "{} has {} bytes, more than the limit of {max_bytes}",
                place(),
                header.size()
            );
        }
        let object = repo.find_object(id).with_context(place)?;
        if object.data.len() as u64 > max_bytes {
            bail!("{} has more than {max_bytes} bytes", place());
        }
        Ok(Some(object.detach().data))
    }
}

/// The blob `blob_id` from the repository that contains `repo_dir` ([`History::blob`]).
#[cfg(test)]
pub(crate) fn find_blob(repo_dir: &Path, blob_id: &str, max_bytes: u64) -> Result<Option<Vec<u8>>> {
    History::of(repo_dir)?.blob(blob_id, max_bytes)
}

/// The blob ids that the last commit (`HEAD`) of the git work tree containing `dir` holds for
/// these paths (relative to `dir`): `None` when `dir` is not in a work tree; a path missing
/// from the map is not in the commit. Used to tell whether a file has uncommitted changes.
pub(crate) fn committed_blobs(
    dir: &Path,
    paths: &[String],
) -> Result<Option<std::collections::HashMap<String, String>>> {
    let Ok(Some(repo)) = super::repo::find(dir) else {
        return Ok(None);
    };
    let Some(root) = repo.workdir().and_then(|w| w.canonicalize().ok()) else {
        return Ok(None);
    };
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot read `{}`", dir.shown()))?;
    let Ok(prefix) = dir.strip_prefix(&root) else {
        return Ok(None);
    };
    let prefix: Vec<String> = prefix
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let mut out = std::collections::HashMap::new();
    let Ok(commit) = repo.head_commit() else {
        // A repository without a commit yet: nothing is committed.
        return Ok(Some(out));
    };
    let tree = commit
        .tree()
        .with_context(|| format!("cannot read the last commit of `{}`", root.shown()))?;
    for path in paths {
        let full: Vec<&str> = prefix
            .iter()
            .map(String::as_str)
            .chain(path.split('/'))
            .collect();
        if let Ok(Some(entry)) = tree.lookup_entry(full)
            && entry.mode().is_blob()
        {
            out.insert(path.clone(), entry.object_id().to_hex().to_string());
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::git::repo::work_tree_of;
    use crate::git::testing::*;
    use crate::git::tree::{TEST_LIMITS as LIMITS, open_template_repo};

    #[cfg(unix)]
    #[test]
    fn a_hostile_repository_runs_nothing() {
        let f = fixture();
        let tmp = f.work.parent().unwrap();
        let marker = tmp.join("marker");
        let script = tmp.join("evil.sh");
        write(
            &script,
            format!("#!/bin/sh\necho \"$0 $*\" >> '{}'\ncat\n", marker.display()).as_bytes(),
        );
        make_executable(&script);
        write(&f.work.join(".gitattributes"), b"* filter=x diff=x\n");
        git(&f.work, &["add", ".gitattributes"]);
        git(&f.work, &["commit", "-q", "-m", "attributes"]);
        let head = git(&f.work, &["rev-parse", "HEAD"]);
        let hooks = tmp.join("hooks");
        for hook in [
            "post-checkout",
            "pre-commit",
            "post-commit",
            "reference-transaction",
            "post-index-change",
        ] {
            for dir in [&hooks, &f.work.join(".git/hooks")] {
                write(&dir.join(hook), &std::fs::read(&script).unwrap());
                make_executable(&dir.join(hook));
            }
        }
        let s = script.display();
        let mut config = std::fs::OpenOptions::new()
            .append(true)
            .open(f.work.join(".git/config"))
            .unwrap();
        write!(
            config,
            "[core]\n\tfsmonitor = {s}\n\thooksPath = {}\n\tsshCommand = {s}\n\tpager = {s}\n\teditor = {s}\n\
             [filter \"x\"]\n\tsmudge = {s}\n\tclean = {s}\n[diff \"x\"]\n\ttextconv = {s}\n\
             [diff]\n\texternal = {s}\n[credential]\n\thelper = !{s}\n[gpg]\n\tprogram = {s}\n\
             [commit]\n\tgpgSign = true\n[uploadpack]\n\tpackObjectsHook = {s}\n",
            hooks.display()
        )
        .unwrap();
        drop(config);
        assert!(!marker.exists());

        // Everything the module offers, on that repository.
        let repo = open_template_repo(&f.work).unwrap();
        assert_eq!(repo.resolve("main").unwrap().commit, head);
        assert_eq!(repo.resolve("v1.1.0").unwrap().commit, f.c2);
        assert_eq!(repo.tags().unwrap().len(), 2);
        assert_eq!(repo.default_branch().as_deref(), Some("main"));
        let files = repo.read_tree(&head, None, &LIMITS).unwrap();
        assert_eq!(
            files
                .iter()
                .find(|f| f.path == "README.md")
                .unwrap()
                .contents,
            b"# template\n"
        );
        assert_eq!(
            work_tree_of(&f.work.join("app")),
            Some(f.work.canonicalize().unwrap())
        );
        assert_eq!(
            find_blob(&f.work.join("app"), &blob_id(b"new\n"), 100)
                .unwrap()
                .as_deref(),
            Some(&b"new\n"[..])
        );
        let dest = tmp.join("new-project");
        write(&dest.join("a.txt"), b"a\n");
        assert!(
            !marker.exists(),
            "a program ran: {}",
            std::fs::read_to_string(&marker).unwrap_or_default()
        );

        // The trap is armed: git itself runs these programs.
        std::fs::remove_file(f.work.join("README.md")).unwrap();
        let mut cmd = git_cmd(&f.work);
        cmd.args(["checkout", "--", "README.md"]);
        let _ = cmd.output().unwrap();
        let ran = std::fs::read_to_string(&marker).unwrap_or_default();
        assert!(
            ran.contains("evil.sh"),
            "git did not run the scripts: {ran:?}"
        );
    }

    #[test]
    fn finds_blobs_by_id_within_bounds() {
        let f = fixture();
        let id = blob_id(b"a\r\nb\r\n");
        for dir in [f.work.join("app"), f.bare()] {
            assert_eq!(
                find_blob(&dir, &id, 6).unwrap().as_deref(),
                Some(&b"a\r\nb\r\n"[..])
            );
            assert_eq!(
                find_blob(&dir, &blob_id(b"never committed"), 100).unwrap(),
                None
            );
            let err = find_blob(&dir, &id, 5).unwrap_err().to_string();
            assert!(err.contains("6 bytes, more than the limit of 5"), "{err}");
            let err = find_blob(&dir, &f.c1, 1000).unwrap_err().to_string();
            assert!(err.contains("is a commit, not a blob"), "{err}");
            let err = find_blob(&dir, "HEAD", 1000).unwrap_err().to_string();
            assert!(err.contains("not a full object id"), "{err}");
        }
        let outside = tempfile::tempdir().unwrap();
        assert!(
            find_blob(outside.path(), &id, 100)
                .unwrap_err()
                .to_string()
                .contains("not inside a git repository")
        );
    }
}

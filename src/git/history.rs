//! A project's own git history, read: a blob by its id (the bytes scaffold wrote, when the
//! recorded version cannot be rendered again), and what the last commit holds for some paths
//! (to tell uncommitted changes). Read-only.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::repo::{discover, parse_id};

/// The blob `blob_id` from the object database of the repository that contains `repo_dir`
/// (searching upward), or `None` when the repository does not have it. Fails when there is
/// no repository, when the object is not a blob, or when it is larger than `max_bytes`.
pub(crate) fn find_blob(repo_dir: &Path, blob_id: &str, max_bytes: u64) -> Result<Option<Vec<u8>>> {
    let id = parse_id(blob_id)?;
    let repo = discover(repo_dir)?;
    let place = || format!("object `{blob_id}` in `{}`", repo.git_dir().display());
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

/// The blob ids that the last commit (`HEAD`) of the git work tree containing `dir` holds for
/// these paths (relative to `dir`): `None` when `dir` is not in a work tree; a path missing
/// from the map is not in the commit. Used to tell whether a file has uncommitted changes.
pub(crate) fn committed_blobs(
    dir: &Path,
    paths: &[String],
) -> Result<Option<std::collections::HashMap<String, String>>> {
    let Ok(repo) = discover(dir) else {
        return Ok(None);
    };
    let Some(root) = repo.workdir().and_then(|w| w.canonicalize().ok()) else {
        return Ok(None);
    };
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot read `{}`", dir.display()))?;
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
        .with_context(|| format!("cannot read the last commit of `{}`", root.display()))?;
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

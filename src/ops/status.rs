//! `scaffold status`: the state of every generated file, by hash only (nothing is rendered),
//! and the conflicts the last update left that are not resolved yet.

use anyhow::Result;

use crate::project::disk::{OnDisk, Project, read};
use crate::project::record::State;
use crate::util::text::Shown as _;

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
    /// It still holds the update's conflict markers: more lines that open a conflict than the
    /// update counted as the text's own.
    pub(crate) markers: bool,
    /// The template's version is still beside it (`PATH.scaffold-new`).
    pub(crate) side_file: bool,
}

/// The conflicts the last update recorded that are still there, in the record's order.
pub(crate) fn unresolved(project: &Project) -> Result<Vec<Unresolved>> {
    let mut out = Vec::new();
    for path in &project.record.pending {
        // Counted, not searched for: the text may hold lines that look like markers (the
        // update recorded how many), and only more than those are the update's.
        let lookalikes = project.record.lookalikes.get(path).copied().unwrap_or(0);
        let markers = matches!(
            read(&project.dir, path)?,
            OnDisk::File { bytes, .. }
                if crate::util::merge::open_markers(&bytes, crate::util::merge::OURS) > lookalikes
        );
        let side = format!("{path}{}", crate::util::merge::SIDE_SUFFIX);
        let side_file = read(&project.dir, &side)? != OnDisk::Missing;
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
    crate::util::limits::stage(format!(
        "comparing the files of `{}` with what scaffold wrote",
        project.root.shown()
    ));
    let open: std::collections::HashSet<String> =
        unresolved(project)?.into_iter().map(|u| u.path).collect();
    let mut out = Vec::with_capacity(project.record.files.len());
    for f in &project.record.files {
        if open.contains(&f.path) {
            out.push((f.path.clone(), FileStatus::Conflicted));
            continue;
        }
        let state = match read(&project.dir, &f.path)? {
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

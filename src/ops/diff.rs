//! `scaffold diff`: what the user changed in a project's generated files, against what scaffold
//! generated (the recorded template version rendered again with the recorded answers). Where
//! that cannot be reproduced, it says so and shows what it can.

use anyhow::Result;

use crate::ops::status::FileStatus;
use crate::project::disk::{self, OnDisk, Project};
use crate::sources::registry::Registry;
use crate::sources::{Reference, Unavailable};

/// The base a file is compared against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Base {
    /// The recorded version rendered again, giving exactly the bytes scaffold wrote.
    Rendered(Vec<u8>),
    /// The bytes scaffold wrote, found by their blob id in the project's git history.
    FromGit(Vec<u8>),
    /// The recorded bytes could not be reproduced: why.
    Unknown(String),
}

/// One changed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    /// Its path in the project.
    pub(crate) path: String,
    /// Modified or deleted.
    pub(crate) status: FileStatus,
    /// What scaffold generated, if known.
    pub(crate) base: Base,
    /// What is there now (None when deleted or not a regular file).
    pub(crate) now: Option<Vec<u8>>,
}

/// What `diff` found.
#[derive(Debug)]
pub(crate) struct Report {
    /// Why the recorded version could not be rendered again, if it could not.
    pub(crate) no_base: Option<String>,
    /// The changed files, in path order.
    pub(crate) changes: Vec<Change>,
}

/// The changes to the generated files at `paths` (project-relative; all when empty).
pub(crate) fn run(registry: &Registry, project: &Project, paths: &[String]) -> Result<Report> {
    // Half-written files are not the user's changes: an unfinished update comes first.
    if let Some(u) = crate::project::journal::unfinished(&project.dir)? {
        anyhow::bail!("{}", u.message(Some(&project.root)));
    }
    let statuses = crate::ops::status::status(project)?;
    let wanted = |p: &str| {
        paths.is_empty()
            || paths
                .iter()
                .any(|w| w == p || p.starts_with(&format!("{}/", w.trim_end_matches('/'))))
    };
    let changed: Vec<(String, FileStatus)> = statuses
        .into_iter()
        .filter(|(p, s)| *s != FileStatus::Unchanged && wanted(p))
        .collect();
    let mut no_base = None;
    let base = if changed.is_empty() {
        None
    } else {
        // From the cache only: a project's answers file may come from someone else, and
        // looking at your changes must not contact the host it names.
        let made_from = Reference::MadeFrom {
            template: &project.record.template,
            root: &project.root,
            offline: true,
        };
        match crate::sources::locate(registry, &made_from) {
            Ok(source) => Some(crate::project::base::rebuild(project, source)?),
            Err(e) => {
                no_base = Some(Unavailable::reason(e)?);
                None
            }
        }
    };
    let mut out = Vec::with_capacity(changed.len());
    for (path, status) in changed {
        let recorded = project.record.files.iter().find(|f| f.path == path);
        let rendered = base.as_ref().and_then(|b| b.files.get(&path));
        let base_bytes = match (rendered, recorded) {
            (Some(f), Some(r)) if crate::util::hash::blob_id(&f.contents)? == r.blob => {
                Base::Rendered(f.contents.clone())
            }
            (Some(_), _) if base.as_ref().is_some_and(|b| !b.secret_found) => Base::Unknown(
                "the file held the cookie secret, which is no longer in the project".to_string(),
            ),
            (Some(_), _) => Base::Unknown(
                "rendering the recorded version again does not give the bytes scaffold wrote"
                    .to_string(),
            ),
            (None, _) => Base::Unknown(
                no_base
                    .clone()
                    .unwrap_or_else(|| "the recorded version no longer renders it".to_string()),
            ),
        };
        // Where the render cannot give the bytes, the project's git history may hold them.
        let base_bytes = match (base_bytes, recorded) {
            (Base::Unknown(why), Some(r)) => {
                match crate::git::blobs::find_blob(&project.root, &r.blob, disk::MAX_COMPARED_BYTES)
                {
                    Ok(Some(bytes)) => Base::FromGit(bytes),
                    _ => Base::Unknown(why),
                }
            }
            (b, _) => b,
        };
        let now = match disk::read(&project.dir, &path)? {
            OnDisk::File { bytes, .. } => Some(bytes),
            _ => None,
        };
        out.push(Change {
            path,
            status,
            base: base_bytes,
            now,
        });
    }
    Ok(Report {
        no_base,
        changes: out,
    })
}

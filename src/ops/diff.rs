//! `scaffold diff`: what the user changed in a project's generated files, against what scaffold
//! generated (the recorded template version rendered again with the recorded answers, else the
//! recorded bytes from the project's git history). Where that cannot be reproduced, it says so
//! and shows what it can. Linear in the number of files: each file is looked up by path, the
//! git history found once.

use std::cell::OnceCell;
use std::collections::HashMap;

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

/// What `diff` found: the changed files, and what to compare each with, read one at a time
/// ([`Report::change`]) so that a project of many large files is never held in memory whole.
pub(crate) struct Report<'a> {
    /// Why the recorded version could not be rendered again, if it could not.
    pub(crate) no_base: Option<String>,
    /// The changed files, in path order.
    pub(crate) changed: Vec<(String, FileStatus)>,
    project: &'a Project,
    base: Option<crate::project::base::Base>,
    /// The recorded blob id of each generated file.
    recorded: HashMap<String, String>,
    /// The project's git history, opened the first time it is needed (once, not per file).
    history: OnceCell<Option<crate::git::blobs::History>>,
}

/// The changes to the generated files at `paths` (project-relative; all when empty).
pub(crate) fn run<'a>(
    registry: &Registry,
    project: &'a Project,
    paths: &[String],
) -> Result<Report<'a>> {
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
    Ok(Report {
        no_base,
        changed,
        project,
        base,
        recorded: project
            .record
            .files
            .iter()
            .map(|f| (f.path.clone(), f.blob.clone()))
            .collect(),
        history: OnceCell::new(),
    })
}

impl Report<'_> {
    /// One changed file: what scaffold generated, as far as it is known, and what is there now.
    pub(crate) fn change(&self, path: &str, status: FileStatus) -> Result<Change> {
        let _task = crate::util::limits::task(format!(
            "comparing `{}` with what scaffold generated",
            crate::util::text::shown(path)
        ));
        let recorded = self.recorded.get(path);
        let rendered = self.base.as_ref().and_then(|b| b.files.get(path));
        let base_bytes = match (rendered, recorded) {
            (Some(f), Some(blob)) if crate::util::hash::blob_id(&f.contents)? == *blob => {
                Base::Rendered(f.contents.clone())
            }
            (Some(_), _) if self.base.as_ref().is_some_and(|b| !b.secret_found) => Base::Unknown(
                "the file held the cookie secret, which is no longer in the project".to_string(),
            ),
            (Some(_), _) => Base::Unknown(
                "rendering the recorded version again does not give the bytes scaffold wrote"
                    .to_string(),
            ),
            (None, _) => Base::Unknown(
                self.no_base
                    .clone()
                    .unwrap_or_else(|| "the recorded version no longer renders it".to_string()),
            ),
        };
        // Where the render cannot give the bytes, the project's git history may hold them.
        let base_bytes = match (base_bytes, recorded) {
            (Base::Unknown(why), Some(blob)) => {
                let history = self
                    .history
                    .get_or_init(|| crate::git::blobs::History::of(&self.project.root).ok());
                match history
                    .as_ref()
                    .map(|h| h.blob(blob, disk::MAX_COMPARED_BYTES))
                {
                    Some(Ok(Some(bytes))) => Base::FromGit(bytes),
                    _ => Base::Unknown(why),
                }
            }
            (b, _) => b,
        };
        let now = match disk::read(&self.project.dir, path)? {
            OnDisk::File { bytes, .. } => Some(bytes),
            _ => None,
        };
        Ok(Change {
            path: path.to_string(),
            status,
            base: base_bytes,
            now,
        })
    }
}

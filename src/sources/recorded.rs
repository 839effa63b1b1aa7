//! A template as an answers file names it: where it came from (compiled in, a directory, a git
//! repository at a ref), its name and version, its exact id, and the commit it stood at. The
//! answers file (`project::record`) reads and writes these words; the sources find what they
//! name again ([`super::locate`]); and here they are made from where a template was found, and
//! turned back into a command line (`new --replay`).

use std::path::Path;

use super::embedded::EMBEDDED_PREFIX;
use super::source::{GitOrigin, Origin};
use crate::util::paths::{relative, resolve_path};

/// Where the template came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// Built into scaffold, by name.
    Embedded,
    /// A directory: as written in the file (relative to the project's root when it could be).
    Path(String),
    /// A git repository; the commit and subdirectory are the template's `commit`.
    Git {
        /// The URL without credentials, or a local repository's path (relative to the
        /// project's root when it could be).
        location: String,
        /// Whether `location` is a local repository read in place.
        local: bool,
        /// The ref as asked (`--ref`), if one was.
        reference: Option<String>,
        /// The ref used: the one asked for, or the tag or branch the default rule chose.
        resolved: String,
    },
}

/// The template a project was generated from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    /// Where it came from.
    pub(crate) source: Source,
    /// Its name.
    pub(crate) name: String,
    /// Its manifest's `version`, if it has one.
    pub(crate) version: Option<String>,
    /// The git tree id of its files, manifest included: what it was, exactly.
    pub(crate) id: String,
    /// For a directory template in a git work tree, committed as it was: the commit, and the
    /// directory inside the repository (so the version can be found again once the directory
    /// moves on).
    pub(crate) commit: Option<(String, String)>,
}

impl Source {
    /// How the answers file of a project at `dest` names a template found at `origin`: a
    /// directory or a local repository relative to the project, when they share a root.
    pub(crate) fn of(origin: &Origin, dest: &Path) -> Source {
        match origin {
            Origin::Embedded => Source::Embedded,
            Origin::Directory(dir) => {
                let template = resolve_path(dir);
                let at = relative(&resolve_path(dest), &template).unwrap_or(template);
                Source::Path(at.to_string_lossy().into_owned())
            }
            Origin::Git(g) => Source::Git {
                location: if g.local {
                    let repo = resolve_path(Path::new(&g.location));
                    let at = relative(&resolve_path(dest), &repo).unwrap_or(repo);
                    at.to_string_lossy().into_owned()
                } else {
                    g.location.clone()
                },
                local: g.local,
                reference: g.reference.clone(),
                resolved: g.resolved.clone(),
            },
        }
    }
}

impl Template {
    /// The git origin it names (a local repository's path made absolute from the project's
    /// `root`), if it is a git template.
    pub(crate) fn git_origin(&self, root: &Path) -> Option<GitOrigin> {
        let Source::Git {
            location,
            local,
            reference,
            resolved,
        } = &self.source
        else {
            return None;
        };
        let (commit, subdir) = self.commit.clone().unwrap_or_default();
        Some(GitOrigin {
            location: if *local {
                resolve_path(&root.join(location)).display().to_string()
            } else {
                location.clone()
            },
            local: *local,
            reference: reference.clone(),
            resolved: resolved.clone(),
            commit,
            subdir,
        })
    }

    /// How an update's answers file names the template found at `now`: in the project's own
    /// words where the place did not change (a directory as written, a git location as
    /// written, with the ref asked for and the one used now), from `root` when the update was
    /// given another directory (`moved`).
    pub(crate) fn after_update(&self, now: &Origin, root: &Path, moved: bool) -> Source {
        match (&self.source, now) {
            _ if moved => Source::of(now, root),
            (Source::Path(p), _) => Source::Path(p.clone()),
            (
                Source::Git {
                    location, local, ..
                },
                Origin::Git(g),
            ) => Source::Git {
                location: location.clone(),
                local: *local,
                reference: g.reference.clone(),
                resolved: g.resolved.clone(),
            },
            _ => Source::of(now, root),
        }
    }

    /// What names this template again on a command line (`new --replay`): the TEMPLATE
    /// argument, and for a git template the ref asked for and the subdirectory.
    pub(crate) fn argument(&self, root: &Path) -> (String, Option<String>, Option<String>) {
        match &self.source {
            Source::Embedded => (format!("{EMBEDDED_PREFIX}{}", self.name), None, None),
            Source::Path(p) => (root.join(p).display().to_string(), None, None),
            Source::Git {
                location,
                local,
                reference,
                ..
            } => (
                if *local {
                    root.join(location).display().to_string()
                } else {
                    location.clone()
                },
                reference.clone(),
                self.commit.as_ref().map(|(_, s)| s.clone()),
            ),
        }
    }
}

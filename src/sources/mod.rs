//! Where templates come from: compiled into the binary, a directory (on the search path or
//! given), or a git repository (local, or fetched into the cache). Each source gives a
//! template as files in memory.
//!
//! The question "which template is this, and where is it?" is answered here, once:
//! [`locate`] takes every way a command names a template (a TEMPLATE argument, the version a
//! project was made from, the version a project updates to) and returns the template.

pub(crate) mod directory;
pub(crate) mod embedded;
pub(crate) mod git;
pub(crate) mod recorded;
pub(crate) mod registry;
pub(crate) mod source;

use std::path::Path;

use anyhow::{Context as _, Result, bail};

use self::recorded::{Source as Recorded, Template};
use self::registry::Registry;
use self::source::{Origin, TemplateSource};
use crate::util::error::usage;
use crate::util::text::Shown as _;

/// Every way a command names a template.
pub(crate) enum Reference<'a> {
    /// A TEMPLATE argument (`new`, `info`, `check`): a git repository when it is a URL or
    /// comes with `--ref`, else a name on the search path, `embedded:NAME[@VERSION]` or a path.
    Argument {
        /// The argument as given.
        name: &'a str,
        /// The git options given with it; refused without a git repository.
        git: &'a git::Options,
    },
    /// Exactly the version a project was made from, as its answers file names it (the base of
    /// `status`, `diff` and `update`). When it cannot be found, the error is [`Unavailable`].
    MadeFrom {
        /// What the answers file says.
        template: &'a Template,
        /// The project's root, which relative places in the answers file start from.
        root: &'a Path,
        /// For a git template, the cache only: a project's answers file may come from someone
        /// else, and looking at it must not contact the host it names.
        offline: bool,
    },
    /// The version a project updates to: its template where the answers file says, or
    /// another directory (`--template`); a git template at `--ref`, else at the ref the
    /// project asked for, else by the default rule again, in the recorded subdirectory.
    UpdateTo {
        /// What the answers file says.
        template: &'a Template,
        /// The project's root.
        root: &'a Path,
        /// Another template directory to update to (`--template DIR`).
        dir: Option<&'a Path>,
        /// The git options asked for now (`--ref`, `--offline`, `--pre`, `-q`); the
        /// subdirectory is always the recorded one.
        git: &'a git::Options,
    },
}

/// Why the version a project was made from cannot be found again. Not a failure: without it
/// a command works from what else it has, and says why.
#[derive(Debug)]
pub(crate) struct Unavailable(pub(crate) String);

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unavailable {}

impl Unavailable {
    /// The reason, when `err` is an [`Unavailable`]; any other error as it is.
    pub(crate) fn reason(err: anyhow::Error) -> Result<String> {
        err.downcast::<Unavailable>().map(|u| u.0)
    }
}

/// The template a reference names: the one place that decides where a template comes from.
pub(crate) fn locate(registry: &Registry, reference: &Reference<'_>) -> Result<TemplateSource> {
    match *reference {
        Reference::Argument { name, git } => argument(registry, name, git),
        Reference::MadeFrom {
            template,
            root,
            offline,
        } => made_from(template, root, offline),
        Reference::UpdateTo {
            template,
            root,
            dir,
            git,
        } => update_to(template, root, dir, git),
    }
}

/// A TEMPLATE argument: a git source when it is a URL or comes with `--ref`, else what the
/// registry finds. Git-only options without a git source are refused.
fn argument(registry: &Registry, name: &str, git: &git::Options) -> Result<TemplateSource> {
    if git::refs::is_git(name, git.reference.as_deref()) {
        return git::load(name, git);
    }
    let stray = [
        (git.subdir.is_some(), "--subdir"),
        (git.offline, "--offline"),
        (git.pre, "--pre"),
    ];
    if let Some((_, flag)) = stray.iter().find(|(given, _)| *given) {
        return Err(usage!(
            "{flag} is for git templates (a URL, or a local repository with --ref); `{}` is not one",
            crate::util::text::shown(name)
        ));
    }
    registry.find(name)
}

/// The version a project recorded, if this scaffold can still find exactly that version;
/// otherwise [`Unavailable`], saying why. A git template is read at its recorded commit: from
/// the cache when it holds it, else fetched unless `offline`.
fn made_from(t: &Template, root: &Path, offline: bool) -> Result<TemplateSource> {
    let unavailable = |why: String| Err(anyhow::Error::new(Unavailable(why)));
    let source = match &t.source {
        Recorded::Git { .. } => {
            let Some(origin) = t.git_origin(root) else {
                return unavailable("the answers file names no git source".into());
            };
            match git::at_commit(&origin, &origin.commit, &origin.location, offline) {
                Ok(s) => s,
                Err(e) => {
                    return unavailable(format!(
                        "commit {} of `{}` cannot be read ({e:#})",
                        &origin.commit[..origin.commit.len().min(12)],
                        crate::util::text::shown(&origin.location)
                    ));
                }
            }
        }
        Recorded::Embedded => match embedded::embedded_by_id(&t.name, &t.id) {
            Some(s) => return Ok(s),
            None if embedded::get(&t.name).is_none() => {
                return unavailable(format!(
                    "this scaffold has no embedded template `{}`",
                    t.name
                ));
            }
            None => {
                return unavailable(format!(
                    "this scaffold does not keep the version of `{}` the project was made from \
                     ({})",
                    t.name,
                    &t.id[..12]
                ));
            }
        },
        Recorded::Path(p) => {
            let dir = root.join(p);
            let now = directory::load_dir(&dir);
            if let Ok(s) = &now
                && s.id()? == t.id
            {
                return Ok(s.clone());
            }
            // Moved on: the commit it was at holds the version the project was made from.
            if let Some((commit, subdir)) = &t.commit
                && let Ok(s) = directory::at_commit(&dir, commit, subdir)
                && s.id()? == t.id
            {
                return Ok(s);
            }
            match now {
                Ok(s) => s,
                Err(e) => {
                    return unavailable(format!(
                        "the template directory `{}` cannot be read ({e:#})",
                        dir.shown()
                    ));
                }
            }
        }
    };
    if source.id()? == t.id {
        Ok(source)
    } else {
        unavailable(format!(
            "template `{}` has changed since the project was generated (it was {}, it is {})",
            t.name,
            &t.id[..12],
            &source.id()?[..12]
        ))
    }
}

/// The template a project updates to (see [`Reference::UpdateTo`]).
fn update_to(
    t: &Template,
    root: &Path,
    dir: Option<&Path>,
    asked: &git::Options,
) -> Result<TemplateSource> {
    let from_git = matches!(t.source, Recorded::Git { .. }) && dir.is_none();
    if !from_git && (asked.reference.is_some() || asked.pre) {
        return Err(usage!(
            "--ref and --pre are for a project made from a git template; this one's template is \
             {}",
            if dir.is_some() {
                "given with --template"
            } else {
                "not from git"
            }
        ));
    }
    if let Some(dir) = dir {
        return directory::load_dir(dir);
    }
    match &t.source {
        Recorded::Embedded => embedded::get(&t.name)
            .ok_or_else(|| usage!("this scaffold has no embedded template `{}`", t.name)),
        Recorded::Path(p) => {
            let dir = root.join(p);
            directory::load_dir(&dir).with_context(|| {
                format!(
                    "the project's template `{}` cannot be read; give its new place with \
                     --template DIR",
                    dir.shown()
                )
            })
        }
        Recorded::Git { .. } => {
            let origin = t
                .git_origin(root)
                .ok_or_else(|| anyhow::anyhow!("the answers file names no git source"))?;
            // The ref asked for now, else the one asked for then, else the default rule again.
            let options = git::Options {
                reference: asked.reference.clone().or_else(|| origin.reference.clone()),
                subdir: Some(origin.subdir.clone()),
                offline: asked.offline,
                pre: asked.pre,
                quiet: asked.quiet,
            };
            let source = git::load(&origin.location, &options)?;
            if !matches!(source.origin, Origin::Git(_)) {
                bail!("the git source read as something else");
            }
            Ok(source)
        }
    }
}

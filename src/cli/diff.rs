//! `scaffold diff`: the changes made to a project's generated files, as unified diffs. Paths
//! on the command line are taken relative to the current directory, as git does.

use anyhow::{Context as _, Result};

use super::args::DiffArgs;
use super::output::unified;
use crate::ops::diff::{Base, Report};
use crate::sources::registry::Registry;
use crate::util::error::usage;
use crate::util::term::{self, Line, Style};
use crate::util::text::Shown as _;

/// `scaffold diff`.
pub(crate) fn exec(registry: &Registry, args: &DiffArgs) -> Result<()> {
    crate::util::limits::start_for(crate::util::limits::Budget::Reading);
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let mut paths = args.paths.clone();
    let first_is_project = paths
        .first()
        .is_some_and(|p| p.join(crate::project::record::FILE).is_file());
    let project = if first_is_project {
        crate::project::disk::find(&paths.remove(0))?
    } else {
        crate::project::disk::find(&cwd)?
    };
    // Paths are taken relative to the current directory, as git does, then to the project.
    let root = std::fs::canonicalize(&project.root).unwrap_or(project.root.clone());
    let mut wanted = Vec::new();
    for p in &paths {
        let absolute = crate::util::paths::resolve_path(p);
        let rel = absolute.strip_prefix(&root).map_err(|_| {
            usage!(
                "`{}` is not inside the project `{}`",
                p.shown(),
                root.shown()
            )
        })?;
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        wanted.push(rel.join("/"));
    }
    print(&crate::ops::diff::run(registry, &project, &wanted)?)
}

/// Each changed file as a unified diff, or why there is none: each file read, compared and
/// printed in turn (the clock paused while the terminal takes it).
fn print(report: &Report) -> Result<()> {
    use crate::util::limits::waiting;
    if report.changed.is_empty() {
        term::out("no changes: every generated file is as scaffold wrote it");
        return Ok(());
    }
    if let Some(why) = &report.no_base {
        term::err(format!(
            "note: {why}; the files below are listed without their diffs"
        ));
    }
    let width = report
        .changed
        .iter()
        .map(|(_, s)| s.word().len())
        .max()
        .unwrap_or(0)
        .max(9);
    for (path, status) in &report.changed {
        let c = report.change(path, *status)?;
        match &c.base {
            Base::Rendered(base) | Base::FromGit(base) => {
                let _task = crate::util::limits::task(format!(
                    "diffing `{}`",
                    crate::util::text::shown(path)
                ));
                unified(&c.path, Some(base), c.now.as_deref());
            }
            Base::Unknown(why) => waiting(|| {
                term::out(
                    Line::new()
                        .styled(Style::Yellow, format!("{:<width$}", c.status.word()))
                        .plain(format!(" {} (no diff: {why})", c.path)),
                );
            }),
        }
    }
    Ok(())
}

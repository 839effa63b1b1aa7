//! `scaffold status`: which generated files were changed, deleted or left as generated, and
//! whether the template version the project was made from can still be found (from the cache
//! only: nothing is fetched).

use anyhow::Result;
use serde_json::json;

use super::args::StatusArgs;
use crate::ops::status::{self, FileStatus};
use crate::project::disk::Project;
use crate::project::journal::Unfinished;
use crate::sources::registry::Registry;
use crate::sources::{self, Reference, Unavailable};
use crate::util::term::{self, Line, Style};

/// `scaffold status`.
pub(crate) fn exec(registry: &Registry, args: &StatusArgs) -> Result<()> {
    crate::util::limits::start_for(crate::util::limits::Budget::Reading);
    let start = args.project.clone().unwrap_or_else(|| ".".into());
    let project = crate::project::disk::find(&start)?;
    // An update that is running or did not finish comes first: its files are not the user's.
    let unfinished = crate::project::journal::unfinished(&project.dir)?;
    let files = status::status(&project)?;
    // From the cache only: a project's answers file may come from someone else.
    let made_from = Reference::MadeFrom {
        template: &project.record.template,
        root: &project.root,
        offline: true,
    };
    let template = match sources::locate(registry, &made_from) {
        Ok(_) => Ok(()),
        Err(e) => Err(Unavailable::reason(e)?),
    };
    print(&project, unfinished.as_ref(), &template, &files, args.json);
    let dirty = unfinished.is_some() || files.iter().any(|(_, s)| *s != FileStatus::Unchanged);
    if args.exit_code && dirty {
        return Err(anyhow::Error::new(crate::util::error::Silent(1)));
    }
    Ok(())
}

/// An unfinished update first; then the project, whether its recorded template version is
/// available, and each file's state.
fn print(
    project: &Project,
    unfinished: Option<&Unfinished>,
    template: &Result<(), String>,
    files: &[(String, FileStatus)],
    as_json: bool,
) {
    let t = &project.record.template;
    let source = match &t.source {
        crate::sources::recorded::Source::Embedded => "embedded".to_string(),
        crate::sources::recorded::Source::Path(p) => p.clone(),
        crate::sources::recorded::Source::Git { location, .. } => location.clone(),
    };
    let at = match &t.source {
        crate::sources::recorded::Source::Git { resolved, .. } => Some(resolved.clone()),
        _ => None,
    };
    if as_json {
        term::out_json(&json!({
            "root": project.root.display().to_string(),
            "unfinished": unfinished.map(|u| json!({
                "state": u.state(),
                "message": u.message(None),
            })),
            "template": {
                "name": t.name,
                "source": source,
                "ref": at,
                "commit": t.commit.as_ref().map(|(c, _)| c),
                "version": t.version,
                "id": t.id,
                "available": template.is_ok(),
                "why_not": template.as_ref().err(),
            },
            "files": files.iter().map(|(p, s)| json!({"path": p, "state": s})).collect::<Vec<_>>(),
        }));
        return;
    }
    if let Some(u) = unfinished {
        term::out(Line::new().styled(Style::Red, u.message(None)));
    }
    let version = t
        .version
        .as_deref()
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    term::out(
        Line::new()
            .plain("project ")
            .styled(Style::Bold, project.record.project.name.clone())
            .plain(format!(
                " from template `{}`{version} ({}{}, {})",
                t.name,
                crate::util::text::shown(&source),
                at.map(|r| format!(" at {}", crate::util::text::shown(&r)))
                    .unwrap_or_default(),
                &t.id[..12]
            )),
    );
    match template {
        Ok(()) => term::out("  the recorded template version is available"),
        Err(why) => term::out(format!("  missing template: {why}")),
    }
    let width = files
        .iter()
        .map(|(_, s)| s.word().len())
        .max()
        .unwrap_or(0)
        .max(9);
    for (path, state) in files {
        let style = match state {
            FileStatus::Unchanged => Style::Dim,
            FileStatus::Modified => Style::Yellow,
            FileStatus::Deleted | FileStatus::Conflicted => Style::Red,
        };
        term::out(
            Line::new()
                .plain("  ")
                .styled(style, format!("{:<width$}", state.word()))
                .plain(format!(" {}", crate::util::text::name(path))),
        );
    }
    let count = |s: FileStatus| files.iter().filter(|(_, x)| *x == s).count();
    let conflicted = match count(FileStatus::Conflicted) {
        0 => String::new(),
        n => format!(", {n} conflicted (resolve, then `scaffold update` runs again)"),
    };
    term::out(format!(
        "{} unchanged, {} modified, {} deleted{conflicted}",
        count(FileStatus::Unchanged),
        count(FileStatus::Modified),
        count(FileStatus::Deleted)
    ));
}

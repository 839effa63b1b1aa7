//! `scaffold update`: the request made from the arguments, the update prepared (nothing
//! written), its plan shown (with `--diff`, every change), then applied, and what is left to
//! do; or with `--recover`, an interrupted update undone.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context as _, Result};
use serde_json::{Value as Json, json};

use super::args::UpdateArgs;
use super::output::unified;
use super::{config, preset};
use crate::ops::update::decide::{Verdict, changes};
use crate::ops::update::{self, Prepared, Request};
use crate::sources::registry::Registry;
use crate::template::answers::{Input, Terminal};
use crate::util::error::usage;
use crate::util::term::{self, Line, Style};

/// `scaffold update`.
pub(crate) fn exec(registry: &Registry, args: &UpdateArgs) -> Result<()> {
    let start = args.project.clone().unwrap_or_else(|| ".".into());
    if args.recover {
        return recover(&start);
    }
    crate::util::limits::start();
    let mut project = crate::project::disk::find(&start)?;
    let request = request(args)?;
    // One run at a time writes a project; a dry run writes nothing and takes no lock.
    let _lock = if args.dry_run {
        update::refuse_unfinished(&project)?;
        None
    } else {
        Some(update::lock(&mut project)?)
    };
    let prepared = update::prepare(registry, &project, &request, &mut Terminal)?;
    crate::util::limits::finish();
    if update::is_noop(&prepared) && !args.dry_run {
        update::apply(&project, &prepared, false)?;
        if !args.quiet && !args.json {
            term::out(format!(
                "Up to date: template {}, nothing to change.",
                prepared.to
            ));
        }
        if args.json {
            print_plan(&prepared, false, false, true);
        }
        return Ok(());
    }
    if args.dry_run || (!args.quiet) {
        print_plan(&prepared, args.dry_run, args.diff, args.json);
    }
    if args.dry_run {
        return Ok(());
    }
    let backup = update::apply(&project, &prepared, !args.no_backup)?;
    if !args.json {
        print_done(&prepared, backup.as_deref(), args.quiet);
    }
    if prepared.record.pending.is_empty() {
        Ok(())
    } else {
        Err(anyhow::Error::new(crate::util::error::Silent(3)))
    }
}

/// What the update was asked: `-d` values, then the `--data-file`'s (each key once), and the
/// rest of the flags, checked.
fn request(args: &UpdateArgs) -> Result<Request> {
    let mut defines = config::parse_defines(&args.define)?;
    if let Some(file) = &args.data_file {
        let (_, values) = preset::data_file(file)?;
        for (k, v) in values {
            if !defines.iter().any(|(dk, _)| *dk == k) {
                defines.push((k, v));
            }
        }
    }
    let input = if args.no_input || !std::io::stdin().is_terminal() {
        Input::Defaults
    } else {
        Input::Prompt
    };
    Ok(Request {
        defines,
        input,
        template: args.template.clone(),
        restore: args.restore.iter().cloned().collect(),
        allow_dirty: args.allow_dirty,
        reference: args.reference.clone(),
        offline: args.offline,
        pre: args.pre,
        quiet: args.quiet,
        project_name: match &args.name {
            Some(name) => Some(config::checked_name(name)?),
            None => None,
        },
    })
}

/// `update --recover`: the project put back as it was before an interrupted update (the
/// user's work since kept), or an update that had finished put away; and what was done.
fn recover(start: &Path) -> Result<()> {
    let root = crate::project::disk::find_root(start).unwrap_or_else(|_| start.to_path_buf());
    let dir = crate::project::root::Root::open(&root)
        .with_context(|| format!("cannot open `{}`", root.display()))?;
    let _lock = crate::project::state::lock(&dir)?;
    let Some(done) = update::recover(&dir)? else {
        return Err(usage!(
            "`{}` has no interrupted update to recover from",
            dir.path().display()
        ));
    };
    let plural = crate::util::text::plural;
    let backup = |what: &str| {
        done.backup.as_ref().map(|b| {
            term::out(format!(
                "The previous contents of the files {what} are in `{}`.",
                b.display()
            ));
        })
    };
    if done.finished {
        term::out(
            "The interrupted update had finished (its `.scaffold.toml` was in place): nothing \
             to undo.",
        );
        backup("it changed");
        return Ok(());
    }
    if done.restored > 0 {
        term::out(format!(
            "Put {} file{} back as they were before the interrupted update.",
            done.restored,
            plural(done.restored)
        ));
    }
    if done.removed > 0 {
        term::out(format!(
            "Removed {} file{} the interrupted update had added.",
            done.removed,
            plural(done.removed)
        ));
    }
    if done.folders > 0 {
        term::out(format!(
            "Removed {} folder{} it had made.",
            done.folders,
            plural(done.folders)
        ));
    }
    if done.restored + done.removed == 0 && done.kept.is_empty() {
        term::out("The interrupted update had not changed any file yet: nothing to put back.");
    }
    if !done.kept.is_empty() {
        term::out(format!(
            "Kept {} file{} as they are: changed since the update (your work), they hold \
             neither what it wrote nor what was there before:",
            done.kept.len(),
            plural(done.kept.len())
        ));
        for path in &done.kept {
            term::out(format!("  {}", crate::util::text::shown(path)));
        }
        backup("kept");
    }
    Ok(())
}

/// `scaffold update`: the plan (with `--diff`, every change), then what was done.
fn print_plan(p: &Prepared, dry_run: bool, with_diff: bool, as_json: bool) {
    if as_json {
        let files: Vec<Json> = p
            .steps
            .iter()
            .map(|s| {
                json!({
                    "path": s.path,
                    "action": s.verdict.word(),
                    "renamed_from": s.renamed_from,
                    "note": s.verdict.note(),
                })
            })
            .collect();
        term::out_json(&json!({
            "from": p.from,
            "to": p.to,
            "dry_run": dry_run,
            "answers": p.answer_notes,
            "base": p.base_note,
            "files": files,
            "conflicts": p.record.pending,
        }));
        return;
    }
    let head = if dry_run { "Would update" } else { "Updating" };
    term::out(
        Line::new()
            .styled(Style::Bold, head)
            .plain(format!(" from template {} to {}:", p.from, p.to)),
    );
    for n in &p.answer_notes {
        term::out(format!("  answer    {n}"));
    }
    if let Some(why) = &p.base_note {
        term::out(format!("  note      {why}"));
    }
    for s in &p.steps {
        let style = match s.verdict {
            Verdict::Unchanged | Verdict::Forget | Verdict::Same | Verdict::Adopt => Style::Dim,
            Verdict::Conflict(_) => Style::Red,
            Verdict::Remove | Verdict::KeepDeleted { .. } => Style::Yellow,
            _ => Style::Green,
        };
        let word = if s.renamed_from.is_some() && s.verdict != Verdict::Unchanged {
            format!("rename, {}", s.verdict.word())
        } else {
            s.verdict.word().to_string()
        };
        let path = match &s.renamed_from {
            Some(from) => format!("{from} -> {}", s.path),
            None => s.path.clone(),
        };
        let mut line = Line::new()
            .plain("  ")
            .styled(style, format!("{word:<9}"))
            .plain(format!(" {path}"));
        if let Some(note) = s.verdict.note() {
            line = line.plain("  ").styled(Style::Dim, format!("({note})"));
        }
        term::out(line);
        if with_diff {
            if let Some((bytes, _)) = &s.write
                && s.yours.as_deref() != Some(bytes.as_slice())
            {
                unified(&s.path, s.yours.as_deref(), Some(bytes));
            }
            if s.verdict == Verdict::Remove {
                unified(&s.path, s.yours.as_deref(), None);
            }
        }
    }
}

/// What an update did, and what is left to do.
fn print_done(p: &Prepared, backup: Option<&std::path::Path>, quiet: bool) {
    let conflicts = &p.record.pending;
    if quiet && conflicts.is_empty() {
        return;
    }
    let changed = changes(&p.steps).len();
    term::out(Line::new().styled(Style::Success, "Updated").plain(format!(
        " to template {} ({changed} change{}).",
        p.to,
        crate::util::text::plural(changed)
    )));
    if let Some(dir) = backup {
        term::out(format!(
            "The previous contents of every changed file are in `{}`.",
            dir.display()
        ));
    }
    if !conflicts.is_empty() {
        term::out("");
        term::out(Line::new().styled(
            Style::Red,
            format!(
                "{} file{} with conflicts:",
                conflicts.len(),
                crate::util::text::plural(conflicts.len())
            ),
        ));
        for c in conflicts {
            term::out(format!("  {c}"));
        }
        term::out(format!(
            "Edit the blocks between <<<<<<< yours and >>>>>>> template (both sides usually \
             matter), and for a binary file take what you need from PATH.scaffold-new and delete \
             it{}. The next update refuses to run until they are resolved.",
            if p.in_git { "; then commit" } else { "" }
        ));
    }
}

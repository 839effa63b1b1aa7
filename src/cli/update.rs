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
use crate::ops::update::decide::{Conflict, Verdict};
use crate::ops::update::{self, Prepared, Request};
use crate::sources::registry::Registry;
use crate::template::answers::{Input, Terminal};
use crate::util::error::usage;
use crate::util::term::{self, Line, Style};
use crate::util::text::Shown as _;
use crate::util::text::name;

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
        print_done(&project.dir, &prepared, backup.as_deref(), args.quiet);
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
        dry_run: args.dry_run,
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
        .with_context(|| format!("cannot open `{}`", root.shown()))?;
    let _lock = crate::project::state::lock(&dir)?;
    let Some(done) = update::recover(&dir)? else {
        return Err(usage!(
            "`{}` has no interrupted update to recover from",
            dir.path().shown()
        ));
    };
    let plural = crate::util::text::plural;
    let backup = |what: &str| {
        done.backup.as_ref().map(|b| {
            term::out(format!(
                "The previous contents of the files {what} are in `{}`.",
                b.shown()
            ));
            term::out(format!("{}.", crate::project::journal::backups_note(&dir)));
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
    if done.moved_back > 0 {
        term::out(format!(
            "Moved {} file{} of yours back to the folder the interrupted update had moved.",
            done.moved_back,
            plural(done.moved_back)
        ));
    }
    if done.folders > 0 {
        term::out(format!(
            "Removed {} folder{} it had made.",
            done.folders,
            plural(done.folders)
        ));
    }
    if done.restored + done.removed + done.moved_back == 0 && done.kept.is_empty() {
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
            term::out(format!("  {}", name(path)));
        }
        backup("kept");
    }
    Ok(())
}

/// `scaffold update`: the plan (with `--diff`, every change), then what was done.
fn print_plan(p: &Prepared, dry_run: bool, with_diff: bool, as_json: bool) {
    if as_json {
        print_json(p, dry_run);
        return;
    }
    let head = match (dry_run, &p.refusal) {
        (true, Some(_)) => "Would refuse to update",
        (true, None) => "Would update",
        (false, _) => "Updating",
    };
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
    if let Some(why) = secret_note(p) {
        term::out(
            Line::new()
                .plain("  ")
                .styled(Style::Yellow, format!("note      {why}")),
        );
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
            Some(from) => format!("{} -> {}", name(from), name(&s.path)),
            None => name(&s.path),
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
    print_tail(p);
}

/// A warning when the project's git history holds its cookie secret: the update keeps the
/// secret (it is the project's), so the user must replace it.
fn secret_note(p: &Prepared) -> Option<String> {
    if p.secret_committed.is_empty() {
        return None;
    }
    let quoted = |paths: &[String]| {
        paths
            .iter()
            .map(|f| format!("`{}`", crate::util::text::shown(f)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let now = p
        .record
        .project
        .secret
        .as_ref()
        .map(|s| s.files.clone())
        .unwrap_or_default();
    let one = if p.secret_committed.len() == 1 {
        "was"
    } else {
        "were"
    };
    let mut why = format!(
        "the cookie secret is in this project's git history: {} {one} committed holding it, \
         so anyone with a copy of the repository has it; the update keeps it, so set a new one",
        quoted(&p.secret_committed)
    );
    if !now.is_empty() {
        why.push_str(&format!(" (this version keeps it in {})", quoted(&now)));
    }
    why.push_str(" and wherever the project is deployed");
    Some(why)
}

/// The end of the plan: the user's files that move or stay, the answers file, and the refusal
/// a real run would meet.
fn print_tail(p: &Prepared) {
    for m in &p.moves.moves {
        term::out(
            Line::new()
                .plain("  ")
                .styled(Style::Green, format!("{:<9}", "move"))
                .plain(format!(" {} -> {}  ", name(&m.from), name(&m.to)))
                .styled(Style::Dim, "(yours: it moves with its folder)"),
        );
    }
    for l in &p.moves.left {
        term::out(
            Line::new()
                .plain("  ")
                .styled(Style::Yellow, format!("{:<9}", "left"))
                .plain(format!(" {}  ", name(&l.path)))
                .styled(Style::Dim, format!("({})", l.why)),
        );
    }
    if !p.record_notes.is_empty() {
        term::out(
            Line::new()
                .plain("  ")
                .styled(Style::Green, format!("{:<9}", "record"))
                .plain(format!(" {}  ", crate::project::record::FILE))
                .styled(Style::Dim, format!("({})", p.record_notes.join("; "))),
        );
    }
    if let Some(why) = &p.refusal {
        term::out("");
        term::out("(a real run would be refused; nothing was written)");
        for line in why.lines() {
            term::out(line);
        }
    }
}

/// The plan (and, after a real run, the result) as JSON.
fn print_json(p: &Prepared, dry_run: bool) {
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
        "moves": p.moves.moves,
        "left": p.moves.left,
        "record": p.record_notes,
        "changes": update::change_count(p),
        "conflicts": p.record.pending,
        "refused": p.refusal,
        "secret_committed": p.secret_committed,
    }));
}

/// What an update did, and what is left to do.
fn print_done(
    root: &crate::project::root::Root,
    p: &Prepared,
    backup: Option<&std::path::Path>,
    quiet: bool,
) {
    let conflicts = &p.record.pending;
    if quiet && conflicts.is_empty() {
        return;
    }
    let changed = update::change_count(p);
    term::out(Line::new().styled(Style::Success, "Updated").plain(format!(
        " to template {} ({changed} change{}).",
        p.to,
        crate::util::text::plural(changed)
    )));
    if let Some(dir) = backup {
        term::out(format!(
            "The previous contents of every changed file are in `{}`.",
            dir.shown()
        ));
        term::out(format!("{}.", crate::project::journal::backups_note(root)));
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
        let binary = |path: &str| {
            p.steps
                .iter()
                .any(|s| s.path == path && s.verdict == Verdict::Conflict(Conflict::Binary))
        };
        for c in conflicts {
            if binary(c) {
                term::out(format!(
                    "  {c}  (yours kept; the template's version is beside it: {c}{})",
                    crate::util::merge::SIDE_SUFFIX,
                    c = name(c)
                ));
            } else {
                term::out(format!("  {}", name(c)));
            }
        }
        let side_files = conflicts.iter().any(|c| binary(c));
        let markers = p
            .steps
            .iter()
            .any(|s| matches!(s.verdict, Verdict::Conflict(c) if c != Conflict::Binary));
        let mut todo = Vec::new();
        if markers {
            todo.push(
                "edit the blocks between <<<<<<< yours and >>>>>>> template (both sides \
                 usually matter)",
            );
        }
        if side_files {
            todo.push("take what you need from each .scaffold-new file, then delete it");
        }
        if p.in_git {
            todo.push("then commit");
        }
        let mut advice = todo.join("; ");
        advice[..1].make_ascii_uppercase();
        term::out(format!(
            "{advice}. The next update refuses to run until they are resolved."
        ));
    }
}

//! `scaffold new`: the request made from the arguments (with `--replay` and `--data-file`,
//! asking for the project name when neither DEST nor `--name` gives it), the project prepared
//! (nothing written), the plan shown or refused, then written, and the result.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde_json::{Map, Value as Json, json};

use super::args::NewArgs;
use super::config::{self, Env};
use super::preset;
use crate::ops::new::{self, FileValues, Prepared, Request};
use crate::project::plan::{Action, DestState, Refusal, Retry};
use crate::sources::registry::Registry;
use crate::template::answers::{Input, Prompter, Terminal};
use crate::util::term::{self, Line, Style};
use crate::util::text::Shown as _;
use crate::util::text::shell_quote;

/// `scaffold new`.
pub(crate) fn exec(registry: &Registry, templates: &[PathBuf], args: &NewArgs) -> Result<()> {
    crate::util::limits::start();
    let env = Env {
        stdin_is_tty: std::io::stdin().is_terminal(),
        cwd: std::env::current_dir().context("cannot read the current directory")?,
    };
    let (preset, from_files) = preset::read(args)?;
    let req = config::resolve_new(args, &env, &preset, &mut || ask_project_name(&mut Terminal))?;
    let mut git = config::git_options(&args.from_git);
    git.quiet = args.quiet;
    git.reference = git.reference.or_else(|| preset.reference.clone());
    git.subdir = git.subdir.or_else(|| preset.subdir.clone());
    let files = not_overridden(args, from_files)?;
    let retry = Retry {
        force: force_command(templates, args),
        update: update_command(templates, args, &req.dest),
    };
    // The destination first, before any question: a project is refused pointing at `update`,
    // and a non-empty directory before questions whose answers would be thrown away.
    let mut looked = new::look(&req.dest)?;
    if !req.force && !req.dry_run {
        let early = match &looked.project {
            Some(p) => Some(Refusal::Project {
                template: p.record.template.name.clone(),
            }),
            None if looked.state == DestState::NonEmpty && req.input == Input::Prompt => {
                Some(Refusal::NotEmptyBeforeQuestions)
            }
            None => None,
        };
        if let Some(refusal) = early {
            bail!("{}", refusal.message(&req.dest, &retry));
        }
    }
    // One run at a time writes into an existing directory; what it decides on is read again
    // under the lock.
    let _lock = if req.force && !req.dry_run && looked.state == DestState::NonEmpty {
        let lock = new::lock(&req.dest)?;
        looked = new::look(&req.dest)?;
        Some(lock)
    } else {
        None
    };
    let made = new::prepare(
        registry,
        &req,
        &git,
        &files,
        &mut Terminal,
        looked.project.as_ref(),
    )?;
    crate::util::limits::finish();
    let refusal = made
        .plan
        .refusal(req.force)
        .map(|r| r.message(&req.dest, &retry));
    if req.dry_run {
        print(&req, &made, refusal.as_deref(), None);
        return Ok(());
    }
    if let Some(message) = refusal {
        bail!("{message}");
    }
    let written = new::write(&made, req.git)?;
    print(&req, &made, None, written.kept.as_deref());
    if let Some((id, left_out)) = written.commit
        && !req.quiet
        && !req.json
    {
        print_commit(&id, &left_out);
    }
    Ok(())
}

/// The `scaffold update` that changes the project at DEST, with the values `new` was given:
/// what a `new` over an existing project suggests instead.
fn update_command(templates: &[PathBuf], args: &NewArgs, dest: &Path) -> String {
    let mut words = vec!["scaffold".to_string()];
    for dir in templates {
        words.push("--templates".to_string());
        words.push(shell_quote(&dir.display().to_string()));
    }
    words.push("update".to_string());
    words.push(shell_quote(&dest.display().to_string()));
    if let Some(file) = &args.data_file {
        words.push("--data-file".into());
        words.push(shell_quote(&file.display().to_string()));
    }
    if let Some(name) = &args.name {
        words.push("--name".into());
        words.push(shell_quote(name));
    }
    for d in &args.define {
        words.push("-d".into());
        words.push(shell_quote(d));
    }
    if args.no_input {
        words.push("--no-input".into());
    }
    words.join(" ")
}

/// The first commit of `new --git`, and the files left out of it.
fn print_commit(id: &str, left_out: &[String]) {
    term::out(format!(
        "Initialised a git repository; first commit {}.",
        &id[..12]
    ));
    if !left_out.is_empty() {
        term::out(format!(
            "Left out of it, as they hold the cookie secret: {}.",
            left_out
                .iter()
                .map(|p| format!("`{}`", crate::util::text::shown(p)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}

/// The values read from files that `-d` does not override: those are checked against the
/// template as `-d` values are, naming the file (the overridden ones are not used, so not
/// checked).
fn not_overridden(args: &NewArgs, from_files: Vec<FileValues>) -> Result<Vec<FileValues>> {
    let given: Vec<String> = config::parse_defines(&args.define)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    Ok(from_files
        .into_iter()
        .map(|(label, values)| {
            let used = values.into_iter().filter(|(k, _)| !given.contains(k));
            (label, used.collect())
        })
        .collect())
}

/// Asks for the project name until it passes the rule.
fn ask_project_name(prompter: &mut dyn Prompter) -> Result<String> {
    loop {
        let Some(name) = prompter.ask("project name: ")? else {
            bail!("end of input while asking for the project name");
        };
        match crate::template::builtins::check_project_name(&name) {
            Ok(()) => return Ok(name.trim().to_string()),
            Err(why) => prompter.tell(&format!("the project name: {why}")),
        }
    }
}

/// The same `scaffold new` command with `--force`, to suggest after a refusal.
fn force_command(templates: &[PathBuf], args: &NewArgs) -> String {
    let mut words = vec!["scaffold".to_string()];
    for dir in templates {
        words.push("--templates".to_string());
        words.push(shell_quote(&dir.display().to_string()));
    }
    words.push("new".to_string());
    if let Some(dir) = &args.replay {
        words.push("--replay".into());
        words.push(shell_quote(&dir.display().to_string()));
    }
    if let Some(file) = &args.data_file {
        words.push("--data-file".into());
        words.push(shell_quote(&file.display().to_string()));
    }
    if let Some(t) = &args.template {
        words.push(shell_quote(t));
    }
    if let Some(dest) = &args.dest {
        words.push(shell_quote(&dest.display().to_string()));
    }
    if let Some(name) = &args.name {
        words.push("--name".into());
        words.push(shell_quote(name));
    }
    for d in &args.define {
        words.push("-d".into());
        words.push(shell_quote(d));
    }
    if args.no_input {
        words.push("--no-input".into());
    }
    words.push("--force".into());
    words.join(" ")
}

/// The result (or with --dry-run the plan) of `scaffold new`. `refusal` is the message when
/// the plan is refused without --force; `kept` where the user's overwritten files were kept.
fn print(req: &Request, made: &Prepared, refusal: Option<&str>, kept: Option<&Path>) {
    let (t, rendered, plan) = (&made.loaded, &made.rendered, &made.plan);
    if req.json {
        print_json(req, made, refusal, kept);
        return;
    }
    if req.quiet && !req.dry_run {
        return;
    }
    if req.dry_run {
        print_plan(req, made, refusal);
        return;
    }
    let (created, overwritten, identical) = (
        plan.count(Action::Create),
        plan.count(Action::Overwrite),
        plan.count(Action::Identical),
    );
    let mut summary = format!("{created} created");
    if overwritten > 0 {
        summary.push_str(&format!(", {overwritten} overwritten"));
    }
    if identical > 0 {
        summary.push_str(&format!(", {identical} unchanged"));
    }
    term::out(Line::new().styled(Style::Success, "Created").plain(format!(
        " `{}` from template `{}` ({summary}).",
        req.dest.shown(),
        t.manifest.name
    )));
    if let Some(dir) = kept {
        let names: Vec<String> = plan
            .keep
            .iter()
            .map(|p| format!("`{}`", crate::util::text::name(p)))
            .collect();
        term::out(format!(
            "Kept your previous {} in `{}` (they were not as scaffold wrote them).",
            names.join(", "),
            dir.shown()
        ));
        if let Ok(root) = crate::project::root::Root::open(&req.dest) {
            term::out(format!("{}.", crate::project::journal::backups_note(&root)));
        }
    }
    if let Some(note) = &made.secret_note {
        term::out(format!("Note: {note}."));
    }
    if let Some(next) = &rendered.next_steps {
        term::out("");
        term::out(Line::new().styled(Style::Bold, "Next steps:"));
        for line in next.trim_end().lines() {
            term::out(format!("  {line}"));
        }
    }
}

/// The result (or with --dry-run the plan) of `scaffold new`, as JSON.
fn print_json(req: &Request, made: &Prepared, refusal: Option<&str>, kept: Option<&Path>) {
    let (t, rendered, plan) = (&made.loaded, &made.rendered, &made.plan);
    let mut vars = Map::new();
    for (name, value) in &rendered.answers.values {
        // The secret stays in the generated files; it is not echoed.
        if name != "cookie_secret" {
            vars.insert(name.clone(), value.json());
        }
    }
    let files: Vec<Json> = plan
        .files
        .iter()
        .map(|(f, a)| {
            json!({
                "path": f.path,
                "action": a,
                "executable": f.executable,
                "kept": plan.keep.contains(&f.path),
            })
        })
        .collect();
    let backup = kept
        .or(made.keep_in.as_deref())
        .map(|d| d.display().to_string());
    // How many backups the destination holds once this one is kept (scaffold never removes
    // one).
    let backups = kept.map(|_| {
        crate::project::root::Root::open(&req.dest)
            .map_or(0, |root| crate::project::journal::backup_count(&root))
    });
    term::out_json(&json!({
        "template": t.manifest.name,
        "dest": req.dest.display().to_string(),
        "dry_run": req.dry_run,
        "destination": plan.state,
        "refused_without_force": plan.refusal(false).is_some(),
        "refused": refusal,
        "files": files,
        "backup": backup,
        "backups": backups,
        "secret_note": made.secret_note,
        "variables": vars,
        "next_steps": rendered.next_steps,
    }));
}

/// The plan of `scaffold new --dry-run`, and the refusal a real run would meet.
fn print_plan(req: &Request, made: &Prepared, refusal: Option<&str>) {
    let (t, plan) = (&made.loaded, &made.plan);
    let head = if refusal.is_some() {
        "Would refuse to write"
    } else {
        "Would write"
    };
    term::out(Line::new().styled(Style::Bold, head).plain(format!(
        " `{}` from template `{}` (dry run: nothing written):",
        req.dest.shown(),
        t.manifest.name
    )));
    let keep_in = made
        .keep_in
        .as_deref()
        .map(|d| d.strip_prefix(&req.dest).unwrap_or(d).display().to_string());
    for (f, a) in &plan.files {
        let (style, tag) = match a {
            Action::Create => (Style::Green, "create   "),
            Action::Overwrite => (Style::Yellow, "overwrite"),
            Action::Identical => (Style::Dim, "identical"),
        };
        let mut line = Line::new()
            .plain("  ")
            .styled(style, tag)
            .plain(format!(" {}", crate::util::text::name(&f.path)));
        if let Some(dir) = &keep_in
            && plan.keep.contains(&f.path)
        {
            line = line
                .plain("  ")
                .styled(Style::Dim, format!("(yours: kept in {dir}/ first)"));
        }
        term::out(line);
    }
    if let Some(note) = &made.secret_note {
        term::out(format!("  note      {note}"));
    }
    for l in &plan.leftovers {
        let what = if l.abandoned {
            "remove    (an interrupted run's leftover)"
        } else {
            "refuse    (another run's temporary file)"
        };
        term::out(format!("  {what} {}", l.path));
    }
    if let Some(message) = refusal {
        term::out("");
        term::out("(without --force this would be refused; nothing was written)");
        for line in message.lines() {
            term::out(line);
        }
    }
}

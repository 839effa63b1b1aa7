//! What the user sees of each command's result: tables, summaries, plans, JSON, completion
//! scripts and errors. Every line goes through [`crate::util::term`], which escapes what templates
//! and users wrote and colours only on a terminal.

use clap::CommandFactory;
use serde_json::{Map, Value as Json, json};

use crate::ops::check::Report;
use crate::ops::new::Request as NewRequest;
use crate::project::plan::{Action, Plan};
use crate::sources::source::Origin;
use crate::template::manifest::Loaded;
use crate::template::render::Rendered;
use crate::template::values::Kind;
use crate::util::term::{self, Line, Style};

/// `scaffold list`: name, origin and description; names found in more than one place are
/// marked, with how to choose.
pub(crate) fn list(templates: &[Loaded], as_json: bool) {
    let clashes = |name: &str| templates.iter().filter(|t| t.manifest.name == name).count() > 1;
    if as_json {
        let items: Vec<Json> = templates
            .iter()
            .map(|t| {
                json!({
                    "name": t.manifest.name,
                    "description": t.manifest.description,
                    "follows": t.manifest.follows,
                    "origin": t.source.origin.to_string(),
                    "ambiguous": clashes(&t.manifest.name),
                })
            })
            .collect();
        term::out_json(&Json::Array(items));
        return;
    }
    let origin = |t: &Loaded| t.source.origin.to_string();
    let name_width = templates
        .iter()
        .map(|t| t.manifest.name.chars().count() + 1)
        .max()
        .unwrap_or(0);
    let origin_width = templates
        .iter()
        .map(|t| origin(t).chars().count())
        .max()
        .unwrap_or(0);
    let mut any_clash = false;
    for t in templates {
        let name = &t.manifest.name;
        let mark = if clashes(name) {
            any_clash = true;
            "*"
        } else {
            ""
        };
        let name_cell = format!("{name}{mark}");
        let o = origin(t);
        term::out(
            Line::new()
                .styled(Style::Bold, name_cell.clone())
                .plain(" ".repeat(name_width - name_cell.chars().count() + 1))
                .styled(Style::Dim, o.clone())
                .plain(" ".repeat(origin_width - o.chars().count() + 2))
                .plain(t.manifest.description.clone())
                .plain("  ")
                .styled(Style::Dim, format!("(follows {})", t.manifest.follows)),
        );
    }
    if any_clash {
        term::out("");
        term::out(
            "* found in more than one place: name one by its path, or the built-in one as \
             embedded:NAME",
        );
    }
}

/// `scaffold info`.
pub(crate) fn info(t: &Loaded, as_json: bool) {
    let files: Vec<String> = t
        .source
        .files
        .iter()
        .map(|f| {
            f.path
                .strip_suffix(crate::sources::source::RENDER_SUFFIX)
                .unwrap_or(&f.path)
                .to_string()
        })
        .collect();
    if as_json {
        info_json(t, &files);
    } else {
        info_text(t, &files);
    }
}

fn info_json(t: &Loaded, files: &[String]) {
    let m = &t.manifest;
    let vars: Vec<Json> = m
        .variables
        .iter()
        .map(|v| {
            json!({
                "name": v.name,
                "type": v.kind.to_string(),
                "default": v.default.as_ref().map(crate::template::values::Value::json),
                "choices": if v.kind == Kind::Choice { json!(v.choices) } else { Json::Null },
                "regex": v.regex_source,
                "rule_help": v.rule_help,
                "not_in": v.not_in,
                "when": v.when,
                "help": v.help,
            })
        })
        .collect();
    let conditional: Vec<Json> = m
        .conditional
        .iter()
        .map(|c| json!({"when": c.when, "paths": c.paths}))
        .collect();
    term::out_json(&json!({
        "name": m.name,
        "description": m.description,
        "follows": m.follows,
        "version": m.version,
        "origin": t.source.origin.to_string(),
        "variables": vars,
        "computed": m.computed.iter().map(|c| json!({"name": c.name, "value": c.value})).collect::<Vec<_>>(),
        "conditional": conditional,
        "executable": m.executable,
        "files": files,
        "builtins": crate::template::builtins::BUILTINS
            .iter()
            .map(|b| json!({"name": b.name, "description": b.description}))
            .collect::<Vec<_>>(),
    }));
}

fn info_text(t: &Loaded, files: &[String]) {
    let m = &t.manifest;
    term::out(
        Line::new()
            .styled(Style::Bold, m.name.clone())
            .plain(format!(": {}", m.description)),
    );
    term::out(format!("follows: {}", m.follows));
    if let Ok(Some(v)) = crate::project::record::version_of(t) {
        term::out(format!("version: {}", crate::util::text::shown(&v)));
    }
    match &t.source.origin {
        Origin::Directory(dir) => term::out(format!("from: {}", dir.display())),
        Origin::Git(_) => term::out(format!(
            "from: {}",
            crate::util::text::shown(&t.source.origin.to_string())
        )),
        Origin::Embedded => {}
    }
    term::out("");
    if m.variables.is_empty() {
        term::out("variables: none (besides the project name)");
    } else {
        term::out("variables (set with -d NAME=VALUE):");
        for v in &m.variables {
            let tail = match &v.default {
                Some(d) => format!(" default: {d}"),
                None => " required".to_string(),
            };
            term::out(
                Line::new()
                    .plain("  ")
                    .styled(Style::Bold, v.name.clone())
                    .plain(format!(" ({}){tail}", v.kind)),
            );
            if !v.help.is_empty() {
                term::out(format!("      {}", v.help));
            }
            if v.kind == Kind::Choice {
                term::out(format!("      one of: {}", v.choices.join(", ")));
            }
            match (&v.rule_help, &v.regex_source) {
                (Some(help), _) => term::out(format!("      rule: {help}")),
                (None, Some(re)) => term::out(format!("      rule: {re}")),
                (None, None) => {}
            }
            if !v.not_in.is_empty() {
                term::out(format!("      not: {}", v.not_in.join(", ")));
            }
            if let Some(when) = &v.when {
                term::out(format!("      asked when: {when}"));
            }
        }
    }
    term::out("");
    term::out("built-in variables (every template has them):");
    for b in crate::template::builtins::BUILTINS {
        term::out(
            Line::new()
                .plain("  ")
                .styled(Style::Bold, b.name)
                .plain(format!("  {}", b.description)),
        );
    }
    term::out("");
    term::out("files:");
    for (source, shown) in t.source.files.iter().zip(files) {
        let conds: Vec<&str> = m
            .conditional
            .iter()
            .filter(|c| {
                c.paths
                    .iter()
                    .any(|p| crate::util::paths::covers(p, &source.path))
            })
            .map(|c| c.when.as_str())
            .collect();
        let mut notes = Vec::new();
        if m.executable.contains(&source.path) {
            notes.push("executable".to_string());
        }
        if !conds.is_empty() {
            notes.push(format!("only when {}", conds.join(" and ")));
        }
        let line = Line::new().plain(format!("  {shown}"));
        if notes.is_empty() {
            term::out(line);
        } else {
            term::out(
                line.plain("  ")
                    .styled(Style::Dim, format!("({})", notes.join("; "))),
            );
        }
    }
}

/// The result (or with --dry-run the plan) of `scaffold new`. `refusal` is the message when
/// the plan is refused without --force.
pub(crate) fn new_result(
    req: &NewRequest,
    t: &Loaded,
    rendered: &Rendered,
    plan: &Plan,
    refusal: Option<&str>,
) {
    if req.json {
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
            .map(|(f, a)| json!({"path": f.path, "action": a, "executable": f.executable}))
            .collect();
        term::out_json(&json!({
            "template": t.manifest.name,
            "dest": req.dest.display().to_string(),
            "dry_run": req.dry_run,
            "destination": plan.state,
            "refused_without_force": plan.refusal(false).is_some(),
            "refused": refusal,
            "files": files,
            "variables": vars,
            "next_steps": rendered.next_steps,
        }));
        return;
    }
    if req.quiet && !req.dry_run {
        return;
    }
    if req.dry_run {
        let head = if refusal.is_some() {
            "Would refuse to write"
        } else {
            "Would write"
        };
        term::out(Line::new().styled(Style::Bold, head).plain(format!(
            " `{}` from template `{}` (dry run: nothing written):",
            req.dest.display(),
            t.manifest.name
        )));
        for (f, a) in &plan.files {
            let (style, tag) = match a {
                Action::Create => (Style::Green, "create   "),
                Action::Overwrite => (Style::Yellow, "overwrite"),
                Action::Identical => (Style::Dim, "identical"),
            };
            term::out(
                Line::new()
                    .plain("  ")
                    .styled(style, tag)
                    .plain(format!(" {}", f.path)),
            );
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
            term::out(
                "(without --force this would be refused: the destination holds some of these files)",
            );
            for line in message.lines() {
                term::out(line);
            }
        }
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
        req.dest.display(),
        t.manifest.name
    )));
    if let Some(next) = &rendered.next_steps {
        term::out("");
        term::out(Line::new().styled(Style::Bold, "Next steps:"));
        for line in next.trim_end().lines() {
            term::out(format!("  {line}"));
        }
    }
}

/// `scaffold check`'s verdict: fine on stdout, or the problems as the error.
pub(crate) fn check(report: &Report) -> anyhow::Result<()> {
    if report.problems.is_empty() {
        term::out(format!(
            "template `{}` is fine: {} render{} checked, up to {} files each",
            report.label,
            report.renders,
            crate::util::text::plural(report.renders),
            report.files
        ));
        Ok(())
    } else {
        anyhow::bail!(
            "{}",
            crate::util::text::problems(&format!("template `{}`", report.label), &report.problems)
        )
    }
}

/// `scaffold status`.
pub(crate) fn status(
    project: &crate::project::disk::Project,
    template: &Result<(), String>,
    files: &[(String, crate::ops::status::FileStatus)],
    as_json: bool,
) {
    use crate::ops::status::FileStatus;
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
                .plain(format!(" {path}")),
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

/// Whether bytes are shown as text in a diff: UTF-8 without NUL in the first 8000 bytes.
fn is_text(bytes: &[u8]) -> bool {
    !bytes[..bytes.len().min(8000)].contains(&0) && std::str::from_utf8(bytes).is_ok()
}

/// A unified diff of `old` and `new` under `a/PATH` / `b/PATH` headers, coloured on a
/// terminal.
pub(crate) fn unified(path: &str, old: Option<&[u8]>, new: Option<&[u8]>) {
    let (a, b) = (
        old.map_or("/dev/null".to_string(), |_| format!("a/{path}")),
        new.map_or("/dev/null".to_string(), |_| format!("b/{path}")),
    );
    let (old, new) = (old.unwrap_or_default(), new.unwrap_or_default());
    if !is_text(old) || !is_text(new) {
        term::out(Line::new().styled(Style::Bold, format!("Binary files {a} and {b} differ")));
        return;
    }
    let (old, new) = (
        std::str::from_utf8(old).unwrap_or_default(),
        std::str::from_utf8(new).unwrap_or_default(),
    );
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string();
    // Split on `\n` only: a `\r` stays visible (shown escaped) rather than vanishing.
    for line in text.strip_suffix('\n').unwrap_or(&text).split('\n') {
        let style = if line.starts_with("+++") || line.starts_with("---") {
            Style::Bold
        } else if line.starts_with('+') {
            Style::Green
        } else if line.starts_with('-') {
            Style::Red
        } else if line.starts_with("@@") {
            Style::Cyan
        } else {
            Style::Plain
        };
        term::out(Line::new().styled(style, line));
    }
}

/// `scaffold diff`.
pub(crate) fn diff(report: &crate::ops::diff::Report) {
    use crate::ops::diff::Base;
    if report.changes.is_empty() {
        term::out("no changes: every generated file is as scaffold wrote it");
        return;
    }
    if let Some(why) = &report.no_base {
        term::err(format!(
            "note: {why}; the files below are listed without their diffs"
        ));
    }
    let width = report
        .changes
        .iter()
        .map(|c| c.status.word().len())
        .max()
        .unwrap_or(0)
        .max(9);
    for c in &report.changes {
        match &c.base {
            Base::Rendered(base) | Base::FromGit(base) => {
                unified(&c.path, Some(base), c.now.as_deref());
            }
            Base::Unknown(why) => term::out(
                Line::new()
                    .styled(Style::Yellow, format!("{:<width$}", c.status.word()))
                    .plain(format!(" {} (no diff: {why})", c.path)),
            ),
        }
    }
}

/// `scaffold update`: the plan (with `--diff`, every change), then what was done.
pub(crate) fn update_plan(
    p: &crate::ops::update::Prepared,
    dry_run: bool,
    with_diff: bool,
    as_json: bool,
) {
    use crate::ops::update::decide::Verdict;
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
pub(crate) fn update_done(
    p: &crate::ops::update::Prepared,
    backup: Option<&std::path::Path>,
    quiet: bool,
) {
    let conflicts = &p.record.pending;
    if quiet && conflicts.is_empty() {
        return;
    }
    let changed = crate::ops::update::decide::changes(&p.steps).len();
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

/// `scaffold cache list`: each cached repository's URL, size and directory.
pub(crate) fn cache_list(
    cache: &std::path::Path,
    entries: &[(std::path::PathBuf, String)],
    as_json: bool,
) {
    let size = |dir: &std::path::Path| -> u64 {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len())
            .sum()
    };
    if as_json {
        term::out_json(&json!({
            "cache": cache.display().to_string(),
            "repositories": entries
                .iter()
                .map(|(dir, url)| json!({"url": url, "path": dir.display().to_string(), "bytes": size(dir)}))
                .collect::<Vec<_>>(),
        }));
        return;
    }
    if entries.is_empty() {
        term::out(format!(
            "The cache `{}` holds no repositories.",
            cache.display()
        ));
        return;
    }
    for (dir, url) in entries {
        term::out(format!(
            "{}  {}  {}",
            crate::util::text::shown(url),
            crate::util::text::size(size(dir)),
            dir.display()
        ));
    }
}

/// Prints a completion script, with the embedded template names as candidates.
pub(crate) fn completions(shell: clap_complete::Shell) {
    let names = crate::sources::embedded::names();
    let mut cmd = crate::cli::Cli::command();
    for sub in ["new", "info", "check"] {
        let names = names.clone();
        cmd = cmd.mut_subcommand(sub, |s| {
            s.mut_arg("template", |a| {
                a.value_parser(clap::builder::PossibleValuesParser::new(names))
            })
        });
    }
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "scaffold", &mut script);
    term::out(String::from_utf8_lossy(&script).trim_end().to_string());
}

/// Prints an error once: `error: ...` with its cause chain on stderr, or with `--json` a JSON
/// object on stdout (`error`, `exit_code`) for scripts that asked for JSON.
pub(crate) fn error(err: &anyhow::Error, code: u8, as_json: bool) {
    if as_json {
        term::out_json(&json!({"error": format!("{err:#}"), "exit_code": code}));
    } else {
        term::err(format!("error: {err:#}"));
    }
}

//! What the user sees: tables, summaries, JSON, completion scripts. Colour only on a terminal
//! and never with `NO_COLOR`.

use std::io::IsTerminal;

use clap::CommandFactory;
use serde_json::{Map, Value as Json, json};

use crate::app::{Loaded, Rendered};
use crate::config::NewRequest;
use crate::manifest::{Kind, Value};
use crate::write::{Action, Plan};

/// Prints a line to stdout. A closed pipe (`scaffold list | head -1`) ends the process
/// quietly with success, as it does for other command-line tools, instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        emit(&format!($($arg)*))
    };
}

/// Prints one line on stdout (see `say!`).
pub fn emit(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        crate::eprint_line(&format!("error: cannot write to standard output: {e}"));
        std::process::exit(1);
    }
}

fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn paint(text: &str, code: &str) -> String {
    if colour() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn bold(text: &str) -> String {
    paint(text, "1")
}

fn print_json(value: &Json) {
    say!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into())
    );
}

/// `scaffold list`.
pub fn list(templates: &[Loaded], as_json: bool) {
    if as_json {
        let items: Vec<Json> = templates
            .iter()
            .map(|t| {
                json!({
                    "name": t.manifest.name,
                    "description": t.manifest.description,
                    "follows": t.manifest.follows,
                    "origin": t.source.origin.to_string(),
                })
            })
            .collect();
        print_json(&Json::Array(items));
        return;
    }
    let width = templates
        .iter()
        .map(|t| t.manifest.name.len())
        .max()
        .unwrap_or(0);
    for t in templates {
        let from = match &t.source.origin {
            crate::source::Origin::Embedded => String::new(),
            crate::source::Origin::Directory(dir) => format!(" from {}", dir.display()),
        };
        say!(
            "{}{}  {}  {}",
            bold(&t.manifest.name),
            " ".repeat(width - t.manifest.name.len()),
            t.manifest.description,
            paint(&format!("(follows {}{from})", t.manifest.follows), "2"),
        );
    }
}

fn value_json(v: &Value) -> Json {
    match v {
        Value::Str(s) => json!(s),
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
    }
}

/// `scaffold info`.
pub fn info(t: &Loaded, as_json: bool) {
    let m = &t.manifest;
    let files: Vec<String> = t
        .source
        .files
        .iter()
        .map(|f| {
            f.path
                .strip_suffix(crate::source::RENDER_SUFFIX)
                .unwrap_or(&f.path)
                .to_string()
        })
        .collect();
    if as_json {
        let vars: Vec<Json> = m
            .variables
            .iter()
            .map(|v| {
                json!({
                    "name": v.name,
                    "type": v.kind.to_string(),
                    "default": v.default.as_ref().map(value_json),
                    "choices": if v.kind == Kind::Choice { json!(v.choices) } else { Json::Null },
                    "regex": v.regex_source,
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
        print_json(&json!({
            "name": m.name,
            "description": m.description,
            "follows": m.follows,
            "origin": t.source.origin.to_string(),
            "variables": vars,
            "computed": m.computed.iter().map(|c| json!({"name": c.name, "value": c.value})).collect::<Vec<_>>(),
            "conditional": conditional,
            "executable": m.executable,
            "files": files,
        }));
        return;
    }
    say!("{}: {}", bold(&m.name), m.description);
    say!("follows: {}", m.follows);
    say!("");
    if m.variables.is_empty() {
        say!("variables: none (besides the project name)");
    } else {
        say!("variables (set with -d NAME=VALUE):");
        for v in &m.variables {
            let mut line = format!("  {} ({})", bold(&v.name), v.kind);
            if let Some(d) = &v.default {
                line.push_str(&format!(" default: {d}"));
            } else {
                line.push_str(" required");
            }
            say!("{line}");
            if !v.help.is_empty() {
                say!("      {}", v.help);
            }
            if v.kind == Kind::Choice {
                say!("      one of: {}", v.choices.join(", "));
            }
            if let Some(re) = &v.regex_source {
                say!("      rule: {re}");
            }
            if !v.not_in.is_empty() {
                say!("      not: {}", v.not_in.join(", "));
            }
            if let Some(when) = &v.when {
                say!("      asked when: {when}");
            }
        }
    }
    say!("");
    say!("files:");
    for (source, shown) in t.source.files.iter().zip(&files) {
        let conds: Vec<&str> = m
            .conditional
            .iter()
            .filter(|c| {
                c.paths
                    .iter()
                    .any(|p| crate::render::covers(p, &source.path))
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
        if notes.is_empty() {
            say!("  {shown}");
        } else {
            say!(
                "  {shown}  {}",
                paint(&format!("({})", notes.join("; ")), "2")
            );
        }
    }
}

/// The result (or with --dry-run the plan) of `scaffold new`.
pub fn new_result(req: &NewRequest, t: &Loaded, rendered: &Rendered, plan: &Plan) {
    if req.json {
        let mut vars = Map::new();
        for (name, value) in &rendered.answers.values {
            // The secret stays in the generated files; it is not echoed.
            if name != "cookie_secret" {
                vars.insert(name.clone(), value_json(value));
            }
        }
        let files: Vec<Json> = plan
            .files
            .iter()
            .map(|(f, a)| json!({"path": f.path, "action": a, "executable": f.executable}))
            .collect();
        print_json(&json!({
            "template": t.manifest.name,
            "dest": req.dest.display().to_string(),
            "dry_run": req.dry_run,
            "destination": plan.state,
            "refused_without_force": plan.state == crate::write::DestState::NonEmpty && !req.force,
            "files": files,
            "variables": vars,
            "next_steps": rendered.next_steps,
        }));
        return;
    }
    if req.quiet && !req.dry_run {
        return;
    }
    let count = |a: Action| plan.files.iter().filter(|(_, x)| *x == a).count();
    let (created, overwritten, identical) = (
        count(Action::Create),
        count(Action::Overwrite),
        count(Action::Identical),
    );
    if req.dry_run {
        say!(
            "{} `{}` from template `{}` (dry run: nothing written):",
            bold("Would write"),
            req.dest.display(),
            t.manifest.name
        );
        for (f, a) in &plan.files {
            let tag = match a {
                Action::Create => paint("create   ", "32"),
                Action::Overwrite => paint("overwrite", "33"),
                Action::Identical => paint("identical", "2"),
            };
            say!("  {tag} {}", f.path);
        }
        if !req.force && overwritten + identical > 0 {
            say!(
                "(without --force this would be refused: the destination holds some of these files)"
            );
        }
        return;
    }
    let mut summary = format!("{created} created");
    if overwritten > 0 {
        summary.push_str(&format!(", {overwritten} overwritten"));
    }
    if identical > 0 {
        summary.push_str(&format!(", {identical} unchanged"));
    }
    say!(
        "{} `{}` from template `{}` ({summary}).",
        paint("Created", "1;32"),
        req.dest.display(),
        t.manifest.name
    );
    if let Some(next) = &rendered.next_steps {
        say!("");
        say!("{}", bold("Next steps:"));
        for line in next.trim_end().lines() {
            say!("  {line}");
        }
    }
}

/// Prints a completion script, with the embedded template names as candidates.
pub fn completions(shell: clap_complete::Shell) {
    let names = crate::registry::names();
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
    say!("{}", String::from_utf8_lossy(&script).trim_end());
}

//! `scaffold info`: a template's description, variables (and the built-in ones) and files.

use anyhow::Result;
use serde_json::{Value as Json, json};

use super::args::InfoArgs;
use super::config;
use crate::sources::registry::Registry;
use crate::sources::source::Origin;
use crate::sources::{self, Reference};
use crate::template::manifest::{self, Loaded};
use crate::template::values::Kind;
use crate::util::term::{self, Line, Style};
use crate::util::text::Shown as _;

/// `scaffold info`.
pub(crate) fn exec(registry: &Registry, args: &InfoArgs) -> Result<()> {
    crate::util::limits::start();
    let git = config::git_options(&args.from_git);
    let reference = Reference::Argument {
        name: &args.template,
        git: &git,
    };
    let loaded = manifest::load(sources::locate(registry, &reference)?)?;
    crate::util::limits::finish();
    print(&loaded, args.json);
    Ok(())
}

/// A template's description, variables and files, as text or JSON.
fn print(t: &Loaded, as_json: bool) {
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
        Origin::Directory(dir) => term::out(format!("from: {}", dir.shown())),
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
                // An empty default is shown as one, not as nothing after `default:`.
                Some(d) if d.to_string().is_empty() => " default: \"\"".to_string(),
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

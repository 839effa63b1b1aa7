//! `scaffold check`: a template validated the way its users will meet it.
//!
//! The manifest (every problem at once), every file's template syntax, then a render with the
//! defaults and one with each value of each choice and bool variable, reporting render errors,
//! colliding or invalid output paths, and names that would break on other systems.

use anyhow::{Result, bail};

use crate::answers::{Input, NoPrompt};
use crate::app::{self, Fixed, Loaded};
use crate::cli::CheckArgs;
use crate::config::NewRequest;
use crate::manifest::{self, Kind};
use crate::registry::Registry;
use crate::render::Engine;

/// The `-d` sets `check` renders with: the defaults, then each value of each choice and bool.
pub fn variations(m: &manifest::Manifest) -> Vec<Vec<(String, String)>> {
    let mut out = vec![Vec::new()];
    for v in &m.variables {
        let values: Vec<String> = match v.kind {
            Kind::Bool => vec!["true".into(), "false".into()],
            Kind::Choice => v.choices.clone(),
            _ => continue,
        };
        for value in values {
            if v.default.as_ref().map(|d| d.to_string()) == Some(value.clone()) {
                continue;
            }
            out.push(vec![(v.name.clone(), value)]);
        }
    }
    out
}

/// Runs `scaffold check`.
pub fn run(registry: &Registry, args: &CheckArgs) -> Result<()> {
    let source = registry.find(&args.template)?;
    let label = source.label();
    let manifest = manifest::parse(&source)?;
    // Syntax of every file, all at once.
    Engine::new(&source)?;
    let loaded = Loaded { source, manifest };
    let req = NewRequest {
        template: args.template.clone(),
        dest: "check-project".into(),
        project_name: "check-project".into(),
        package_name: "check_project".into(),
        defines: Vec::new(),
        input: Input::Defaults,
        force: false,
        dry_run: true,
        json: false,
        quiet: true,
    };
    let fixed = Fixed {
        cookie_secret: Some("0".repeat(64)),
        year: Some(2000),
    };
    let mut problems = Vec::new();
    // Required strings (no default) get the value given with -d, or a placeholder.
    let mut required: Vec<(String, String)> = Vec::new();
    for v in loaded
        .manifest
        .variables
        .iter()
        .filter(|v| v.default.is_none())
    {
        let given = args
            .define
            .iter()
            .filter_map(|d| d.split_once('='))
            .find(|(k, _)| *k == v.name);
        let value = given
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| "placeholder".to_string());
        if given.is_none()
            && v.check(&crate::manifest::Value::Str(value.clone()))
                .is_err()
        {
            problems.push(format!(
                "`{}` has no default and `placeholder` breaks its rule: give a valid value with -d {}=...",
                v.name, v.name
            ));
        }
        required.push((v.name.clone(), value));
    }
    for d in &args.define {
        let (key, value) = crate::config::parse_define(d)?;
        if !required.iter().any(|(k, _)| *k == key) {
            required.push((key, value));
        }
    }
    let sets = variations(&loaded.manifest);
    let mut files = 0;
    for set in &sets {
        let shown = if set.is_empty() {
            "with the defaults".to_string()
        } else {
            format!(
                "with {}",
                set.iter()
                    .map(|(k, v)| format!("-d {k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        };
        let builtins = app::builtins(&req, &fixed)?;
        crate::limits::reset();
        let mut defines = required.clone();
        defines.extend(set.iter().cloned());
        match app::render(
            &loaded,
            builtins,
            &defines,
            Input::Defaults,
            &mut NoPrompt,
            "DEST",
        ) {
            Err(e) => problems.push(format!("{shown}: {e:#}")),
            Ok(rendered) => {
                files = files.max(rendered.files.len());
                for p in crate::portable::problems(rendered.files.iter().map(|f| f.path.as_str())) {
                    let line = format!("{shown}: {p}");
                    if !problems.contains(&line) {
                        problems.push(line);
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        crate::output::emit(&format!(
            "template `{label}` is fine: {} render{} checked, up to {files} files each",
            sets.len(),
            if sets.len() == 1 { "" } else { "s" }
        ));
        Ok(())
    } else {
        bail!(
            "template `{label}` has {} problem{}:\n  - {}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            problems.join("\n  - ")
        )
    }
}

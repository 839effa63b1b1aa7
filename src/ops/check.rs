//! `scaffold check`: a template validated the way its users will meet it, every problem at
//! once.
//!
//! Each stage that can still run does: the manifest (every problem), every file's template
//! syntax, then a render with the defaults and one with each value of each choice and bool
//! variable, reporting render errors, colliding or invalid output paths, and names that would
//! break on other systems. A file that does not parse is reported once and left out of the
//! renders; a broken manifest leaves nothing to render with.

use anyhow::Result;

use crate::sources::registry::Registry;
use crate::sources::source::RENDER_SUFFIX;
use crate::template::answers::Input;
use crate::template::answers::NoPrompt;
use crate::template::answers::{Request, answer};
use crate::template::builtins::Inputs;
use crate::template::engine::Engine;
use crate::template::manifest::Loaded;
use crate::template::manifest::{self, Manifest};
use crate::template::render::render;
use crate::template::values::{Kind, Value};

/// What `check` found.
#[derive(Debug)]
pub(crate) struct Report {
    /// The template's label.
    pub(crate) label: String,
    /// How many renders ran.
    pub(crate) renders: usize,
    /// The most files one render produced.
    pub(crate) files: usize,
    /// Every problem, one line each, in stage order.
    pub(crate) problems: Vec<String>,
}

/// The `-d` sets `check` renders with: the defaults, then each value of each choice and bool.
pub(crate) fn variations(m: &Manifest) -> Vec<Vec<(String, String)>> {
    let mut out = vec![Vec::new()];
    for v in &m.variables {
        let values: Vec<String> = match v.kind {
            Kind::Bool => vec!["true".into(), "false".into()],
            Kind::Choice => v.choices.clone(),
            _ => continue,
        };
        for value in values {
            if v.default.as_ref().map(ToString::to_string) == Some(value.clone()) {
                continue;
            }
            out.push(vec![(v.name.clone(), value)]);
        }
    }
    out
}

/// Checks the template `name`; `defines` are `-d` values for every render.
pub(crate) fn run(
    registry: &Registry,
    name: &str,
    git: &crate::sources::git::Options,
    defines: &[(String, String)],
) -> Result<Report> {
    let source =
        crate::sources::locate(registry, &crate::sources::Reference::Argument { name, git })?;
    let label = source.label();
    let mut problems = Vec::new();
    crate::util::limits::start();
    crate::util::limits::stage(format!("reading the manifest of `{label}`"));
    let manifest = match manifest::parse(&source) {
        Ok(m) => Some(m),
        Err(p) => {
            problems.extend(p.list.iter().map(|l| format!("template.toml: {l}")));
            None
        }
    };
    let (engine, syntax) = Engine::parse(&source);
    problems.extend(syntax);
    let broken: Vec<String> = source
        .files
        .iter()
        .filter(|f| f.path.ends_with(RENDER_SUFFIX) && !engine.has(&f.path))
        .map(|f| f.path.clone())
        .collect();
    let Some(manifest) = manifest else {
        crate::util::limits::finish();
        return Ok(Report {
            label,
            renders: 0,
            files: 0,
            problems,
        });
    };
    // The renders leave out files that do not parse (already reported above).
    let mut loaded = Loaded { source, manifest };
    loaded.source.files.retain(|f| !broken.contains(&f.path));
    let (renders, files) = render_variations(&loaded, &engine, defines, &mut problems);
    crate::util::limits::finish();
    Ok(Report {
        label,
        renders,
        files,
        problems,
    })
}

fn render_variations(
    loaded: &Loaded,
    engine: &Engine,
    defines: &[(String, String)],
    problems: &mut Vec<String>,
) -> (usize, usize) {
    // Required strings (no default) get the value given with -d, or a placeholder.
    let mut base: Vec<(String, String)> = Vec::new();
    for v in loaded
        .manifest
        .variables
        .iter()
        .filter(|v| v.default.is_none())
    {
        let given = defines.iter().find(|(k, _)| *k == v.name);
        let value = given.map_or_else(|| "placeholder".to_string(), |(_, v)| v.clone());
        if given.is_none() && v.check(&Value::Str(value.clone())).is_err() {
            problems.push(format!(
                "`{}` has no default and `placeholder` breaks its rule: give a valid value with -d {}=...",
                v.name, v.name
            ));
        }
        base.push((v.name.clone(), value));
    }
    for (key, value) in defines {
        if !base.iter().any(|(k, _)| k == key) {
            base.push((key.clone(), value.clone()));
        }
    }
    let inputs = Inputs {
        project_name: "check-project".into(),
        package_name: "check_project".into(),
        cookie_secret: "0".repeat(64),
        year: 2000,
        scaffold_version: env!("CARGO_PKG_VERSION").to_string(),
    };
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
        // Each render is judged on its own budget.
        crate::util::limits::start();
        let mut all = base.clone();
        for (k, v) in set {
            all.retain(|(key, _)| key != k);
            all.push((k.clone(), v.clone()));
        }
        let req = Request {
            inputs: &inputs,
            defines: &all,
            input: Input::Defaults,
            dest_label: "DEST",
        };
        let rendered = answer(engine, &loaded.manifest, &req, &mut NoPrompt)
            .and_then(|answers| render(loaded, engine, &req, answers));
        match rendered {
            Err(e) => problems.push(format!("{shown}: {e:#}")),
            Ok(rendered) => {
                files = files.max(rendered.files.len());
                for p in
                    crate::util::portable::problems(rendered.files.iter().map(|f| f.path.as_str()))
                {
                    let line = format!("{shown}: {p}");
                    if !problems.contains(&line) {
                        problems.push(line);
                    }
                }
            }
        }
    }
    (sets.len(), files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::source::{Origin, TemplateSource};

    #[test]
    fn variations_cover_every_choice_and_bool_once() {
        let t = TemplateSource {
            name: "t".into(),
            origin: Origin::Embedded,
            manifest_text: r#"
name = "t"
description = "d"
follows = "f"
[[variables]]
name = "db"
type = "choice"
choices = ["sqlite", "pg", "mysql"]
default = "pg"
[[variables]]
name = "docker"
type = "bool"
default = true
[[variables]]
name = "title"
type = "string"
default = "x"
"#
            .into(),
            files: vec![],
        };
        let m = manifest::parse(&t).unwrap();
        let all = variations(&m);
        let sets: Vec<Vec<(&str, &str)>> = all
            .iter()
            .map(|s| s.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect())
            .collect();
        assert_eq!(
            sets,
            vec![
                vec![],
                vec![("db", "sqlite")],
                vec![("db", "mysql")],
                vec![("docker", "false")],
            ]
        );
    }
}

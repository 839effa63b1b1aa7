//! Variable values: from `-d KEY=VALUE`, from the user at a prompt, or from defaults.
//!
//! Values are resolved in manifest order so that a default (a Tera text) and a `when`
//! condition can use every earlier answer. Computed variables come last.

use std::io::{BufRead, Write};

use anyhow::{Result, anyhow};
use tera::Context;

use crate::manifest::{Kind, Manifest, Value, Variable};
use crate::render::{Engine, context_from};

/// How to get values the command line did not give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Ask on the terminal.
    Prompt,
    /// Use defaults; fail for variables that have none.
    Defaults,
}

/// Every value of a run, in the order they were resolved (built-ins first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    /// Name and value pairs.
    pub values: Vec<(String, Value)>,
}

impl Answers {
    /// The value of `name`, if resolved.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// A Tera context holding every value.
    pub fn context(&self) -> Context {
        context_from(self.values.iter().map(|(n, v)| (n.as_str(), v)))
    }

    fn set(&mut self, name: &str, value: Value) {
        self.values.push((name.to_string(), value));
    }
}

/// The nearest of `candidates` to `name`, if close enough to be a likely typo.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Checks `-d` keys against the manifest: unknown keys name the nearest variable.
pub fn check_defines(manifest: &Manifest, defines: &[(String, String)]) -> Result<()> {
    for (key, _) in defines {
        if manifest.variables.iter().any(|v| &v.name == key) {
            continue;
        }
        if manifest.computed.iter().any(|c| &c.name == key) {
            return Err(crate::usage!(
                "`-d {key}`: `{key}` is computed by template `{}` and cannot be set",
                manifest.name
            ));
        }
        if crate::manifest::BUILTINS.iter().any(|(b, _)| b == key) {
            let how = match key.as_str() {
                "project_name" | "project_slug" | "package_name" => {
                    " (set the project name with --name or DEST)"
                }
                _ => "",
            };
            return Err(crate::usage!(
                "`-d {key}`: `{key}` is a built-in variable and cannot be set{how}"
            ));
        }
        let names = manifest.variables.iter().map(|v| v.name.as_str());
        let hint = match nearest(key, names) {
            Some(n) => format!("; did you mean `{n}`?"),
            None if manifest.variables.is_empty() => {
                format!("; template `{}` has no variables", manifest.name)
            }
            None => format!(
                "; its variables are {}",
                manifest
                    .variables
                    .iter()
                    .map(|v| format!("`{}`", v.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Err(crate::usage!(
            "`-d {key}`: template `{}` has no variable `{key}`{hint}",
            manifest.name
        ));
    }
    Ok(())
}

/// Asks for one value on a terminal.
pub trait Prompter {
    /// Shows `question` and returns the line typed (without the newline), or None at end of input.
    fn ask(&mut self, question: &str) -> Result<Option<String>>;
    /// Shows a message (an invalid answer's reason).
    fn tell(&mut self, message: &str);
}

/// A prompter with no one at the other end: every question meets end of input. For runs that
/// must not ask (`scaffold check`, tests).
pub struct NoPrompt;

impl Prompter for NoPrompt {
    fn ask(&mut self, _: &str) -> Result<Option<String>> {
        Ok(None)
    }

    fn tell(&mut self, _: &str) {}
}

/// Prompts on stderr, reads stdin.
pub struct Terminal;

impl Prompter for Terminal {
    fn ask(&mut self, question: &str) -> Result<Option<String>> {
        loop {
            let mut err = std::io::stderr();
            let _ = write!(err, "{question}");
            let _ = err.flush();
            let mut line = Vec::new();
            if std::io::stdin().lock().read_until(b'\n', &mut line)? == 0 {
                return Ok(None);
            }
            match String::from_utf8(line) {
                Ok(text) => return Ok(Some(text.trim_end_matches(['\n', '\r']).to_string())),
                Err(_) => self.tell("that is not valid UTF-8; try again"),
            }
        }
    }

    fn tell(&mut self, message: &str) {
        crate::eprint_line(&format!("  {message}"));
    }
}

/// Resolves every variable of `manifest` after the built-ins in `answers`.
pub fn resolve(
    engine: &Engine,
    manifest: &Manifest,
    mut answers: Answers,
    defines: &[(String, String)],
    input: Input,
    prompter: &mut dyn Prompter,
) -> Result<Answers> {
    check_defines(manifest, defines)?;
    let mut missing = Vec::new();
    for var in &manifest.variables {
        let ctx = answers.context();
        let given = defines.iter().rev().find(|(k, _)| k == &var.name);
        let value = if let Some((_, raw)) = given {
            var.parse(raw).map_err(|why| {
                crate::usage!(
                    "`-d {}={}`: {why}{}",
                    var.name,
                    crate::shown(raw),
                    if matches!(var.kind, Kind::Choice | Kind::String) {
                        String::new()
                    } else {
                        format!(" (`{}` is of type {})", var.name, var.kind)
                    }
                )
            })?
        } else {
            let applies = match &var.when {
                Some(expr) => engine.holds(expr, &ctx).map_err(|e| {
                    anyhow!(
                        "template `{}`: variable `{}`: `when`: {e}",
                        manifest.name,
                        var.name
                    )
                })?,
                None => true,
            };
            let default = default_value(engine, manifest, var, &ctx)?;
            match (input, applies, default) {
                (Input::Prompt, true, default) => ask(prompter, var, default)?,
                (_, _, Some(default)) => default,
                (_, _, None) => {
                    missing.push(var);
                    // Keep going so that every missing value is listed at once.
                    Value::Str(String::new())
                }
            }
        };
        answers.set(&var.name, value);
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing
            .iter()
            .map(|v| format!("  -d {}=<{}>  {}", v.name, v.kind, v.help))
            .collect();
        return Err(crate::usage!(
            "template `{}` needs values that have no default; give them with -d:\n{}",
            manifest.name,
            list.join("\n")
        ));
    }
    for c in &manifest.computed {
        let value = engine
            .render_str(&c.value, &answers.context())
            .map_err(|e| anyhow!("template `{}`: computed `{}`: {e}", manifest.name, c.name))?;
        answers.set(&c.name, Value::Str(value));
    }
    Ok(answers)
}

fn default_value(
    engine: &Engine,
    manifest: &Manifest,
    var: &Variable,
    ctx: &Context,
) -> Result<Option<Value>> {
    let Some(default) = &var.default else {
        return Ok(None);
    };
    if !var.default_is_template() {
        return Ok(Some(default.clone()));
    }
    let text = default.to_string();
    let rendered = engine.render_str(&text, ctx).map_err(|e| {
        anyhow!(
            "template `{}`: default of `{}`: {e}",
            manifest.name,
            var.name
        )
    })?;
    let value = Value::Str(rendered);
    var.check(&value).map_err(|why| {
        anyhow!(
            "template `{}`: the default of `{}` renders to `{value}`, which {why}",
            manifest.name,
            var.name
        )
    })?;
    Ok(Some(value))
}

fn ask(prompter: &mut dyn Prompter, var: &Variable, default: Option<Value>) -> Result<Value> {
    let mut question = var.name.clone();
    if !var.help.is_empty() {
        question = format!("{} ({})", question, var.help);
    }
    match var.kind {
        Kind::Choice => question.push_str(&format!(" [{}]", var.choices.join("/"))),
        Kind::Bool => question.push_str(" [yes/no]"),
        _ => {}
    }
    if let Some(d) = &default {
        question.push_str(&format!(" (default: {d})"));
    }
    question.push_str(": ");
    loop {
        let Some(line) = prompter.ask(&question)? else {
            return Err(anyhow!(
                "end of input while asking for `{}`; use --no-input or -d {}=...",
                var.name,
                var.name
            ));
        };
        if line.trim().is_empty() {
            if let Some(d) = &default {
                return Ok(d.clone());
            }
            prompter.tell("a value is required");
            continue;
        }
        match var.parse(&line) {
            Ok(v) => return Ok(v),
            Err(why) => prompter.tell(&format!("`{line}`: {why}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Origin, TemplateSource};

    struct Script(Vec<&'static str>, Vec<String>);
    impl Prompter for Script {
        fn ask(&mut self, question: &str) -> Result<Option<String>> {
            self.1.push(question.to_string());
            Ok(if self.0.is_empty() {
                None
            } else {
                Some(self.0.remove(0).to_string())
            })
        }
        fn tell(&mut self, message: &str) {
            self.1.push(format!("! {message}"));
        }
    }

    fn manifest(text: &str) -> (Engine, Manifest) {
        let t = TemplateSource {
            name: "t".into(),
            origin: Origin::Embedded,
            manifest_text: text.into(),
            files: vec![],
        };
        let m = crate::manifest::parse(&t).unwrap_or_else(|p| panic!("{p}"));
        (Engine::new(&t).unwrap(), m)
    }

    const VARS: &str = r#"
name = "t"
description = "d"
follows = "f"
[[variables]]
name = "docker"
type = "bool"
default = false
help = "use docker"
[[variables]]
name = "port"
type = "int"
default = 8000
when = "docker"
[[variables]]
name = "license"
type = "choice"
choices = ["MIT", "none"]
default = "MIT"
[[variables]]
name = "author"
type = "string"
default = "{{ project_name | upper_camel_case }} team"
[[computed]]
name = "shout"
value = "{{ author | shouty_snake_case }}"
"#;

    fn builtins() -> Answers {
        Answers {
            values: vec![("project_name".into(), Value::Str("my-app".into()))],
        }
    }

    #[test]
    fn prompts_retry_and_skip_inapplicable_questions() {
        let (engine, m) = manifest(VARS);
        let mut script = Script(vec!["perhaps", "no", "GPL", "none", ""], vec![]);
        let a = resolve(&engine, &m, builtins(), &[], Input::Prompt, &mut script).unwrap();
        assert_eq!(a.get("docker"), Some(&Value::Bool(false)));
        // `port` only applies with docker: not asked, default kept.
        assert_eq!(a.get("port"), Some(&Value::Int(8000)));
        assert_eq!(a.get("license"), Some(&Value::Str("none".into())));
        assert_eq!(a.get("author"), Some(&Value::Str("MyApp team".into())));
        assert_eq!(a.get("shout"), Some(&Value::Str("MY_APP_TEAM".into())));
        assert_eq!(
            script.1,
            [
                "docker (use docker) [yes/no] (default: false): ",
                "! `perhaps`: expected a bool (true/false, yes/no, 1/0)",
                "docker (use docker) [yes/no] (default: false): ",
                "license [MIT/none] (default: MIT): ",
                "! `GPL`: expected one of `MIT`, `none`",
                "license [MIT/none] (default: MIT): ",
                "author (default: MyApp team): ",
            ]
        );
    }

    #[test]
    fn defines_win_and_end_of_input_is_an_error() {
        let (engine, m) = manifest(VARS);
        let defines = vec![
            ("docker".to_string(), "yes".to_string()),
            ("port".to_string(), "9000".to_string()),
        ];
        let a = resolve(
            &engine,
            &m,
            builtins(),
            &defines,
            Input::Defaults,
            &mut Script(vec![], vec![]),
        )
        .unwrap();
        assert_eq!(a.get("port"), Some(&Value::Int(9000)));
        let err = resolve(
            &engine,
            &m,
            builtins(),
            &[],
            Input::Prompt,
            &mut Script(vec![], vec![]),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("end of input while asking for `docker`"),
            "{err}"
        );
    }

    #[test]
    fn nearest_names() {
        let names = ["license", "docker", "author"];
        assert_eq!(nearest("licence", names), Some("license"));
        assert_eq!(nearest("dockr", names), Some("docker"));
        assert_eq!(nearest("zzzzzz", names), None);
    }
}

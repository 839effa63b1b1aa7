//! Variable values: from `-d KEY=VALUE`, from the user at a prompt, or from defaults; what a
//! run asks of a template ([`Request`]), and every value it gets ([`answer`]).
//!
//! Values are resolved in manifest order so that a default (a Tera text) and a `when`
//! condition can use every earlier answer; one context grows as values are resolved, so the
//! work is linear in the number of variables. Computed variables come last.

use std::io::BufRead;

use anyhow::{Result, anyhow};
use tera::Context;

use crate::template::builtins::{self, Inputs};
use crate::template::engine::{self, Engine};
use crate::template::manifest::{Manifest, Variable};
use crate::template::values::{Kind, Value};
use crate::util::error::usage;

/// How to get values the command line did not give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Input {
    /// Ask on the terminal.
    Prompt,
    /// Use defaults; fail for variables that have none.
    Defaults,
}

/// What a run asks of a template besides the template itself: the answers' inputs, and
/// where the project goes, for the next steps.
pub(crate) struct Request<'a> {
    /// The built-in values' inputs (names, secret, year).
    pub(crate) inputs: &'a Inputs,
    /// `-d` pairs.
    pub(crate) defines: &'a [(String, String)],
    /// Prompt or take defaults.
    pub(crate) input: Input,
    /// DEST as the next steps show it (shell-quoted).
    pub(crate) dest_label: &'a str,
}

/// Every value of a run, in the order they were resolved (built-ins first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Answers {
    /// Name and value pairs.
    pub(crate) values: Vec<(String, Value)>,
    /// Variables whose `when` did not hold: not asked, and not recorded.
    pub(crate) skipped: Vec<String>,
}

impl Answers {
    /// The value of `name`, if resolved.
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// A Tera context holding every value.
    pub(crate) fn context(&self) -> Context {
        engine::context_from(self.values.iter().map(|(n, v)| (n.as_str(), v)))
    }
}

/// Checks `-d` keys against the manifest: unknown keys name the nearest variable.
pub(crate) fn check_defines(manifest: &Manifest, defines: &[(String, String)]) -> Result<()> {
    for (key, _) in defines {
        if manifest.variables.iter().any(|v| &v.name == key) {
            continue;
        }
        let key = crate::util::text::shown(key);
        if manifest.computed.iter().any(|c| c.name == key) {
            return Err(usage!(
                "`-d {key}`: `{key}` is computed by template `{}` and cannot be set",
                manifest.name
            ));
        }
        if let Some(b) = crate::template::builtins::get(&key) {
            let how = b
                .set_by
                .map(|s| format!(" (set the project name with {s})"))
                .unwrap_or_default();
            return Err(usage!(
                "`-d {key}`: `{key}` is a built-in variable and cannot be set{how}"
            ));
        }
        let names = manifest.variables.iter().map(|v| v.name.as_str());
        let hint = match crate::util::text::nearest(&key, names) {
            Some(n) => format!("; did you mean `{n}`?"),
            None if manifest.variables.is_empty() => {
                format!("; template `{}` has no variables", manifest.name)
            }
            None => format!(
                "; its variables are {}",
                crate::util::text::ticked(manifest.variables.iter().map(|v| v.name.as_str()))
            ),
        };
        return Err(usage!(
            "`-d {key}`: template `{}` has no variable `{key}`{hint}",
            manifest.name
        ));
    }
    Ok(())
}

/// Checks values that came from a file (`label`, for example `--data-file values.toml`) the way
/// `-d` values are checked, so that a mistake names the file and the key.
pub(crate) fn check_values(
    manifest: &Manifest,
    values: &[(String, String)],
    label: &str,
) -> Result<()> {
    for (key, raw) in values {
        let shown = crate::util::text::shown(key);
        let Some(var) = manifest.variables.iter().find(|v| &v.name == key) else {
            let hint =
                crate::util::text::nearest(key, manifest.variables.iter().map(|v| v.name.as_str()))
                    .map(|n| format!("; did you mean `{n}`?"))
                    .unwrap_or_default();
            return Err(usage!(
                "{label}: template `{}` has no variable `{shown}`{hint}",
                manifest.name
            ));
        };
        var.parse(raw).map_err(|why| {
            usage!(
                "{label}: `{shown}` = `{}`: {why}",
                crate::util::text::shown(raw)
            )
        })?;
    }
    Ok(())
}

/// Asks for one value on a terminal.
pub(crate) trait Prompter {
    /// Shows `question` and returns the line typed (without the newline), or None at end of
    /// input.
    fn ask(&mut self, question: &str) -> Result<Option<String>>;
    /// Shows a message (an invalid answer's reason, a list of choices).
    fn tell(&mut self, message: &str);
}

/// A prompter with no one at the other end: every question meets end of input. For runs that
/// must not ask (`scaffold check`, tests).
pub(crate) struct NoPrompt;

impl Prompter for NoPrompt {
    fn ask(&mut self, _: &str) -> Result<Option<String>> {
        Ok(None)
    }

    fn tell(&mut self, _: &str) {}
}

/// Prompts on stderr (escaped and wrapped to the terminal's width), reads stdin. Time spent
/// waiting here does not count against the run's time budget.
pub(crate) struct Terminal;

impl Prompter for Terminal {
    fn ask(&mut self, question: &str) -> Result<Option<String>> {
        let width = crate::util::term::width();
        let question = crate::util::text::wrap(question, width, "  ");
        crate::util::limits::waiting(|| {
            loop {
                crate::util::term::prompt(&question);
                let mut line = Vec::new();
                if std::io::stdin().lock().read_until(b'\n', &mut line)? == 0 {
                    return Ok(None);
                }
                match String::from_utf8(line) {
                    Ok(text) => return Ok(Some(text.trim_end_matches(['\n', '\r']).to_string())),
                    Err(_) => self.tell("that is not valid UTF-8; try again"),
                }
            }
        })
    }

    fn tell(&mut self, message: &str) {
        let width = crate::util::term::width();
        crate::util::term::err(format!(
            "  {}",
            crate::util::text::wrap(message, width - 2, "  ")
        ));
    }
}

/// Every value of a run: the built-ins made from `req.inputs`, then each variable of the
/// manifest from `-d`, a prompt or its default ([`resolve`]).
pub(crate) fn answer(
    engine: &Engine,
    manifest: &Manifest,
    req: &Request<'_>,
    prompter: &mut dyn Prompter,
) -> Result<Answers> {
    resolve(
        engine,
        manifest,
        Answers {
            values: builtins::values(req.inputs),
            skipped: Vec::new(),
        },
        req.defines,
        req.input,
        prompter,
    )
}

/// Resolves every variable of `manifest` after the built-ins in `answers`.
pub(crate) fn resolve(
    engine: &Engine,
    manifest: &Manifest,
    mut answers: Answers,
    defines: &[(String, String)],
    input: Input,
    prompter: &mut dyn Prompter,
) -> Result<Answers> {
    check_defines(manifest, defines)?;
    let mut ctx = answers.context();
    let mut missing = Vec::new();
    for var in &manifest.variables {
        crate::util::limits::stage(format!(
            "resolving `{}` of template `{}`",
            var.name, manifest.name
        ));
        let given = defines.iter().find(|(k, _)| k == &var.name);
        let value = if let Some((_, raw)) = given {
            var.parse(raw).map_err(|why| {
                usage!(
                    "`-d {}={}`: {why}{}",
                    var.name,
                    crate::util::text::shown(raw),
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
            if !applies {
                answers.skipped.push(var.name.clone());
            }
            let default = default_value(engine, manifest, var, &ctx)?;
            match (input, applies, default) {
                (Input::Prompt, true, default) => ask(prompter, var, default.as_ref())?,
                (_, _, Some(default)) => default,
                // Not asked and no default: the question does not apply, so nothing is needed.
                (_, false, None) => Value::Str(String::new()),
                (_, true, None) => {
                    missing.push(var);
                    // Keep going so that every missing value is listed at once.
                    Value::Str(String::new())
                }
            }
        };
        engine::insert(&mut ctx, &var.name, &value);
        answers.values.push((var.name.clone(), value));
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing
            .iter()
            .map(|v| format!("  -d {}=<{}>  {}", v.name, v.kind, v.help))
            .collect();
        return Err(usage!(
            "template `{}` needs values that have no default; give them with -d:\n{}",
            manifest.name,
            list.join("\n")
        ));
    }
    for c in &manifest.computed {
        crate::util::limits::stage(format!(
            "computing `{}` of template `{}`",
            c.name, manifest.name
        ));
        let value = engine
            .render_str(&c.value, &ctx)
            .map_err(|e| anyhow!("template `{}`: computed `{}`: {e}", manifest.name, c.name))?;
        let value = Value::Str(value);
        engine::insert(&mut ctx, &c.name, &value);
        answers.values.push((c.name.clone(), value));
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
            "template `{}`: the default of `{}` renders to `{}`, which {why}",
            manifest.name,
            var.name,
            crate::util::text::shown(&value.to_string())
        )
    })?;
    Ok(Some(value))
}

/// The question for `var`: its name, help and rule, and how to answer.
fn question(var: &Variable, default: Option<&Value>) -> String {
    let mut q = var.name.clone();
    if !var.help.is_empty() {
        q = format!("{q} ({})", var.help);
    }
    if let Some(help) = &var.rule_help {
        q.push_str(&format!("; {help}"));
    }
    match (var.kind, default) {
        (Kind::Bool, Some(Value::Bool(true))) => q.push_str(" [Y/n]"),
        (Kind::Bool, Some(Value::Bool(false))) => q.push_str(" [y/N]"),
        (Kind::Bool, _) => q.push_str(" [y/n]"),
        (Kind::Choice, Some(d)) => {
            let n = var.choices.iter().position(|c| *c == d.to_string());
            q.push_str(&format!(" [1-{}", var.choices.len()));
            if let Some(n) = n {
                q.push_str(&format!(", default {} = {d}", n + 1));
            }
            q.push(']');
        }
        (Kind::Choice, None) => q.push_str(&format!(" [1-{}]", var.choices.len())),
        (_, Some(d)) => q.push_str(&format!(" (default: {d})")),
        (_, None) => {}
    }
    q.push_str(": ");
    q
}

/// A choice as typed: its number, its exact text, or its text in another letter case.
fn pick_choice<'a>(var: &'a Variable, line: &str) -> Result<&'a str, String> {
    let typed = line.trim();
    if let Ok(n) = typed.parse::<usize>()
        && (1..=var.choices.len()).contains(&n)
    {
        return Ok(&var.choices[n - 1]);
    }
    if let Some(c) = var.choices.iter().find(|c| c.as_str() == typed) {
        return Ok(c);
    }
    let folded: Vec<&String> = var
        .choices
        .iter()
        .filter(|c| c.to_lowercase() == typed.to_lowercase())
        .collect();
    if let [one] = folded.as_slice() {
        return Ok(one);
    }
    let hint = crate::util::text::nearest(typed, var.choices.iter().map(String::as_str))
        .map(|n| format!("; did you mean `{n}`?"))
        .unwrap_or_default();
    Err(format!(
        "`{}` is not one of the choices (type 1-{} or a name){hint}",
        crate::util::text::shown(typed),
        var.choices.len()
    ))
}

fn ask(prompter: &mut dyn Prompter, var: &Variable, default: Option<&Value>) -> Result<Value> {
    let question = question(var, default);
    if var.kind == Kind::Choice {
        for (i, c) in var.choices.iter().enumerate() {
            prompter.tell(&format!("{}) {c}", i + 1));
        }
    }
    loop {
        let Some(line) = prompter.ask(&question)? else {
            return Err(anyhow!(
                "end of input while asking for `{}`; use --no-input or -d {}=...",
                var.name,
                var.name
            ));
        };
        if line.trim().is_empty() {
            if let Some(d) = default {
                return Ok(d.clone());
            }
            prompter.tell("a value is required");
            continue;
        }
        let parsed = if var.kind == Kind::Choice {
            pick_choice(var, &line).and_then(|c| var.parse(c))
        } else {
            var.parse(&line)
        };
        match parsed {
            Ok(v) => return Ok(v),
            Err(why) if var.kind == Kind::Choice => prompter.tell(&why),
            Err(why) => prompter.tell(&format!("`{}`: {why}", crate::util::text::shown(&line))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::source::{Origin, TemplateSource};

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
        let m = crate::template::manifest::parse(&t).unwrap_or_else(|p| panic!("{p}"));
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
regex = '[A-Za-z ]+'
rule_help = "letters and spaces"
[[computed]]
name = "shout"
value = "{{ author | shouty_snake_case }}"
"#;

    fn builtins() -> Answers {
        Answers {
            values: vec![("project_name".into(), Value::Str("my-app".into()))],
            skipped: Vec::new(),
        }
    }

    #[test]
    fn prompts_retry_and_skip_inapplicable_questions() {
        let (engine, m) = manifest(VARS);
        let mut script = Script(vec!["perhaps", "no", "GPL", "NONE", "x1", ""], vec![]);
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
                "docker (use docker) [y/N]: ",
                "! `perhaps`: expected a bool (true/false, yes/no, 1/0)",
                "docker (use docker) [y/N]: ",
                "! 1) MIT",
                "! 2) none",
                "license [1-2, default 1 = MIT]: ",
                "! `GPL` is not one of the choices (type 1-2 or a name)",
                "license [1-2, default 1 = MIT]: ",
                "author; letters and spaces (default: MyApp team): ",
                "! `x1`: does not follow the rule: letters and spaces",
                "author; letters and spaces (default: MyApp team): ",
            ]
        );
    }

    #[test]
    fn choices_by_number_case_and_suggestion() {
        let (_, m) = manifest(VARS);
        let var = m.variables.iter().find(|v| v.name == "license").unwrap();
        for (typed, want) in [
            ("1", Ok("MIT")),
            ("2", Ok("none")),
            ("mit", Ok("MIT")),
            (" none ", Ok("none")),
            ("3", Err("not one of the choices")),
            ("MTI", Err("did you mean `MIT`?")),
        ] {
            match (pick_choice(var, typed), want) {
                (Ok(got), Ok(w)) => assert_eq!(got, w, "{typed:?}"),
                (Err(e), Err(w)) => assert!(e.contains(w), "{typed:?}: {e}"),
                (got, w) => panic!("{typed:?}: {got:?}, want {w:?}"),
            }
        }
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
    fn a_required_value_whose_question_does_not_apply_is_not_demanded() {
        let (engine, m) = manifest(
            r#"
name = "t"
description = "d"
follows = "f"
[[variables]]
name = "docker"
type = "bool"
default = false
[[variables]]
name = "image"
type = "string"
when = "docker"
"#,
        );
        let a = resolve(&engine, &m, builtins(), &[], Input::Defaults, &mut NoPrompt).unwrap();
        assert_eq!(a.get("image"), Some(&Value::Str(String::new())));
        let on = [("docker".to_string(), "yes".to_string())];
        let err =
            resolve(&engine, &m, builtins(), &on, Input::Defaults, &mut NoPrompt).unwrap_err();
        assert!(err.to_string().contains("-d image=<string>"), "{err}");
    }

    #[test]
    fn many_variables_resolve() {
        use std::fmt::Write as _;
        let mut text = String::from("name = \"t\"\ndescription = \"d\"\nfollows = \"f\"\n");
        for i in 0..5000 {
            let _ = write!(
                text,
                "[[variables]]\nname = \"v{i}\"\ntype = \"string\"\ndefault = \"{{{{ project_name }}}}-{i}\"\n"
            );
        }
        let (engine, m) = manifest(&text);
        let a = resolve(&engine, &m, builtins(), &[], Input::Defaults, &mut NoPrompt).unwrap();
        assert_eq!(a.get("v4999"), Some(&Value::Str("my-app-4999".into())));
    }
}

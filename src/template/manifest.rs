//! The `template.toml` schema: parsing, and every check a manifest must pass; a template
//! loaded is a template with its manifest checked.
//!
//! The TOML is read into a plain table first and then walked by hand, so that every problem
//! (unknown keys, wrong types, bad regexes, references to later variables, missing paths) is
//! collected and reported at once rather than one per run.

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use regex_lite::Regex;
use toml::{Table, Value as Toml};

use crate::sources::source::TemplateSource;
use crate::template::builtins::BUILTINS;
use crate::template::values::{Kind, Value, is_identifier, parse_bool};
use crate::util::limits::MAX_RULE_BYTES;

/// A parsed and checked `template.toml`.
#[derive(Debug, Clone)]
pub(crate) struct Manifest {
    /// The template's name; equals its directory name.
    pub(crate) name: String,
    /// One line for `scaffold list`.
    pub(crate) description: String,
    /// The reference layout the template follows.
    pub(crate) follows: String,
    /// The template's own version (free text, shown by `info`, recorded in projects).
    pub(crate) version: Option<String>,
    /// Source paths that are written with mode 755.
    pub(crate) executable: Vec<String>,
    /// A Tera text shown after generation.
    pub(crate) next_steps: Option<String>,
    /// Questions, in the order they are asked.
    pub(crate) variables: Vec<Variable>,
    /// Values derived from the others, never asked.
    pub(crate) computed: Vec<Computed>,
    /// Source paths that exist only when a condition holds.
    pub(crate) conditional: Vec<Conditional>,
    /// Source files an earlier version of the template had under another name (`from`, `to`),
    /// so that `update` moves the user's edits with them.
    pub(crate) renames: Vec<(String, String)>,
}

/// A question a template asks.
#[derive(Debug, Clone)]
pub(crate) struct Variable {
    /// Lowercase identifier, unique within the template.
    pub(crate) name: String,
    /// Its type.
    pub(crate) kind: Kind,
    /// The default: a literal, or for strings a Tera text over earlier variables.
    pub(crate) default: Option<Value>,
    /// One line of help shown by `info` and at the prompt.
    pub(crate) help: String,
    /// Strings and ints must match it (whole value).
    pub(crate) regex: Option<Regex>,
    /// The regex as written in the manifest (`info --json` shows it).
    pub(crate) regex_source: Option<String>,
    /// The rule in words, shown instead of the regex in prompts and messages.
    pub(crate) rule_help: Option<String>,
    /// The allowed values of a choice.
    pub(crate) choices: Vec<String>,
    /// Values a string may not take (keywords, reserved names).
    pub(crate) not_in: Vec<String>,
    /// A Tera expression: the question applies only when it holds.
    pub(crate) when: Option<String>,
}

/// A value computed from the others.
#[derive(Debug, Clone)]
pub(crate) struct Computed {
    /// Its name.
    pub(crate) name: String,
    /// A Tera text.
    pub(crate) value: String,
}

/// Paths that exist only when `when` holds.
#[derive(Debug, Clone)]
pub(crate) struct Conditional {
    /// A Tera expression.
    pub(crate) when: String,
    /// Source paths (files, or directories covering everything below them).
    pub(crate) paths: Vec<String>,
}

/// Every problem found in a manifest.
#[derive(Debug)]
pub(crate) struct Problems {
    /// Which manifest (a label for messages).
    pub(crate) file: String,
    /// One line each.
    pub(crate) list: Vec<String>,
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::util::text::problems(
            &format!("`{}`", self.file),
            &self.list,
        ))
    }
}

impl std::error::Error for Problems {}

impl Variable {
    /// Parses a command-line or prompt answer into this variable's type and checks it.
    pub(crate) fn parse(&self, raw: &str) -> Result<Value, String> {
        let value = match self.kind {
            Kind::String | Kind::Choice => Value::Str(raw.to_string()),
            Kind::Bool => match parse_bool(raw) {
                Some(b) => Value::Bool(b),
                None => return Err("expected a bool (true/false, yes/no, 1/0)".to_string()),
            },
            Kind::Int => match raw.trim().parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => return Err("expected a whole number".to_string()),
            },
        };
        self.check(&value)?;
        Ok(value)
    }

    /// Checks a typed value against the choices and the regex.
    pub(crate) fn check(&self, value: &Value) -> Result<(), String> {
        if self.kind == Kind::Choice {
            let s = value.to_string();
            if !self.choices.contains(&s) {
                return Err(format!("expected one of {}", self.choices_text()));
            }
        }
        if self.not_in.contains(&value.to_string()) {
            return Err(
                "is reserved: this variable may not take it (see `scaffold info`)".to_string(),
            );
        }
        if let Some(re) = &self.regex {
            let s = value.to_string();
            if !re.is_match(&s) {
                return Err(match &self.rule_help {
                    Some(help) => format!("does not follow the rule: {help}"),
                    None => format!(
                        "does not match the rule `{}`",
                        self.regex_source.as_deref().unwrap_or(re.as_str())
                    ),
                });
            }
        }
        if let Value::Str(s) = value
            && let Some(c) = s.chars().find(|c| c.is_control() && *c != '\t')
        {
            return Err(format!("contains the control character {c:?}"));
        }
        Ok(())
    }

    /// The choices as `a`, `b`, `c`.
    pub(crate) fn choices_text(&self) -> String {
        self.choices
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether the default is a Tera text to render rather than a literal.
    pub(crate) fn default_is_template(&self) -> bool {
        matches!(&self.default, Some(Value::Str(s)) if s.contains("{{") || s.contains("{%"))
    }
}

/// A template and its checked manifest.
pub(crate) struct Loaded {
    /// The files.
    pub(crate) source: TemplateSource,
    /// The parsed `template.toml`.
    pub(crate) manifest: Manifest,
}

/// A template with its manifest parsed and checked: the first stage after finding it.
pub(crate) fn load(source: TemplateSource) -> anyhow::Result<Loaded> {
    crate::util::limits::stage(format!("reading the manifest of `{}`", source.label()));
    let manifest = parse(&source)?;
    Ok(Loaded { source, manifest })
}

/// Parses and checks `template.toml` against the template's own files.
pub(crate) fn parse(template: &TemplateSource) -> Result<Manifest, Problems> {
    let mut p = Checker {
        problems: Vec::new(),
        tera: None,
    };
    let file = format!("{}/template.toml", template.label());
    let table: Table = template
        .manifest_text
        .parse()
        .map_err(|e: toml::de::Error| Problems {
            file: file.clone(),
            list: vec![format!(
                "not valid TOML: {}",
                e.to_string()
                    .trim_end()
                    .lines()
                    .map(crate::util::text::shown)
                    .collect::<Vec<_>>()
                    .join("\n    ")
            )],
        })?;
    p.keys(
        "",
        &table,
        &[
            "name",
            "description",
            "follows",
            "executable",
            "next_steps",
            "variables",
            "computed",
            "conditional",
            "version",
            "renames",
        ],
    );
    let name = p.string(&table, "", "name", true).unwrap_or_default();
    if !name.is_empty() && name != template.name {
        p.add(format!(
            "`name` is `{name}` but the template's directory is `{}`",
            template.name
        ));
    }
    let description = p
        .string(&table, "", "description", true)
        .unwrap_or_default();
    if description.contains('\n') {
        p.add("`description` must be one line".to_string());
    }
    let follows = p.string(&table, "", "follows", true).unwrap_or_default();
    let version = p.version(&table);
    let next_steps = p.string(&table, "", "next_steps", false);
    let executable = p.strings(&table, "", "executable");
    for path in &executable {
        if !template.files.iter().any(|f| &f.path == path) {
            p.add(format!(
                "`executable` names `{path}`, which is not a file of the template"
            ));
        }
    }

    // Names known so far, in order: references must point backwards.
    let mut known: HashSet<String> = BUILTINS.iter().map(|b| b.name.to_string()).collect();
    let mut variables = Vec::new();
    for (i, t) in p.tables(&table, "variables").into_iter().enumerate() {
        let at = format!("variables[{i}]");
        if let Some(v) = p.variable(&at, t, &known) {
            known.insert(v.name.clone());
            variables.push(v);
        }
    }
    let renames = p.renames(&table, template);
    let computed = p.computed(&table, &mut known);
    let conditional = p.conditional(&table, template, &known);
    if let Some(text) = &next_steps {
        let mut with_dest = known.clone();
        with_dest.insert("dest".to_string());
        p.references("next_steps", text, false, &with_dest);
    }

    if p.problems.is_empty() {
        Ok(Manifest {
            name,
            description,
            follows,
            version,
            executable,
            next_steps,
            variables,
            computed,
            conditional,
            renames,
        })
    } else {
        Err(Problems {
            file,
            list: p.problems,
        })
    }
}

/// The one name every reference check's text gets, so the checking Tera holds one template:
/// Tera re-checks all it holds on every addition, which would make many variables quadratic.
const CHECKED: &str = "template.toml";

struct Checker {
    problems: Vec<String>,
    /// One Tera for every reference check of this manifest (creating one is not free).
    tera: Option<tera::Tera>,
}

fn at_key(at: &str, key: &str) -> String {
    if at.is_empty() {
        format!("`{key}`")
    } else {
        format!("{at}.{key}")
    }
}

fn type_name(v: &Toml) -> &'static str {
    match v {
        Toml::String(_) => "a string",
        Toml::Integer(_) => "an integer",
        Toml::Float(_) => "a float",
        Toml::Boolean(_) => "a bool",
        Toml::Datetime(_) => "a date",
        Toml::Array(_) => "an array",
        Toml::Table(_) => "a table",
    }
}

impl Checker {
    fn computed(&mut self, table: &Table, known: &mut HashSet<String>) -> Vec<Computed> {
        let mut computed = Vec::new();
        for (i, t) in self.tables(table, "computed").into_iter().enumerate() {
            let at = format!("computed[{i}]");
            self.keys(&at, t, &["name", "value"]);
            let name = self.string(t, &at, "name", true);
            let value = self.string(t, &at, "value", true);
            if let (Some(name), Some(value)) = (name, value) {
                self.name(&at, &name, known);
                self.references(&format!("{at}.value"), &value, false, known);
                known.insert(name.clone());
                computed.push(Computed { name, value });
            }
        }
        computed
    }

    fn version(&mut self, table: &Table) -> Option<String> {
        let version = self.string(table, "", "version", false);
        if let Some(v) = &version
            && (v.is_empty()
                || v.len() > 64
                || v.chars().any(|c| c.is_control() || c.is_whitespace()))
        {
            self.add("`version`: one word of at most 64 characters, like `1.2.0`".to_string());
        }
        version
    }

    fn renames(&mut self, table: &Table, template: &TemplateSource) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, t) in self.tables(table, "renames").into_iter().enumerate() {
            let at = format!("renames[{i}]");
            self.keys(&at, t, &["from", "to"]);
            let from = self.string(t, &at, "from", true);
            let to = self.string(t, &at, "to", true);
            if let (Some(from), Some(to)) = (from, to) {
                if !template.files.iter().any(|f| f.path == to) {
                    self.add(format!("{at}.to: `{to}` is not a file of the template"));
                }
                if template.files.iter().any(|f| f.path == from) {
                    self.add(format!(
                        "{at}.from: `{from}` is still a file of the template; a rename names \
                         the file's old path"
                    ));
                }
                if out.iter().any(|(f, _): &(String, String)| f == &from) {
                    self.add(format!("{at}.from: `{from}` is renamed twice"));
                }
                out.push((from, to));
            }
        }
        out
    }

    fn conditional(
        &mut self,
        table: &Table,
        template: &TemplateSource,
        known: &HashSet<String>,
    ) -> Vec<Conditional> {
        let mut conditional = Vec::new();
        for (i, t) in self.tables(table, "conditional").into_iter().enumerate() {
            let at = format!("conditional[{i}]");
            self.keys(&at, t, &["when", "paths"]);
            let when = self.string(t, &at, "when", true);
            let paths = self.strings(t, &at, "paths");
            if t.contains_key("paths") && paths.is_empty() {
                self.add(format!("{at}.paths: must name at least one path"));
            } else if !t.contains_key("paths") {
                self.add(format!("{at}: missing `paths`"));
            }
            for path in &paths {
                if !template.covers(path) {
                    self.add(format!(
                        "{at}.paths: `{path}` is not a file or directory of the template"
                    ));
                }
            }
            if let Some(when) = when {
                self.references(&format!("{at}.when"), &when, true, known);
                conditional.push(Conditional { when, paths });
            }
        }
        conditional
    }

    fn add(&mut self, problem: String) {
        self.problems.push(problem);
    }

    fn keys(&mut self, at: &str, table: &Table, allowed: &[&str]) {
        for key in table.keys() {
            if !allowed.contains(&key.as_str()) {
                let hint = crate::util::text::nearest(key, allowed.iter().copied())
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                self.add(format!("{}: unknown key{hint}", at_key(at, key)));
            }
        }
    }

    fn string(&mut self, t: &Table, at: &str, key: &str, required: bool) -> Option<String> {
        match t.get(key) {
            Some(Toml::String(s)) => Some(s.clone()),
            Some(other) => {
                self.add(format!(
                    "{}: expected a string, found {}",
                    at_key(at, key),
                    type_name(other)
                ));
                None
            }
            None => {
                if required {
                    self.add(format!("{}: missing", at_key(at, key)));
                }
                None
            }
        }
    }

    fn strings(&mut self, t: &Table, at: &str, key: &str) -> Vec<String> {
        match t.get(key) {
            None => Vec::new(),
            Some(Toml::Array(items)) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Toml::String(s) => out.push(s.clone()),
                        other => self.add(format!(
                            "{}[{i}]: expected a string, found {}",
                            at_key(at, key),
                            type_name(other)
                        )),
                    }
                }
                out
            }
            Some(other) => {
                self.add(format!(
                    "{}: expected an array of strings, found {}",
                    at_key(at, key),
                    type_name(other)
                ));
                Vec::new()
            }
        }
    }

    fn tables<'t>(&mut self, t: &'t Table, key: &str) -> Vec<&'t Table> {
        match t.get(key) {
            None => Vec::new(),
            Some(Toml::Array(items)) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Toml::Table(t) => out.push(t),
                        other => self.add(format!(
                            "{key}[{i}]: expected a table, found {}",
                            type_name(other)
                        )),
                    }
                }
                out
            }
            Some(other) => {
                self.add(format!(
                    "`{key}`: expected an array of tables ([[{key}]]), found {}",
                    type_name(other)
                ));
                Vec::new()
            }
        }
    }

    fn name(&mut self, at: &str, name: &str, known: &HashSet<String>) {
        if !is_identifier(name) {
            self.add(format!(
                "{at}.name: `{name}` is not a lowercase identifier ([a-z][a-z0-9_]*)"
            ));
        } else if crate::template::builtins::get(name).is_some() {
            self.add(format!("{at}.name: `{name}` is a built-in variable"));
        } else if known.contains(name) {
            self.add(format!("{at}.name: `{name}` is declared twice"));
        }
    }

    /// Checks that a Tera text (or expression) parses and names only earlier variables.
    fn references(&mut self, at: &str, text: &str, expression: bool, known: &HashSet<String>) {
        let source = if expression {
            crate::template::engine::condition(text)
        } else {
            text.to_string()
        };
        let tera = self
            .tera
            .get_or_insert_with(crate::template::engine::new_tera);
        if let Err(e) = tera.add_raw_template(CHECKED, &source) {
            let why = if expression {
                crate::template::engine::describe_condition_error(&e)
            } else {
                crate::template::engine::describe_error(&e, true)
            };
            self.add(format!("{at}: {why}"));
            return;
        }
        if let Ok(vars) = tera.get_template_variables(CHECKED) {
            let mut unknown: BTreeSet<String> = BTreeSet::new();
            for v in vars {
                if !known.contains(v) {
                    unknown.insert(v.to_string());
                }
            }
            for v in unknown {
                self.add(format!(
                    "{at}: refers to `{v}`, which is not a built-in or an earlier variable"
                ));
            }
        }
    }

    fn variable(&mut self, at: &str, t: &Table, known: &HashSet<String>) -> Option<Variable> {
        self.keys(
            at,
            t,
            &[
                "name",
                "type",
                "default",
                "help",
                "regex",
                "rule_help",
                "choices",
                "not_in",
                "when",
            ],
        );
        let name = self.string(t, at, "name", true);
        if let Some(name) = &name {
            self.name(at, name, known);
        }
        let help = self.string(t, at, "help", false).unwrap_or_default();
        if help.contains('\n') {
            self.add(format!("{at}.help: must be one line"));
        }
        let kind = match self.string(t, at, "type", true) {
            Some(name) => {
                let kind = Kind::from_name(&name);
                if kind.is_none() {
                    self.add(format!(
                        "{at}.type: `{name}` is not one of `string`, `bool`, `int`, `choice`"
                    ));
                }
                kind
            }
            None => None,
        };
        let regex_source = self.string(t, at, "regex", false);
        let rule_help = self.string(t, at, "rule_help", false);
        if rule_help.as_deref().is_some_and(|h| h.contains('\n')) {
            self.add(format!("{at}.rule_help: must be one line"));
        }
        if rule_help.is_some() && regex_source.is_none() {
            self.add(format!(
                "{at}.rule_help: describes a `regex`, and there is none"
            ));
        }
        let regex = match &regex_source {
            Some(src) if src.len() > MAX_RULE_BYTES => {
                self.add(format!(
                    "{at}.regex: {} bytes, more than the {MAX_RULE_BYTES} a rule may have",
                    src.len()
                ));
                None
            }
            Some(src) => match Regex::new(&format!("^(?:{src})$")) {
                Ok(re) => Some(re),
                Err(e) => {
                    self.add(format!("{at}.regex: not a valid regex: {e}"));
                    None
                }
            },
            None => None,
        };
        let choices = self.strings(t, at, "choices");
        let not_in = self.strings(t, at, "not_in");
        let when = self.string(t, at, "when", false);
        if let Some(when) = &when {
            self.references(&format!("{at}.when"), when, true, known);
        }
        let kind = kind?;
        self.kind_rules(at, t, kind, &choices, &not_in, regex.is_some());
        let default = self.default(at, t, kind);
        let var = Variable {
            name: name?,
            kind,
            default,
            help,
            regex,
            regex_source,
            rule_help,
            choices,
            not_in,
            when,
        };
        if var.default_is_template() {
            if let Some(Value::Str(text)) = &var.default {
                self.references(&format!("{at}.default"), text, false, known);
            }
        } else if let Some(d) = &var.default
            && let Err(e) = var.check(d)
        {
            self.add(format!("{at}.default: `{d}` {e}"));
        }
        Some(var)
    }

    /// What only some kinds take: choices, `not_in`, a regex.
    fn kind_rules(
        &mut self,
        at: &str,
        t: &Table,
        kind: Kind,
        choices: &[String],
        not_in: &[String],
        has_regex: bool,
    ) {
        if kind == Kind::Choice {
            if choices.is_empty() {
                self.add(format!("{at}.choices: a choice needs at least one value"));
            }
            let mut seen = BTreeSet::new();
            for c in choices {
                if !seen.insert(c) {
                    self.add(format!("{at}.choices: `{c}` is listed twice"));
                }
            }
        } else if t.contains_key("choices") {
            self.add(format!(
                "{at}.choices: only a `choice` variable has choices"
            ));
        }
        if !not_in.is_empty() && kind != Kind::String {
            self.add(format!(
                "{at}.not_in: only a `string` variable takes `not_in`"
            ));
        }
        if has_regex && matches!(kind, Kind::Bool | Kind::Choice) {
            self.add(format!(
                "{at}.regex: only `string` and `int` variables take a regex"
            ));
        }
    }

    /// The default, of the variable's type.
    fn default(&mut self, at: &str, t: &Table, kind: Kind) -> Option<Value> {
        match (kind, t.get("default")) {
            (_, None) => {
                if kind != Kind::String {
                    self.add(format!("{at}.default: missing (only strings may omit it)"));
                }
                None
            }
            (Kind::String | Kind::Choice, Some(Toml::String(s))) => Some(Value::Str(s.clone())),
            (Kind::Bool, Some(Toml::Boolean(b))) => Some(Value::Bool(*b)),
            (Kind::Int, Some(Toml::Integer(i))) => Some(Value::Int(*i)),
            (_, Some(other)) => {
                self.add(format!(
                    "{at}.default: expected {} for a `{kind}` variable, found {}",
                    match kind {
                        Kind::Bool => "a bool",
                        Kind::Int => "an integer",
                        _ => "a string",
                    },
                    type_name(other)
                ));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::source::{Origin, SourceFile};

    fn problems(manifest: &str) -> Vec<String> {
        let t = TemplateSource {
            name: "t".into(),
            origin: Origin::Embedded,
            manifest_text: format!(
                "name = \"t\"\ndescription = \"d\"\nfollows = \"f\"\n{manifest}"
            ),
            files: vec![SourceFile::new(
                "a.txt".into(),
                std::borrow::Cow::Borrowed(b"a"),
                false,
            )],
        };
        match parse(&t) {
            Ok(_) => Vec::new(),
            Err(p) => p.list,
        }
    }

    /// Broken manifests and exactly what is said about them.
    #[test]
    fn every_problem_is_reported_in_words() {
        let var = |body: &str| format!("[[variables]]\n{body}\n");
        let cases: Vec<(String, Vec<&str>)> = vec![
            (String::new(), vec![]),
            ("hooks = []\n".into(), vec!["`hooks`: unknown key"]),
            (
                "descriptio = \"x\"\n".into(),
                vec!["`descriptio`: unknown key (did you mean `description`?)"],
            ),
            (
                "executable = [\"nope\"]\n".into(),
                vec!["`executable` names `nope`, which is not a file of the template"],
            ),
            (
                var("name = \"Bad\"\ntype = \"string\""),
                vec!["variables[0].name: `Bad` is not a lowercase identifier ([a-z][a-z0-9_]*)"],
            ),
            (
                var("name = \"year\"\ntype = \"string\""),
                vec!["variables[0].name: `year` is a built-in variable"],
            ),
            (
                var("name = \"v\"\ntype = \"float\""),
                vec!["variables[0].type: `float` is not one of `string`, `bool`, `int`, `choice`"],
            ),
            (
                var("name = \"v\"\ntype = \"int\""),
                vec!["variables[0].default: missing (only strings may omit it)"],
            ),
            (
                var("name = \"v\"\ntype = \"bool\"\ndefault = \"yes\""),
                vec!["variables[0].default: expected a bool for a `bool` variable, found a string"],
            ),
            (
                var("name = \"v\"\ntype = \"choice\"\nchoices = [\"a\", \"a\"]\ndefault = \"b\""),
                vec![
                    "variables[0].choices: `a` is listed twice",
                    "variables[0].default: `b` expected one of `a`, `a`",
                ],
            ),
            (
                var("name = \"v\"\ntype = \"string\"\nregex = \"(\""),
                vec!["variables[0].regex: not a valid regex: found open group without closing ')'"],
            ),
            (
                var("name = \"v\"\ntype = \"string\"\nrule_help = \"x\""),
                vec!["variables[0].rule_help: describes a `regex`, and there is none"],
            ),
            (
                var("name = \"v\"\ntype = \"string\"\nhelp = \"a\\nb\""),
                vec!["variables[0].help: must be one line"],
            ),
            (
                var("name = \"v\"\ntype = \"string\"\ndefault = \"{{ later }}\""),
                vec![
                    "variables[0].default: refers to `later`, which is not a built-in or an earlier variable",
                ],
            ),
            (
                var("name = \"v\"\ntype = \"string\"\nwhen = \"{{\""),
                vec![
                    "variables[0].when: 1:2: Found `{` but expected `...`, a string, an integer or a bool",
                ],
            ),
            (
                "[[conditional]]\nwhen = \"true\"\npaths = [\"missing\"]\n".into(),
                vec!["conditional[0].paths: `missing` is not a file or directory of the template"],
            ),
            (
                "[[computed]]\nname = \"c\"\n".into(),
                vec!["computed[0].value: missing"],
            ),
        ];
        for (manifest, want) in cases {
            let got = problems(&manifest);
            let got: Vec<&str> = got.iter().map(String::as_str).collect();
            assert_eq!(got, want, "{manifest}");
        }
    }
}

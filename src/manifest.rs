//! The `template.toml` schema: parsing, and every check a manifest must pass.
//!
//! The TOML is read into a plain table first and then walked by hand, so that every problem
//! (unknown keys, wrong types, bad regexes, references to later variables, missing paths) is
//! collected and reported at once rather than one per run.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use regex_lite::Regex;
use toml::{Table, Value as Toml};

use crate::source::TemplateSource;

/// Variables every template gets without declaring them.
pub const BUILTINS: &[(&str, &str)] = &[
    (
        "project_name",
        "the project's name, from --name or the last component of DEST",
    ),
    ("project_slug", "project_name in kebab case"),
    (
        "package_name",
        "project_name in snake case, a valid Python package name",
    ),
    (
        "cookie_secret",
        "64 hex characters from the operating system's CSPRNG",
    ),
    ("year", "the current year (UTC)"),
    (
        "scaffold_version",
        "the version of scaffold that rendered the project",
    ),
];

/// A parsed and checked `template.toml`.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The template's name; equals its directory name.
    pub name: String,
    /// One line for `scaffold list`.
    pub description: String,
    /// The reference layout the template follows.
    pub follows: String,
    /// Source paths that are written with mode 755.
    pub executable: Vec<String>,
    /// A Tera text shown after generation.
    pub next_steps: Option<String>,
    /// Questions, in the order they are asked.
    pub variables: Vec<Variable>,
    /// Values derived from the others, never asked.
    pub computed: Vec<Computed>,
    /// Source paths that exist only when a condition holds.
    pub conditional: Vec<Conditional>,
}

/// The type of a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text.
    String,
    /// true or false.
    Bool,
    /// A whole number.
    Int,
    /// One of a fixed list of strings.
    Choice,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::String => "string",
            Kind::Bool => "bool",
            Kind::Int => "int",
            Kind::Choice => "choice",
        })
    }
}

/// A variable's value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum Value {
    /// For string and choice variables.
    Str(String),
    /// For bool variables.
    Bool(bool),
    /// For int variables.
    Int(i64),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
        }
    }
}

/// A question a template asks.
#[derive(Debug, Clone)]
pub struct Variable {
    /// Lowercase identifier, unique within the template.
    pub name: String,
    /// Its type.
    pub kind: Kind,
    /// The default: a literal, or for strings a Tera text over earlier variables.
    pub default: Option<Value>,
    /// One line of help shown by `info` and at the prompt.
    pub help: String,
    /// Strings and ints must match it (whole value).
    pub regex: Option<Regex>,
    /// The regex as written in the manifest, for messages.
    pub regex_source: Option<String>,
    /// The allowed values of a choice.
    pub choices: Vec<String>,
    /// Values a string may not take (keywords, reserved names).
    pub not_in: Vec<String>,
    /// A Tera expression: the question applies only when it holds.
    pub when: Option<String>,
}

/// A value computed from the others.
#[derive(Debug, Clone)]
pub struct Computed {
    /// Its name.
    pub name: String,
    /// A Tera text.
    pub value: String,
}

/// Paths that exist only when `when` holds.
#[derive(Debug, Clone)]
pub struct Conditional {
    /// A Tera expression.
    pub when: String,
    /// Source paths (files, or directories covering everything below them).
    pub paths: Vec<String>,
}

/// Every problem found in a manifest.
#[derive(Debug)]
pub struct Problems {
    /// Which manifest (a label for messages).
    pub file: String,
    /// One line each.
    pub list: Vec<String>,
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.list.len();
        write!(
            f,
            "`{}` has {n} problem{}:",
            self.file,
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.list {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

impl Variable {
    /// Parses a command-line or prompt answer into this variable's type and checks it.
    pub fn parse(&self, raw: &str) -> Result<Value, String> {
        let value = match self.kind {
            Kind::String => Value::Str(raw.to_string()),
            Kind::Bool => match raw.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" | "on" => Value::Bool(true),
                "false" | "no" | "n" | "0" | "off" => Value::Bool(false),
                _ => return Err("expected a bool (true/false, yes/no, 1/0)".to_string()),
            },
            Kind::Int => match raw.trim().parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => return Err("expected a whole number".to_string()),
            },
            Kind::Choice => Value::Str(raw.to_string()),
        };
        self.check(&value)?;
        Ok(value)
    }

    /// Checks a typed value against the choices and the regex.
    pub fn check(&self, value: &Value) -> Result<(), String> {
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
                return Err(format!(
                    "does not match the rule `{}`",
                    self.regex_source.as_deref().unwrap_or(re.as_str())
                ));
            }
        }
        if let Value::Str(s) = value {
            if let Some(c) = s.chars().find(|c| c.is_control() && *c != '\t') {
                return Err(format!("contains the control character {:?}", c));
            }
        }
        Ok(())
    }

    /// The choices as `a`, `b`, `c`.
    pub fn choices_text(&self) -> String {
        self.choices
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether the default is a Tera text to render rather than a literal.
    pub fn default_is_template(&self) -> bool {
        matches!(&self.default, Some(Value::Str(s)) if s.contains("{{") || s.contains("{%"))
    }
}

/// Whether `name` is a lowercase identifier (`[a-z][a-z0-9_]*`).
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// Parses and checks `template.toml` against the template's own files.
pub fn parse(template: &TemplateSource) -> Result<Manifest, Problems> {
    let mut p = Checker {
        problems: Vec::new(),
        tera: None,
    };
    let file = format!("{}/template.toml", template.label());
    let table: Table = match template.manifest_text.parse() {
        Ok(t) => t,
        Err(e) => {
            return Err(Problems {
                file,
                list: vec![format!(
                    "not valid TOML: {}",
                    e.to_string()
                        .trim_end()
                        .lines()
                        .map(crate::shown)
                        .collect::<Vec<_>>()
                        .join("\n    ")
                )],
            });
        }
    };
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
    let mut known: Vec<String> = BUILTINS.iter().map(|(n, _)| n.to_string()).collect();
    let mut variables = Vec::new();
    for (i, t) in p.tables(&table, "variables").into_iter().enumerate() {
        let at = format!("variables[{i}]");
        if let Some(v) = p.variable(&at, t, &known) {
            known.push(v.name.clone());
            variables.push(v);
        }
    }
    let mut computed = Vec::new();
    for (i, t) in p.tables(&table, "computed").into_iter().enumerate() {
        let at = format!("computed[{i}]");
        p.keys(&at, t, &["name", "value"]);
        let name = p.string(t, &at, "name", true);
        let value = p.string(t, &at, "value", true);
        if let (Some(name), Some(value)) = (name, value) {
            p.name(&at, &name, &known);
            p.references(&format!("{at}.value"), &value, false, &known);
            known.push(name.clone());
            computed.push(Computed { name, value });
        }
    }
    let mut conditional = Vec::new();
    for (i, t) in p.tables(&table, "conditional").into_iter().enumerate() {
        let at = format!("conditional[{i}]");
        p.keys(&at, t, &["when", "paths"]);
        let when = p.string(t, &at, "when", true);
        let paths = p.strings(t, &at, "paths");
        if t.contains_key("paths") && paths.is_empty() {
            p.add(format!("{at}.paths: must name at least one path"));
        } else if !t.contains_key("paths") {
            p.add(format!("{at}: missing `paths`"));
        }
        for path in &paths {
            if !template.covers(path) {
                p.add(format!(
                    "{at}.paths: `{path}` is not a file or directory of the template"
                ));
            }
        }
        if let Some(when) = when {
            p.references(&format!("{at}.when"), &when, true, &known);
            conditional.push(Conditional { when, paths });
        }
    }
    if let Some(text) = &next_steps {
        let mut with_dest = known.clone();
        with_dest.push("dest".to_string());
        p.references("next_steps", text, false, &with_dest);
    }

    if p.problems.is_empty() {
        Ok(Manifest {
            name,
            description,
            follows,
            executable,
            next_steps,
            variables,
            computed,
            conditional,
        })
    } else {
        Err(Problems {
            file,
            list: p.problems,
        })
    }
}

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
    fn add(&mut self, problem: String) {
        self.problems.push(problem);
    }

    fn keys(&mut self, at: &str, table: &Table, allowed: &[&str]) {
        for key in table.keys() {
            if !allowed.contains(&key.as_str()) {
                let hint = crate::answers::nearest(key, allowed.iter().copied())
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

    fn name(&mut self, at: &str, name: &str, known: &[String]) {
        if !is_identifier(name) {
            self.add(format!(
                "{at}.name: `{name}` is not a lowercase identifier ([a-z][a-z0-9_]*)"
            ));
        } else if BUILTINS.iter().any(|(b, _)| *b == name) {
            self.add(format!("{at}.name: `{name}` is a built-in variable"));
        } else if known.iter().any(|k| k == name) {
            self.add(format!("{at}.name: `{name}` is declared twice"));
        }
    }

    /// Checks that a Tera text (or expression) parses and names only earlier variables.
    fn references(&mut self, at: &str, text: &str, expression: bool, known: &[String]) {
        let source = if expression {
            format!("{{% if {text} %}}{{% endif %}}")
        } else {
            text.to_string()
        };
        let tera = self.tera.get_or_insert_with(|| {
            let mut tera = tera::Tera::new();
            crate::filters::register(&mut tera);
            tera
        });
        if let Err(e) = tera.add_raw_template(at, &source) {
            self.add(format!(
                "{at}: {}",
                crate::render::describe_tera_error(&e, expression)
            ));
            return;
        }
        if let Ok(vars) = tera.get_template_variables(at) {
            let mut unknown: BTreeSet<String> = BTreeSet::new();
            for v in vars {
                if !known.iter().any(|k| k == v) {
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

    fn variable(&mut self, at: &str, t: &Table, known: &[String]) -> Option<Variable> {
        self.keys(
            at,
            t,
            &[
                "name", "type", "default", "help", "regex", "choices", "not_in", "when",
            ],
        );
        let name = self.string(t, at, "name", true);
        if let Some(name) = &name {
            self.name(at, name, known);
        }
        let help = self.string(t, at, "help", false).unwrap_or_default();
        let kind = match self.string(t, at, "type", true).as_deref() {
            Some("string") => Some(Kind::String),
            Some("bool") => Some(Kind::Bool),
            Some("int") => Some(Kind::Int),
            Some("choice") => Some(Kind::Choice),
            Some(other) => {
                self.add(format!(
                    "{at}.type: `{other}` is not one of `string`, `bool`, `int`, `choice`"
                ));
                None
            }
            None => None,
        };
        let regex_source = self.string(t, at, "regex", false);
        let regex = match &regex_source {
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
        if kind == Kind::Choice {
            if choices.is_empty() {
                self.add(format!("{at}.choices: a choice needs at least one value"));
            }
            let mut seen = BTreeSet::new();
            for c in &choices {
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
        if regex.is_some() && matches!(kind, Kind::Bool | Kind::Choice) {
            self.add(format!(
                "{at}.regex: only `string` and `int` variables take a regex"
            ));
        }
        let default = match (kind, t.get("default")) {
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
        };
        let var = Variable {
            name: name?,
            kind,
            default,
            help,
            regex,
            regex_source,
            choices,
            not_in,
            when,
        };
        if var.default_is_template() {
            if let Some(Value::Str(text)) = &var.default {
                self.references(&format!("{at}.default"), text, false, known);
            }
        } else if let Some(d) = &var.default {
            if let Err(e) = var.check(d) {
                self.add(format!("{at}.default: `{d}` {e}"));
            }
        }
        Some(var)
    }
}

/// Names of every variable a manifest defines (declared and computed), for suggestions.
pub fn all_names(m: &Manifest) -> Vec<&str> {
    m.variables
        .iter()
        .map(|v| v.name.as_str())
        .chain(m.computed.iter().map(|c| c.name.as_str()))
        .collect()
}

/// A map from variable name to its declaration.
pub fn by_name(m: &Manifest) -> HashMap<&str, &Variable> {
    m.variables.iter().map(|v| (v.name.as_str(), v)).collect()
}

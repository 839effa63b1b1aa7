//! Variable types and values, shared by the built-ins, the manifest, answers and rendering.

use std::fmt;

/// The type of a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Free text.
    String,
    /// true or false.
    Bool,
    /// A whole number.
    Int,
    /// One of a fixed list of strings.
    Choice,
}

impl Kind {
    /// The name used in `template.toml` and in messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Bool => "bool",
            Kind::Int => "int",
            Kind::Choice => "choice",
        }
    }

    /// The kind called `name`.
    pub(crate) fn from_name(name: &str) -> Option<Kind> {
        [Kind::String, Kind::Bool, Kind::Int, Kind::Choice]
            .into_iter()
            .find(|k| k.name() == name)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A variable's value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub(crate) enum Value {
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

impl Value {
    /// As JSON, for `--json` output.
    pub(crate) fn json(&self) -> serde_json::Value {
        match self {
            Value::Str(s) => serde_json::json!(s),
            Value::Bool(b) => serde_json::json!(b),
            Value::Int(i) => serde_json::json!(i),
        }
    }
}

/// Whether `name` is a lowercase identifier (`[a-z][a-z0-9_]*`), as variable names must be.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// Parses a bool as typed by a user: `true/false`, `yes/no`, `y/n`, `1/0`, `on/off`.
pub(crate) fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "on" => Some(true),
        "false" | "no" | "n" | "0" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in [Kind::String, Kind::Bool, Kind::Int, Kind::Choice] {
            assert_eq!(Kind::from_name(k.name()), Some(k));
        }
        assert_eq!(Kind::from_name("float"), None);
    }

    #[test]
    fn bools() {
        for (raw, want) in [
            ("yes", Some(true)),
            (" Y ", Some(true)),
            ("1", Some(true)),
            ("off", Some(false)),
            ("No", Some(false)),
            ("maybe", None),
            ("", None),
        ] {
            assert_eq!(parse_bool(raw), want, "{raw:?}");
        }
    }
}

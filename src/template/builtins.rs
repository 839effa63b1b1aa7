//! The built-in variables every template gets without declaring them: one table holding each
//! name, its description and how its value is made; and the rule a project name must pass.

use anyhow::{Result, anyhow};
use heck::ToKebabCase;

use crate::template::values::Value;

/// What the built-in values are made from: the project's names, and the values drawn at
/// generation time (fixed by tests, and later replayed from a project's answers file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Inputs {
    /// The project's name (from `--name` or DEST).
    pub(crate) project_name: String,
    /// The checked Python package name.
    pub(crate) package_name: String,
    /// The cookie secret: 64 hex characters.
    pub(crate) cookie_secret: String,
    /// The year (UTC).
    pub(crate) year: i64,
    /// The `scaffold_version` value (this scaffold's, except when re-rendering an old project).
    pub(crate) scaffold_version: String,
}

impl Inputs {
    /// Inputs for a new project: a fresh secret from the OS CSPRNG and the current year.
    pub(crate) fn fresh(project_name: &str, package_name: &str) -> Result<Inputs> {
        Ok(Inputs {
            project_name: project_name.to_string(),
            package_name: package_name.to_string(),
            cookie_secret: random_secret()?,
            year: current_year(),
            scaffold_version: env!("CARGO_PKG_VERSION").to_string(),
        })
    }
}

/// One built-in variable.
pub(crate) struct Builtin {
    /// Its name in templates.
    pub(crate) name: &'static str,
    /// What it holds, for `scaffold info` and the README.
    pub(crate) description: &'static str,
    /// How the user sets it, if they can (shown when someone tries `-d` on it).
    pub(crate) set_by: Option<&'static str>,
    value: fn(&Inputs) -> Value,
}

/// Every built-in variable, in the order they enter a template's context.
pub(crate) const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "project_name",
        description: "the project's name, from --name or the last component of DEST",
        set_by: Some("--name or DEST"),
        value: |i| Value::Str(i.project_name.clone()),
    },
    Builtin {
        name: "project_slug",
        description: "project_name in kebab case",
        set_by: Some("--name or DEST"),
        value: |i| Value::Str(i.project_name.to_kebab_case()),
    },
    Builtin {
        name: "package_name",
        description: "project_name in snake case, a valid Python package name",
        set_by: Some("--name or DEST"),
        value: |i| Value::Str(i.package_name.clone()),
    },
    Builtin {
        name: "cookie_secret",
        description: "64 hex characters from the operating system's CSPRNG",
        set_by: None,
        value: |i| Value::Str(i.cookie_secret.clone()),
    },
    Builtin {
        name: "year",
        description: "the current year (UTC)",
        set_by: None,
        value: |i| Value::Int(i.year),
    },
    Builtin {
        name: "scaffold_version",
        description: "the version of scaffold that rendered the project",
        set_by: None,
        value: |i| Value::Str(i.scaffold_version.clone()),
    },
];

/// The built-in named `name`.
pub(crate) fn get(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// Every built-in's value, in table order.
pub(crate) fn values(inputs: &Inputs) -> Vec<(String, Value)> {
    BUILTINS
        .iter()
        .map(|b| (b.name.to_string(), (b.value)(inputs)))
        .collect()
}

/// 32 bytes from the operating system's CSPRNG, as 64 hex characters.
pub(crate) fn random_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow!("cannot get random bytes: {e}"))?;
    Ok(hex(&bytes))
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// The current year in UTC.
pub(crate) fn current_year() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    year_of_day(secs.div_euclid(86_400))
}

/// The proleptic Gregorian year of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
pub(crate) fn year_of_day(days: i64) -> i64 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    yoe + era * 400 + i64::from(month <= 2)
}

/// Checks a project name (before it is turned into a package name).
pub(crate) fn check_project_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("it is empty".to_string());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!("it contains the control character {c:?}"));
    }
    if let Some(c) = name.chars().find(|c| matches!(c, '"' | '\\' | '`')) {
        return Err(format!(
            "it contains `{c}`, which generated code would have to escape inside strings"
        ));
    }
    if name.chars().count() > 100 {
        return Err("it is longer than 100 characters".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Inputs {
        Inputs {
            project_name: "Team Chat".into(),
            package_name: "team_chat".into(),
            cookie_secret: "ab".repeat(32),
            year: 2026,
            scaffold_version: "9.9.9".into(),
        }
    }

    #[test]
    fn the_table_names_describes_and_values_every_builtin() {
        let values = values(&inputs());
        let names: Vec<&str> = values.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "project_name",
                "project_slug",
                "package_name",
                "cookie_secret",
                "year",
                "scaffold_version"
            ]
        );
        for b in BUILTINS {
            assert!(!b.description.is_empty(), "{}", b.name);
            assert!(crate::template::values::is_identifier(b.name), "{}", b.name);
        }
        let get = |n: &str| values.iter().find(|(k, _)| k == n).unwrap().1.clone();
        assert_eq!(get("project_slug"), Value::Str("team-chat".into()));
        assert_eq!(get("year"), Value::Int(2026));
        assert_eq!(get("cookie_secret"), Value::Str("ab".repeat(32)));
    }

    #[test]
    fn years() {
        for (days, year) in [
            (0, 1970),
            (365, 1971),
            (10_957, 2000),
            (20_819, 2027),
            (-1, 1969),
        ] {
            assert_eq!(year_of_day(days), year, "{days}");
        }
    }

    #[test]
    fn secrets_are_hex_and_differ() {
        let a = random_secret().unwrap();
        let b = random_secret().unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }
}

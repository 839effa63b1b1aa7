//! Reading an answers file as untrusted input: a project cloned from someone else may carry a
//! hostile one, so every key and type is checked, every path must pass the same rules as a
//! rendered path, and every problem is reported at once, naming its key. And the values of a
//! `--data-file`, read the same way.

use toml::{Table, Value as Toml};

use super::record::{Answer, FILE, FORMAT, File, Project, Record, Secret, State};
use crate::sources::recorded::{Source, Template};
use crate::template::values::{Kind, Value, is_identifier};
use crate::util::paths;

/// A TOML error as one line that says where: `not valid TOML at line 3, column 8: ...`.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let at = e.span().map(|span| {
        let mut end = span.start.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &text[..end];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        format!(" at line {line}, column {column}")
    });
    format!(
        "not valid TOML{}: {}",
        at.unwrap_or_default(),
        crate::util::text::shown_whole(e.message().trim())
    )
}

impl Record {
    /// Reads and checks an answers file; every problem is reported, each naming its key.
    pub(crate) fn parse(text: &str) -> Result<Record, Vec<String>> {
        let table: Table = text
            .parse()
            .map_err(|e: toml::de::Error| vec![toml_error(text, &e)])?;
        let mut r = Reader::default();
        r.keys(
            "",
            &table,
            &[
                "format", "scaffold", "template", "project", "answers", "files", "pending",
            ],
        );
        match table.get("format") {
            Some(Toml::Integer(FORMAT)) => {}
            Some(Toml::Integer(n)) => {
                return Err(vec![format!(
                    "`format`: {n} is not a format this scaffold reads (it reads {FORMAT}); a \
                     newer scaffold may have written it"
                )]);
            }
            Some(_) => r.add("`format`: expected an integer".into()),
            None => r.add("`format`: missing".into()),
        }
        let scaffold = r.string(&table, "", "scaffold").unwrap_or_default();
        let template = r.template(&table);
        let project = r.project(&table);
        let answers = r.answers(&table);
        let files = r.files(&table);
        let (pending, lookalikes) = r.pending(&table);
        if r.problems.is_empty() {
            Ok(Record {
                scaffold,
                template: template.ok_or_else(|| vec!["`template`: missing".to_string()])?,
                project: project.ok_or_else(|| vec!["`project`: missing".to_string()])?,
                answers,
                files,
                pending,
                lookalikes,
            })
        } else {
            Err(r.problems)
        }
    }
}

/// The values of a `--data-file`: its top-level keys, or, in another project's answers file,
/// its `[answers]` table (plain values, or `{ type = ..., value = ... }` as this file writes
/// them). Each value is given as text, to be typed and checked like a `-d` value.
pub(crate) fn values_file(text: &str) -> Result<Vec<(String, String)>, String> {
    let table: Table = text
        .parse()
        .map_err(|e: toml::de::Error| toml_error(text, &e))?;
    let values = match table.get("answers") {
        Some(Toml::Table(answers)) => answers,
        _ => &table,
    };
    let mut out = Vec::with_capacity(values.len());
    for (key, v) in values {
        let v = match v {
            Toml::Table(t) if t.contains_key("value") => &t["value"],
            v => v,
        };
        let text = match v {
            Toml::String(s) => s.clone(),
            Toml::Boolean(b) => b.to_string(),
            Toml::Integer(i) => i.to_string(),
            _ => {
                return Err(format!(
                    "`{}`: expected a string, a bool or an integer",
                    crate::util::text::shown(key)
                ));
            }
        };
        out.push((key.clone(), text));
    }
    Ok(out)
}

#[derive(Default)]
struct Reader {
    problems: Vec<String>,
}

fn at(table: &str, key: &str) -> String {
    if table.is_empty() {
        format!("`{}`", crate::util::text::shown(key))
    } else {
        format!("`{table}.{}`", crate::util::text::shown(key))
    }
}

fn is_object_id(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Reader {
    fn add(&mut self, p: String) {
        self.problems.push(p);
    }

    fn keys(&mut self, table: &str, t: &Table, allowed: &[&str]) {
        for key in t.keys() {
            if !allowed.contains(&key.as_str()) {
                self.add(format!("{}: unknown key", at(table, key)));
            }
        }
    }

    fn table<'t>(&mut self, t: &'t Table, key: &str) -> Option<&'t Table> {
        match t.get(key) {
            Some(Toml::Table(inner)) => Some(inner),
            Some(_) => {
                self.add(format!("`{key}`: expected a table"));
                None
            }
            None => None,
        }
    }

    fn string(&mut self, t: &Table, table: &str, key: &str) -> Option<String> {
        match t.get(key) {
            Some(Toml::String(s)) => Some(s.clone()),
            Some(_) => {
                self.add(format!("{}: expected a string", at(table, key)));
                None
            }
            None => {
                self.add(format!("{}: missing", at(table, key)));
                None
            }
        }
    }

    /// A path in the project: it must pass the rendered-path rules, and not be one of
    /// scaffold's own.
    fn path(&mut self, key: &str, path: &str) -> bool {
        if path == FILE {
            self.add(format!("{key}: `{FILE}` cannot list itself"));
            return false;
        }
        if super::record::is_reserved(path) {
            self.add(format!(
                "{key}: `{}` is a path scaffold keeps for itself (its answers file, or its \
                 state in `.scaffold/`), never a file of the project",
                crate::util::text::shown(path)
            ));
            return false;
        }
        match paths::check_relative(path) {
            Ok(()) => true,
            Err(why) => {
                self.add(format!(
                    "{key}: `{}` is not a path inside the project: it {}",
                    crate::util::text::shown(path),
                    why.trim_start_matches("which ")
                ));
                false
            }
        }
    }

    fn template(&mut self, root: &Table) -> Option<Template> {
        let t = self.table(root, "template")?;
        self.keys(
            "template",
            t,
            &[
                "source", "path", "url", "ref", "resolved", "name", "version", "id", "commit",
                "subdir",
            ],
        );
        let name = self.string(t, "template", "name")?;
        let source = match self.string(t, "template", "source")?.as_str() {
            "embedded" => Source::Embedded,
            "path" => {
                let path = self.string(t, "template", "path")?;
                if path.is_empty() || path.chars().any(char::is_control) {
                    self.add("`template.path`: not a usable path".into());
                    return None;
                }
                Source::Path(path)
            }
            "git" => self.git_source(t)?,
            other => {
                self.add(format!(
                    "`template.source`: `{}` is not `embedded`, `path` or `git`",
                    crate::util::text::shown(other)
                ));
                return None;
            }
        };
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            || name.is_empty()
        {
            self.add(format!(
                "`template.name`: `{}` is not a template name",
                crate::util::text::shown(&name)
            ));
        }
        let version = match t.get("version") {
            None => None,
            Some(Toml::String(v)) => Some(v.clone()),
            Some(_) => {
                self.add("`template.version`: expected a string".into());
                None
            }
        };
        let id = self.string(t, "template", "id")?;
        if !is_object_id(&id) {
            self.add("`template.id`: expected 40 hex digits".into());
        }
        let commit = match (t.get("commit"), t.get("subdir")) {
            (None, None) => None,
            (Some(Toml::String(c)), Some(Toml::String(s))) if is_object_id(c) => {
                if !s.is_empty() && paths::check_relative(s).is_err() {
                    self.add("`template.subdir`: not a path inside a repository".into());
                }
                Some((c.clone(), s.clone()))
            }
            _ => {
                self.add(
                    "`template.commit` and `template.subdir`: a commit id (40 hex digits) and a \
                     path, together"
                        .into(),
                );
                None
            }
        };
        if matches!(source, Source::Git { .. }) && commit.is_none() {
            self.add("`template.commit`: a git template records its commit".into());
        }
        Some(Template {
            source,
            name,
            version,
            id,
            commit,
        })
    }

    /// `source = "git"`: `url` (credential-free, of a kind scaffold fetches) or a local
    /// `path`, the ref as asked and the ref used.
    fn git_source(&mut self, t: &Table) -> Option<Source> {
        let (location, local) = match (t.get("url"), t.get("path")) {
            (Some(_), None) => (self.string(t, "template", "url")?, false),
            (None, Some(_)) => (self.string(t, "template", "path")?, true),
            _ => {
                self.add("`template.url` or `template.path`: a git template has one".into());
                return None;
            }
        };
        let key = if local { "path" } else { "url" };
        if location.is_empty() || location.chars().any(char::is_control) {
            self.add(format!("`template.{key}`: not a usable location"));
            return None;
        }
        if !local && crate::sources::git::refs::check_url(&location).is_err() {
            self.add(format!(
                "`template.url`: `{}` is not a URL scaffold fetches from",
                crate::util::text::shown(&location)
            ));
            return None;
        }
        let good_ref = |r: &str| crate::sources::git::refs::check_ref(r).is_ok();
        let reference = match t.get("ref") {
            None => None,
            Some(Toml::String(r)) if good_ref(r) => Some(r.clone()),
            Some(_) => {
                self.add("`template.ref`: not a tag, branch or commit name".into());
                None
            }
        };
        let resolved = self.string(t, "template", "resolved")?;
        if !good_ref(&resolved) {
            self.add("`template.resolved`: not a tag, branch or commit name".into());
        }
        Some(Source::Git {
            location,
            local,
            reference,
            resolved,
        })
    }

    fn project(&mut self, root: &Table) -> Option<Project> {
        let t = self.table(root, "project")?;
        self.keys(
            "project",
            t,
            &["name", "year", "scaffold_version", "secret"],
        );
        let name = self.string(t, "project", "name")?;
        if let Err(why) = crate::template::builtins::check_project_name(&name) {
            self.add(format!("`project.name`: {why}"));
        }
        let year = if let Some(Toml::Integer(y)) = t.get("year") {
            *y
        } else {
            self.add("`project.year`: expected an integer".into());
            0
        };
        let scaffold_version = self.string(t, "project", "scaffold_version")?;
        let secret = match t.get("secret") {
            None => None,
            Some(Toml::Table(s)) => {
                self.keys("project.secret", s, &["id", "files"]);
                let id = self.string(s, "project.secret", "id").unwrap_or_default();
                if !is_object_id(&id) {
                    self.add("`project.secret.id`: expected 40 hex digits".into());
                }
                let mut files = Vec::new();
                match s.get("files") {
                    Some(Toml::Array(items)) => {
                        for item in items {
                            match item {
                                Toml::String(p) if self.path("`project.secret.files`", p) => {
                                    files.push(p.clone());
                                }
                                Toml::String(_) => {}
                                _ => self.add("`project.secret.files`: expected strings".into()),
                            }
                        }
                    }
                    _ => self.add("`project.secret.files`: expected an array".into()),
                }
                Some(Secret { id, files })
            }
            Some(_) => {
                self.add("`project.secret`: expected a table".into());
                None
            }
        };
        Some(Project {
            name,
            year,
            scaffold_version,
            secret,
        })
    }

    fn answers(&mut self, root: &Table) -> Vec<Answer> {
        let Some(t) = self.table(root, "answers") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (name, entry) in t {
            let key = at("answers", name);
            if !is_identifier(name) {
                self.add(format!("{key}: not a variable name"));
                continue;
            }
            let Toml::Table(e) = entry else {
                self.add(format!("{key}: expected {{ type = ..., value = ... }}"));
                continue;
            };
            self.keys(&format!("answers.{name}"), e, &["type", "value"]);
            let Some(kind) = (match e.get("type") {
                Some(Toml::String(k)) => Kind::from_name(k),
                _ => None,
            }) else {
                self.add(format!("{key}: `type` must be string, bool, int or choice"));
                continue;
            };
            let value = match (kind, e.get("value")) {
                (Kind::String | Kind::Choice, Some(Toml::String(s))) => Value::Str(s.clone()),
                (Kind::Bool, Some(Toml::Boolean(b))) => Value::Bool(*b),
                (Kind::Int, Some(Toml::Integer(i))) => Value::Int(*i),
                _ => {
                    self.add(format!("{key}: `value` is missing or not a {kind}"));
                    continue;
                }
            };
            out.push(Answer {
                name: name.clone(),
                kind,
                value,
            });
        }
        out
    }

    fn files(&mut self, root: &Table) -> Vec<File> {
        let Some(t) = self.table(root, "files") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (path, entry) in t {
            let key = at("files", path);
            if !self.path(&key, path) {
                continue;
            }
            let Toml::Table(e) = entry else {
                self.add(format!("{key}: expected {{ blob = ..., from = ... }}"));
                continue;
            };
            self.keys(
                &format!("files.{path}"),
                e,
                &["blob", "from", "exec", "state"],
            );
            let blob = match e.get("blob") {
                Some(Toml::String(b)) if is_object_id(b) => b.clone(),
                _ => {
                    self.add(format!("{key}: `blob` must be 40 hex digits"));
                    continue;
                }
            };
            let from = match e.get("from") {
                Some(Toml::String(f)) if !f.is_empty() && !f.chars().any(char::is_control) => {
                    f.clone()
                }
                _ => {
                    self.add(format!("{key}: `from` must name a template file"));
                    continue;
                }
            };
            let exec = match e.get("exec") {
                None => false,
                Some(Toml::Boolean(b)) => *b,
                Some(_) => {
                    self.add(format!("{key}: `exec` must be true or false"));
                    false
                }
            };
            let state = match e.get("state") {
                None => State::Generated,
                Some(Toml::String(s)) if s == "deleted" => State::Deleted,
                Some(_) => {
                    self.add(format!("{key}: `state` can only be \"deleted\""));
                    State::Generated
                }
            };
            out.push(File {
                path: path.clone(),
                from,
                blob,
                exec,
                state,
            });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    /// `[pending]`: the files the last update left conflicted, and for those holding lines
    /// that look like its markers, how many (`lookalikes`, only where there are any).
    fn pending(
        &mut self,
        root: &Table,
    ) -> (Vec<String>, std::collections::BTreeMap<String, usize>) {
        let mut lookalikes = std::collections::BTreeMap::new();
        let Some(t) = self.table(root, "pending") else {
            return (Vec::new(), lookalikes);
        };
        self.keys("pending", t, &["conflicts", "lookalikes"]);
        match t.get("lookalikes") {
            None => {}
            Some(Toml::Table(counts)) => {
                for (path, n) in counts {
                    let key = at("pending.lookalikes", path);
                    match n {
                        Toml::Integer(n) if self.path(&key, path) => match usize::try_from(*n) {
                            Ok(n) => {
                                lookalikes.insert(path.clone(), n);
                            }
                            Err(_) => self.add(format!("{key}: expected a count")),
                        },
                        Toml::Integer(_) => {}
                        _ => self.add(format!("{key}: expected a count")),
                    }
                }
            }
            Some(_) => self.add("`pending.lookalikes`: expected a table of counts".into()),
        }
        let mut out = Vec::new();
        match t.get("conflicts") {
            Some(Toml::Array(items)) => {
                for item in items {
                    if let Toml::String(p) = item {
                        if self.path("`pending.conflicts`", p) {
                            out.push(p.clone());
                        }
                    } else {
                        self.add("`pending.conflicts`: expected strings".into());
                    }
                }
            }
            _ => self.add("`pending.conflicts`: expected an array of paths".into()),
        }
        (out, lookalikes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            scaffold: "0.1.0".into(),
            template: Template {
                source: Source::Path("../tpl \"x\"".into()),
                name: "chat".into(),
                version: Some("2".into()),
                id: "a".repeat(40),
                commit: Some(("e".repeat(40), "templates/chat".into())),
            },
            project: Project {
                name: "Team Chat".into(),
                year: 2026,
                scaffold_version: "0.1.0".into(),
                secret: Some(Secret {
                    id: "b".repeat(40),
                    files: vec!["app.py".into()],
                }),
            },
            answers: vec![
                Answer {
                    name: "port".into(),
                    kind: Kind::Int,
                    value: Value::Int(8000),
                },
                Answer {
                    name: "backend".into(),
                    kind: Kind::Choice,
                    value: Value::Str("memory".into()),
                },
                Answer {
                    name: "docker".into(),
                    kind: Kind::Bool,
                    value: Value::Bool(true),
                },
            ],
            files: vec![
                File {
                    path: "z/app.py".into(),
                    from: "z/app.py.tera".into(),
                    blob: "c".repeat(40),
                    exec: true,
                    state: State::Generated,
                },
                File {
                    path: "README.md".into(),
                    from: "README.md.tera".into(),
                    blob: "d".repeat(40),
                    exec: false,
                    state: State::Deleted,
                },
            ],
            pending: vec![],
            lookalikes: std::collections::BTreeMap::new(),
        }
    }

    fn git_sample() -> Record {
        let mut r = sample();
        r.template.source = Source::Git {
            location: "https://git.example.com/acme/t.git".into(),
            local: false,
            reference: Some("v1.3.0".into()),
            resolved: "v1.3.0".into(),
        };
        r
    }

    #[test]
    fn git_sources_round_trip_and_hostile_ones_are_refused() {
        for source in [
            git_sample().template.source,
            Source::Git {
                location: "../templates".into(),
                local: true,
                reference: None,
                resolved: "main".into(),
            },
        ] {
            let mut r = git_sample();
            r.template.source = source;
            let back = Record::parse(&r.to_toml()).unwrap();
            assert_eq!(back.template, r.template);
        }
        let good = git_sample().to_toml();
        assert!(good.contains("source = \"git\"\nurl = \"https://git.example.com/acme/t.git\"\nref = \"v1.3.0\"\nresolved = \"v1.3.0\"\n"), "{good}");
        for (text, want) in [
            (
                good.replace("https://git.example.com", "ext::sh -c x"),
                "`template.url`",
            ),
            (
                good.replace("ref = \"v1.3.0\"", "ref = \"--upload-pack=x\""),
                "`template.ref`",
            ),
            (
                good.replace("resolved = \"v1.3.0\"", "resolved = \"a b\""),
                "`template.resolved`",
            ),
            (
                good.replace("resolved = \"v1.3.0\"\n", ""),
                "`template.resolved`: missing",
            ),
            (
                good.replace(
                    "url = \"https://git.example.com/acme/t.git\"",
                    "path = \"x\"\nurl = \"https://h/t\"",
                ),
                "`template.url` or `template.path`",
            ),
            (
                good.replace(&format!("commit = \"{}\"\n", "e".repeat(40)), "")
                    .replace("subdir = \"templates/chat\"\n", ""),
                "records its commit",
            ),
            (
                good.replace("subdir = \"templates/chat\"", "subdir = \"../up\""),
                "`template.subdir`",
            ),
        ] {
            let err = Record::parse(&text).expect_err(want);
            assert!(err.iter().any(|p| p.contains(want)), "{want}: {err:?}");
        }
    }

    #[test]
    fn round_trips_sorted_and_deterministic() {
        let text = sample().to_toml();
        assert_eq!(text, sample().to_toml());
        let back = Record::parse(&text).unwrap();
        let mut want = sample();
        want.files.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(back.files, want.files);
        assert_eq!(back.template, want.template);
        assert_eq!(back.project, want.project);
        assert_eq!(
            back.answer("port").map(|a| &a.value),
            Some(&Value::Int(8000))
        );
        let files_at = text.find("[files]").unwrap();
        let readme = text.find("\"README.md\"").unwrap();
        let app = text.find("\"z/app.py\"").unwrap();
        assert!(
            files_at < readme && readme < app,
            "one sorted line per file:\n{text}"
        );
        assert!(text.contains("\"README.md\" = { blob = \"dddd"), "{text}");
        let answers = &text[text.find("[answers]").unwrap()..files_at];
        assert!(answers.find("backend").unwrap() < answers.find("port").unwrap());
    }

    /// `[pending]` round-trips, with the count of marker look-alikes only where there are
    /// any; a file without them reads as it always did.
    #[test]
    fn pending_conflicts_and_lookalikes_round_trip() {
        let mut r = sample();
        r.pending = vec!["README.md".into(), "z/app.py".into()];
        let plain = r.to_toml();
        assert!(
            plain.ends_with("[pending]\nconflicts = [\"README.md\", \"z/app.py\"]\n"),
            "{plain}"
        );
        assert_eq!(Record::parse(&plain).unwrap().pending, r.pending);
        r.lookalikes.insert("README.md".into(), 2);
        let text = r.to_toml();
        assert!(
            text.ends_with("lookalikes = { \"README.md\" = 2 }\n"),
            "{text}"
        );
        assert_eq!(Record::parse(&text).unwrap().lookalikes, r.lookalikes);
        for (bad, want) in [
            (
                "\"README.md\" = -1",
                "`pending.lookalikes.README.md`: expected a count",
            ),
            ("\"../x\" = 1", "not a path inside the project"),
            ("\"README.md\" = \"1\"", "expected a count"),
        ] {
            let text = text.replace("\"README.md\" = 2", bad);
            let err = Record::parse(&text).expect_err(want);
            assert!(err.iter().any(|p| p.contains(want)), "{want}: {err:?}");
        }
    }

    /// Hostile files, each with the one problem said about it.
    #[test]
    fn hostile_files_are_refused_with_the_key() {
        let good = sample().to_toml();
        let cases: Vec<(String, &str)> = vec![
            (
                good.replace("format = 1", "format = 9"),
                "`format`: 9 is not a format",
            ),
            (
                good.replace("\"z/app.py\" =", "\"../escape\" ="),
                "`files.../escape`: `../escape` is not a path inside the project",
            ),
            (
                good.replace("\"z/app.py\" =", "\"/etc/passwd\" ="),
                "is not a path inside the project",
            ),
            (
                good.replace("\"z/app.py\" =", "\".git/hooks/pre-commit\" ="),
                "version-control",
            ),
            (
                good.replace("\"z/app.py\" =", "\".scaffold.toml\" ="),
                "cannot list itself",
            ),
            (
                good.replace("\"z/app.py\" =", "\".Scaffold/backup/1/app.py\" ="),
                "`files..Scaffold/backup/1/app.py`: `.Scaffold/backup/1/app.py` is a path scaffold keeps for itself",
            ),
            (
                good.replace("files = [\"app.py\"]", "files = [\".scaffold/lock\"]"),
                "`project.secret.files`: `.scaffold/lock` is a path scaffold keeps",
            ),
            (
                good.replace("files = [\"app.py\"]", "files = [\"../../x\"]"),
                "`project.secret.files`",
            ),
            (
                good.replace("value = 8000", "value = \"8000\""),
                "`answers.port`: `value` is missing or not a int",
            ),
            (
                good.replace("exec = true", "exec = \"yes\""),
                "`exec` must be true or false",
            ),
            (
                good.replace("source = \"path\"", "source = \"ext::sh\""),
                "`template.source`",
            ),
            (
                good.replace("year = 2026", "year = \"x\""),
                "`project.year`",
            ),
            (
                format!("{good}\n[hooks]\nrun = \"rm\"\n"),
                "`hooks`: unknown key",
            ),
            ("format = ".to_string(), "not valid TOML"),
        ];
        for (text, want) in cases {
            let err = Record::parse(&text).expect_err(want);
            assert!(err.iter().any(|p| p.contains(want)), "{want}: {err:?}");
        }
    }
}

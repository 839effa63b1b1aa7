//! The answers file, `.scaffold.toml`: what a generated project records about where it came
//! from (the template and its content id, every answer with its type, the values drawn at
//! generation time) and what scaffold wrote (each file's blob id, source and mode).
//!
//! Written deterministically (same inputs, same bytes: no time stamps, no user names, sorted,
//! one line per file) so that it diffs and merges well; read as untrusted input by
//! [`super::parse`]. Here too: the record a rendering gets, and the paths scaffold keeps for
//! itself in every project.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

use crate::sources::recorded::{Source, Template};
use crate::sources::source::Origin;
use crate::template::builtins::Inputs;
use crate::template::manifest::Loaded;
use crate::template::render::{OutFile, Rendered};
use crate::template::values::{Kind, Value};

/// The file's name, at the project's root.
pub(crate) const FILE: &str = ".scaffold.toml";
/// The format this scaffold writes and reads.
pub(crate) const FORMAT: i64 = 1;
/// The most bytes an answers file may hold.
pub(crate) const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// Where the secret is, without the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Secret {
    /// [`crate::util::hash::secret_id`] of the secret.
    pub(crate) id: String,
    /// The generated files that hold it.
    pub(crate) files: Vec<String>,
}

/// The inputs of the built-in values that a re-render needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Project {
    /// The project's name.
    pub(crate) name: String,
    /// The year it was generated (UTC).
    pub(crate) year: i64,
    /// The `scaffold_version` value the files were rendered with.
    pub(crate) scaffold_version: String,
    /// Where the cookie secret is.
    pub(crate) secret: Option<Secret>,
}

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    /// The variable's name.
    pub(crate) name: String,
    /// Its type.
    pub(crate) kind: Kind,
    /// Its value.
    pub(crate) value: Value,
}

/// What became of a generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Written by scaffold (the user may have changed it since).
    Generated,
    /// The user deleted it, and it stays deleted.
    Deleted,
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct File {
    /// Its path in the project.
    pub(crate) path: String,
    /// The template file it came from.
    pub(crate) from: String,
    /// The git blob id of exactly the bytes scaffold wrote.
    pub(crate) blob: String,
    /// Whether it was written with mode 755.
    pub(crate) exec: bool,
    /// Generated, or deleted by the user.
    pub(crate) state: State,
}

/// The whole answers file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// The scaffold version that last wrote it (informational).
    pub(crate) scaffold: String,
    /// The template.
    pub(crate) template: Template,
    /// The built-ins' inputs.
    pub(crate) project: Project,
    /// Every answer, sorted by name.
    pub(crate) answers: Vec<Answer>,
    /// Every generated file, sorted by path.
    pub(crate) files: Vec<File>,
    /// Files an update left with conflicts (markers or a side file), while unresolved.
    pub(crate) pending: Vec<String>,
    /// Of those, the ones that held lines looking like the update's own `<<<<<<< yours`
    /// besides its conflicts (the template's text, or yours): how many. A file is conflicted
    /// while it holds more than these ([`crate::util::merge::open_markers`]).
    pub(crate) lookalikes: std::collections::BTreeMap<String, usize>,
}

/// A TOML basic string: quotes, backslashes and control characters escaped.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_value(v: &Value) -> String {
    match v {
        Value::Str(s) => quoted(s),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
    }
}

impl Record {
    /// The file's text.
    pub(crate) fn to_toml(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# Written by scaffold: the template and answers this project came from, and what\n\
             # scaffold wrote. Commit it. `scaffold status` and `scaffold diff` compare with it;\n\
             # change answers with `scaffold update -d NAME=VALUE`, not by editing this file.\n",
        );
        let _ = writeln!(out, "format = {FORMAT}");
        let _ = writeln!(out, "scaffold = {}", quoted(&self.scaffold));
        out.push_str("\n[template]\n");
        match &self.template.source {
            Source::Embedded => out.push_str("source = \"embedded\"\n"),
            Source::Path(p) => {
                out.push_str("source = \"path\"\n");
                let _ = writeln!(out, "path = {}", quoted(p));
            }
            Source::Git {
                location,
                local,
                reference,
                resolved,
            } => {
                out.push_str("source = \"git\"\n");
                let key = if *local { "path" } else { "url" };
                let _ = writeln!(out, "{key} = {}", quoted(location));
                if let Some(r) = reference {
                    let _ = writeln!(out, "ref = {}", quoted(r));
                }
                let _ = writeln!(out, "resolved = {}", quoted(resolved));
            }
        }
        let _ = writeln!(out, "name = {}", quoted(&self.template.name));
        if let Some(v) = &self.template.version {
            let _ = writeln!(out, "version = {}", quoted(v));
        }
        let _ = writeln!(out, "id = {}", quoted(&self.template.id));
        if let Some((commit, subdir)) = &self.template.commit {
            let _ = writeln!(out, "commit = {}", quoted(commit));
            let _ = writeln!(out, "subdir = {}", quoted(subdir));
        }
        out.push_str("\n[project]\n");
        let _ = writeln!(out, "name = {}", quoted(&self.project.name));
        let _ = writeln!(out, "year = {}", self.project.year);
        let _ = writeln!(
            out,
            "scaffold_version = {}",
            quoted(&self.project.scaffold_version)
        );
        if let Some(s) = &self.project.secret {
            let files: Vec<String> = s.files.iter().map(|f| quoted(f)).collect();
            let _ = writeln!(
                out,
                "secret = {{ id = {}, files = [{}] }}",
                quoted(&s.id),
                files.join(", ")
            );
        }
        out.push_str("\n[answers]\n");
        let mut answers: Vec<&Answer> = self.answers.iter().collect();
        answers.sort_by(|a, b| a.name.cmp(&b.name));
        for a in answers {
            let _ = writeln!(
                out,
                "{} = {{ type = \"{}\", value = {} }}",
                a.name,
                a.kind,
                toml_value(&a.value)
            );
        }
        out.push_str("\n[files]\n");
        let mut files: Vec<&File> = self.files.iter().collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        for f in files {
            let mut fields = vec![
                format!("blob = {}", quoted(&f.blob)),
                format!("from = {}", quoted(&f.from)),
            ];
            if f.exec {
                fields.push("exec = true".into());
            }
            if f.state == State::Deleted {
                fields.push("state = \"deleted\"".into());
            }
            let _ = writeln!(out, "{} = {{ {} }}", quoted(&f.path), fields.join(", "));
        }
        if !self.pending.is_empty() {
            out.push_str("\n[pending]\n");
            let list: Vec<String> = self.pending.iter().map(|p| quoted(p)).collect();
            let _ = writeln!(out, "conflicts = [{}]", list.join(", "));
            // Only where there are any: the file stays as every scaffold reads it.
            if !self.lookalikes.is_empty() {
                let counts: Vec<String> = self
                    .lookalikes
                    .iter()
                    .map(|(p, n)| format!("{} = {n}", quoted(p)))
                    .collect();
                let _ = writeln!(out, "lookalikes = {{ {} }}", counts.join(", "));
            }
        }
        out
    }

    /// The answer named `name`.
    #[cfg(test)]
    pub(crate) fn answer(&self, name: &str) -> Option<&Answer> {
        self.answers.iter().find(|a| a.name == name)
    }
}

/// The answers file for a project just rendered into `dest`.
pub(crate) fn record_for(
    loaded: &Loaded,
    inputs: &Inputs,
    rendered: &Rendered,
    files: &[OutFile],
    dest: &Path,
) -> Result<Record> {
    // A file copied from the template (not rendered) has the template file's blob id, known
    // already (embedded: computed when the binary was built; on disk: as it was read).
    let source = &loaded.source.files;
    let blobs = |files: &[OutFile]| -> Vec<String> {
        files
            .iter()
            .map(|f| {
                (!f.source.ends_with(crate::sources::source::RENDER_SUFFIX))
                    .then(|| source.binary_search_by(|s| s.path.as_str().cmp(&f.source)))
                    .and_then(Result::ok)
                    .map(|i| &source[i])
                    .filter(|s| *s.contents == *f.contents)
                    .map_or_else(
                        || crate::util::hash::blob(&f.contents),
                        |s| s.blob_id().to_string(),
                    )
            })
            .collect()
    };
    // Many files: the output is hashed on every core; the template's files were hashed as
    // they were read.
    let workers = crate::util::limits::workers(files.len(), 64);
    let (head, blobs) = if workers > 1 {
        std::thread::scope(|s| {
            let chunk = files.len().div_ceil(workers);
            let handles: Vec<_> = files
                .chunks(chunk)
                .skip(1)
                .map(|part| s.spawn(move || blobs(part)))
                .collect();
            let head = record_head(loaded, inputs, rendered, files, dest);
            let mut all = blobs(&files[..chunk]);
            for h in handles {
                all.extend(
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                );
            }
            (head, all)
        })
    } else {
        (
            record_head(loaded, inputs, rendered, files, dest),
            blobs(files),
        )
    };
    let mut record = head?;
    for (f, blob) in files.iter().zip(blobs) {
        record.files.push(File {
            path: f.path.clone(),
            from: f.source.clone(),
            blob,
            exec: f.executable,
            state: State::Generated,
        });
    }
    record.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(record)
}

/// [`record_for`] without the file list (an update makes its own, file by file).
pub(crate) fn record_head(
    loaded: &Loaded,
    inputs: &Inputs,
    rendered: &Rendered,
    files: &[OutFile],
    dest: &Path,
) -> Result<Record> {
    let source = Source::of(&loaded.source.origin, dest);
    let values: std::collections::HashMap<&str, &crate::template::values::Value> = rendered
        .answers
        .values
        .iter()
        .map(|(n, v)| (n.as_str(), v))
        .collect();
    let answers = loaded
        .manifest
        .variables
        .iter()
        // A question that did not apply was not answered: it is not recorded.
        .filter(|v| !rendered.answers.skipped.contains(&v.name))
        .filter_map(|v| {
            values.get(v.name.as_str()).map(|value| Answer {
                name: v.name.clone(),
                kind: v.kind,
                value: (*value).clone(),
            })
        })
        .collect();
    let secret = memchr::memmem::Finder::new(inputs.cookie_secret.as_bytes());
    let holding: Vec<String> = files
        .iter()
        .filter(|f| secret.find(&f.contents).is_some())
        .map(|f| f.path.clone())
        .collect();
    Ok(Record {
        scaffold: env!("CARGO_PKG_VERSION").to_string(),
        template: Template {
            source,
            name: loaded.manifest.name.clone(),
            version: version_of(loaded)?,
            id: loaded.source.id()?,
            commit: crate::sources::directory::committed_at(&loaded.source),
        },
        project: Project {
            name: inputs.project_name.clone(),
            year: inputs.year,
            scaffold_version: inputs.scaffold_version.clone(),
            secret: (!holding.is_empty())
                .then(|| -> Result<Secret> {
                    Ok(Secret {
                        id: crate::util::hash::secret_id(&inputs.cookie_secret)?,
                        files: holding,
                    })
                })
                .transpose()?,
        },
        answers,
        files: Vec::new(),
        pending: Vec::new(),
        lookalikes: std::collections::BTreeMap::new(),
    })
}

/// A template's version label: its manifest's `version`, or for an embedded template kept
/// without one, the label its history gives it.
pub(crate) fn version_of(loaded: &Loaded) -> Result<Option<String>> {
    if loaded.manifest.version.is_some() || loaded.source.origin != Origin::Embedded {
        return Ok(loaded.manifest.version.clone());
    }
    let id = loaded.source.id()?;
    Ok(crate::sources::embedded::kept_versions()
        .into_iter()
        .find(|k| k.template == loaded.manifest.name && k.id == id)
        .map(|k| k.version))
}

/// The answers file as one more file to write.
pub(crate) fn record_file(record: &Record) -> OutFile {
    OutFile {
        path: FILE.to_string(),
        contents: record.to_toml().into_bytes(),
        executable: false,
        source: FILE.to_string(),
    }
}

/// Whether `path` is one scaffold keeps for itself in every project: the answers file, or
/// anything in `.scaffold/` (its state: lock, journal, backups), in any letter case (a
/// case-insensitive file system takes `.Scaffold/` for `.scaffold/`).
pub(crate) fn is_reserved(path: &str) -> bool {
    let first = path.split('/').next().unwrap_or(path).to_lowercase();
    first == FILE || first == ".scaffold"
}

/// Paths scaffold keeps for itself in every project: a template may not produce them.
pub(crate) fn refuse_reserved(files: &[OutFile]) -> Result<()> {
    for f in files {
        if is_reserved(&f.path) {
            anyhow::bail!(
                "`{}` renders to `{}`, which scaffold keeps for its own records",
                f.source,
                f.path
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn scaffolds_own_paths_in_any_case() {
        for (path, reserved) in [
            (".scaffold.toml", true),
            (".SCAFFOLD.toml", true),
            (".scaffold", true),
            (".scaffold/backup/1/a", true),
            (".Scaffold/journal", true),
            ("a/.scaffold/x", false),
            (".scaffold-new", false),
            ("scaffold.toml", false),
        ] {
            assert_eq!(super::is_reserved(path), reserved, "{path}");
        }
    }
}

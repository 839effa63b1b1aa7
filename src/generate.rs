//! What `new`, `diff`, `update` and the snapshot tests still share (each part moves to its
//! room in the next steps): the destination's overlap with the template, reserved paths, the
//! answers file for a rendering, and the base rendered again.

use std::path::Path;

use anyhow::Result;

use crate::record::{self, Record};
use crate::sources::recorded::{Source, Template};
use crate::sources::source::{Origin, TemplateSource};
use crate::template::answers::{self, Input, Request};
use crate::template::builtins::{self, Inputs};
use crate::template::engine::Engine;
use crate::template::manifest::{self, Loaded};
use crate::template::render::{OutFile, Rendered, render};
use crate::util::error::usage;
use crate::util::paths::resolve_path;

/// Writing into the template's own directory would corrupt it (and feed the next run): the
/// destination may not be inside the template, and no file may be written inside it (as when
/// DEST is a directory that contains the template).
pub(crate) fn refuse_overlap(loaded: &Loaded, dest: &Path, files: &[OutFile]) -> Result<()> {
    let Origin::Directory(dir) = &loaded.source.origin else {
        return Ok(());
    };
    let template = resolve_path(dir);
    let dest_real = resolve_path(dest);
    if dest_real.starts_with(&template) {
        return Err(usage!(
            "destination `{}` is inside the template directory `{}`; choose a destination outside it",
            dest.display(),
            dir.display()
        ));
    }
    if template.starts_with(&dest_real)
        && let Some(f) = files
            .iter()
            .find(|f| dest_real.join(&f.path).starts_with(&template))
    {
        return Err(usage!(
            "destination `{}` contains the template directory `{}`, and `{}` would be \
                 written inside the template; choose a destination outside it",
            dest.display(),
            dir.display(),
            f.path
        ));
    }
    Ok(())
}

/// Paths scaffold keeps for itself in every project: a template may not produce them.
pub(crate) fn refuse_reserved(files: &[OutFile]) -> Result<()> {
    for f in files {
        if f.path == record::FILE || f.path.starts_with(".scaffold/") || f.path == ".scaffold" {
            anyhow::bail!(
                "`{}` renders to `{}`, which scaffold keeps for its own records",
                f.source,
                f.path
            );
        }
    }
    Ok(())
}

/// The answers file for a project just rendered into `dest`.
pub(crate) fn record_for(
    loaded: &Loaded,
    inputs: &Inputs,
    rendered: &Rendered,
    files: &[OutFile],
    dest: &Path,
) -> Result<Record> {
    let blobs = |files: &[OutFile]| -> Vec<String> {
        files
            .iter()
            .map(|f| crate::util::hash::blob(&f.contents))
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
        record.files.push(record::File {
            path: f.path.clone(),
            from: f.source.clone(),
            blob,
            exec: f.executable,
            state: record::State::Generated,
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
            values.get(v.name.as_str()).map(|value| record::Answer {
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
        project: record::Project {
            name: inputs.project_name.clone(),
            year: inputs.year,
            scaffold_version: inputs.scaffold_version.clone(),
            secret: (!holding.is_empty())
                .then(|| -> Result<record::Secret> {
                    Ok(record::Secret {
                        id: crate::util::hash::secret_id(&inputs.cookie_secret)?,
                        files: holding,
                    })
                })
                .transpose()?,
        },
        answers,
        files: Vec::new(),
        pending: Vec::new(),
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
        path: record::FILE.to_string(),
        contents: record.to_toml().into_bytes(),
        executable: false,
        source: record::FILE.to_string(),
    }
}

/// What scaffold generated for a project, rendered again: the recorded template version with
/// the recorded answers and drawn values.
pub(crate) struct Base {
    /// Every file it renders, by path.
    pub(crate) files: std::collections::BTreeMap<String, OutFile>,
    /// Whether the cookie secret was found in the project (else a stand-in was used, and the
    /// files holding it do not come out as they were).
    pub(crate) secret_found: bool,
    /// The secret found, if it was.
    pub(crate) secret: Option<String>,
}

/// The project's cookie secret, found again from its recorded id in the files that held it.
pub(crate) fn find_secret(project: &crate::project::Project) -> Result<Option<String>> {
    let Some(secret) = &project.record.project.secret else {
        return Ok(None);
    };
    for rel in &secret.files {
        let crate::project::OnDisk::File { bytes, .. } = crate::project::read(&project.root, rel)?
        else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let mut start = None;
        for (i, c) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            match (c.is_ascii_hexdigit(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    if i - s == 64 && crate::util::hash::secret_id(&text[s..i])? == secret.id {
                        return Ok(Some(text[s..i].to_string()));
                    }
                    start = None;
                }
                _ => {}
            }
        }
    }
    Ok(None)
}

/// Renders a project's recorded version again, touching nothing.
pub(crate) fn rebuild(project: &crate::project::Project, source: TemplateSource) -> Result<Base> {
    let manifest = manifest::parse(&source)?;
    let loaded = Loaded { source, manifest };
    let engine = Engine::new(&loaded.source)?;
    let base = rebuild_with(project, &loaded, &engine);
    std::mem::forget(engine);
    base
}

/// [`rebuild`] with a template already loaded and parsed (an update that only changes answers
/// renders the base and the new version with one engine).
pub(crate) fn rebuild_with(
    project: &crate::project::Project,
    loaded: &Loaded,
    engine: &Engine,
) -> Result<Base> {
    let r = &project.record;
    let found = find_secret(project)?;
    let inputs = Inputs {
        project_name: r.project.name.clone(),
        package_name: crate::util::python::package_name(&r.project.name),
        cookie_secret: match &found {
            Some(s) => s.clone(),
            None => builtins::random_secret()?,
        },
        year: r.project.year,
        scaffold_version: r.project.scaffold_version.clone(),
    };
    let defines: Vec<(String, String)> = r
        .answers
        .iter()
        .filter(|a| loaded.manifest.variables.iter().any(|v| v.name == a.name))
        .map(|a| (a.name.clone(), a.value.to_string()))
        .collect();
    let req = Request {
        inputs: &inputs,
        defines: &defines,
        input: Input::Defaults,
        dest_label: ".",
    };
    let answers = answers::answer(engine, &loaded.manifest, &req, &mut answers::NoPrompt)?;
    let rendered = render(loaded, engine, &req, answers)?;
    let files = rendered
        .files
        .into_iter()
        .map(|f| (f.path.clone(), f))
        .collect();
    Ok(Base {
        files,
        secret_found: found.is_some() || r.project.secret.is_none(),
        secret: found,
    })
}

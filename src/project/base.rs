//! What scaffold generated for a project, found again: the recorded template version rendered
//! with the recorded answers and the values drawn then (the cookie secret found again in the
//! files that held it). `diff` and `update` compare the disk with it.

use anyhow::{Context as _, Result};

use super::disk::Project;
use super::root::Found;
use crate::sources::source::TemplateSource;
use crate::template::answers::{self, Input, Request};
use crate::template::builtins::{self, Inputs};
use crate::template::engine::Engine;
use crate::template::manifest::{self, Loaded};
use crate::template::render::{OutFile, render};
use crate::util::text::Shown as _;

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
/// Each is read within the bound of a generated file (it was one), as a regular file only.
pub(crate) fn find_secret(project: &Project) -> Result<Option<String>> {
    let Some(secret) = &project.record.project.secret else {
        return Ok(None);
    };
    let max = crate::util::limits::MAX_FILE_BYTES as u64;
    for rel in &secret.files {
        let full = project.dir.full(rel);
        let bytes = match project
            .dir
            .read(rel, max)
            .with_context(|| format!("cannot read `{}`", full.shown()))?
        {
            Found::File { bytes, .. } => bytes,
            Found::TooBig(_) => anyhow::bail!(
                "`{rel}` (in `project.secret.files` of `{}`) is larger than {} MiB, more than a \
                 generated file can be; scaffold reads no more of it to find the cookie secret",
                project.dir.shown(super::record::FILE),
                max >> 20
            ),
            Found::Missing | Found::Refused { .. } => continue,
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
pub(crate) fn rebuild(project: &Project, source: TemplateSource) -> Result<Base> {
    let manifest = manifest::parse(&source)?;
    let loaded = Loaded { source, manifest };
    let engine = Engine::new(&loaded.source)?;
    let base = rebuild_with(project, &loaded, &engine);
    std::mem::forget(engine);
    base
}

/// [`rebuild`] with a template already loaded and parsed (an update that only changes answers
/// renders the base and the new version with one engine).
pub(crate) fn rebuild_with(project: &Project, loaded: &Loaded, engine: &Engine) -> Result<Base> {
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

//! The pipeline that `new`, `check` and the snapshot tests share: find a template and check its
//! manifest, resolve every value, render every file in memory, and say which input is to blame
//! when a rendered path is refused.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};

use crate::answers::{self, Answers, Prompter};
use crate::builtins::{self, Inputs};
use crate::config::Input;
use crate::engine::Engine;
use crate::manifest::{self, Manifest};
use crate::registry::Registry;
use crate::render::{self, OutFile, PathError};
use crate::source::{Origin, TemplateSource};

/// A template and its checked manifest.
pub(crate) struct Loaded {
    /// The files.
    pub(crate) source: TemplateSource,
    /// The parsed `template.toml`.
    pub(crate) manifest: Manifest,
}

/// Finds a template (by name, `embedded:NAME` or path) and checks its manifest.
pub(crate) fn load(registry: &Registry, name: &str) -> Result<Loaded> {
    let source = registry.find(name)?;
    crate::limits::stage(format!("reading the manifest of `{}`", source.label()));
    let manifest = manifest::parse(&source)?;
    Ok(Loaded { source, manifest })
}

/// What a run asks of a template besides the template itself.
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

/// Everything a run produces in memory: the answers and the rendered files.
pub(crate) struct Rendered {
    /// Every variable's value.
    pub(crate) answers: Answers,
    /// The files to write.
    pub(crate) files: Vec<OutFile>,
    /// The rendered next-steps message.
    pub(crate) next_steps: Option<String>,
}

/// Resolves variables and renders every file, touching nothing on disk.
pub(crate) fn render(
    loaded: &Loaded,
    engine: &Engine,
    req: &Request<'_>,
    prompter: &mut dyn Prompter,
) -> Result<Rendered> {
    let answers = answers::resolve(
        engine,
        &loaded.manifest,
        Answers {
            values: builtins::values(req.inputs),
        },
        req.defines,
        req.input,
        prompter,
    )?;
    let mut ctx = answers.context();
    let files = render::render_all(engine, &loaded.source, &loaded.manifest, &ctx)
        .map_err(|e| blame(e, loaded, engine, req))?;
    let next_steps = match &loaded.manifest.next_steps {
        Some(text) => {
            ctx.insert("dest", req.dest_label);
            Some(
                engine
                    .render_str(text, &ctx)
                    .map_err(|e| anyhow!("template `{}`: next_steps: {e}", loaded.manifest.name))?,
            )
        }
        None => None,
    };
    Ok(Rendered {
        answers,
        files,
        next_steps,
    })
}

/// A file name made unsafe by the user's input (the project name, or a `-d` value) is the
/// user's input error (exit 2), named as such; one made unsafe by the template alone is the
/// template's (exit 1). The culprit is found by asking what would happen without it: the path
/// is rendered again with that `-d` left out, or with a neutral project name.
fn blame(err: anyhow::Error, loaded: &Loaded, engine: &Engine, req: &Request<'_>) -> anyhow::Error {
    let Some(path) = err.downcast_ref::<PathError>() else {
        return err;
    };
    let still_fails = |inputs: &Inputs, defines: &[(String, String)]| {
        answers::resolve(
            engine,
            &loaded.manifest,
            Answers {
                values: builtins::values(inputs),
            },
            defines,
            Input::Defaults,
            &mut answers::NoPrompt,
        )
        .map_or(true, |a| {
            render::render_path(engine, &path.source, &a.context()).is_err()
        })
    };
    let why = path.why.trim_start_matches("which ");
    for (i, (key, value)) in req.defines.iter().enumerate() {
        let mut without = req.defines.to_vec();
        without.remove(i);
        if !still_fails(req.inputs, &without) {
            return crate::usage!(
                "`-d {key}={}`: the value is used in the file name `{}`, which then {why}",
                crate::text::shown(value),
                path.source
            );
        }
    }
    let neutral = Inputs {
        project_name: "x".into(),
        package_name: "x".into(),
        ..req.inputs.clone()
    };
    if !still_fails(&neutral, req.defines) {
        return crate::usage!(
            "project name `{}` (from --name or DEST) is used in the file name `{}`, which then \
             {why}; choose another name",
            crate::text::shown(&req.inputs.project_name),
            path.source
        );
    }
    err
}

/// The absolute, symlink-free form of a path that may not exist yet: its deepest existing
/// ancestor canonicalized, the rest appended.
pub(crate) fn resolve_path(path: &Path) -> PathBuf {
    let absolute = std::env::current_dir().unwrap_or_default().join(path);
    let mut existing = absolute.clone();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(&existing) {
            return rest.into_iter().rev().fold(real, |p, c| p.join(c));
        }
        match (
            existing.file_name().map(ToOwned::to_owned),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => return absolute,
        }
    }
}

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
        return Err(crate::usage!(
            "destination `{}` is inside the template directory `{}`; choose a destination outside it",
            dest.display(),
            dir.display()
        ));
    }
    if template.starts_with(&dest_real) {
        if let Some(f) = files
            .iter()
            .find(|f| dest_real.join(&f.path).starts_with(&template))
        {
            return Err(crate::usage!(
                "destination `{}` contains the template directory `{}`, and `{}` would be \
                 written inside the template; choose a destination outside it",
                dest.display(),
                dir.display(),
                f.path
            ));
        }
    }
    Ok(())
}

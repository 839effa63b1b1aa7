//! Rendering a whole template in memory: which files the answers select, their output paths
//! (each component rendered and checked), their contents, and the next steps; when a rendered
//! path is refused, which input is to blame.
//!
//! Only files whose name ends in `.tera` go through Tera (the suffix is removed); every other
//! file is copied byte for byte. Files are independent, so they render on every core; errors
//! are reported in file order whatever finished first.

use anyhow::{Result, anyhow, bail};
use tera::Context;

use crate::sources::source::{RENDER_SUFFIX, SourceFile, TemplateSource};
use crate::template::answers::{self, Answers, Input, Request};
use crate::template::builtins::{self, Inputs};
use crate::template::engine::Engine;
use crate::template::manifest::{Loaded, Manifest};
use crate::util::error::usage;
use crate::util::paths;

/// A file ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutFile {
    /// Output path relative to the destination, `/`-separated, every component checked.
    pub(crate) path: String,
    /// The bytes to write.
    pub(crate) contents: Vec<u8>,
    /// Whether to give it mode 755.
    pub(crate) executable: bool,
    /// The template path it came from.
    pub(crate) source: String,
}

/// A rendered path that would be unsafe or invalid.
#[derive(Debug)]
pub(crate) struct PathError {
    /// The template path, as written.
    pub(crate) source: String,
    /// The template's label.
    pub(crate) template: String,
    /// What the offending component rendered to.
    pub(crate) rendered: String,
    /// Why that is refused.
    pub(crate) why: String,
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "file name `{}` in template `{}` renders to `{}`, {}",
            self.source,
            self.template,
            crate::util::text::shown(&self.rendered),
            self.why
        )
    }
}

impl std::error::Error for PathError {}

/// Renders every file the answers select, in memory.
pub(crate) fn render_all(
    engine: &Engine,
    template: &TemplateSource,
    manifest: &Manifest,
    ctx: &Context,
) -> Result<Vec<OutFile>> {
    // What the run is doing outside a file's own task (conditions, names, collisions).
    crate::util::limits::stage(format!("rendering template `{}`", engine.label()));
    let mut active = Vec::new();
    for c in &manifest.conditional {
        let on = engine
            .holds(&c.when, ctx)
            .map_err(|e| anyhow!("`template.toml` conditional `{}`: {e}", c.when))?;
        active.push(on);
    }
    let selected: Vec<&SourceFile> = template
        .files
        .iter()
        .filter(|file| {
            !manifest
                .conditional
                .iter()
                .zip(&active)
                .any(|(c, on)| !on && c.paths.iter().any(|p| paths::covers(p, &file.path)))
        })
        .collect();
    let one = |file: &SourceFile| -> Result<OutFile> {
        let path = render_path(engine, &file.path, ctx)?;
        let executable = file.executable || manifest.executable.contains(&file.path);
        let contents = if file.path.ends_with(RENDER_SUFFIX) {
            let _task =
                crate::util::limits::task(format!("rendering `{}/{}`", engine.label(), file.path));
            engine
                .render_file(&file.path, ctx)
                .map_err(|e| anyhow!(e).context("cannot render the template"))?
        } else {
            file.contents.to_vec()
        };
        Ok(OutFile {
            path,
            contents,
            executable,
            source: file.path.clone(),
        })
    };
    let workers = crate::util::limits::workers(selected.len(), 64);
    let results: Vec<Result<OutFile>> = if workers == 1 {
        selected.iter().map(|f| one(f)).collect()
    } else {
        let chunk = selected.len().div_ceil(workers);
        std::thread::scope(|s| {
            let handles: Vec<_> = selected
                .chunks(chunk)
                .map(|part| s.spawn(move || part.iter().map(|f| one(f)).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| {
                    h.join()
                        .unwrap_or_else(|_| vec![Err(anyhow!("a rendering thread panicked"))])
                })
                .collect()
        })
    };
    let out = results.into_iter().collect::<Result<Vec<_>>>()?;
    check_collisions(&out)?;
    Ok(out)
}

/// Renders a source path component by component and checks each result.
pub(crate) fn render_path(engine: &Engine, source: &str, ctx: &Context) -> Result<String> {
    let mut parts = Vec::new();
    let count = source.split('/').count();
    for (i, component) in source.split('/').enumerate() {
        let mut rendered = if component.contains("{{") || component.contains("{%") {
            engine.render_str(component, ctx).map_err(|e| {
                anyhow!("file name `{source}` in template `{}`: {e}", engine.label())
            })?
        } else {
            component.to_string()
        };
        if i + 1 == count
            && let Some(stripped) = rendered.strip_suffix(RENDER_SUFFIX)
        {
            rendered = stripped.to_string();
        }
        paths::check_component(&rendered).map_err(|why| PathError {
            source: source.to_string(),
            template: engine.label().to_string(),
            rendered: rendered.clone(),
            why,
        })?;
        parts.push(rendered);
    }
    let path = parts.join("/");
    paths::check_relative(&path).map_err(|why| PathError {
        source: source.to_string(),
        template: engine.label().to_string(),
        rendered: path.clone(),
        why,
    })?;
    Ok(path)
}

fn check_collisions(files: &[OutFile]) -> Result<()> {
    let mut seen: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for f in files {
        if let Some(other) = seen.insert(&f.path, &f.source) {
            bail!("`{other}` and `{}` both render to `{}`", f.source, f.path);
        }
    }
    // A file may not stand where another file needs a directory.
    for f in files {
        let mut prefix = String::new();
        for part in f.path.split('/') {
            if !prefix.is_empty() {
                if let Some(src) = seen.get(prefix.as_str()) {
                    bail!(
                        "`{src}` renders to the file `{prefix}`, but `{}` needs a directory there",
                        f.source
                    );
                }
                prefix.push('/');
            }
            prefix.push_str(part);
        }
    }
    Ok(())
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

/// Renders every file of a template with its answers (and the next steps), touching nothing
/// on disk; a path refused names the input to blame.
pub(crate) fn render(
    loaded: &Loaded,
    engine: &Engine,
    req: &Request<'_>,
    answers: Answers,
) -> Result<Rendered> {
    let mut ctx = answers.context();
    crate::util::limits::next_rendering();
    let files = render_all(engine, &loaded.source, &loaded.manifest, &ctx)
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
                skipped: Vec::new(),
            },
            defines,
            Input::Defaults,
            &mut answers::NoPrompt,
        )
        .map_or(true, |a| {
            render_path(engine, &path.source, &a.context()).is_err()
        })
    };
    let why = path.why.trim_start_matches("which ");
    for (i, (key, value)) in req.defines.iter().enumerate() {
        let mut without = req.defines.to_vec();
        without.remove(i);
        if !still_fails(req.inputs, &without) {
            return usage!(
                "`-d {key}={}`: the value is used in the file name `{}`, which then {why}",
                crate::util::text::shown(value),
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
        return usage!(
            "project name `{}` (from --name or DEST) is used in the file name `{}`, which then \
             {why}; choose another name",
            crate::util::text::shown(&req.inputs.project_name),
            path.source
        );
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::source::Origin;

    fn template(manifest: &str, files: &[(&str, &str)]) -> (TemplateSource, Manifest, Engine) {
        let t = TemplateSource {
            name: "t".into(),
            origin: Origin::Embedded,
            manifest_text: format!(
                "name = \"t\"\ndescription = \"d\"\nfollows = \"f\"\n{manifest}"
            ),
            files: files
                .iter()
                .map(|(p, c)| {
                    SourceFile::new(
                        (*p).to_string(),
                        std::borrow::Cow::Owned(c.as_bytes().to_vec()),
                        false,
                    )
                })
                .collect(),
        };
        let m = crate::template::manifest::parse(&t).unwrap_or_else(|p| panic!("{p}"));
        let e = Engine::new(&t).unwrap();
        (t, m, e)
    }

    fn ctx(dir: &str) -> Context {
        let mut c = Context::new();
        c.insert("dir", &dir);
        c.insert("on", &false);
        c
    }

    #[test]
    fn paths_render_one_component_at_a_time_and_are_checked() {
        let (_, _, e) = template("", &[]);
        // (source path, value of `dir`, rendered path or part of the refusal)
        let cases: &[(&str, &str, Result<&str, &str>)] = &[
            ("{{ dir }}/a.py.tera", "pkg", Ok("pkg/a.py")),
            ("a.tera/b.tera", "", Ok("a.tera/b")),
            ("{{ dir }}/a", "..", Err("the component `..`")),
            ("{{ dir }}/a", "", Err("empty component")),
            ("{{ dir }}/a", "x/y", Err("separator")),
            ("{{ dir }}/a", ".GIT", Err("version-control")),
            ("x/{{ dir }}", ".git", Err("version-control")),
            (".git/config", "", Err("version-control")),
            ("{{ dir }}", "C:evil", Err("drive prefix")),
        ];
        for (source, dir, want) in cases {
            match (render_path(&e, source, &ctx(dir)), want) {
                (Ok(p), Ok(w)) => assert_eq!(p, *w),
                (Err(err), Err(w)) => {
                    let text = format!("{err:#}");
                    assert!(text.contains(w), "{source} {dir}: {text}");
                    assert!(err.downcast_ref::<PathError>().is_some(), "{text}");
                }
                (got, w) => panic!("{source} {dir}: {got:?}, want {w:?}"),
            }
        }
    }

    #[test]
    fn collisions_and_conditionals() {
        let (t, m, e) = template(
            "[[variables]]\nname = \"on\"\ntype = \"bool\"\ndefault = false\n\
             [[variables]]\nname = \"dir\"\ntype = \"string\"\ndefault = \"d\"\n\
             [[conditional]]\nwhen = \"on\"\npaths = [\"extra\"]\n",
            &[
                ("a.txt", "plain"),
                ("{{ dir }}.txt", "x"),
                ("extra/b.txt", "b"),
            ],
        );
        let files = render_all(&e, &t, &m, &ctx("z")).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["a.txt", "z.txt"],
            "the conditional directory is left out"
        );
        let err = render_all(&e, &t, &m, &ctx("a")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`a.txt` and `{{ dir }}.txt` both render to `a.txt`"
        );
        let (t, m, e) = template("", &[("x", "file"), ("{{ dir }}/y", "in a dir")]);
        let err = render_all(&e, &t, &m, &ctx("x")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`x` renders to the file `x`, but `{{ dir }}/y` needs a directory there"
        );
    }

    #[test]
    fn errors_come_in_file_order_whatever_renders_first() {
        let mut files: Vec<(String, String)> = (0..400)
            .map(|i| (format!("f{i:03}.tera"), "ok".to_string()))
            .collect();
        files[10].1 = "{{ missing_a }}".into();
        files[390].1 = "{{ missing_b }}".into();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let (t, m, e) = template("", &refs);
        for _ in 0..5 {
            let err = format!("{:#}", render_all(&e, &t, &m, &ctx("d")).unwrap_err());
            assert!(err.contains("missing_a"), "{err}");
        }
    }
}

//! Rendering, all in memory: one Tera instance per run, file contents and path components.
//!
//! Only files whose name ends in `.tera` go through Tera (the suffix is removed); every other
//! file is copied byte for byte. Path components that hold Tera syntax are rendered one by one
//! and each result is checked, so no value can make a path leave the destination.

use anyhow::{Context as _, Result, anyhow, bail};
use tera::{Context, ErrorKind, Tera};

use crate::limits::{self, Limited};
use crate::manifest::Manifest;
use crate::source::{RENDER_SUFFIX, TemplateSource};

/// A file ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFile {
    /// Output path relative to the destination, `/`-separated, every component checked.
    pub path: String,
    /// The bytes to write.
    pub contents: Vec<u8>,
    /// Whether to give it mode 755.
    pub executable: bool,
    /// The template path it came from.
    pub source: String,
}

/// A rendered path component that would be unsafe or invalid.
#[derive(Debug)]
pub struct PathError {
    /// The template path, as written.
    pub source: String,
    /// The template's label.
    pub template: String,
    /// What the component rendered to.
    pub rendered: String,
    /// Why that is refused.
    pub why: String,
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "file name `{}` in template `{}` renders to `{}`, {}",
            self.source,
            self.template,
            crate::shown(&self.rendered),
            self.why
        )
    }
}

impl std::error::Error for PathError {}

/// The one Tera instance of a run, holding every `.tera` file of the template.
pub struct Engine {
    tera: Tera,
    label: String,
}

/// Formats a Tera error as `file:line:col: reason`, digging out the useful part.
pub fn describe_tera_error(err: &tera::Error, one_off: bool) -> String {
    match err.kind() {
        ErrorKind::SyntaxError(r) | ErrorKind::RenderingError(r) => {
            let span = r.span();
            let message = r.message().trim_end_matches('.');
            if one_off || r.filename().is_empty() || r.filename() == "__tera_one_off" {
                format!("{}:{}: {message}", span.start_line, span.start_col + 1)
            } else {
                format!(
                    "{}:{}:{}: {message}",
                    r.filename(),
                    span.start_line,
                    span.start_col + 1
                )
            }
        }
        ErrorKind::Io(_) => format!(
            "the output passed the size limit ({} MiB a file, {} MiB a run)",
            limits::MAX_FILE_BYTES / 1024 / 1024,
            limits::MAX_TOTAL_BYTES / 1024 / 1024
        ),
        ErrorKind::Msg(text) if text.contains("\n --> ") => reports(text).join("\n  "),
        _ => {
            let mut text = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        }
    }
}

/// Turns Tera's terminal reports (`error: MSG` / ` --> FILE:LINE:COL` / source excerpt) into
/// one `FILE:LINE:COL: MSG` line each.
fn reports(text: &str) -> Vec<String> {
    text.split("\n\n")
        .filter_map(|chunk| {
            let message = chunk
                .lines()
                .find_map(|l| l.trim().strip_prefix("error: "))?;
            let place = chunk.lines().find_map(|l| l.trim().strip_prefix("--> "))?;
            Some(format!("{place}: {}", message.trim_end_matches('.')))
        })
        .collect()
}

impl Engine {
    /// Parses every `.tera` file of `template`; reports all syntax errors at once.
    pub fn new(template: &TemplateSource) -> Result<Engine> {
        let mut tera = new_tera();
        let mut sources = Vec::new();
        let mut problems = Vec::new();
        for file in &template.files {
            if !file.path.ends_with(RENDER_SUFFIX) {
                continue;
            }
            match std::str::from_utf8(&file.contents) {
                Ok(text) => sources.push((file.path.as_str(), text)),
                Err(e) => problems.push(format!(
                    "{}: marked for rendering ({RENDER_SUFFIX}) but not valid UTF-8 ({e})",
                    file.path
                )),
            }
        }
        let label = template.label();
        let all = limits::timed(&format!("template `{label}`"), || {
            tera.add_raw_templates(sources.iter().copied())
        });
        match all {
            Ok(()) if problems.is_empty() => return Ok(Engine { tera, label }),
            Ok(()) => {}
            Err(set_error) => {
                // Name every file with a syntax error, not just the first; if none has one,
                // the files fail together (an unknown or circular include): say that.
                for (name, text) in &sources {
                    let mut alone = new_tera();
                    let Err(e) = alone.add_raw_template(name, text) else {
                        continue;
                    };
                    match e.kind() {
                        ErrorKind::SyntaxError(_) => problems.push(describe_tera_error(&e, false)),
                        // Alone, includes of the other files are unknown: not this file's fault.
                        ErrorKind::Msg(text) => problems.extend(
                            reports(text)
                                .into_iter()
                                .filter(|r| !r.contains("Unknown template")),
                        ),
                        _ => {}
                    }
                }
                if problems.is_empty() {
                    problems.push(describe_tera_error(&set_error, false));
                }
            }
        }
        bail!(
            "template `{label}` does not parse:\n  {}",
            problems.join("\n  ")
        )
    }

    /// Renders a Tera text (a default, a computed value, next steps).
    pub fn render_str(&self, text: &str, ctx: &Context) -> Result<String, String> {
        let mut out = Limited::new();
        limits::timed(&format!("template `{}`", self.label), || {
            self.tera.render_str_to(text, ctx, false, &mut out)
        })
        .map_err(|e| describe_tera_error(&e, true))?;
        String::from_utf8(out.buf).map_err(|_| "renders to invalid UTF-8".to_string())
    }

    /// Evaluates a Tera expression as a condition.
    pub fn holds(&self, expr: &str, ctx: &Context) -> Result<bool, String> {
        let out = self.render_str(&format!("{{% if {expr} %}}1{{% endif %}}"), ctx)?;
        Ok(out == "1")
    }

    fn render_file(&self, name: &str, ctx: &Context) -> Result<Vec<u8>> {
        let mut out = Limited::new();
        limits::timed(&format!("`{}/{name}`", self.label), || {
            self.tera.render_to(name, ctx, &mut out)
        })
        .map_err(|e| match e.kind() {
            ErrorKind::SyntaxError(_) | ErrorKind::RenderingError(_) => {
                anyhow!("{}/{}", self.label, describe_tera_error(&e, false))
            }
            _ => anyhow!("{}/{name}: {}", self.label, describe_tera_error(&e, false)),
        })
        .context("cannot render the template")?;
        Ok(out.buf)
    }

    /// Renders every file the answers select, in memory.
    pub fn render_all(
        &self,
        template: &TemplateSource,
        manifest: &Manifest,
        ctx: &Context,
    ) -> Result<Vec<OutFile>> {
        let mut active = Vec::new();
        for c in &manifest.conditional {
            let on = self
                .holds(&c.when, ctx)
                .map_err(|e| anyhow!("`template.toml` conditional `{}`: {e}", c.when))?;
            active.push(on);
        }
        let mut out: Vec<OutFile> = Vec::new();
        for file in &template.files {
            let excluded = manifest
                .conditional
                .iter()
                .zip(&active)
                .any(|(c, on)| !on && c.paths.iter().any(|p| covers(p, &file.path)));
            if excluded {
                continue;
            }
            let path = self.render_path(&file.path, ctx)?;
            let executable = file.executable || manifest.executable.contains(&file.path);
            let contents = if file.path.ends_with(RENDER_SUFFIX) {
                self.render_file(&file.path, ctx)?
            } else {
                file.contents.to_vec()
            };
            out.push(OutFile {
                path,
                contents,
                executable,
                source: file.path.clone(),
            });
        }
        check_collisions(&out)?;
        Ok(out)
    }

    /// Renders a source path component by component and checks each result.
    pub fn render_path(&self, source: &str, ctx: &Context) -> Result<String> {
        let mut parts = Vec::new();
        let count = source.split('/').count();
        for (i, component) in source.split('/').enumerate() {
            let mut rendered = if component.contains("{{") || component.contains("{%") {
                self.render_str(component, ctx).map_err(|e| {
                    anyhow!("file name `{source}` in template `{}`: {e}", self.label)
                })?
            } else {
                component.to_string()
            };
            if i + 1 == count {
                if let Some(stripped) = rendered.strip_suffix(RENDER_SUFFIX) {
                    rendered = stripped.to_string();
                }
            }
            check_component(&rendered).map_err(|why| PathError {
                source: source.to_string(),
                template: self.label.clone(),
                rendered: rendered.clone(),
                why,
            })?;
            parts.push(rendered);
        }
        Ok(parts.join("/"))
    }
}

fn new_tera() -> Tera {
    let mut tera = Tera::new();
    // Tera escapes `.html` output by default; a project generator must never do that.
    tera.autoescape_on(Vec::<&str>::new());
    crate::filters::register(&mut tera);
    tera
}

/// Whether a manifest path (a file, or a directory covering everything below it) covers `path`.
pub fn covers(manifest_path: &str, path: &str) -> bool {
    let dir = manifest_path.trim_end_matches('/');
    path == dir || path.starts_with(&format!("{dir}/"))
}

/// Checks one rendered path component; the reason is returned for the message.
pub fn check_component(c: &str) -> Result<(), String> {
    if c.is_empty() {
        return Err("which has an empty component".to_string());
    }
    if c == "." || c == ".." {
        return Err(format!("which has the component `{c}`"));
    }
    if c.contains('/') || c.contains('\\') {
        return Err("which has a path separator inside a component".to_string());
    }
    if let Some(ch) = c.chars().find(|ch| ch.is_control()) {
        return Err(format!("which has the control character {ch:?}"));
    }
    let b = c.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err("which starts with a drive prefix".to_string());
    }
    if c.len() > 255 {
        return Err("which has a component longer than 255 bytes".to_string());
    }
    Ok(())
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

/// Puts variable values into a Tera context.
pub fn context_from<'a>(
    values: impl IntoIterator<Item = (&'a str, &'a crate::manifest::Value)>,
) -> Context {
    let mut ctx = Context::new();
    for (name, value) in values {
        match value {
            crate::manifest::Value::Str(s) => ctx.insert(name.to_string(), s),
            crate::manifest::Value::Bool(b) => ctx.insert(name.to_string(), b),
            crate::manifest::Value::Int(i) => ctx.insert(name.to_string(), i),
        }
    }
    ctx
}

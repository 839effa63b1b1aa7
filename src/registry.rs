//! Where templates come from: the ones compiled into the binary, directories on the search
//! path (`--templates DIR`, `SCAFFOLD_TEMPLATES`), or a path given directly. Lists them and
//! finds one by name.

use std::borrow::Cow;

use include_dir::{Dir, DirEntry, include_dir};

use crate::source::{MANIFEST_FILE, Origin, SourceFile, TemplateSource};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Names of the embedded templates, sorted.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<&str> = TEMPLATES
        .dirs()
        .filter(|d| d.get_file(d.path().join(MANIFEST_FILE)).is_some())
        .filter_map(|d| d.path().file_name()?.to_str())
        .collect();
    names.sort_unstable();
    names
}

/// The embedded template called `name`, if there is one.
pub fn get(name: &str) -> Option<TemplateSource> {
    if !names().contains(&name) {
        return None;
    }
    let dir = TEMPLATES.get_dir(name)?;
    let manifest = dir.get_file(dir.path().join(MANIFEST_FILE))?;
    let mut files = Vec::new();
    collect(dir, dir, &mut files);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Some(TemplateSource {
        name: name.to_string(),
        origin: Origin::Embedded,
        manifest_text: String::from_utf8_lossy(manifest.contents()).into_owned(),
        files,
    })
}

/// Every embedded template, sorted by name.
pub fn all() -> Vec<TemplateSource> {
    names().into_iter().filter_map(get).collect()
}

fn collect(root: &Dir<'static>, dir: &Dir<'static>, out: &mut Vec<SourceFile>) {
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(sub) => collect(root, sub, out),
            DirEntry::File(file) => {
                let Ok(rel) = file.path().strip_prefix(root.path()) else {
                    continue;
                };
                let path = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                if path == MANIFEST_FILE {
                    continue;
                }
                out.push(SourceFile {
                    path,
                    contents: Cow::Borrowed(file.contents()),
                    // include_dir keeps no mode bits: the manifest's `executable` list decides.
                    executable: false,
                });
            }
        }
    }
}

/// The prefix that picks the embedded template when a directory template has the same name.
pub const EMBEDDED_PREFIX: &str = "embedded:";

/// A template the registry can find, without its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The template's name.
    pub name: String,
    /// Where it is.
    pub origin: Origin,
}

/// The embedded templates plus the directories on the search path.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    /// Directories whose subdirectories are templates, in search order.
    pub dirs: Vec<std::path::PathBuf>,
}

impl Registry {
    /// `--templates` directories first, then those of `SCAFFOLD_TEMPLATES` (a path list).
    pub fn new(cli_dirs: &[std::path::PathBuf], env: Option<&std::ffi::OsStr>) -> Registry {
        let mut all = cli_dirs.to_vec();
        if let Some(list) = env {
            all.extend(std::env::split_paths(list).filter(|p| !p.as_os_str().is_empty()));
        }
        // The same directory named twice (or by two spellings) is searched once.
        let mut dirs: Vec<std::path::PathBuf> = Vec::new();
        let mut seen = Vec::new();
        for dir in all {
            let key = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
            if !seen.contains(&key) {
                seen.push(key);
                dirs.push(dir);
            }
        }
        Registry { dirs }
    }

    /// Every template: embedded ones first, then each search directory's, sorted by name.
    pub fn entries(&self) -> anyhow::Result<Vec<Entry>> {
        let mut out: Vec<Entry> = names()
            .into_iter()
            .map(|n| Entry {
                name: n.to_string(),
                origin: Origin::Embedded,
            })
            .collect();
        for dir in &self.dirs {
            let read = std::fs::read_dir(dir).map_err(|e| {
                crate::usage!(
                    "cannot read the template search directory `{}` (from --templates or \
                     SCAFFOLD_TEMPLATES): {e}",
                    dir.display()
                )
            })?;
            let mut found: Vec<Entry> = read
                .flatten()
                .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
                .filter(|e| e.path().join(MANIFEST_FILE).is_file())
                .map(|e| Entry {
                    name: e.file_name().to_string_lossy().into_owned(),
                    origin: Origin::Directory(e.path()),
                })
                .collect();
            found.sort_by(|a, b| a.name.cmp(&b.name));
            out.extend(found);
        }
        Ok(out)
    }

    /// Finds a template by name, `embedded:NAME`, or path.
    pub fn find(&self, arg: &str) -> anyhow::Result<TemplateSource> {
        if let Some(name) = arg.strip_prefix(EMBEDDED_PREFIX) {
            return get(name).ok_or_else(|| {
                crate::usage!("no embedded template named `{name}`; see `scaffold list`")
            });
        }
        if is_path(arg) {
            return load_dir(std::path::Path::new(arg));
        }
        let entries = self.entries()?;
        let matches: Vec<&Entry> = entries.iter().filter(|e| e.name == arg).collect();
        match matches.as_slice() {
            [] => {
                let mut names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
                names.dedup();
                let hint = match crate::answers::nearest(arg, names.iter().copied()) {
                    Some(n) => format!("did you mean `{n}`? "),
                    None => String::new(),
                };
                Err(crate::usage!(
                    "no template named `{arg}`; {hint}the templates are {} (see `scaffold list`)",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
            [one] => match &one.origin {
                Origin::Embedded => Ok(get(arg).expect("listed embedded template exists")),
                Origin::Directory(dir) => load_dir(dir),
            },
            several => {
                let ways: Vec<String> = several
                    .iter()
                    .map(|e| match &e.origin {
                        Origin::Embedded => {
                            format!("`{EMBEDDED_PREFIX}{arg}` for the embedded one")
                        }
                        Origin::Directory(dir) => format!("`{}`", dir.display()),
                    })
                    .collect();
                Err(crate::usage!(
                    "template name `{arg}` is ambiguous: it exists in {} places; name one of {}",
                    several.len(),
                    ways.join(", ")
                ))
            }
        }
    }
}

/// At most this many bytes in a `template.toml`.
pub const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// At most this many files in a template on disk.
pub const MAX_FILES: usize = 10_000;
/// At most this many bytes in all the files of a template on disk.
pub const MAX_TOTAL_BYTES: u64 = 64 * 1024 * 1024;

/// Whether a TEMPLATE argument names a directory rather than an embedded template.
pub fn is_path(arg: &str) -> bool {
    arg.contains('/') || arg.contains(std::path::MAIN_SEPARATOR) || arg.starts_with('.')
}

/// Loads a template directory from disk. Symlinks and special files (FIFOs, sockets, devices)
/// are refused by name without being opened; sizes and counts are bounded.
pub fn load_dir(dir: &std::path::Path) -> anyhow::Result<TemplateSource> {
    use anyhow::{Context as _, bail};
    let meta = std::fs::symlink_metadata(dir).map_err(|e| {
        crate::usage!(
            "cannot read the template directory `{}`: {e}",
            dir.display()
        )
    })?;
    if meta.file_type().is_symlink() {
        bail!(
            "template directory `{}` is a symlink; give the real directory",
            dir.display()
        );
    }
    if !meta.is_dir() {
        bail!("template `{}` is not a directory", dir.display());
    }
    let manifest_path = dir.join(MANIFEST_FILE);
    match std::fs::symlink_metadata(&manifest_path) {
        Ok(m) if m.is_file() && m.len() > MAX_MANIFEST_BYTES => bail!(
            "`{}` is larger than {} KiB",
            manifest_path.display(),
            MAX_MANIFEST_BYTES / 1024
        ),
        Ok(m) if m.is_file() => {}
        Ok(m) if m.file_type().is_symlink() => {
            bail!(
                "`{}` is a symlink; scaffold does not follow symlinks in templates",
                manifest_path.display()
            )
        }
        Ok(_) => bail!("`{}` is not a regular file", manifest_path.display()),
        Err(_) => {
            return Err(crate::usage!(
                "`{}` is not a template: it has no `{MANIFEST_FILE}`",
                dir.display()
            ));
        }
    }
    let manifest_bytes = std::fs::read(&manifest_path)
        .with_context(|| format!("cannot read `{}`", manifest_path.display()))?;
    let manifest_text = String::from_utf8(manifest_bytes)
        .map_err(|_| anyhow::anyhow!("`{}` is not valid UTF-8", manifest_path.display()))?;
    let mut files = Vec::new();
    let mut total: u64 = 0;
    let mut refused = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.with_context(|| format!("cannot read `{}`", dir.display()))?;
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        if rel.as_os_str().is_empty() {
            continue;
        }
        let Some(path) = rel
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect::<Option<Vec<_>>>()
            .map(|parts| parts.join("/"))
        else {
            bail!(
                "template file name `{}` is not valid UTF-8",
                entry.path().display()
            );
        };
        let ft = entry.file_type();
        if ft.is_dir() {
            continue;
        }
        if ft.is_symlink() {
            refused.push(format!("`{path}` is a symlink"));
            continue;
        }
        if !ft.is_file() {
            refused.push(format!(
                "`{path}` is not a regular file (a FIFO, socket or device)"
            ));
            continue;
        }
        if path == MANIFEST_FILE {
            continue;
        }
        if files.len() >= MAX_FILES {
            bail!(
                "template `{}` has more than {MAX_FILES} files",
                dir.display()
            );
        }
        let meta = entry
            .metadata()
            .with_context(|| format!("cannot read `{}`", entry.path().display()))?;
        total += meta.len();
        if total > MAX_TOTAL_BYTES {
            bail!(
                "template `{}` holds more than {} MiB",
                dir.display(),
                MAX_TOTAL_BYTES / 1024 / 1024
            );
        }
        let contents = std::fs::read(entry.path())
            .with_context(|| format!("cannot read `{}`", entry.path().display()))?;
        #[cfg(unix)]
        let executable = {
            use std::os::unix::fs::PermissionsExt;
            meta.permissions().mode() & 0o111 != 0
        };
        #[cfg(not(unix))]
        let executable = false;
        files.push(SourceFile {
            path,
            contents: Cow::Owned(contents),
            executable,
        });
    }
    if !refused.is_empty() {
        bail!(
            "template `{}` holds files scaffold will not read:\n  {}",
            dir.display(),
            refused.join("\n  ")
        );
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let name = std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "template".to_string());
    Ok(TemplateSource {
        name,
        origin: Origin::Directory(dir.to_path_buf()),
        manifest_text,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_template_is_valid() {
        let names = names();
        for expected in ["apps", "blog", "chat", "flat", "package"] {
            assert!(
                names.contains(&expected),
                "template `{expected}` is not embedded"
            );
        }
        for template in all() {
            let manifest = crate::manifest::parse(&template).unwrap_or_else(|p| panic!("{p}"));
            assert_eq!(manifest.name, template.name);
            assert!(!manifest.description.is_empty() && !manifest.follows.is_empty());
            crate::render::Engine::new(&template).unwrap_or_else(|e| panic!("{e:#}"));
            // Build junk must never be embedded.
            for f in &template.files {
                assert!(
                    !f.path.contains("__pycache__") && !f.path.ends_with(".pyc"),
                    "{}: {} is build junk",
                    template.name,
                    f.path
                );
            }
        }
    }

    #[test]
    fn paths_and_names() {
        assert!(is_path("./x") && is_path("a/b") && is_path("../t") && is_path(".hidden"));
        assert!(!is_path("chat"));
        assert!(get("no-such-template").is_none());
    }
}

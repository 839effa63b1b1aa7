//! The templates a TEMPLATE argument can name without git: the embedded ones, the directories
//! on the search path (`--templates DIR`, `SCAFFOLD_TEMPLATES`), or a path given directly.
//! Lists them and finds one by name.

use std::path::{Path, PathBuf};

use super::directory::load_dir;
use super::embedded::{EMBEDDED_PREFIX, embedded_version, get, names};
use super::git::refs::url_kind;
use super::source::{MANIFEST_FILE, Origin, TemplateSource};
use crate::util::error::usage;
use crate::util::text::Shown as _;

/// A template the registry can find, without its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The template's name.
    pub(crate) name: String,
    /// Where it is.
    pub(crate) origin: Origin,
}

impl Entry {
    /// The template this entry names, read.
    pub(crate) fn load(&self) -> anyhow::Result<TemplateSource> {
        match &self.origin {
            Origin::Embedded => get(&self.name)
                .ok_or_else(|| anyhow::anyhow!("embedded template `{}` vanished", self.name)),
            Origin::Directory(dir) => load_dir(dir),
            Origin::Git(g) => Err(anyhow::anyhow!(
                "`{}` is not on the search path",
                g.location
            )),
        }
    }
}

/// The embedded templates plus the directories on the search path.
#[derive(Debug, Clone, Default)]
pub(crate) struct Registry {
    /// Directories whose subdirectories are templates, in search order.
    dirs: Vec<PathBuf>,
    /// Search-path entries that are not usable directories, one line each.
    pub(crate) warnings: Vec<String>,
}

impl Registry {
    /// `--templates` directories first, then those of `SCAFFOLD_TEMPLATES` (a path list). A
    /// directory that does not exist or cannot be read is left out with a warning that names it
    /// and where it came from: one stale entry must not break every command.
    pub(crate) fn new(cli_dirs: &[PathBuf], env: Option<&std::ffi::OsStr>) -> Registry {
        let mut all: Vec<(PathBuf, &str)> = cli_dirs
            .iter()
            .map(|d| (d.clone(), "--templates"))
            .collect();
        if let Some(list) = env {
            all.extend(
                std::env::split_paths(list)
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(|p| (p, "SCAFFOLD_TEMPLATES")),
            );
        }
        let mut registry = Registry::default();
        // The same directory named twice (or by two spellings) is searched once.
        let mut seen = Vec::new();
        for (dir, from) in all {
            match std::fs::read_dir(&dir) {
                Ok(_) => {}
                Err(e) => {
                    registry.warnings.push(format!(
                        "template search directory `{}` (from {from}) cannot be read ({}); \
                         ignoring it",
                        crate::util::text::shown(&dir.to_string_lossy()),
                        io_reason(&e)
                    ));
                    continue;
                }
            }
            let key = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
            if !seen.contains(&key) {
                seen.push(key);
                registry.dirs.push(dir);
            }
        }
        registry
    }

    /// Every template: embedded ones first, then each search directory's, sorted by name.
    pub(crate) fn entries(&self) -> Vec<Entry> {
        let mut out: Vec<Entry> = names()
            .into_iter()
            .map(|n| Entry {
                name: n.to_string(),
                origin: Origin::Embedded,
            })
            .collect();
        for dir in &self.dirs {
            let Ok(read) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut found: Vec<Entry> = read
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter(|e| e.path().join(MANIFEST_FILE).is_file())
                .map(|e| Entry {
                    name: e.file_name().to_string_lossy().into_owned(),
                    origin: Origin::Directory(e.path()),
                })
                .collect();
            found.sort_by(|a, b| a.name.cmp(&b.name));
            out.extend(found);
        }
        out
    }

    /// Finds a template by name, `embedded:NAME`, or path.
    pub(crate) fn find(&self, arg: &str) -> anyhow::Result<TemplateSource> {
        if let Some(kind) = url_kind(arg) {
            return Err(usage!(
                "`{}` is a {kind} URL: a git template, read by the git source",
                crate::util::text::shown(arg)
            ));
        }
        if let Some(name) = arg.strip_prefix(EMBEDDED_PREFIX) {
            if let Some((name, version)) = name.split_once('@')
                && get(name).is_some()
            {
                return embedded_version(name, version);
            }
            return get(name).ok_or_else(|| {
                usage!(
                    "no embedded template named `{}`; see `scaffold list`",
                    crate::util::text::shown(name)
                )
            });
        }
        if is_path(arg) {
            return load_dir(Path::new(arg));
        }
        let entries = self.entries();
        let matches: Vec<&Entry> = entries.iter().filter(|e| e.name == arg).collect();
        match matches.as_slice() {
            [] => {
                let mut names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
                names.dedup();
                let hint = match crate::util::text::nearest(arg, names.iter().copied()) {
                    Some(n) => format!("did you mean `{n}`? "),
                    None => String::new(),
                };
                Err(usage!(
                    "no template named `{}`; {hint}the templates are {} (see `scaffold list`)",
                    crate::util::text::shown(arg),
                    crate::util::text::ticked(names.iter().copied())
                ))
            }
            [one] => one.load(),
            several => {
                let ways: Vec<String> = several
                    .iter()
                    .map(|e| match &e.origin {
                        Origin::Embedded => {
                            format!("`{EMBEDDED_PREFIX}{arg}` for the embedded one")
                        }
                        Origin::Directory(dir) => format!("`{}`", dir.shown()),
                        Origin::Git(g) => format!("`{}`", g.location),
                    })
                    .collect();
                Err(usage!(
                    "template name `{arg}` is ambiguous: it exists in {} places; name one of {}",
                    several.len(),
                    ways.join(", ")
                ))
            }
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "it does not exist".to_string(),
        std::io::ErrorKind::NotADirectory => "it is not a directory".to_string(),
        _ => e.to_string(),
    }
}

/// Whether a TEMPLATE argument names a directory rather than an embedded template.
pub(crate) fn is_path(arg: &str) -> bool {
    arg.contains('/') || arg.contains(std::path::MAIN_SEPARATOR) || arg.starts_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_urls() {
        // (argument, a path?, a URL kind)
        for (arg, path, url) in [
            ("chat", false, None),
            ("./x", true, None),
            ("a/b", true, None),
            ("../t", true, None),
            (".hidden", true, None),
            ("https://git.example.com/t.git", true, Some("https")),
            ("HTTPS://x/y", true, Some("https")),
            ("ssh://git@host/t.git", true, Some("ssh")),
            ("git://host/t", true, Some("git")),
            ("file:///srv/t.git", true, Some("file")),
            ("git@github.com:acme/t.git", true, Some("ssh")),
            ("git@host:t", false, Some("ssh")),
            ("./a@b:c", true, None),
            ("embedded:chat", false, None),
        ] {
            assert_eq!(is_path(arg), path, "{arg}");
            assert_eq!(url_kind(arg), url, "{arg}");
        }
    }

    #[test]
    fn missing_search_directories_are_warnings() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let env =
            std::ffi::OsString::from(format!("{}:{}", missing.display(), dir.path().display()));
        let r = Registry::new(&[dir.path().join("gone")], Some(&env));
        assert_eq!(r.dirs, vec![dir.path().to_path_buf()]);
        assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
        assert!(r.warnings[0].contains("gone") && r.warnings[0].contains("from --templates"));
        assert!(r.warnings[1].contains("from SCAFFOLD_TEMPLATES"));
        assert!(r.warnings[1].contains("does not exist"));
    }
}

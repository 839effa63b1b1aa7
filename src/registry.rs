//! Where templates come from: the ones compiled into the binary, directories on the search
//! path (`--templates DIR`, `SCAFFOLD_TEMPLATES`), or a path given directly. Lists them and
//! finds one by name.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use include_dir::{Dir, DirEntry, include_dir};

use crate::source::{self, MANIFEST_FILE, Origin, SourceFile, TemplateSource};
use crate::util::error::usage;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Names of the embedded templates, sorted.
pub(crate) fn names() -> Vec<&'static str> {
    // Looked at directly (include_dir's lookups compare whole paths, entry by entry).
    let mut names: Vec<&str> = TEMPLATES
        .dirs()
        .filter(|d| {
            d.files()
                .any(|f| f.path().file_name().is_some_and(|n| n == MANIFEST_FILE))
        })
        .filter_map(|d| d.path().file_name()?.to_str())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort_unstable();
    names
}

/// The embedded template called `name`, if there is one.
pub(crate) fn get(name: &str) -> Option<TemplateSource> {
    if !names().contains(&name) {
        return None;
    }
    let dir = TEMPLATES
        .dirs()
        .find(|d| d.path().file_name().is_some_and(|n| n == name))?;
    let manifest = dir
        .files()
        .find(|f| f.path().file_name().is_some_and(|n| n == MANIFEST_FILE))?;
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
                // include_dir keeps no mode bits: the manifest's `executable` list decides.
                out.push(SourceFile::new(path, Cow::Borrowed(file.contents()), false));
            }
        }
    }
}

/// Where earlier versions of the embedded templates are kept, inside `templates/`: every
/// version a released scaffold has embedded, so that a project made from one can be updated
/// (its base rendered again). Files are stored once, by git blob id, under `objects/`; each
/// version lists its files in `trees/<tree id>.toml`; `versions.toml` names the versions.
pub(crate) const HISTORY: &str = ".history";

/// One kept version of an embedded template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Kept {
    /// The template's name.
    pub(crate) template: String,
    /// Its version label (the manifest's `version`, or a number given when it had none).
    pub(crate) version: String,
    /// Its tree id.
    pub(crate) id: String,
}

/// Every kept version, as `versions.toml` lists them (oldest first).
pub(crate) fn kept(index: &str) -> anyhow::Result<Vec<Kept>> {
    let table: toml::Table = index.parse()?;
    let mut out = Vec::new();
    for v in table
        .get("version")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
    {
        let get = |k: &str| {
            v.get(k)
                .and_then(toml::Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| anyhow::anyhow!("`{HISTORY}/versions.toml`: a version lacks `{k}`"))
        };
        out.push(Kept {
            template: get("template")?,
            version: get("version")?,
            id: get("id")?,
        });
    }
    Ok(out)
}

/// The embedded list of kept versions.
pub(crate) fn kept_versions() -> Vec<Kept> {
    TEMPLATES
        .get_file(format!("{HISTORY}/versions.toml"))
        .and_then(|f| f.contents_utf8())
        .and_then(|text| kept(text).ok())
        .unwrap_or_default()
}

/// A kept version rebuilt from the history: every file, as it was.
fn rebuild_kept(k: &Kept) -> Option<TemplateSource> {
    let tree = TEMPLATES
        .get_file(format!("{HISTORY}/trees/{}.toml", k.id))?
        .contents_utf8()?;
    let table: toml::Table = tree.parse().ok()?;
    let mut manifest_text = None;
    let mut files = Vec::new();
    for (path, blob) in &table {
        let blob = blob.as_str()?;
        let object =
            TEMPLATES.get_file(format!("{HISTORY}/objects/{}/{}", &blob[..2], &blob[2..]))?;
        if path == MANIFEST_FILE {
            manifest_text = Some(String::from_utf8_lossy(object.contents()).into_owned());
        } else {
            files.push(SourceFile::new(
                path.clone(),
                Cow::Borrowed(object.contents()),
                false,
            ));
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let source = TemplateSource {
        name: k.template.clone(),
        origin: Origin::Embedded,
        manifest_text: manifest_text?,
        files,
    };
    // The history is part of the binary, but check it: a wrong base would mislead a merge.
    (source.id().ok()? == k.id).then_some(source)
}

/// The embedded template `name` in the version with this tree id: the current one, or a kept
/// one.
pub(crate) fn embedded_by_id(name: &str, id: &str) -> Option<TemplateSource> {
    if let Some(current) = get(name)
        && current.id().ok().as_deref() == Some(id)
    {
        return Some(current);
    }
    kept_versions()
        .iter()
        .find(|k| k.template == name && k.id == id)
        .and_then(rebuild_kept)
}

/// The embedded template `name` in the version `selector`: a kept version's label, or the
/// start (at least 7 hex digits) of its tree id.
fn embedded_version(name: &str, selector: &str) -> anyhow::Result<TemplateSource> {
    let versions: Vec<Kept> = kept_versions()
        .into_iter()
        .filter(|k| k.template == name)
        .collect();
    let hex = selector.len() >= 7 && selector.bytes().all(|b| b.is_ascii_hexdigit());
    let found: Vec<&Kept> = versions
        .iter()
        .filter(|k| k.version == selector || (hex && k.id.starts_with(selector)))
        .collect();
    match found.as_slice() {
        [one] => embedded_by_id(name, &one.id)
            .ok_or_else(|| anyhow::anyhow!("the kept version `{selector}` of `{name}` is damaged")),
        [] => Err(usage!(
            "template `{name}` has no kept version `{}`; it has {}",
            crate::util::text::shown(selector),
            if versions.is_empty() {
                "none".to_string()
            } else {
                crate::util::text::ticked(versions.iter().map(|k| k.version.as_str()))
            }
        )),
        _ => Err(usage!(
            "`{}` names more than one version of `{name}`; give more of the id",
            crate::util::text::shown(selector)
        )),
    }
}

/// The prefix that picks the embedded template when a directory template has the same name.
pub(crate) const EMBEDDED_PREFIX: &str = "embedded:";

/// A template the registry can find, without its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The template's name.
    pub(crate) name: String,
    /// Where it is.
    pub(crate) origin: Origin,
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
            return source::load_dir(Path::new(arg));
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
            [one] => match &one.origin {
                Origin::Embedded => {
                    get(arg).ok_or_else(|| anyhow::anyhow!("embedded template `{arg}` vanished"))
                }
                Origin::Directory(dir) => source::load_dir(dir),
                Origin::Git(g) => Err(anyhow::anyhow!(
                    "`{}` is not on the search path",
                    g.location
                )),
            },
            several => {
                let ways: Vec<String> = several
                    .iter()
                    .map(|e| match &e.origin {
                        Origin::Embedded => {
                            format!("`{EMBEDDED_PREFIX}{arg}` for the embedded one")
                        }
                        Origin::Directory(dir) => format!("`{}`", dir.display()),
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

/// The kind of URL a TEMPLATE argument is, if it is one: `https`, `ssh`, `git`, `file`, or
/// `scp-like` for `user@host:path`.
pub(crate) fn url_kind(arg: &str) -> Option<&'static str> {
    for (prefix, kind) in [
        ("https://", "https"),
        ("http://", "http"),
        ("ssh://", "ssh"),
        ("git://", "git"),
        ("file://", "file"),
        ("git+", "git"),
    ] {
        if arg
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        {
            return Some(kind);
        }
    }
    // `user@host:path` (scp-like ssh), but not a local path that holds `@` and `:`.
    let (user_host, _) = arg.split_once(':')?;
    let (user, host) = user_host.split_once('@')?;
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    (plain(user) && plain(host)).then_some("ssh")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_template_is_embedded_without_junk() {
        let names = names();
        for expected in ["apps", "blog", "chat", "flat", "package"] {
            assert!(
                names.contains(&expected),
                "template `{expected}` is not embedded"
            );
        }
        for name in names {
            let template = get(name).unwrap();
            for f in &template.files {
                assert!(
                    !f.path.contains("__pycache__")
                        && !std::path::Path::new(&f.path)
                            .extension()
                            .is_some_and(|e| e.eq_ignore_ascii_case("pyc")),
                    "{name}: {} is build junk",
                    f.path
                );
            }
        }
        assert!(get("no-such-template").is_none());
    }

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

//! The templates compiled into the binary, and every version of them a released scaffold has
//! embedded (kept under `templates/.history`), so that a project made from an older one can
//! still be rendered again. The current one by name, a kept one by id or label.

use std::borrow::Cow;

use include_dir::{Dir, DirEntry, include_dir};

use super::source::{MANIFEST_FILE, Origin, SourceFile, TemplateSource};
use crate::util::error::usage;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

include!(concat!(env!("OUT_DIR"), "/embedded_blobs.rs"));

/// The blob id build.rs computed for the embedded file at `path` (under `templates/`).
fn built_blob_id(path: &str) -> Option<&'static str> {
    BLOB_IDS
        .binary_search_by(|(p, _)| (*p).cmp(path))
        .ok()
        .map(|i| BLOB_IDS[i].1)
}

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
                let source = SourceFile::new(path, Cow::Borrowed(file.contents()), false);
                if let Some(id) = file.path().to_str().and_then(built_blob_id) {
                    let _ = source.blob.set(id.to_string());
                }
                out.push(source);
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
pub(crate) fn embedded_version(name: &str, selector: &str) -> anyhow::Result<TemplateSource> {
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
    fn every_blob_id_computed_when_built_is_the_files() {
        let mut seen = 0;
        for name in names() {
            for f in &get(name).unwrap().files {
                let built = f
                    .blob
                    .get()
                    .expect("every embedded file has its id from build.rs");
                assert_eq!(
                    *built,
                    crate::util::hash::blob(&f.contents),
                    "{name}/{}",
                    f.path
                );
                seen += 1;
            }
        }
        assert_eq!(
            seen + names().len(),
            BLOB_IDS.len(),
            "one id for each file and manifest"
        );
    }
}

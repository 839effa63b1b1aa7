//! The templates compiled into the binary: list them, get one by name.

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

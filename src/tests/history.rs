//! The embedded templates' history: every version a released scaffold has embedded is kept,
//! so that projects made from it can be updated. A template whose content changed without
//! being kept fails here.
//!
//! To keep the current versions (after changing a template, with its `version` bumped in
//! `template.toml`): `SCAFFOLD_KEEP_TEMPLATES=templates cargo test --lib history`. The value
//! is a templates directory: an older one (for example `git archive <commit> templates`,
//! unpacked) keeps its versions too. A version is never replaced: keeping other content under
//! a label already kept is refused.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::sources::embedded::{self, HISTORY, Kept};
use crate::sources::source::{MANIFEST_FILE, TemplateSource};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Writes `source` into the history under `label`; returns whether it was new.
fn keep(history: &Path, source: &TemplateSource, label: &str, kept: &mut Vec<Kept>) -> bool {
    let id = source.id().unwrap();
    if kept.iter().any(|k| k.template == source.name && k.id == id) {
        return false;
    }
    if let Some(k) = kept
        .iter()
        .find(|k| k.template == source.name && k.version == label)
    {
        panic!(
            "template `{}` version `{label}` is already kept as {}, with other content: bump \
             `version` in its template.toml",
            source.name, k.id
        );
    }
    let mut tree = BTreeMap::new();
    let mut store = |path: &str, bytes: &[u8]| {
        let blob = crate::util::hash::blob_id(bytes).unwrap();
        let dir = history.join("objects").join(&blob[..2]);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(&blob[2..]);
        if !file.exists() {
            std::fs::write(&file, bytes).unwrap();
        }
        tree.insert(path.to_string(), blob);
    };
    store(MANIFEST_FILE, source.manifest_text.as_bytes());
    for f in &source.files {
        store(&f.path, &f.contents);
    }
    let mut text = String::new();
    for (path, blob) in &tree {
        let _ = writeln!(text, "{} = \"{blob}\"", toml_key(path));
    }
    std::fs::create_dir_all(history.join("trees")).unwrap();
    std::fs::write(history.join("trees").join(format!("{id}.toml")), text).unwrap();
    kept.push(Kept {
        template: source.name.clone(),
        version: label.to_string(),
        id,
    });
    true
}

fn toml_key(path: &str) -> String {
    format!("\"{}\"", path.replace('\\', "\\\\").replace('"', "\\\""))
}

fn write_index(history: &Path, kept: &[Kept]) {
    let mut text = String::from(
        "# Every version of every embedded template that a released scaffold has embedded, so\n\
         # that projects made from one can be updated. Written by the history test; see\n\
         # src/tests/history.rs. Never remove an entry.\n",
    );
    for k in kept {
        let _ = write!(
            text,
            "\n[[version]]\ntemplate = \"{}\"\nversion = \"{}\"\nid = \"{}\"\n",
            k.template, k.version, k.id
        );
    }
    std::fs::write(history.join("versions.toml"), text).unwrap();
}

/// The label a template's version is kept under: its manifest's `version`, or the next
/// number.
fn label(source: &TemplateSource, kept: &[Kept]) -> String {
    let manifest = crate::template::manifest::parse(source).unwrap_or_else(|p| panic!("{p}"));
    manifest.version.unwrap_or_else(|| {
        (kept.iter().filter(|k| k.template == source.name).count() + 1).to_string()
    })
}

#[test]
fn every_embedded_template_version_is_kept() {
    let history = root().join("templates").join(HISTORY);
    let index = history.join("versions.toml");
    let mut kept = std::fs::read_to_string(&index)
        .map(|t| embedded::kept(&t).unwrap())
        .unwrap_or_default();
    if let Ok(dir) = std::env::var("SCAFFOLD_KEEP_TEMPLATES") {
        let dir = root().join(dir);
        let mut changed = false;
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if !path.join(MANIFEST_FILE).is_file() {
                continue;
            }
            let mut source = crate::sources::directory::load_dir(&path).unwrap();
            // Embedded templates have no file modes: the manifest's `executable` decides.
            for f in &mut source.files {
                f.executable = false;
            }
            let label = label(&source, &kept);
            changed |= keep(&history, &source, &label, &mut kept);
        }
        if changed {
            write_index(&history, &kept);
        }
    }
    // The binary's own copy is what `update` uses: it must hold every version (a rebuild
    // picks up a newly kept one).
    for name in embedded::names() {
        let current = embedded::get(name).unwrap();
        let id = current.id().unwrap();
        assert!(
            kept.iter().any(|k| k.template == name && k.id == id),
            "embedded template `{name}` ({id}) is not kept: after changing a template, bump its \
             `version` and run `SCAFFOLD_KEEP_TEMPLATES=templates cargo test --lib history`"
        );
    }
    for k in &kept {
        let rebuilt = embedded::embedded_by_id(&k.template, &k.id);
        assert!(
            rebuilt.is_some_and(|s| s.id().unwrap() == k.id),
            "kept version `{}` of `{}` ({}) cannot be rebuilt from the history",
            k.version,
            k.template,
            k.id
        );
    }
}

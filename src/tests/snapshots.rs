//! insta snapshots of every file of every embedded template.
//!
//! Each template is rendered with fixed built-ins (project name, secret, year) for its
//! `default` variant and for every other line of `tests/generated/<template>/variants.txt`,
//! the same variants CI runs for real. Every file of the default rendering is snapshotted; for
//! other variants, the files that differ from the default or appear only there (the answers
//! file `.scaffold.toml` always differs). Each
//! rendering's sorted file list (with modes) is snapshotted as well. Stale snapshot files fail
//! the test, so none can linger unreviewed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::cli::config::{Env, resolve_new};
use crate::template::answers::Input;
use crate::template::answers::Prompter;
use crate::template::answers::{Request, answer};
use crate::template::builtins::Inputs;
use crate::template::engine::Engine;
use crate::template::render;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct NoPrompt;
impl Prompter for NoPrompt {
    fn ask(&mut self, q: &str) -> anyhow::Result<Option<String>> {
        panic!("snapshot rendering must not prompt ({q})")
    }
    fn tell(&mut self, _: &str) {}
}

/// Parses variants.txt: (id, arguments).
pub(crate) fn variants(template: &str) -> Vec<(String, Vec<String>)> {
    let path = root().join(format!("tests/generated/{template}/variants.txt"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut words = super::words::shell_words(l);
            let id = words.remove(0);
            (id, words)
        })
        .collect()
}

fn render(template: &str, extra: &[String]) -> BTreeMap<String, (Vec<u8>, bool)> {
    use clap::Parser;
    let mut words: Vec<String> = vec!["scaffold".into(), "new".into(), template.into()];
    words.push(format!("{template}-demo"));
    words.extend(extra.iter().cloned());
    words.push("--no-input".into());
    let crate::cli::Command::New(args) = crate::cli::Cli::try_parse_from(&words).unwrap().command
    else {
        unreachable!()
    };
    let env = Env {
        stdin_is_tty: false,
        cwd: root().to_path_buf(),
    };
    let req = resolve_new(
        &args,
        &env,
        &crate::cli::config::Preset::default(),
        &mut || unreachable!(),
    )
    .unwrap();
    let reference = crate::sources::Reference::Argument {
        name: template,
        git: &crate::sources::git::Options::default(),
    };
    let found = crate::sources::locate(&crate::sources::registry::Registry::default(), &reference);
    let loaded = crate::template::manifest::load(found.unwrap()).unwrap();
    let inputs = Inputs {
        project_name: req.project_name.clone(),
        package_name: req.package_name.clone(),
        cookie_secret: "0123456789abcdef".repeat(4),
        year: 2026,
        scaffold_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let engine = Engine::new(&loaded.source).unwrap();
    let request = Request {
        inputs: &inputs,
        defines: &req.defines,
        input: Input::Defaults,
        dest_label: "DEST",
    };
    let mut rendered = answer(&engine, &loaded.manifest, &request, &mut NoPrompt)
        .and_then(|answers| render::render(&loaded, &engine, &request, answers))
        .unwrap_or_else(|e| panic!("{template} {extra:?}: {e:#}"));
    // The answers file, as `new` writes it beside the rendered files.
    let record =
        crate::project::record::record_for(&loaded, &inputs, &rendered, &rendered.files, &req.dest)
            .unwrap();
    rendered
        .files
        .push(crate::project::record::record_file(&record));
    rendered
        .files
        .into_iter()
        .map(|f| (f.path, (f.contents, f.executable)))
        .collect()
}

fn shown(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => format!(
            "<binary: {} bytes, fnv1a {:016x}>",
            bytes.len(),
            bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
            })
        ),
    }
}

#[test]
fn every_file_of_every_template() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path(root().join("tests/integration/snapshots"));
    settings.set_omit_expression(true);
    let mut expected: BTreeSet<String> = BTreeSet::new();
    let names = crate::sources::embedded::names();
    assert!(!names.is_empty(), "no embedded templates");
    settings.bind(|| {
        for template in names {
            let vs = variants(template);
            assert_eq!(
                vs[0].0, "default",
                "{template}: first variant must be `default`"
            );
            let base = render(template, &vs[0].1);
            for (id, args) in &vs {
                let files = if id == "default" {
                    base.clone()
                } else {
                    render(template, args)
                };
                let listing: Vec<String> = files
                    .iter()
                    .map(|(p, (_, x))| format!("{} {p}", if *x { "755" } else { "644" }))
                    .collect();
                let name = format!("{template}@{id}@files");
                insta::assert_snapshot!(name.clone(), listing.join("\n"));
                expected.insert(name);
                for (path, (bytes, _)) in &files {
                    if id != "default" && base.get(path).map(|b| &b.0) == Some(bytes) {
                        continue;
                    }
                    let name = format!("{template}@{id}@{}", path.replace('/', "~"));
                    insta::assert_snapshot!(name.clone(), shown(bytes));
                    expected.insert(name);
                }
            }
        }
    });
    // Stale snapshots: any .snap file not asserted above fails the test.
    let dir = root().join("tests/integration/snapshots");
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if let Some(name) = file.strip_suffix(".snap")
            && !expected.contains(name)
        {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "unreferenced snapshots (delete them): {stale:?}"
    );
}

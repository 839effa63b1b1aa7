//! insta snapshots of every file of every embedded template.
//!
//! Each template is rendered with fixed built-ins (project name, secret, year) for its
//! `default` variant and for every other line of `tests/generated/<template>/variants.txt`,
//! the same variants CI runs for real. Every file of the default rendering is snapshotted; for
//! other variants, the files that differ from the default or appear only there. Each
//! rendering's sorted file list (with modes) is snapshotted as well. Stale snapshot files fail
//! the test, so none can linger unreviewed.

use std::collections::{BTreeMap, BTreeSet};

use scaffold::answers::{Input, Prompter};
use scaffold::app::{self, Fixed};
use scaffold::config::{Env, resolve_new};

use crate::fixture::root;

struct NoPrompt;
impl Prompter for NoPrompt {
    fn ask(&mut self, q: &str) -> anyhow::Result<Option<String>> {
        panic!("snapshot rendering must not prompt ({q})")
    }
    fn tell(&mut self, _: &str) {}
}

/// Parses variants.txt: (id, arguments).
pub fn variants(template: &str) -> Vec<(String, Vec<String>)> {
    let path = root().join(format!("tests/generated/{template}/variants.txt"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut words = shell_words(l);
            let id = words.remove(0);
            (id, words)
        })
        .collect()
}

/// Splits on spaces, honouring single and double quotes (enough for variants.txt).
fn shell_words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, ' ' | '\t') => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn render(template: &str, extra: &[String]) -> BTreeMap<String, (Vec<u8>, bool)> {
    use clap::Parser;
    let mut argv: Vec<String> = vec!["scaffold".into(), "new".into(), template.into()];
    argv.push(format!("{template}-demo"));
    argv.extend(extra.iter().cloned());
    argv.push("--no-input".into());
    let args = match scaffold::cli::Cli::try_parse_from(&argv).unwrap().command {
        scaffold::cli::Command::New(a) => a,
        _ => unreachable!(),
    };
    let env = Env {
        stdin_is_tty: false,
        cwd: root().to_path_buf(),
    };
    let req = resolve_new(&args, &env, &mut || unreachable!()).unwrap();
    let loaded = app::load(&scaffold::registry::Registry::default(), template).unwrap();
    let fixed = Fixed {
        cookie_secret: Some("0123456789abcdef".repeat(4)),
        year: Some(2026),
    };
    let builtins = app::builtins(&req, &fixed).unwrap();
    let rendered = app::render(
        &loaded,
        builtins,
        &req.defines,
        Input::Defaults,
        &mut NoPrompt,
        "DEST",
    )
    .unwrap_or_else(|e| panic!("{template} {extra:?}: {e:#}"));
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
            bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
                (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
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
    let names = scaffold::registry::names();
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
        if let Some(name) = file.strip_suffix(".snap") {
            if !expected.contains(name) {
                stale.push(file);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "unreferenced snapshots (delete them): {stale:?}"
    );
}

#[test]
fn shell_words_split_like_the_shell() {
    assert_eq!(shell_words("a -d x=1"), vec!["a", "-d", "x=1"]);
    assert_eq!(
        shell_words(r#"b --name "My Site" -d 'k=a b'"#),
        vec!["b", "--name", "My Site", "-d", "k=a b"]
    );
    assert_eq!(shell_words("c -d x=''"), vec!["c", "-d", "x="]);
}

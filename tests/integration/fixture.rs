//! A small builder for template directories and helpers to run the real binary.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;

#[path = "../../src/tests/words.rs"]
mod words;
pub(crate) use words::shell_words;

/// The `scaffold` binary under test, with colour and the user's environment kept out.
pub(crate) fn scaffold() -> Command {
    let mut cmd = Command::cargo_bin("scaffold").unwrap();
    cmd.env_remove("NO_COLOR").env("NO_COLOR", "1");
    cmd
}

/// A temporary directory holding templates, destinations and a canary; and, apart from it,
/// the user's own state directory (`SCAFFOLD_STATE_DIR`: the key that marks journals).
pub(crate) struct Fixture {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) state_dir: tempfile::TempDir,
}

impl Fixture {
    pub(crate) fn new() -> Fixture {
        let fx = Fixture {
            dir: tempfile::tempdir().unwrap(),
            state_dir: tempfile::tempdir().unwrap(),
        };
        // A canary beside every destination: it must never change.
        fx.write("canary/keep.txt", "do not touch\n");
        fx
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub(crate) fn write(&self, rel: &str, contents: &str) -> PathBuf {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, contents).unwrap();
        p
    }

    /// A template directory `name` with a manifest and files.
    pub(crate) fn template(&self, name: &str, manifest: &str, files: &[(&str, &str)]) -> PathBuf {
        self.write(&format!("{name}/template.toml"), manifest);
        for (rel, contents) in files {
            self.write(&format!("{name}/{rel}"), contents);
        }
        self.path(name)
    }

    /// `scaffold` run inside the fixture directory.
    pub(crate) fn run(&self) -> Command {
        let mut cmd = scaffold();
        // The cache of git templates and the user's state are the fixture's, never the user's.
        cmd.current_dir(self.dir.path())
            .env("SCAFFOLD_CACHE_DIR", self.path("cache"))
            .env("SCAFFOLD_STATE_DIR", self.state_dir.path());
        cmd
    }

    /// Every file below `rel` (sorted, relative), for "nothing written" assertions.
    pub(crate) fn tree(&self, rel: &str) -> Vec<String> {
        let root = self.path(rel);
        if !root.exists() {
            return Vec::new();
        }
        let mut out: Vec<String> = walkdir::WalkDir::new(&root)
            .into_iter()
            .flatten()
            .filter(|e| e.path() != root)
            .map(|e| e.path().strip_prefix(&root).unwrap().display().to_string())
            .collect();
        out.sort();
        out
    }

    /// Everything at the top of the fixture except templates: destinations and leftovers.
    pub(crate) fn top(&self) -> Vec<String> {
        let mut out: Vec<String> = fs::read_dir(self.dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        out.sort();
        out
    }

    pub(crate) fn assert_canary(&self) {
        assert_eq!(
            fs::read_to_string(self.path("canary/keep.txt")).unwrap(),
            "do not touch\n"
        );
        assert_eq!(self.tree("canary"), vec!["keep.txt".to_string()]);
    }
}

/// The repository root.
pub(crate) fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The embedded templates' names, as `scaffold list --json` gives them.
pub(crate) fn embedded_names() -> Vec<String> {
    let out = scaffold().args(["list", "--json"]).output().unwrap();
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .filter(|t| t["origin"] == "embedded")
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

pub(crate) const MANIFEST: &str = r#"
name = "t"
description = "d"
follows = "f"

[[variables]]
name = "dir"
type = "string"
default = "sub"

[[variables]]
name = "value"
type = "string"
default = "v"
"#;

/// A template `t` with a rendered directory name and a rendered file.
pub(crate) fn basic(fx: &Fixture) {
    fx.template(
        "t",
        MANIFEST,
        &[
            ("{{ dir }}/f.txt.tera", "value={{ value }}\n"),
            ("{{ project_name }}.txt", "plain\n"),
        ],
    );
}

/// A template `t` with this manifest and these files.
pub(crate) fn with(fx: &Fixture, manifest: &str, files: &[(&str, &str)]) {
    fx.template(
        "t",
        &format!("name = \"t\"\ndescription = \"d\"\nfollows = \"f\"\n{manifest}"),
        files,
    );
}

/// Every file and directory below the fixture (templates included), with contents.
pub(crate) fn state(root: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .flatten()
    {
        let rel = e.path().strip_prefix(root).unwrap().display().to_string();
        if rel.is_empty() {
            continue;
        }
        let contents = if e.file_type().is_file() {
            Some(fs::read(e.path()).unwrap())
        } else {
            None
        };
        out.insert(rel, contents);
    }
    out
}

/// Fails, naming the paths that differ, when the fixture is not as `before` found it.
pub(crate) fn assert_unchanged(
    before: &BTreeMap<String, Option<Vec<u8>>>,
    after: &BTreeMap<String, Option<Vec<u8>>>,
    what: &str,
) {
    let differ: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(differ.is_empty(), "{what} changed or left: {differ:?}");
}

/// Runs `scaffold ARGS` in the fixture and checks a refusal: exit code, culprit, nothing changed.
pub(crate) fn refused(fx: &Fixture, args: &[&str], code: i32, culprits: &[&str]) {
    let before = state(fx.dir.path());
    let start = Instant::now();
    let out = fx
        .run()
        .args(args)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}\nstderr: {stderr}");
    // A git source is named first (`template URL at REF (COMMIT)`), then the error.
    let error = match stderr.split_once('\n') {
        Some((first, rest)) if first.starts_with("template ") && first.ends_with(')') => rest,
        _ => &stderr,
    };
    assert!(error.starts_with("error: "), "{args:?}: {stderr}");
    for culprit in culprits {
        assert!(
            stderr.contains(culprit),
            "{args:?}: {culprit:?} not named in:\n{stderr}"
        );
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_unchanged(&before, &state(fx.dir.path()), &format!("{args:?}"));
    fx.assert_canary();
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{args:?} took {:?}",
        start.elapsed()
    );
}

/// Parses a command's stdout as JSON.
pub(crate) fn json(stdout: &[u8]) -> serde_json::Value {
    serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(stdout)))
}

/// `scaffold ARGS` in the fixture under `ulimit -v KIB` (so that a regression cannot take the
/// machine's memory), with its output.
#[cfg(unix)]
pub(crate) fn run_limited(fx: &Fixture, kib: u64, args: &[&str]) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("scaffold");
    std::process::Command::new("sh")
        .current_dir(fx.dir.path())
        .env("NO_COLOR", "1")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(&bin)
        .args(args)
        .output()
        .unwrap()
}

/// Runs `scaffold ARGS` in the fixture and expects success.
pub(crate) fn ok(fx: &Fixture, args: &[&str]) {
    let out = fx
        .run()
        .args(args)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    fx.assert_canary();
}

/// `git ARGS` in `dir` for setting up a test (scaffold itself is tested without it): none of
/// the caller's `GIT_*` variables or configuration, a test identity, `main` as the first
/// branch. Returns stdout, trimmed; fails the test when git fails.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = std::process::Command::new("git");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GIT_") {
            cmd.env_remove(key);
        }
    }
    let out = cmd
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(["-c", "user.name=T", "-c", "user.email=t@example.org"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git is needed for this test (CI installs it)");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

#[cfg(unix)]
pub(crate) fn rustix_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

pub(crate) const DEMO: &str = r#"
name = "demo"
description = "A demo template"
follows = "nothing in particular"
executable = ["run.sh"]
next_steps = "cd {{ dest }}\n./run.sh"

[[variables]]
name = "author"
type = "string"
default = "{{ project_name | title_case }} Team"
help = "who wrote it"

[[variables]]
name = "license"
type = "choice"
choices = ["MIT", "none"]
default = "MIT"
help = "the licence"

[[variables]]
name = "docker"
type = "bool"
default = false
help = "add a Dockerfile"

[[variables]]
name = "port"
type = "int"
default = 8000
regex = '[0-9]{4}'
when = "docker"
help = "the port"

[[computed]]
name = "class_name"
value = "{{ project_name | upper_camel_case }}"

[[conditional]]
when = "docker"
paths = ["Dockerfile.tera"]

[[conditional]]
when = "license != 'none'"
paths = ["LICENSE.tera"]
"#;

pub(crate) fn demo(fx: &Fixture) -> String {
    fx.template(
        "demo",
        DEMO,
        &[
            ("run.sh", "#!/bin/sh\necho run\n"),
            ("Dockerfile.tera", "FROM python:3.13-slim\nEXPOSE {{ port }}\n"),
            ("LICENSE.tera", "{{ license }} (c) {{ year }} {{ author }}\n"),
            (
                "README.md.tera",
                "# {{ project_name }}\r\n{{ class_name }} {{ package_name }} {{ project_slug }}\r\n{% raw %}{{ literal }}{% endraw %}",
            ),
            ("{{ package_name }}/page.html", "<p>{{ not_rendered }}</p>\n"),
            ("settings.py.tera", "COOKIE_SECRET = \"{{ cookie_secret }}\"\n"),
        ],
    );
    "./demo".to_string()
}

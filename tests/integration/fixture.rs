//! A small builder for template directories and helpers to run the real binary.

use std::fs;
use std::path::{Path, PathBuf};

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

/// A temporary directory holding templates, destinations and a canary.
pub(crate) struct Fixture {
    pub(crate) dir: tempfile::TempDir,
}

impl Fixture {
    pub(crate) fn new() -> Fixture {
        let fx = Fixture {
            dir: tempfile::tempdir().unwrap(),
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
        cmd.current_dir(self.dir.path());
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

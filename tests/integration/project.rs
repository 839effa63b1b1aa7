//! A project after `new`: its answers file, `status`, `diff`, `--data-file`, `--replay` and
//! `new --git`; and a hostile `.scaffold.toml` in a project cloned from someone else.

use std::fs;

use predicates::prelude::*;
use predicates::str::contains;

use crate::fixture::{Fixture, demo, git, json, ok, refused, state};

/// The answers file of two identical runs is byte-identical, and `status` is clean at once.
#[test]
fn the_answers_file_is_deterministic_and_status_starts_clean() {
    let fx = Fixture::new();
    let t = demo(&fx);
    ok(
        &fx,
        &["new", &t, "a", "--name", "Same", "-d", "docker=yes", "-q"],
    );
    ok(
        &fx,
        &["new", &t, "b", "--name", "Same", "-d", "docker=yes", "-q"],
    );
    let a = fs::read_to_string(fx.path("a/.scaffold.toml")).unwrap();
    let b = fs::read_to_string(fx.path("b/.scaffold.toml")).unwrap();
    // Each project draws its own secret: its id and the blob of the file holding it differ;
    // every other byte is the same (the unit tests render with a fixed secret and compare
    // whole files).
    let drawn = |l: &&str| l.starts_with("secret = ") || l.starts_with("\"settings.py\"");
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(la.len(), lb.len());
    for (x, y) in la.iter().zip(&lb) {
        if !drawn(x) {
            assert_eq!(x, y);
        }
    }
    let settings = fs::read_to_string(fx.path("a/settings.py")).unwrap();
    let secret = settings.split('"').nth(1).unwrap();
    assert_eq!(secret.len(), 64);
    assert!(
        !a.contains(secret),
        "the secret is written into .scaffold.toml"
    );
    assert_ne!(
        settings,
        fs::read_to_string(fx.path("b/settings.py")).unwrap()
    );
    for needle in [
        "format = 1",
        "source = \"path\"",
        "path = \"../demo\"",
        "docker = { type = \"bool\", value = true }",
        "port = { type = \"int\", value = 8000 }",
        "\"run.sh\" = { blob = \"",
        "from = \"run.sh\", exec = true }",
        "\"Dockerfile\" = { blob = \"",
    ] {
        assert!(a.contains(needle), "{needle:?} not in\n{a}");
    }
    let out = fx.run().args(["status", "a", "--json"]).output().unwrap();
    assert!(out.status.success());
    let status = json(&out.stdout);
    assert!(
        status["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["state"] == "unchanged")
    );
    assert_eq!(status["template"]["available"], true);
    fx.run()
        .args(["status", "a", "--exit-code"])
        .assert()
        .success();
}

/// Edited, deleted and added files: `status` reports the generated ones exactly (from a
/// subdirectory too), and `diff` shows the user's changes against what was generated.
#[test]
fn status_and_diff_after_edits() {
    let fx = Fixture::new();
    let t = demo(&fx);
    ok(&fx, &["new", &t, "p", "-q"]);
    fx.write("p/README.md", "# p\r\nchanged by hand\r\n");
    fs::remove_file(fx.path("p/run.sh")).unwrap();
    fx.write("p/mine.txt", "not generated\n");
    let out = fx
        .run()
        .current_dir(fx.path("p/p"))
        .args(["status"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "project p from template `demo` (../demo, ".to_string() + &lines[0][41..],
            "  the recorded template version is available".into(),
            "  unchanged LICENSE".into(),
            "  modified  README.md".into(),
            "  unchanged p/page.html".into(),
            "  deleted   run.sh".into(),
            "  unchanged settings.py".into(),
            "3 unchanged, 1 modified, 1 deleted".into(),
        ]
    );
    fx.run()
        .args(["status", "p", "--exit-code"])
        .assert()
        .code(1)
        .stderr("");
    let out = fx
        .run()
        .current_dir(fx.path("p"))
        .args(["diff"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "--- a/README.md\n+++ b/README.md\n@@ -1,3 +1,2 @@\n # p\\r\n-P p p\\r\n-{{ literal }}\n\\ \
         No newline at end of file\n+changed by hand\\r\n--- a/run.sh\n+++ /dev/null\n\
         @@ -1,2 +0,0 @@\n-#!/bin/sh\n-echo run\n"
    );
    // One file only, given relative to the current directory.
    let out = fx
        .run()
        .current_dir(fx.path("p"))
        .args(["diff", "run.sh"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("--- a/run.sh") && !text.contains("README"),
        "{text}"
    );
    // The project directory as the first argument.
    fx.run()
        .args(["diff", "p", "p/README.md"])
        .assert()
        .success()
        .stdout(contains("+changed by hand").and(contains("run.sh").not()));
}

/// A template changed since: `status` says so and `diff` lists the changed files without a
/// base it cannot reproduce.
#[test]
fn diff_says_when_the_recorded_version_is_gone() {
    let fx = Fixture::new();
    let t = demo(&fx);
    ok(&fx, &["new", &t, "p", "-q"]);
    fx.write("p/run.sh", "#!/bin/sh\necho mine\n");
    fx.write("demo/run.sh", "#!/bin/sh\necho v2\n");
    fx.run()
        .args(["status", "p"])
        .assert()
        .success()
        .stdout(contains(
            "missing template: template `demo` has changed since",
        ));
    fx.run()
        .args(["diff", "p"])
        .assert()
        .success()
        .stdout(contains(
            "modified  run.sh (no diff: template `demo` has changed since",
        ))
        .stderr(contains("listed without their diffs"));
}

/// `--data-file`: top-level keys or another project's `[answers]`, typed and checked like
/// `-d`, with `-d` winning; mistakes name the file and the key.
#[test]
fn values_from_a_data_file() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fx.write(
        "values.toml",
        "docker = true\nport = 9001\nlicense = \"none\"\n",
    );
    ok(
        &fx,
        &[
            "new",
            &t,
            "p",
            "--data-file",
            "values.toml",
            "-d",
            "port=9002",
            "-q",
        ],
    );
    assert_eq!(
        fs::read_to_string(fx.path("p/Dockerfile")).unwrap(),
        "FROM python:3.13-slim\nEXPOSE 9002\n"
    );
    assert!(
        !fx.path("p/LICENSE").exists(),
        "license = none from the file"
    );
    // Another project's answers file.
    ok(
        &fx,
        &["new", &t, "q", "--data-file", "p/.scaffold.toml", "-q"],
    );
    assert_eq!(
        fs::read_to_string(fx.path("q/Dockerfile")).unwrap(),
        "FROM python:3.13-slim\nEXPOSE 9002\n"
    );
    for (contents, want) in [
        (
            "dockr = true\n",
            "--data-file `bad.toml`: template `demo` has no variable `dockr`; did you mean `docker`?",
        ),
        (
            "docker = \"maybe\"\n",
            "--data-file `bad.toml`: `docker` = `maybe`: expected a bool",
        ),
        (
            "port = 80\ndocker = true\n",
            "`port` = `80`: does not match the rule `[0-9]{4}`",
        ),
        (
            "port = [1]\n",
            "--data-file `bad.toml`: `port`: expected a string, a bool or an integer",
        ),
        (
            "docker = true\n\nport = \n",
            "--data-file `bad.toml`: not valid TOML at line 3, column 8",
        ),
    ] {
        fx.write("bad.toml", contents);
        refused(
            &fx,
            &["new", &t, "x", "--data-file", "bad.toml"],
            2,
            &[want],
        );
    }
    refused(
        &fx,
        &["new", &t, "x", "--data-file", "nope.toml"],
        2,
        &["--data-file `nope.toml`: cannot open it"],
    );
}

/// `--replay`: the same template and answers as an existing project, into a new destination:
/// the same files, secret aside.
#[test]
fn replay_gives_the_same_files() {
    let fx = Fixture::new();
    let t = demo(&fx);
    ok(
        &fx,
        &[
            "new",
            &t,
            "orig",
            "--name",
            "Orig",
            "-d",
            "docker=yes",
            "-d",
            "port=9100",
            "-q",
        ],
    );
    ok(&fx, &["new", "--replay", "orig", "again", "-q"]);
    let files = |d: &str| -> Vec<(String, Vec<u8>)> {
        fx.tree(d)
            .into_iter()
            .filter(|p| fx.path(&format!("{d}/{p}")).is_file())
            .map(|p| {
                let bytes = fs::read(fx.path(&format!("{d}/{p}"))).unwrap();
                (p, bytes)
            })
            .collect()
    };
    let (a, b) = (files("orig"), files("again"));
    assert_eq!(a.len(), b.len());
    for ((pa, ba), (pb, bb)) in a.iter().zip(&b) {
        assert_eq!(pa, pb);
        // The secret is drawn anew: it, and the answers file's record of it, differ.
        if pa != "settings.py" && pa != ".scaffold.toml" {
            assert_eq!(ba, bb, "{pa} differs");
        }
    }
    assert_ne!(
        fs::read(fx.path("orig/settings.py")).unwrap(),
        fs::read(fx.path("again/settings.py")).unwrap(),
        "a new project gets its own secret"
    );
}

/// A hostile `.scaffold.toml` (from a cloned project): one clear error naming the key, nothing
/// read or written outside the project, never a panic.
#[cfg(unix)]
#[test]
fn a_hostile_answers_file_is_refused() {
    let fx = Fixture::new();
    let t = demo(&fx);
    ok(&fx, &["new", &t, "p", "-q"]);
    let good = fs::read_to_string(fx.path("p/.scaffold.toml")).unwrap();
    for (text, culprit) in [
        (
            good.replace("\"LICENSE\" =", "\"../canary/keep.txt\" ="),
            "`files.../canary/keep.txt`",
        ),
        (
            good.replace("\"LICENSE\" =", "\"/etc/passwd\" ="),
            "`files./etc/passwd`",
        ),
        (
            good.replace("\"LICENSE\" =", "\".git/config\" ="),
            "version-control",
        ),
        (
            good.replace("format = 1", "format = 2"),
            "`format`: 2 is not a format",
        ),
        (good.replace("year = ", "year = \"x\" #"), "`project.year`"),
        (
            format!("{good}\n[hooks]\npost = \"rm -rf /\"\n"),
            "`hooks`: unknown key",
        ),
        (
            format!("# {}\n{good}", "x".repeat(5 * 1024 * 1024)),
            "larger than 4 MiB",
        ),
    ] {
        fs::write(fx.path("p/.scaffold.toml"), &text).unwrap();
        for cmd in ["status", "diff"] {
            refused(&fx, &[cmd, "p"], 1, &[culprit]);
        }
        refused(&fx, &["new", "--replay", "p", "q"], 1, &[culprit]);
    }
    // A generated folder replaced by a symlink to outside: its files are not read there (the
    // file counts as modified: what stands there is not what scaffold wrote).
    fs::write(fx.path("p/.scaffold.toml"), &good).unwrap();
    fs::remove_dir_all(fx.path("p/p")).unwrap();
    std::os::unix::fs::symlink(fx.path("canary"), fx.path("p/p")).unwrap();
    fx.write("canary/page.html", "outside\n");
    let before = state(fx.dir.path());
    fx.run()
        .args(["status", "p"])
        .assert()
        .success()
        .stdout(contains("modified  p/page.html"));
    fx.run()
        .args(["diff", "p"])
        .assert()
        .success()
        .stdout(contains("outside").not());
    assert_eq!(state(fx.dir.path()), before);
}

#[test]
fn status_outside_a_project_is_a_usage_error() {
    let fx = Fixture::new();
    fx.run()
        .args(["status", "canary"])
        .assert()
        .code(2)
        .stderr(contains("is not in a project made by scaffold"));
}

/// `scaffold` with a home of its own: a git identity (or none), nothing else from the user.
fn with_home(fx: &Fixture, identity: bool) -> assert_cmd::Command {
    let home = fx.path("home");
    fs::create_dir_all(&home).unwrap();
    let config = if identity {
        "[user]\n\tname = Ada Lovelace\n\temail = ada@example.org\n[core]\n\thooksPath = /nonexistent\n"
    } else {
        "[core]\n\tautocrlf = false\n"
    };
    fs::write(home.join(".gitconfig"), config).unwrap();
    let mut cmd = fx.run();
    cmd.env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    // The identity git would take from the environment is the test's to give.
    for var in [
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_AUTHOR_DATE",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_COMMITTER_DATE",
        "EMAIL",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Item 7b of issue 22: `new --git` takes its identity as git does, from the environment too,
/// as CI sets it: `GIT_CONFIG_GLOBAL` names the global configuration file (in place of
/// `~/.gitconfig`), and `GIT_AUTHOR_*` / `GIT_COMMITTER_*` win over the configuration.
#[test]
fn new_git_takes_the_identity_git_would() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fx.write(
        "ci.gitconfig",
        "[user]\n\tname = CI Config\n\temail = ci@example.org\n",
    );
    with_home(&fx, true)
        .env("GIT_CONFIG_GLOBAL", fx.path("ci.gitconfig"))
        .args(["new", &t, "p", "--git", "-q"])
        .assert()
        .success();
    assert_eq!(
        git(&fx.path("p"), &["log", "--format=%an <%ae>|%cn <%ce>"]),
        "CI Config <ci@example.org>|CI Config <ci@example.org>"
    );
    // No identity in any configuration, all of it in the environment (a CI runner).
    with_home(&fx, false)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ci Author")
        .env("GIT_AUTHOR_EMAIL", "author@ci.example")
        .env("GIT_COMMITTER_NAME", "Ci Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@ci.example")
        .env("GIT_AUTHOR_DATE", "2026-01-02T03:04:05Z")
        .args(["new", &t, "q", "--git", "-q"])
        .assert()
        .success();
    assert_eq!(
        git(&fx.path("q"), &["log", "--format=%an <%ae>|%cn <%ce>|%aI"]),
        "Ci Author <author@ci.example>|Ci Committer <committer@ci.example>|2026-01-02T03:04:05Z"
    );
    // The environment wins over the configuration, field by field.
    with_home(&fx, true)
        .env("GIT_COMMITTER_EMAIL", "bot@ci.example")
        .args(["new", &t, "r", "--git", "-q"])
        .assert()
        .success();
    assert_eq!(
        git(&fx.path("r"), &["log", "--format=%an <%ae>|%cn <%ce>"]),
        "Ada Lovelace <ada@example.org>|Ada Lovelace <bot@ci.example>"
    );
    // GIT_CONFIG_GLOBAL=/dev/null: no global configuration, as git reads it.
    with_home(&fx, true)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["new", &t, "s", "--git"])
        .assert()
        .code(1)
        .stderr(contains("user.name"));
    assert!(!fx.path("s").exists());
}

/// `new --git`: a repository whose one commit holds exactly the generated files (the answers
/// file too) but the one holding the cookie secret (`settings.py` here), by the user's git
/// identity; the secret is nowhere in the repository, and the file left out is named. Works
/// without git installed.
#[test]
fn new_git_makes_a_first_commit() {
    let fx = Fixture::new();
    let t = demo(&fx);
    with_home(&fx, true)
        .args(["new", &t, "p", "--git"])
        .assert()
        .success()
        .stdout(contains("Initialised a git repository; first commit"))
        .stdout(contains(
            "Left out of it, as they hold the cookie secret: `settings.py`.",
        ));
    let p = fx.path("p");
    // The demo template has no .gitignore for it: git sees it as untracked, not committed.
    assert_eq!(git(&p, &["status", "--porcelain"]), "?? settings.py");
    let settings = std::fs::read_to_string(p.join("settings.py")).unwrap();
    let secret = settings.split('"').nth(1).unwrap();
    assert_eq!(secret.len(), 64);
    let objects = git(&p, &["cat-file", "--batch-all-objects", "--batch"]);
    assert!(!objects.contains(secret), "the secret is in the repository");
    assert_eq!(
        git(&p, &["log", "--format=%an <%ae>|%s"]),
        "Ada Lovelace <ada@example.org>|Initial commit from template demo (scaffold 0.1.0)"
    );
    let committed = git(&p, &["ls-files"]);
    let mut want: Vec<String> = fx
        .tree("p")
        .into_iter()
        .filter(|f| !f.starts_with(".git") || f == ".scaffold.toml")
        .filter(|f| fx.path(&format!("p/{f}")).is_file() && f != "settings.py")
        .collect();
    want.sort();
    assert_eq!(committed.lines().collect::<Vec<_>>(), want);
    assert!(committed.contains(".scaffold.toml"));
    assert_eq!(
        git(&p, &["ls-files", "-s", "run.sh"]).split(' ').next(),
        Some("100755")
    );
    // Without git on PATH: the same, in process.
    with_home(&fx, true)
        .env("PATH", "")
        .args(["new", &t, "q", "--git", "-q"])
        .assert()
        .success();
    assert_eq!(
        git(&fx.path("q"), &["status", "--porcelain"]),
        "?? settings.py"
    );
}

/// `new --git` of every embedded template: its cookie secret is in the git-ignored `.env`, so
/// the first commit holds no copy of it in any object, and the working tree is clean.
#[test]
fn new_git_of_each_embedded_template_commits_no_secret() {
    let fx = Fixture::new();
    for t in ["flat", "package", "apps", "blog", "chat"] {
        with_home(&fx, true)
            .args(["new", t, t, "--git", "--no-input", "-q"])
            .assert()
            .success();
        let p = fx.path(t);
        let env = std::fs::read_to_string(p.join(".env")).unwrap();
        let secret = env
            .lines()
            .find_map(|l| l.strip_prefix("COOKIE_SECRET="))
            .unwrap_or_else(|| panic!("{t}: no COOKIE_SECRET in .env: {env}"));
        assert_eq!(secret.len(), 64, "{t}");
        assert_eq!(git(&p, &["status", "--porcelain"]), "", "{t}: a clean tree");
        assert!(!git(&p, &["ls-files"]).lines().any(|f| f == ".env"), "{t}");
        let objects = git(&p, &["cat-file", "--batch-all-objects", "--batch"]);
        assert!(
            !objects.contains(secret),
            "{t}: the secret is in the repository"
        );
    }
}

/// `new --git` inside an existing work tree is refused (as cargo new does), and without a git
/// identity it fails before writing anything.
#[test]
fn new_git_refusals() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fs::create_dir(fx.path("repo")).unwrap();
    git(&fx.path("repo"), &["init", "-q"]);
    let mut cmd = with_home(&fx, true);
    let before = state(fx.dir.path());
    cmd.args(["new", &t, "repo/sub/p", "--git"])
        .assert()
        .code(2)
        .stderr(contains("is inside the git work tree").and(contains("repo")));
    crate::fixture::assert_unchanged(&before, &state(fx.dir.path()), "a refused --git");
    // GIT_CONFIG_NOSYSTEM: a machine-wide identity in /etc/gitconfig must not count here.
    with_home(&fx, false)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["new", &t, "p", "--git"])
        .assert()
        .code(1)
        .stderr(contains("user.name").and(contains("user.email")));
    assert!(!fx.path("p").exists(), "nothing is left half-done");
}

/// Issue 19, item 11: `--data-file` opens its file without following a symlink at its name
/// (the one in a cloned project may point anywhere), and reads only a regular file: a FIFO is
/// refused at once instead of blocking.
#[cfg(unix)]
#[test]
fn a_data_file_is_never_read_through_a_symlink() {
    let fx = Fixture::new();
    let t = demo(&fx);
    ok(&fx, &["new", &t, "p", "-q"]);
    fx.write("outside/values.toml", "license = \"none\"\n");
    std::os::unix::fs::symlink("../outside/values.toml", fx.path("p/link.toml")).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(fx.path("p/fifo.toml"))
        .status()
        .unwrap();
    assert!(fifo.success());
    for (args, culprit) in [
        (
            &["update", "p", "--data-file", "p/link.toml"][..],
            "--data-file `p/link.toml`: it is a symlink",
        ),
        (
            &["new", &t, "q", "--data-file", "p/link.toml"],
            "--data-file `p/link.toml`: it is a symlink",
        ),
        (
            &["update", "p", "--data-file", "p/fifo.toml"],
            "--data-file `p/fifo.toml`: it is not a regular file",
        ),
    ] {
        refused(&fx, args, 2, &[culprit]);
    }
    assert!(fx.path("p/LICENSE").exists());
}

/// Issue 19, item 12: a record may not list scaffold's own paths (anything in `.scaffold/`, in
/// any letter case, or the answers file): one problem naming the key, before anything is read
/// or written (an update would otherwise plan to remove its own backups).
#[test]
fn a_record_cannot_list_scaffolds_own_paths() {
    let fx = Fixture::new();
    let t = demo(&fx);
    ok(&fx, &["new", &t, "p", "-q"]);
    let good = fs::read_to_string(fx.path("p/.scaffold.toml")).unwrap();
    let line = good
        .lines()
        .find(|l| l.starts_with("\"LICENSE\" = "))
        .unwrap()
        .to_string();
    for (path, culprit) in [
        (
            ".scaffold/backup/1/LICENSE",
            "`files..scaffold/backup/1/LICENSE`",
        ),
        (".Scaffold/journal", "`files..Scaffold/journal`"),
        (".SCAFFOLD.toml", "`files..SCAFFOLD.toml`"),
    ] {
        let planted = line.replacen("\"LICENSE\"", &format!("\"{path}\""), 1);
        fs::write(
            fx.path("p/.scaffold.toml"),
            good.replacen(&line, &format!("{line}\n{planted}"), 1),
        )
        .unwrap();
        for args in [&["status", "p"][..], &["update", "p", "-d", "license=none"]] {
            refused(&fx, args, 1, &[culprit, "scaffold keeps for itself"]);
        }
    }
}

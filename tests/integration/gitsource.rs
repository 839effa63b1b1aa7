//! Templates from git repositories, offline: work trees and bare repositories made here with
//! the git CLI, fetched over `file://`. Refs and the default rule, `--subdir`, local
//! repositories read in place, updates to a newer tag, the cache, credentials, and
//! repositories that try to run programs or put anything but regular files into a project.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use predicates::prelude::*;
use predicates::str::contains;

use crate::fixture::{Fixture, git, refused, state};

const MANIFEST: &str = "name = \"house\"\ndescription = \"d\"\nfollows = \"f\"\n";

/// A template repository: a work tree at `house`, published to the bare `repo.git`.
struct Repo {
    work: PathBuf,
    bare: PathBuf,
}

impl Repo {
    fn new(fx: &Fixture) -> Repo {
        let work = fx.path("house");
        fs::create_dir_all(&work).unwrap();
        git(&work, &["init", "-q"]);
        let bare = fx.path("repo.git");
        Repo { work, bare }
    }

    /// Writes files (a `None` deletes one), commits them all; returns the commit id.
    fn commit(&self, files: &[(&str, Option<&str>)]) -> String {
        for (rel, contents) in files {
            let p = self.work.join(rel);
            match contents {
                Some(c) => {
                    fs::create_dir_all(p.parent().unwrap()).unwrap();
                    fs::write(&p, c).unwrap();
                }
                None => fs::remove_file(&p).unwrap(),
            }
        }
        git(&self.work, &["add", "-A"]);
        git(&self.work, &["commit", "-q", "-m", "change"]);
        git(&self.work, &["rev-parse", "HEAD"])
    }

    /// Makes the bare repository hold exactly the work tree's refs (tags moved, refs removed).
    fn publish(&self) {
        if !self.bare.exists() {
            let (from, to) = (self.work.to_str().unwrap(), self.bare.to_str().unwrap());
            git(
                self.work.parent().unwrap(),
                &["clone", "-q", "--bare", from, to],
            );
        }
        let to = self.bare.to_str().unwrap();
        git(&self.work, &["push", "-q", "--force", "--mirror", to]);
    }

    fn url(&self) -> String {
        format!("file://{}", self.bare.display())
    }
}

/// `scaffold` in the fixture with the cache in it.
fn run(fx: &Fixture) -> assert_cmd::Command {
    let mut cmd = fx.run();
    cmd.env("SCAFFOLD_CACHE_DIR", fx.path("cache"))
        .timeout(Duration::from_mins(1));
    cmd
}

fn new_ok(fx: &Fixture, args: &[&str]) -> String {
    let out = run(fx)
        .arg("new")
        .args(args)
        .arg("--no-input")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "new {args:?}: {stderr}");
    stderr
}

fn read(fx: &Fixture, rel: &str) -> String {
    fs::read_to_string(fx.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The `[template]` lines of a project's answers file that name the source.
fn source_lines(fx: &Fixture, project: &str) -> Vec<String> {
    read(fx, &format!("{project}/.scaffold.toml"))
        .lines()
        .filter(|l| {
            [
                "source", "url", "path", "ref", "resolved", "commit", "subdir",
            ]
            .iter()
            .any(|k| l.starts_with(&format!("{k} = ")))
        })
        .map(str::to_string)
        .collect()
}

/// A template whose `a.txt` says which version it is.
fn version(which: &str) -> [(&'static str, Option<String>); 2] {
    [
        ("template.toml", Some(MANIFEST.to_string())),
        (
            "a.txt.tera",
            Some(format!("{which} {{{{ project_name }}}}\n")),
        ),
    ]
}

fn commit_version(repo: &Repo, which: &str) -> String {
    let files = version(which);
    let files: Vec<(&str, Option<&str>)> = files.iter().map(|(p, c)| (*p, c.as_deref())).collect();
    repo.commit(&files)
}

/// Every kind of ref, and the default rule: the highest semver tag (pre-releases only with
/// --pre), else the default branch. The first line names the source, the ref and the commit;
/// the answers file records them.
#[test]
fn refs_and_the_default_rule() {
    let fx = Fixture::new();
    let repo = Repo::new(&fx);
    let c1 = commit_version(&repo, "one");
    repo.publish();
    let url = repo.url();
    let stderr = new_ok(&fx, &[&url, "p0"]);
    assert!(
        stderr.starts_with(&format!("template {url} at main ({})\n", &c1[..7])),
        "{stderr}"
    );
    assert_eq!(read(&fx, "p0/a.txt"), "one p0\n");

    git(&repo.work, &["tag", "v1.0.0"]);
    let c2 = commit_version(&repo, "two");
    git(&repo.work, &["tag", "-a", "v1.1.0", "-m", "release"]);
    let c3 = commit_version(&repo, "three");
    git(&repo.work, &["tag", "v2.0.0-rc.1"]);
    git(&repo.work, &["tag", "latest"]);
    repo.publish();

    let stderr = new_ok(&fx, &[&url, "p1"]);
    assert!(stderr.starts_with(&format!("template {url} at v1.1.0 ({})\n", &c2[..7])));
    assert_eq!(read(&fx, "p1/a.txt"), "two p1\n");
    assert_eq!(
        source_lines(&fx, "p1"),
        [
            "source = \"git\"".to_string(),
            format!("url = \"{url}\""),
            "resolved = \"v1.1.0\"".to_string(),
            format!("commit = \"{c2}\""),
            "subdir = \"\"".to_string(),
        ]
    );
    new_ok(&fx, &[&url, "p2", "--pre"]);
    assert_eq!(read(&fx, "p2/a.txt"), "three p2\n");
    for (reference, project, want) in [
        ("v1.0.0", "p3", "one"),
        ("main", "p4", "three"),
        (c1.as_str(), "p5", "one"),
        (&c1[..7], "p6", "one"),
        ("v2.0.0-rc.1", "p7", "three"),
    ] {
        let stderr = new_ok(&fx, &[&url, project, "--ref", reference]);
        assert!(stderr.contains(&format!(" at {reference} (")), "{stderr}");
        assert_eq!(
            read(&fx, &format!("{project}/a.txt")),
            format!("{want} {project}\n")
        );
        let lines = source_lines(&fx, project);
        assert!(
            lines.contains(&format!("ref = \"{reference}\"")),
            "{lines:?}"
        );
    }
    assert!(source_lines(&fx, "p4").contains(&format!("commit = \"{c3}\"")));
    // `-q` prints nothing on success, the source line included.
    let quiet = new_ok(&fx, &[&url, "pq", "-q"]);
    assert_eq!(quiet, "");
    assert_eq!(read(&fx, "pq/a.txt"), "two pq\n");
    // A ref that is not there, and one the default rule cannot find: one clear error each.
    run(&fx)
        .args(["new", &url, "px", "--ref", "v9.9.9", "--no-input"])
        .assert()
        .code(2)
        .stderr(contains("v9.9.9"));
    assert!(!fx.path("px").exists());

    // `info` and `check` take a git source too; `status` names it; `--replay` asks again.
    run(&fx)
        .args(["info", &url, "--ref", "v1.0.0"])
        .assert()
        .success()
        .stdout(contains(format!("from: {url} at v1.0.0 ({})", &c1[..7])));
    run(&fx).args(["check", &url]).assert().success();
    run(&fx)
        .current_dir(fx.path("p3"))
        .arg("status")
        .assert()
        .success()
        .stdout(contains(format!("{url} at v1.0.0")));
    run(&fx)
        .args(["new", "--replay", "p3", "p8", "--no-input"])
        .assert()
        .success();
    assert!(read(&fx, "p8/a.txt").starts_with("one "));
    // Git-only options without a git source are refused.
    for flag in ["--subdir=x", "--offline", "--pre"] {
        refused(
            &fx,
            &["new", "src", "q", flag],
            2,
            &[flag.split('=').next().unwrap()],
        );
    }
}

/// `--subdir` picks one template of several; a missing one, or one that leaves the
/// repository, is one clear error and nothing is written.
#[test]
fn subdirectories() {
    let fx = Fixture::new();
    let repo = Repo::new(&fx);
    repo.commit(&[
        ("api/template.toml", Some(MANIFEST)),
        ("api/a.txt", Some("api\n")),
        ("web/template.toml", Some(MANIFEST)),
        ("web/deep/w.txt", Some("web\n")),
    ]);
    repo.publish();
    let url = repo.url();
    new_ok(&fx, &[&url, "p", "--subdir", "web"]);
    assert_eq!(read(&fx, "p/deep/w.txt"), "web\n");
    assert!(!fx.path("p/a.txt").exists());
    assert!(source_lines(&fx, "p").contains(&"subdir = \"web\"".to_string()));
    for (args, culprit) in [
        (vec!["new", &url, "q"], "template.toml"),
        (vec!["new", &url, "q", "--subdir", "nope"], "nope"),
        (vec!["new", &url, "q", "--subdir", "../web"], ".."),
    ] {
        let out = run(&fx).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(culprit),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"));
        assert!(!fx.path("q").exists());
    }
}

/// A local repository with --ref is read from its objects at that ref: not its working files,
/// not its untracked ones. Without --ref the same directory is a directory template.
#[test]
fn a_local_repository_is_read_in_place_at_the_ref() {
    let fx = Fixture::new();
    let repo = Repo::new(&fx);
    commit_version(&repo, "one");
    git(&repo.work, &["tag", "v1.0.0"]);
    fs::write(repo.work.join("a.txt.tera"), "edited {{ project_name }}\n").unwrap();
    fs::write(repo.work.join("untracked.txt"), "u\n").unwrap();
    let before = state(&repo.work);
    let stderr = new_ok(&fx, &["./house", "p", "--ref", "v1.0.0"]);
    assert!(
        stderr.starts_with("template ./house at v1.0.0 ("),
        "{stderr}"
    );
    assert_eq!(read(&fx, "p/a.txt"), "one p\n");
    assert!(!fx.path("p/untracked.txt").exists());
    let lines = source_lines(&fx, "p");
    assert!(
        lines.contains(&"path = \"../house\"".to_string()),
        "{lines:?}"
    );
    assert!(
        !fx.path("cache").exists(),
        "a local repository needs no cache"
    );
    crate::fixture::assert_unchanged(&before, &state(&repo.work), "the template repository");
    new_ok(&fx, &["./house", "q"]);
    assert_eq!(read(&fx, "q/a.txt"), "edited q\n");
    assert!(source_lines(&fx, "q").contains(&"source = \"path\"".to_string()));
    // A bare repository by path, and a plain directory with --ref.
    repo.publish();
    new_ok(&fx, &["./repo.git", "r", "--ref", "v1.0.0"]);
    assert_eq!(read(&fx, "r/a.txt"), "one r\n");
    fx.template("plain", MANIFEST, &[]);
    refused(
        &fx,
        &["new", "./plain", "s", "--ref", "v1.0.0"],
        2,
        &["plain", "not a git repository"],
    );
}

fn update(fx: &Fixture, project: &str, args: &[&str]) -> String {
    let out = run(fx)
        .current_dir(fx.path(project))
        .arg("update")
        .arg("--no-input")
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "update {args:?}: {text}");
    text
}

/// Three lines; the template changes the last, the user the first.
const LINES: &str = "l1\nl2\nl3\n";

/// `update --ref` moves a project to a newer tag and keeps the user's edits; a project made
/// with the default rule follows it; one made at a ref stays there until asked.
#[test]
fn update_to_a_newer_tag_keeps_your_edits() {
    let fx = Fixture::new();
    let repo = Repo::new(&fx);
    repo.commit(&[
        ("template.toml", Some(MANIFEST)),
        ("a.txt", Some(LINES)),
        ("b.txt", Some("b\n")),
    ]);
    git(&repo.work, &["tag", "v1.0.0"]);
    repo.publish();
    let url = repo.url();
    new_ok(&fx, &[&url, "p", "--ref", "v1.0.0"]);
    new_ok(&fx, &[&url, "d"]);
    fs::write(fx.path("p/a.txt"), "mine\nl2\nl3\n").unwrap();
    fs::write(fx.path("d/a.txt"), "mine\nl2\nl3\n").unwrap();
    let c2 = repo.commit(&[("a.txt", Some("l1\nl2\nL3\n")), ("b.txt", Some("B\n"))]);
    git(&repo.work, &["tag", "v1.1.0"]);
    repo.publish();

    let out = update(&fx, "p", &[]);
    assert!(out.contains("at v1.0.0"), "{out}");
    assert_eq!(
        read(&fx, "p/b.txt"),
        "b\n",
        "a project made at a ref stays there"
    );
    let out = update(&fx, "p", &["--ref", "v1.1.0"]);
    assert!(
        out.contains("(v1.0.0) to house ") && out.contains(" (v1.1.0):"),
        "{out}"
    );
    assert_eq!(read(&fx, "p/a.txt"), "mine\nl2\nL3\n");
    assert_eq!(read(&fx, "p/b.txt"), "B\n");
    let lines = source_lines(&fx, "p");
    assert!(lines.contains(&"ref = \"v1.1.0\"".to_string()), "{lines:?}");
    assert!(lines.contains(&format!("commit = \"{c2}\"")), "{lines:?}");

    let out = update(&fx, "d", &["-q"]);
    assert_eq!(out, "", "-q prints nothing, the source line included");
    assert_eq!(
        read(&fx, "d/a.txt"),
        "mine\nl2\nL3\n",
        "the default rule moved on"
    );
    assert!(source_lines(&fx, "d").contains(&"resolved = \"v1.1.0\"".to_string()));
    // --ref on a project that is not from git is refused.
    fx.template("t", &MANIFEST.replace("house", "t"), &[]);
    run(&fx).args(["new", "./t", "e", "-q"]).assert().success();
    run(&fx)
        .current_dir(fx.path("e"))
        .args(["update", "--ref", "v1"])
        .assert()
        .code(2)
        .stderr(contains("--ref"));
}

/// A tag moved after generation: the base is the recorded commit, so the template's change
/// arrives and the user's edit stays (a base taken from the moved tag would drop the former).
#[test]
fn a_moved_tag_finds_its_base_in_the_recorded_commit() {
    let fx = Fixture::new();
    let repo = Repo::new(&fx);
    repo.commit(&[("template.toml", Some(MANIFEST)), ("a.txt", Some(LINES))]);
    git(&repo.work, &["tag", "stable"]);
    repo.publish();
    let url = repo.url();
    new_ok(&fx, &[&url, "p", "--ref", "stable"]);
    fs::write(fx.path("p/a.txt"), "mine\nl2\nl3\n").unwrap();
    repo.commit(&[("a.txt", Some("l1\nl2\nL3\n"))]);
    git(&repo.work, &["tag", "-f", "stable"]);
    repo.publish();
    let out = update(&fx, "p", &[]);
    assert!(!out.contains("note"), "the base was found: {out}");
    assert_eq!(read(&fx, "p/a.txt"), "mine\nl2\nL3\n");
}

/// The recorded commit gone upstream (history rewritten, pruned) and not in the cache: the
/// update says so and takes the base from the project's own git history instead.
#[test]
fn a_commit_gone_upstream_falls_back_to_the_projects_history() {
    let fx = Fixture::new();
    let repo = Repo::new(&fx);
    let c1 = repo.commit(&[("template.toml", Some(MANIFEST)), ("a.txt", Some(LINES))]);
    git(&repo.work, &["tag", "v1.0.0"]);
    repo.publish();
    let url = repo.url();
    new_ok(&fx, &[&url, "p"]);
    let p = fx.path("p");
    git(&p, &["init", "-q"]);
    git(&p, &["add", "-A"]);
    git(&p, &["commit", "-qm", "generated"]);
    fs::write(p.join("a.txt"), "mine\nl2\nl3\n").unwrap();
    git(&p, &["commit", "-qam", "mine"]);

    git(&repo.work, &["checkout", "-q", "--orphan", "rewritten"]);
    repo.commit(&[("a.txt", Some("l1\nl2\nL3\n"))]);
    git(&repo.work, &["branch", "-D", "main"]);
    git(&repo.work, &["branch", "-m", "main"]);
    git(&repo.work, &["tag", "-d", "v1.0.0"]);
    git(&repo.work, &["tag", "v2.0.0"]);
    repo.publish();
    git(&repo.bare, &["reflog", "expire", "--expire=now", "--all"]);
    git(&repo.bare, &["gc", "-q", "--prune=now"]);
    assert!(
        std::process::Command::new("git")
            .current_dir(&repo.bare)
            .args(["cat-file", "-e", &c1])
            .status()
            .is_ok_and(|s| !s.success()),
        "the commit is gone upstream"
    );
    run(&fx)
        .args(["cache", "clean"])
        .assert()
        .success()
        .stdout(contains("Removed 1"));
    let out = update(&fx, "p", &[]);
    assert!(
        out.contains(&c1[..12]) && out.contains("cannot be read"),
        "{out}"
    );
    assert_eq!(read(&fx, "p/a.txt"), "mine\nl2\nL3\n");
}

/// The cache: listed, used by --offline, rebuilt when broken, cleaned, and filled by two runs at
/// once without either failing or leaving anything behind.
#[test]
fn the_cache() {
    let fx = Fixture::new();
    let repo = Repo::new(&fx);
    commit_version(&repo, "one");
    git(&repo.work, &["tag", "v1.0.0"]);
    repo.publish();
    let url = repo.url();
    run(&fx)
        .args(["new", &url, "q", "--offline"])
        .assert()
        .code(1)
        .stderr(contains("is not in the cache").and(contains(&url)));
    // Two runs fill the empty cache at once.
    let spawn = |dest: &str| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("scaffold"));
        cmd.current_dir(fx.dir.path())
            .env("SCAFFOLD_CACHE_DIR", fx.path("cache"))
            .args(["new", &url, dest, "--no-input", "-q"])
            .stderr(std::process::Stdio::null());
        cmd.spawn().unwrap()
    };
    let (mut a, mut b) = (spawn("pa"), spawn("pb"));
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    assert_eq!(read(&fx, "pa/a.txt"), "one pa\n");
    assert_eq!(read(&fx, "pb/a.txt"), "one pb\n");
    let entries: Vec<String> = fx
        .tree("cache")
        .into_iter()
        .filter(|p| !p.contains('/'))
        .collect();
    assert_eq!(
        entries.len(),
        1,
        "one entry, no lock or temporary left: {entries:?}"
    );
    let out = run(&fx).args(["cache", "list", "--json"]).output().unwrap();
    let listed = crate::fixture::json(&out.stdout);
    assert_eq!(listed["repositories"][0]["url"], url.as_str());
    assert!(listed["repositories"][0]["bytes"].as_u64().unwrap() > 0);

    // Offline, with the repository gone: the cache alone.
    fs::rename(&repo.bare, fx.path("away.git")).unwrap();
    new_ok(&fx, &[&url, "p1", "--offline"]);
    assert_eq!(read(&fx, "p1/a.txt"), "one p1\n");
    run(&fx)
        .args(["new", &url, "p2"])
        .assert()
        .code(1)
        .stderr(contains("cannot fetch").and(contains(&url)));
    assert!(!fx.path("p2").exists());
    fs::rename(fx.path("away.git"), &repo.bare).unwrap();

    // A killed run's temporary entry is removed by the next run; `cache clean` removes any.
    let key = entries[0].trim_end_matches(".git");
    let killed = fx.path(&format!("cache/{key}.tmp-99999999"));
    fs::create_dir_all(&killed).unwrap();
    fs::write(killed.join("config"), "url = https://user:token@h/t.git\n").unwrap();
    let other = fx.path("cache/0000.tmp-99999998");
    fs::create_dir_all(&other).unwrap();
    new_ok(&fx, &[&url, "p0"]);
    assert!(!killed.exists(), "the killed run's entry is left");
    assert!(
        other.exists(),
        "another entry's leftover is for cache clean"
    );

    // A broken entry is made again.
    let entry = fx.path("cache").join(&entries[0]);
    fs::remove_dir_all(entry.join("objects")).unwrap();
    fs::write(entry.join("HEAD"), "garbage").unwrap();
    new_ok(&fx, &[&url, "p3"]);
    assert_eq!(read(&fx, "p3/a.txt"), "one p3\n");
    new_ok(&fx, &[&url, "p4", "--offline"]);

    run(&fx)
        .args(["cache", "list"])
        .assert()
        .success()
        .stdout(contains(&url));
    run(&fx)
        .args(["cache", "clean", "file:///elsewhere.git"])
        .assert()
        .code(1)
        .stderr(contains("not in the cache"));
    run(&fx)
        .args(["cache", "clean", &url])
        .assert()
        .success()
        .stdout(contains("Removed 1 cached repository."));
    assert!(other.exists());
    run(&fx).args(["cache", "clean"]).assert().success();
    assert!(
        !other.exists(),
        "cache clean removes a killed run's leftovers"
    );
    run(&fx)
        .args(["cache", "list"])
        .assert()
        .success()
        .stdout(contains("holds no repositories"));
}

/// Every file below `dir`, its bytes.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if e.file_type().is_file() {
            out.extend(fs::read(e.path()).unwrap());
            out.extend(e.path().to_string_lossy().as_bytes());
        }
    }
    out
}

/// A URL's credentials never reach a message, the answers file or the cache, and do not
/// change the cache entry.
#[test]
fn credentials_never_show() {
    let fx = Fixture::new();
    let repo = Repo::new(&fx);
    commit_version(&repo, "one");
    repo.publish();
    let plain = format!("file://localhost{}", repo.bare.display());
    let secret = format!("file://user:s3cr3t-token@localhost{}", repo.bare.display());
    let stderr = new_ok(&fx, &[&secret, "p"]);
    assert!(stderr.contains(&plain), "{stderr}");
    let lines = source_lines(&fx, "p");
    assert!(lines.contains(&format!("url = \"{plain}\"")), "{lines:?}");
    // A fetch (the entry exists now), and a failing one.
    new_ok(&fx, &[&secret, "q"]);
    let gone = format!(
        "file://user:s3cr3t-token@localhost{}/nothing.git",
        fx.dir.path().display()
    );
    let out = run(&fx).args(["new", &gone, "r"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let listed = run(&fx).args(["cache", "list"]).output().unwrap();
    new_ok(&fx, &[&plain, "s", "--offline"]);
    for (what, bytes) in [
        ("new", stderr.into_bytes()),
        ("a failed fetch", out.stderr.clone()),
        ("cache list", listed.stdout.clone()),
        ("the project", all_bytes(&fx.path("p"))),
        ("the cache", all_bytes(&fx.path("cache"))),
    ] {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("s3cr3t"),
            "the token shows in {what}: {text}"
        );
    }
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).lines().count(),
        1,
        "one entry"
    );
}

/// A script that appends to `marker` when anything runs it.
#[cfg(unix)]
fn trap(fx: &Fixture) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let marker = fx.path("marker");
    let script = fx.path("evil.sh");
    fs::write(
        &script,
        format!("#!/bin/sh\necho \"$0 $*\" >> '{}'\ncat\n", marker.display()),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    (marker, script)
}

/// A template repository whose configuration, hooks and attributes would run a script:
/// read in place and fetched over `file://`, nothing runs and the files are as committed.
/// The caller's `GIT_DIR`, `GIT_WORK_TREE` and `GIT_CONFIG_PARAMETERS` are ignored.
#[cfg(unix)]
#[test]
fn hostile_repositories_run_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    let (marker, script) = trap(&fx);
    let repo = Repo::new(&fx);
    repo.commit(&[
        ("template.toml", Some(MANIFEST)),
        ("a.txt", Some("as committed\n")),
        (".gitattributes", Some("* filter=x diff=x\n")),
    ]);
    git(&repo.work, &["tag", "v1.0.0"]);
    let hooks = fx.path("hooks");
    fs::create_dir_all(&hooks).unwrap();
    for hook in [
        "post-checkout",
        "pre-upload-pack",
        "post-merge",
        "reference-transaction",
        "pre-auto-gc",
    ] {
        for dir in [&hooks, &repo.work.join(".git/hooks")] {
            fs::copy(&script, dir.join(hook)).unwrap();
            fs::set_permissions(dir.join(hook), fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    let s = script.display();
    let config = repo.work.join(".git/config");
    let mut text = fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "[core]\n\tfsmonitor = {s}\n\thooksPath = {}\n\tsshCommand = {s}\n\tpager = {s}\n\
         [filter \"x\"]\n\tsmudge = {s}\n\tclean = {s}\n\tprocess = {s}\n[diff \"x\"]\n\ttextconv = {s}\n\
         [uploadpack]\n\tpackObjectsHook = {s}\n[credential]\n\thelper = !{s}\n",
        hooks.display()
    ));
    fs::write(&config, text).unwrap();
    // Another repository the environment points at.
    let other = fx.path("other");
    fs::create_dir_all(&other).unwrap();
    git(&other, &["init", "-q"]);
    fs::write(other.join("template.toml"), MANIFEST).unwrap();
    fs::write(other.join("a.txt"), "other\n").unwrap();
    git(&other, &["add", "-A"]);
    git(&other, &["commit", "-qm", "other"]);
    git(&other, &["tag", "v1.0.0"]);
    let url = format!("file://{}", repo.work.join(".git").display());
    for (args, dest) in [
        (vec!["./house", "p1", "--ref", "v1.0.0"], "p1"),
        (vec![url.as_str(), "p2"], "p2"),
    ] {
        let out = run(&fx)
            .arg("new")
            .args(&args)
            .arg("--no-input")
            .env("GIT_DIR", other.join(".git"))
            .env("GIT_WORK_TREE", &other)
            .env("GIT_CONFIG_PARAMETERS", format!("'core.fsmonitor'='{s}'"))
            .env("GIT_CONFIG_COUNT", "1")
            .env("GIT_CONFIG_KEY_0", "core.hooksPath")
            .env("GIT_CONFIG_VALUE_0", hooks.display().to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            read(&fx, &format!("{dest}/a.txt")),
            "as committed\n",
            "{args:?}"
        );
        assert!(
            !marker.exists(),
            "{args:?} ran a program: {}",
            fs::read_to_string(&marker).unwrap_or_default()
        );
    }
    // The trap is armed: git itself runs it.
    fs::remove_file(repo.work.join("a.txt")).unwrap();
    let _ = std::process::Command::new("git")
        .current_dir(&repo.work)
        .args(["checkout", "--", "a.txt"])
        .output();
    assert!(marker.exists(), "the trap did not fire for git itself");
}

/// Tree entries that are not regular files, or whose names could leave the project, are
/// refused naming the entry: read in place, and fetched (where git's own checks may refuse
/// first). Nothing is written.
#[test]
fn hostile_trees_are_refused() {
    let fx = Fixture::new();
    let repo = Repo::new(&fx);
    let w = &repo.work;
    repo.commit(&[("template.toml", Some(MANIFEST)), ("a.txt", Some("a\n"))]);
    let manifest = git(w, &["rev-parse", "HEAD:template.toml"]);
    let blob = git(w, &["rev-parse", "HEAD:a.txt"]);
    let head = git(w, &["rev-parse", "HEAD"]);
    let mktree = |entries: &str| {
        let out = std::process::Command::new("sh")
            .current_dir(w)
            .arg("-c")
            .arg(format!("printf '{entries}' | git mktree"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let inner = mktree(&format!("100644 blob {blob}\\tx\\n"));
    let cases = [
        (
            "symlink",
            format!("120000 blob {blob}\\tlink\\n"),
            "`link` is a symbolic link",
        ),
        (
            "submodule",
            format!("160000 commit {head}\\tvendor\\n"),
            "`vendor` is a submodule",
        ),
        ("dotgit", format!("040000 tree {inner}\\t.GIT\\n"), ".GIT"),
        ("dotdot", format!("100644 blob {blob}\\t..\\n"), ".."),
        (
            "ntfs",
            format!("040000 tree {inner}\\t.git::$INDEX_ALLOCATION\\n"),
            "version-control",
        ),
    ];
    for (tag, entry, culprit) in &cases {
        let tree = mktree(&format!("100644 blob {manifest}\\ttemplate.toml\\n{entry}"));
        let commit = git(w, &["commit-tree", &tree, "-m", tag]);
        git(w, &["tag", tag, &commit]);
        refused(
            &fx,
            &["new", "./house", "p", "--ref", tag, "--no-input"],
            1,
            &[culprit],
        );
    }
    repo.publish();
    for (tag, _, _) in &cases {
        let out = run(&fx)
            .args(["new", &repo.url(), "p", "--ref", tag, "--no-input"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.starts_with("error: "),
            "{tag}: {stderr}"
        );
        assert!(!fx.path("p").exists(), "{tag}");
    }
}

/// A URL or ref that git could read as an option or a transport that runs programs is refused
/// before any process starts.
#[cfg(unix)]
#[test]
fn injection_through_urls_and_refs_is_refused() {
    let fx = Fixture::new();
    let (marker, script) = trap(&fx);
    let s = script.display().to_string();
    let repo = Repo::new(&fx);
    commit_version(&repo, "one");
    repo.publish();
    let url = repo.url();
    let upload = format!("--upload-pack={s}");
    let ext = format!("ext::{s}");
    let proxy = format!("ssh://-oProxyCommand={s}/x.git");
    let spaced = format!("{url} --upload-pack={s}");
    let bad_ref = format!("--ref=--upload-pack={s}");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["new", "--", &upload, "p"], "--upload-pack"),
        (
            vec!["new", "--ref", "main", "--", &upload, "p"],
            "may not start with `-`",
        ),
        (
            vec!["new", &ext, "p", "--ref", "main"],
            "transport::address",
        ),
        (vec!["new", &proxy, "p"], "may not start with `-`"),
        // 19.12: the scp-like form and a port, too. Failed before: git was run.
        (
            vec!["new", "git@-Fevilcfg:repo.git", "p"],
            "may not start with `-`",
        ),
        (vec!["new", "ssh://host:-oProxyCommand=x/r", "p"], "port"),
        (vec!["new", &spaced, "p"], "spaces"),
        (vec!["new", "http://example.com/t.git", "p"], "plain http"),
        (vec!["new", &url, "p", &bad_ref], "--ref"),
        (vec!["new", &url, "p", "--ref", "main;touch x"], "not a tag"),
    ];
    for (args, culprit) in cases {
        refused(&fx, &args, 2, &[culprit]);
    }
    assert!(!marker.exists());
}

/// Without git on PATH: a local repository is still read in place; a fetch fails with one
/// sentence that says git is needed.
#[test]
fn without_git_local_repositories_still_work() {
    let fx = Fixture::new();
    let repo = Repo::new(&fx);
    commit_version(&repo, "one");
    git(&repo.work, &["tag", "v1.0.0"]);
    repo.publish();
    let empty = fx.path("empty-path");
    fs::create_dir_all(&empty).unwrap();
    run(&fx)
        .env("PATH", &empty)
        .args(["new", "./house", "p", "--ref", "v1.0.0", "--no-input"])
        .assert()
        .success();
    assert_eq!(read(&fx, "p/a.txt"), "one p\n");
    run(&fx)
        .env("PATH", &empty)
        .args(["new", &repo.url(), "q", "--no-input"])
        .assert()
        .code(1)
        .stderr(contains("git is needed to fetch").and(contains(repo.url())));
    assert!(!fx.path("q").exists());
}

/// `status` and `diff` read the cache only: an answers file that names another repository (a
/// project cloned from someone else) cannot make them contact it.
#[test]
fn status_and_diff_never_fetch() {
    let fx = Fixture::new();
    let repo = Repo::new(&fx);
    let c1 = commit_version(&repo, "one");
    repo.publish();
    new_ok(&fx, &[&repo.url(), "p"]);
    fs::write(fx.path("p/a.txt"), "edited\n").unwrap();
    let elsewhere = fx.path("elsewhere.git");
    fs::rename(&repo.bare, &elsewhere).unwrap();
    let record = fx.path("p/.scaffold.toml");
    let text = read(&fx, "p/.scaffold.toml").replace(
        &format!("url = \"{}\"", repo.url()),
        &format!("url = \"file://{}\"", elsewhere.display()),
    );
    fs::write(&record, text).unwrap();
    let before = fx.tree("cache");
    for cmd in ["status", "diff"] {
        let out = run(&fx)
            .current_dir(fx.path("p"))
            .arg(cmd)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{cmd}: {text}");
        assert!(
            text.contains(&c1[..12]) && text.contains("not in the cache"),
            "{cmd}: {text}"
        );
    }
    assert_eq!(fx.tree("cache"), before, "nothing was fetched");
}

/// A server that accepts and never answers does not hang scaffold: git is stopped at the
/// time limit and the run fails saying so.
#[test]
fn a_server_that_never_answers_is_given_up() {
    let fx = Fixture::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let start = std::time::Instant::now();
    run(&fx)
        .env("SCAFFOLD_GIT_TIMEOUT", "2")
        .args([
            "new",
            &format!("git://127.0.0.1:{port}/t.git"),
            "p",
            "--no-input",
        ])
        .assert()
        .code(1)
        .stderr(contains("took longer than 2 s"));
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
    assert!(!fx.path("p").exists());
    let leftovers: Vec<String> = fx
        .tree("cache")
        .into_iter()
        .filter(|p| !p.contains('/'))
        .collect();
    assert!(
        leftovers.iter().all(|p| !p.contains(".tmp-")),
        "{leftovers:?}"
    );
}

/// Issue 22, items 7c to 7f. A repository holding several templates, used without `--subdir`,
/// lists them; a wrong `--subdir` names the URL (not the cache's copy) and lists them too;
/// git's own message is shown whole, not cut mid-word; `--ref HEAD` is the repository's HEAD
/// (its default branch), and `update` follows it.
#[test]
fn several_templates_wrong_subdirs_whole_messages_and_head() {
    let fx = Fixture::new();
    let repo = Repo::new(&fx);
    repo.commit(&[
        ("api/template.toml", Some(MANIFEST)),
        ("api/a.txt", Some("api\n")),
        ("web/template.toml", Some(MANIFEST)),
        ("web/deep/w.txt", Some("web\n")),
        ("nested/admin/template.toml", Some(MANIFEST)),
        ("docs/README.md", Some("docs\n")),
    ]);
    repo.publish();
    let url = repo.url();
    let cache = fx.path("cache").display().to_string();
    for (args, parts) in [
        (
            vec!["new", url.as_str(), "q"],
            vec![
                url.as_str(),
                "no `template.toml`",
                "`api`, `nested/admin`, `web`",
                "--subdir api",
            ],
        ),
        (
            vec!["new", url.as_str(), "q", "--subdir", "nope"],
            vec![url.as_str(), "`nope`", "`api`, `nested/admin`, `web`"],
        ),
        (
            vec!["new", url.as_str(), "q", "--subdir", "docs"],
            vec![url.as_str(), "`docs`", "`api`, `nested/admin`, `web`"],
        ),
        (
            vec!["new", url.as_str(), "q", "--subdir", "nested"],
            vec![url.as_str(), "`nested/admin`"],
        ),
    ] {
        let out = run(&fx).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        for part in parts {
            assert!(stderr.contains(part), "{args:?}: {part:?} not in {stderr}");
        }
        assert!(
            !stderr.contains(&cache),
            "{args:?} names the cache: {stderr}"
        );
        assert!(!fx.path("q").exists());
    }
    // git's message, whole.
    let gone = format!(
        "file://{}/a-repository-that-is-not-there.git",
        fx.dir.path().display()
    );
    let out = run(&fx).args(["new", &gone, "q"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("does not appear to be a git repository") && !stderr.contains("..."),
        "{stderr}"
    );
    // --ref HEAD: the default branch, followed by update.
    let out = run(&fx)
        .args([
            "new",
            &url,
            "h",
            "--ref",
            "HEAD",
            "--subdir",
            "api",
            "--no-input",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(" at HEAD ("), "{stderr}");
    assert_eq!(read(&fx, "h/a.txt"), "api\n");
    assert!(source_lines(&fx, "h").contains(&"ref = \"HEAD\"".to_string()));
    repo.commit(&[("api/a.txt", Some("api, later\n"))]);
    repo.publish();
    update(&fx, "h", &[]);
    assert_eq!(read(&fx, "h/a.txt"), "api, later\n");
}

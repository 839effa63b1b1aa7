//! `scaffold update` end to end: a template directory in two versions (v1: generate, edit;
//! v2: update), every row of the decision table and the hard cases, and the embedded
//! templates' own updates.

use std::fs;
use std::path::Path;

use predicates::str::contains;

use crate::fixture::{Fixture, assert_unchanged, git, json, ok, state};

const HEAD: &str = "name = \"t\"\ndescription = \"d\"\nfollows = \"f\"\n";

/// Version 1 of template `t`: a variable `dir` (a templated folder), a bool `extra` (a
/// conditional file), and files for each row of the table.
fn v1(fx: &Fixture) {
    fx.template(
        "t",
        &format!(
            "{HEAD}version = \"1\"\n\
             [[variables]]\nname = \"dir\"\ntype = \"string\"\ndefault = \"pkg\"\n\
             [[variables]]\nname = \"extra\"\ntype = \"bool\"\ndefault = true\n\
             [[conditional]]\nwhen = \"extra\"\npaths = [\"extra.txt\", \"extra-edited.txt\"]\n"
        ),
        &[
            ("same.txt", "same\n"),
            ("theirs.txt", "1\n2\n3\n4\n5\n"),
            ("yours.txt", "1\n2\n3\n4\n5\n"),
            ("both.txt", "1\n2\n3\n4\n5\n6\n7\n8\n9\n"),
            ("clash.txt", "1\n2\n3\n"),
            ("dropped.txt", "dropped\n"),
            ("dropped-edited.txt", "dropped\n"),
            ("deleted.txt", "v1\n"),
            ("extra.txt", "extra\n"),
            ("extra-edited.txt", "extra\n"),
            ("old-name.txt", "a\nb\nc\nd\ne\n"),
            ("{{ dir }}/mod.py", "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n"),
        ],
    );
}

/// Version 2 (in `t2`, beside version 1, as `update --template ../t2` takes it): changes, a
/// rename, a drop, an addition.
fn v2(fx: &Fixture) {
    fx.template(
        "v2/t",
        &format!(
            "{HEAD}version = \"2\"\n\
             [[variables]]\nname = \"dir\"\ntype = \"string\"\ndefault = \"pkg\"\n\
             [[variables]]\nname = \"extra\"\ntype = \"bool\"\ndefault = true\n\
             [[conditional]]\nwhen = \"extra\"\npaths = [\"extra.txt\", \"extra-edited.txt\"]\n\
             [[renames]]\nfrom = \"old-name.txt\"\nto = \"new-name.txt\"\n"
        ),
        &[
            ("same.txt", "same\n"),
            ("theirs.txt", "1\n2\nTHREE\n4\n5\n"),
            ("yours.txt", "1\n2\n3\n4\n5\n"),
            ("both.txt", "ONE\n2\n3\n4\n5\n6\n7\n8\n9\n"),
            ("clash.txt", "1\nTHEIRS\n3\n"),
            ("deleted.txt", "v2\n"),
            ("extra.txt", "extra\n"),
            ("extra-edited.txt", "extra\n"),
            ("new-name.txt", "A\nb\nc\nd\ne\n"),
            ("added.txt", "added\n"),
            ("{{ dir }}/mod.py", "a = 1\nb = 2\nc = 3\nd = 4\ne = 50\n"),
        ],
    );
}

fn read(fx: &Fixture, p: &str) -> String {
    fs::read_to_string(fx.path(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// `scaffold update ARGS` in the project `p`, with no terminal.
fn update(fx: &Fixture, args: &[&str]) -> std::process::Output {
    fx.run()
        .current_dir(fx.path("p"))
        .arg("update")
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The edits the user makes to a v1 project.
fn edit(fx: &Fixture) {
    fx.write("p/yours.txt", "1\n2\n3\n4\nFIVE\n");
    fx.write("p/both.txt", "1\n2\n3\n4\n5\n6\n7\n8\nNINE\n");
    fx.write("p/clash.txt", "1\nYOURS\n3\n");
    fx.write("p/dropped-edited.txt", "dropped, and edited\n");
    fx.write("p/extra-edited.txt", "extra, edited\n");
    fx.write("p/old-name.txt", "a\nb\nc\nd\nmine\n");
    fx.write("p/pkg/mod.py", "A = 1\nb = 2\nc = 3\nd = 4\ne = 5\n");
    fs::remove_file(fx.path("p/deleted.txt")).unwrap();
    fx.write("p/added.txt", "mine, before the template had it\n");
    fx.write("p/notes.txt", "not generated\n");
}

/// The files `status` shows as conflicted, checked to agree with `--json`, with the summary
/// line and with `--exit-code`.
fn conflicted_in_status(fx: &Fixture, project: &str) -> Vec<String> {
    let status = |args: &[&str]| {
        fx.run()
            .current_dir(fx.path(project))
            .arg("status")
            .args(args)
            .output()
            .unwrap()
    };
    let shown = text(&status(&[]));
    let listed: Vec<String> = shown
        .lines()
        .filter_map(|l| l.strip_prefix("  conflicted "))
        .map(str::to_string)
        .collect();
    let json: serde_json::Value =
        serde_json::from_slice(&status(&["--json"]).stdout).expect("status --json");
    let in_json: Vec<String> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["state"] == "conflicted")
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, in_json, "{shown}");
    if !listed.is_empty() {
        assert!(
            shown.contains(&format!(", {} conflicted", listed.len())),
            "{shown}"
        );
        assert_eq!(status(&["--exit-code"]).status.code(), Some(1));
    }
    listed
}

#[test]
fn every_row_of_the_table_from_v1_to_v2() {
    let fx = Fixture::new();
    v1(&fx);
    ok(&fx, &["new", "./t", "p", "-q"]);
    edit(&fx);
    v2(&fx);
    // The plan first: one line per file, and nothing written.
    let before = state(fx.dir.path());
    let out = update(&fx, &["--dry-run", "--template", "../v2/t"]);
    let plan = text(&out);
    assert!(out.status.success(), "{plan}");
    assert_unchanged(&before, &state(fx.dir.path()), "--dry-run");
    for line in [
        "Would update from template t 1 to t 2:",
        "unchanged same.txt",
        "update    theirs.txt",
        "keep      yours.txt",
        "merge     both.txt",
        "CONFLICT  clash.txt",
        "remove    dropped.txt",
        "keep      dropped-edited.txt",
        "keep deleted deleted.txt",
        "rename, merge old-name.txt -> new-name.txt",
        "CONFLICT  added.txt",
        "merge     pkg/mod.py",
    ] {
        assert!(plan.contains(line), "{line:?} not in\n{plan}");
    }
    assert!(
        !plan.contains("notes.txt"),
        "files the template never made are not listed"
    );
    // The update: exit 3, conflicts listed.
    let out = update(&fx, &["--template", "../v2/t"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(
        said.contains("2 files with conflicts:\n  added.txt\n  clash.txt"),
        "{said}"
    );
    assert_eq!(read(&fx, "p/same.txt"), "same\n");
    assert_eq!(read(&fx, "p/theirs.txt"), "1\n2\nTHREE\n4\n5\n");
    assert_eq!(read(&fx, "p/yours.txt"), "1\n2\n3\n4\nFIVE\n");
    assert_eq!(read(&fx, "p/both.txt"), "ONE\n2\n3\n4\n5\n6\n7\n8\nNINE\n");
    assert_eq!(
        read(&fx, "p/clash.txt"),
        "1\n<<<<<<< yours\nYOURS\n=======\nTHEIRS\n>>>>>>> template 2\n3\n"
    );
    assert!(!fx.path("p/dropped.txt").exists());
    assert_eq!(read(&fx, "p/dropped-edited.txt"), "dropped, and edited\n");
    assert!(
        !fx.path("p/deleted.txt").exists(),
        "a file you deleted stays deleted"
    );
    assert!(!fx.path("p/old-name.txt").exists());
    assert_eq!(read(&fx, "p/new-name.txt"), "A\nb\nc\nd\nmine\n");
    assert_eq!(
        read(&fx, "p/pkg/mod.py"),
        "A = 1\nb = 2\nc = 3\nd = 4\ne = 50\n"
    );
    assert_eq!(read(&fx, "p/notes.txt"), "not generated\n");
    let record = read(&fx, "p/.scaffold.toml");
    assert!(record.contains("version = \"2\""), "{record}");
    assert!(
        record.contains("path = \"../v2/t\""),
        "the new template is recorded: {record}"
    );
    assert!(
        record.contains("conflicts = [\"added.txt\", \"clash.txt\"]"),
        "{record}"
    );
    assert!(record.contains("\"deleted.txt\" = { blob"), "{record}");
    assert!(record.contains("state = \"deleted\""), "{record}");
    assert!(!record.contains("dropped-edited.txt"), "no longer tracked");
    // Outside git, the previous contents are kept.
    assert_eq!(read(&fx, "p/.scaffold/backup/1/clash.txt"), "1\nYOURS\n3\n");
    assert_eq!(
        read(&fx, "p/.scaffold/backup/1/old-name.txt"),
        "a\nb\nc\nd\nmine\n"
    );
    // While the conflicts are there, another update is refused, naming them.
    let out = update(&fx, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("clash.txt (conflict markers)"),
        "{}",
        text(&out)
    );
    // `status` names them as conflicted (and `--exit-code` counts them), until resolved.
    assert_eq!(conflicted_in_status(&fx, "p"), ["added.txt", "clash.txt"]);
    // Resolved: the next update changes no file (the base is the pristine v2 render, so the
    // resolution is yours and nothing conflicts again); it only clears the conflicts from
    // the answers file, and says so.
    fx.write("p/clash.txt", "1\nYOURS and THEIRS\n3\n");
    fx.write("p/added.txt", "mine, and the template's\n");
    assert!(conflicted_in_status(&fx, "p").is_empty());
    let out = update(&fx, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("record    .scaffold.toml  (2 resolved conflicts no longer listed)"),
        "{}",
        text(&out)
    );
    let out = update(&fx, &[]);
    assert!(text(&out).contains("Up to date"), "{}", text(&out));
    // --restore brings back a deleted file (in its new version).
    let out = update(&fx, &["--restore", "deleted.txt"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(&fx, "p/deleted.txt"), "v2\n");
    fx.assert_canary();
}

#[test]
fn answer_changes_move_and_switch_files() {
    let fx = Fixture::new();
    v1(&fx);
    ok(&fx, &["new", "./t", "p", "-q"]);
    fx.write(
        "p/pkg/mod.py",
        "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n# mine\n",
    );
    fx.write("p/extra-edited.txt", "extra, edited\n");
    // A templated folder renamed by an answer: the edits move with it.
    let out = update(&fx, &["-d", "dir=app", "-d", "extra=no"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("answer    dir: pkg -> app"), "{said}");
    assert!(
        said.contains("rename, keep pkg/mod.py -> app/mod.py"),
        "{said}"
    );
    assert!(
        !fx.path("p/pkg").exists(),
        "the old folder is gone: {:?}",
        fx.tree("p")
    );
    assert_eq!(
        read(&fx, "p/app/mod.py"),
        "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n# mine\n"
    );
    // The condition turned off: the untouched file goes, the edited one stays (untracked).
    assert!(!fx.path("p/extra.txt").exists());
    assert_eq!(read(&fx, "p/extra-edited.txt"), "extra, edited\n");
    // And back on: the file is added again; the edited one now differs: an add/add conflict.
    let out = update(&fx, &["-d", "extra=yes"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(read(&fx, "p/extra.txt"), "extra\n");
    assert!(read(&fx, "p/extra-edited.txt").contains("<<<<<<< yours"));
}

/// Answers: a new variable takes its default with --no-input (and the plan says so); a
/// recorded answer the new template no longer accepts fails with --no-input, naming `-d`.
#[test]
fn answers_the_new_template_asks_differently() {
    let fx = Fixture::new();
    fx.template(
        "t",
        &format!("{HEAD}[[variables]]\nname = \"db\"\ntype = \"choice\"\nchoices = [\"mysql\", \"sqlite\"]\ndefault = \"mysql\"\n"),
        &[("db.txt.tera", "{{ db }}\n")],
    );
    ok(&fx, &["new", "./t", "p", "-q"]);
    fx.write(
        "t/template.toml",
        &format!(
            "{HEAD}[[variables]]\nname = \"db\"\ntype = \"choice\"\nchoices = [\"sqlite\", \"postgres\"]\ndefault = \"sqlite\"\n\
             [[variables]]\nname = \"port\"\ntype = \"int\"\ndefault = 8888\n"
        ),
    );
    fx.write("t/port.txt.tera", "{{ port }}\n");
    let before = state(fx.dir.path());
    let out = update(&fx, &["--no-input"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("your previous answer `mysql` for `db` is no longer valid")
            && text(&out).contains("-d db=..."),
        "{}",
        text(&out)
    );
    assert_unchanged(&before, &state(fx.dir.path()), "a refused update");
    let out = update(&fx, &["--no-input", "-d", "db=postgres"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("new variable port = 8888 (default)"),
        "{said}"
    );
    assert_eq!(read(&fx, "p/db.txt"), "postgres\n");
    assert_eq!(read(&fx, "p/port.txt"), "8888\n");
}

/// Same lines changed on both sides in a CRLF file and in a file without a final newline:
/// the markers are byte for byte what `git merge-file` writes.
#[test]
fn conflict_markers_are_gits() {
    let fx = Fixture::new();
    fx.template(
        "t",
        HEAD,
        &[
            ("crlf.txt", "one\r\ntwo\r\nthree\r\n"),
            ("noeol.txt", "one\ntwo\nthree"),
        ],
    );
    ok(&fx, &["new", "./t", "p", "-q"]);
    fx.write("p/crlf.txt", "one\r\nYOURS\r\nthree\r\n");
    fx.write("p/noeol.txt", "one\ntwo\nYOURS");
    fx.template(
        "v2/t",
        HEAD,
        &[
            ("crlf.txt", "one\r\nTHEIRS\r\nthree\r\n"),
            ("noeol.txt", "one\ntwo\nTHEIRS"),
        ],
    );
    let out = update(&fx, &["--template", "../v2/t"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let dir = tempfile::tempdir().unwrap();
    for (name, base, ours, theirs) in [
        (
            "crlf.txt",
            "one\r\ntwo\r\nthree\r\n",
            "one\r\nYOURS\r\nthree\r\n",
            "one\r\nTHEIRS\r\nthree\r\n",
        ),
        (
            "noeol.txt",
            "one\ntwo\nthree",
            "one\ntwo\nYOURS",
            "one\ntwo\nTHEIRS",
        ),
    ] {
        let git = merge_file(dir.path(), ours, base, theirs, "template");
        assert_eq!(git.status.code(), Some(1));
        // The theirs label is `template <version>`; here the template has no version.
        let got = read(&fx, &format!("p/{name}"));
        let want = String::from_utf8(git.stdout).unwrap();
        let got = got.replacen(">>>>>>> template ", ">>>>>>> template#", 1);
        let got = got
            .split_once('#')
            .map(|(a, b)| format!("{a}{}", &b[b.find(['\r', '\n']).unwrap_or(b.len())..]))
            .unwrap();
        assert_eq!(got, want, "{name}");
    }
}

/// Binary files: yours replaced and the template unchanged keeps yours; both changed keeps
/// yours with the template's beside it.
#[test]
fn binary_files_keep_yours() {
    let fx = Fixture::new();
    fx.template("t", HEAD, &[("a.bin", "A\0v1"), ("b.bin", "B\0v1")]);
    ok(&fx, &["new", "./t", "p", "-q"]);
    fx.write("p/a.bin", "A\0mine");
    fx.write("p/b.bin", "B\0mine");
    fx.template("v2/t", HEAD, &[("a.bin", "A\0v1"), ("b.bin", "B\0v2")]);
    let out = update(&fx, &["--template", "../v2/t"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(read(&fx, "p/a.bin"), "A\0mine");
    assert_eq!(read(&fx, "p/b.bin"), "B\0mine");
    assert_eq!(read(&fx, "p/b.bin.scaffold-new"), "B\0v2");
    // Deleting the side file resolves it.
    fs::remove_file(fx.path("p/b.bin.scaffold-new")).unwrap();
    assert!(update(&fx, &[]).status.success());
}

/// The template changed in place, and the project is not in git: no base for a file changed
/// on both sides, so it is a conflict, never an overwrite. In git, the base comes from the
/// project's history.
#[test]
fn without_a_base_both_sided_changes_conflict_and_git_history_is_a_base() {
    for in_git in [false, true] {
        let fx = Fixture::new();
        fx.template("t", HEAD, &[("f.txt", "1\n2\n3\n4\n5\n6\n7\n")]);
        ok(&fx, &["new", "./t", "p", "-q"]);
        if in_git {
            git(&fx.path("p"), &["init", "-q"]);
            git(&fx.path("p"), &["add", "-A"]);
            git(&fx.path("p"), &["commit", "-qm", "generated"]);
        }
        fx.write("p/f.txt", "ONE\n2\n3\n4\n5\n6\n7\n");
        if in_git {
            git(&fx.path("p"), &["commit", "-qam", "mine"]);
        }
        fx.write("t/f.txt", "1\n2\n3\n4\n5\n6\nSEVEN\n");
        let out = update(&fx, &[]);
        let said = text(&out);
        if in_git {
            assert!(out.status.success(), "{said}");
            assert!(said.contains("merge     f.txt"), "{said}");
            assert_eq!(read(&fx, "p/f.txt"), "ONE\n2\n3\n4\n5\n6\nSEVEN\n");
        } else {
            assert_eq!(out.status.code(), Some(3), "{said}");
            assert!(said.contains("has changed since"), "{said}");
            let f = read(&fx, "p/f.txt");
            assert!(
                f.contains("ONE") && f.contains("SEVEN") && f.contains("<<<<<<< yours"),
                "{f}"
            );
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from).into_iter().flatten() {
        let rel = e.path().strip_prefix(from).unwrap();
        let target = to.join(rel);
        if e.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// In a git work tree, an update refuses to touch files with uncommitted changes (unless
/// --allow-dirty); unrelated dirty files are fine. A project in a subfolder of a bigger
/// repository works the same.
#[test]
fn dirty_files_the_update_touches_are_refused() {
    let fx = Fixture::new();
    fx.template("t", HEAD, &[("a.txt", "a\n"), ("b.txt", "b\n")]);
    fs::create_dir(fx.path("repo")).unwrap();
    git(&fx.path("repo"), &["init", "-q"]);
    ok(&fx, &["new", "./t", "repo/sub/p", "-q"]);
    git(&fx.path("repo"), &["add", "-A"]);
    git(&fx.path("repo"), &["commit", "-qm", "generated"]);
    fx.write("t/a.txt", "a2\n");
    fx.write("repo/sub/p/a.txt", "dirty\n");
    fx.write("repo/sub/p/b.txt", "dirty but untouched\n");
    let run = |args: &[&str]| {
        fx.run()
            .current_dir(fx.path("repo/sub/p"))
            .arg("update")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("uncommitted changes") && text(&out).contains("a.txt"));
    assert!(!text(&out).contains("b.txt"), "{}", text(&out));
    let out = run(&["--allow-dirty"]);
    assert!(
        out.status.code() == Some(3) || out.status.success(),
        "{}",
        text(&out)
    );
    // Git has no copy of the uncommitted change merged over: the backup has (issue 22, 7a).
    assert_eq!(
        fs::read_to_string(fx.path("repo/sub/p/.scaffold/backup/1/a.txt")).unwrap(),
        "dirty\n"
    );
}

/// Without git on PATH the update works in process.
#[test]
fn no_git_needed() {
    let fx = Fixture::new();
    fx.template("t", HEAD, &[("a.txt", "1\n2\n3\n4\n")]);
    ok(&fx, &["new", "./t", "p", "-q"]);
    fx.write("p/a.txt", "ONE\n2\n3\n4\n");
    fx.template("v2/t", HEAD, &[("a.txt", "1\n2\n3\nFOUR\n")]);
    let out = fx
        .run()
        .current_dir(fx.path("p"))
        .env("PATH", "")
        .args(["update", "--template", "../v2/t"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(&fx, "p/a.txt"), "ONE\n2\n3\nFOUR\n");
}

/// A run killed mid-update leaves the project as it was, or recoverable with
/// `scaffold update --recover`.
#[cfg(unix)]
#[test]
fn a_killed_update_is_recovered() {
    let fx = Fixture::new();
    let big = "x\n".repeat(100_000);
    let files: Vec<(String, String)> = (0..200)
        .map(|i| (format!("f{i:03}.txt"), big.clone()))
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    fx.template("t", HEAD, &refs);
    ok(&fx, &["new", "./t", "p", "-q"]);
    let before = state(&fx.path("p"));
    for (name, _) in &files {
        fx.write(&format!("t/{name}"), &"y\n".repeat(100_000));
    }
    let bin = assert_cmd::cargo::cargo_bin("scaffold");
    let pristine = fx.path("p-v1");
    copy_tree(&fx.path("p"), &pristine);
    let mut killed = false;
    for _ in 0..30 {
        let mut child = std::process::Command::new(&bin)
            .current_dir(fx.path("p"))
            .env("SCAFFOLD_STATE_DIR", fx.state_dir.path())
            .args(["update", "-q", "--no-backup"])
            .spawn()
            .unwrap();
        let journal = fx.path("p/.scaffold/journal");
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_secs(20) {
            if journal.join("list").exists() || child.try_wait().unwrap().is_some() {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        if journal.exists() {
            killed = true;
            break;
        }
        // It finished first: start again from the v1 project.
        fs::remove_dir_all(fx.path("p")).unwrap();
        copy_tree(&pristine, &fx.path("p"));
    }
    assert!(killed, "never caught the update while it was writing");
    let out = update(&fx, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("scaffold update --recover"),
        "{}",
        text(&out)
    );
    let out = update(&fx, &["--recover"]);
    assert!(out.status.success(), "{}", text(&out));
    // The project as it was; scaffold's own folder, made by the update, aside.
    let mut after = state(&fx.path("p"));
    after.retain(|k, _| k != ".scaffold" && !k.starts_with(".scaffold/"));
    assert_unchanged(&before, &after, "a recovered update");
}

/// Every embedded template and variant: `new` then `update` changes nothing; switching each
/// choice and bool with `update -d` gives exactly the files a fresh `new` with those answers
/// gives (secret aside), and switching back leaves no stale file.
#[test]
fn embedded_templates_update_like_a_fresh_new() {
    let fx = Fixture::new();
    let out = fx.run().args(["info", "chat", "--json"]).output().unwrap();
    let info = json(&out.stdout);
    assert_eq!(info["variables"][0]["name"], "backend");
    for template in crate::fixture::embedded_names() {
        let out = fx
            .run()
            .args(["info", &template, "--json"])
            .output()
            .unwrap();
        let info = json(&out.stdout);
        let dest = format!("{template}-p");
        ok(&fx, &["new", &template, &dest, "--no-input", "-q"]);
        let noop = fx
            .run()
            .current_dir(fx.path(&dest))
            .args(["update", "--no-input"])
            .output()
            .unwrap();
        assert!(
            text(&noop).contains("Up to date"),
            "{template}: {}",
            text(&noop)
        );
        for v in info["variables"].as_array().unwrap() {
            let name = v["name"].as_str().unwrap();
            let values: Vec<String> = match v["type"].as_str().unwrap() {
                "bool" => vec!["true".into(), "false".into()],
                "choice" => v["choices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_string())
                    .collect(),
                _ => continue,
            };
            let default = v["default"].to_string().trim_matches('"').to_string();
            for value in values.iter().filter(|x| **x != default).chain([&default]) {
                let d = format!("{name}={value}");
                let out = fx
                    .run()
                    .current_dir(fx.path(&dest))
                    .args(["update", "--no-input", "-q", "-d", &d])
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{template} {d}: {}", text(&out));
                let fresh = format!("{template}-fresh");
                let _ = fs::remove_dir_all(fx.path(&fresh));
                ok(
                    &fx,
                    &[
                        "new",
                        &template,
                        &fresh,
                        "--name",
                        &dest,
                        "--no-input",
                        "-q",
                        "-d",
                        &d,
                    ],
                );
                let files = |dir: &str| -> Vec<(String, Vec<u8>)> {
                    fx.tree(dir)
                        .into_iter()
                        .filter(|p| fx.path(&format!("{dir}/{p}")).is_file())
                        .filter(|p| p != ".scaffold.toml" && !p.starts_with(".scaffold/"))
                        .map(|p| {
                            let bytes = fs::read(fx.path(&format!("{dir}/{p}"))).unwrap();
                            (p, bytes)
                        })
                        .collect()
                };
                let (got, want) = (files(&dest), files(&fresh));
                let names =
                    |v: &[(String, Vec<u8>)]| v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
                assert_eq!(names(&got), names(&want), "{template} {d}: the same files");
                let secret = |b: &[u8]| {
                    let t = String::from_utf8_lossy(b);
                    t.contains("cookie_secret") || t.contains("COOKIE_SECRET")
                };
                for ((p, a), (_, b)) in got.iter().zip(&want) {
                    if a != b {
                        assert!(secret(a), "{template} {d}: {p} differs from a fresh new");
                    }
                }
            }
        }
    }
}

#[test]
fn update_outside_a_project_and_recover_without_an_interruption() {
    let fx = Fixture::new();
    fx.run()
        .current_dir(fx.path("canary"))
        .args(["update"])
        .assert()
        .code(2)
        .stderr(contains("not in a project made by scaffold"));
    let t = crate::fixture::demo(&fx);
    ok(&fx, &["new", &t, "p", "-q"]);
    fx.run()
        .current_dir(fx.path("p"))
        .args(["update", "--recover"])
        .assert()
        .code(2)
        .stderr(contains("has no interrupted update"));
}

/// A directory template kept in git and changed in place: the commit it was at when the
/// project was made holds the base, so both-sided edits merge instead of conflicting.
#[test]
fn a_template_in_git_changed_in_place_still_has_its_base() {
    let fx = Fixture::new();
    fs::create_dir(fx.path("repo")).unwrap();
    fx.template("repo/t", HEAD, &[("f.txt", "1\n2\n3\n4\n5\n6\n7\n")]);
    git(&fx.path("repo"), &["init", "-q"]);
    git(&fx.path("repo"), &["add", "-A"]);
    git(&fx.path("repo"), &["commit", "-qm", "v1"]);
    ok(&fx, &["new", "./repo/t", "p", "-q"]);
    let record = read(&fx, "p/.scaffold.toml");
    assert!(
        record.contains("commit = \"") && record.contains("subdir = \"t\""),
        "{record}"
    );
    fx.write("p/f.txt", "ONE\n2\n3\n4\n5\n6\n7\n");
    fx.write("repo/t/f.txt", "1\n2\n3\n4\n5\n6\nSEVEN\n");
    git(&fx.path("repo"), &["commit", "-qam", "v2"]);
    let out = update(&fx, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(&fx, "p/f.txt"), "ONE\n2\n3\n4\n5\n6\nSEVEN\n");
    // A template with uncommitted changes records no commit: there is none to find it in.
    fx.write("repo/t/g.txt", "uncommitted\n");
    ok(&fx, &["new", "./repo/t", "q", "-q"]);
    assert!(!read(&fx, "q/.scaffold.toml").contains("commit = "));
}

/// A new project name renames `{{ package_name }}/`: the edits inside move with it.
#[test]
fn a_new_name_moves_the_package_folder_with_your_edits() {
    let fx = Fixture::new();
    fx.template(
        "t",
        HEAD,
        &[
            (
                "{{ package_name }}/app.py.tera",
                "NAME = \"{{ project_name }}\"\n\ndef main():\n    pass\n",
            ),
            ("README.md.tera", "# {{ project_name }}\n"),
        ],
    );
    ok(&fx, &["new", "./t", "p", "--name", "old-shop", "-q"]);
    fx.write(
        "p/old_shop/app.py",
        "NAME = \"old-shop\"\n\ndef main():\n    print(\"mine\")\n",
    );
    let out = update(&fx, &["--name", "new-shop"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("rename, merge old_shop/app.py -> new_shop/app.py"),
        "{said}"
    );
    assert!(!fx.path("p/old_shop").exists());
    assert_eq!(
        read(&fx, "p/new_shop/app.py"),
        "NAME = \"new-shop\"\n\ndef main():\n    print(\"mine\")\n"
    );
    assert_eq!(read(&fx, "p/README.md"), "# new-shop\n");
    assert!(read(&fx, "p/.scaffold.toml").contains("name = \"new-shop\""));
}

/// Every variant CI generates (tests/generated/<t>/variants.txt): `new` then `update` is a
/// no-op.
#[test]
fn every_variant_updates_to_itself() {
    let fx = Fixture::new();
    for template in crate::fixture::embedded_names() {
        let variants = fs::read_to_string(
            crate::fixture::root().join(format!("tests/generated/{template}/variants.txt")),
        )
        .unwrap();
        for line in variants.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = crate::fixture::shell_words(line);
            let id = words.remove(0);
            let dest = format!("{template}-{id}");
            let mut args = vec![
                "new".to_string(),
                template.clone(),
                dest.clone(),
                "--no-input".into(),
                "-q".into(),
            ];
            args.extend(words);
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            ok(&fx, &refs);
            let out = fx
                .run()
                .current_dir(fx.path(&dest))
                .args(["update", "--no-input"])
                .output()
                .unwrap();
            assert!(
                out.status.success() && text(&out).contains("Up to date"),
                "{template}/{id}: {}",
                text(&out)
            );
        }
    }
}

/// What `git merge-file -p` makes of the three texts, labelled as scaffold labels them
/// (`yours`, `base`, and `theirs` as given), written into `dir`.
fn merge_file(
    dir: &Path,
    ours: &str,
    base: &str,
    theirs: &str,
    label: &str,
) -> std::process::Output {
    for (side, text) in [("ours", ours), ("base", base), ("theirs", theirs)] {
        fs::write(dir.join(side), text).unwrap();
    }
    std::process::Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(["merge-file", "-p", "-L", "yours", "-L", "base", "-L", label])
        .args(["ours", "base", "theirs"])
        .output()
        .expect("git is needed for this test (CI installs it)")
}

/// The 64-hex-digit runs of a text (the cookie secret, which each render draws anew).
fn secrets(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let run = b[i..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            .count();
        if run == 64 {
            out.push(text[i..i + 64].to_string());
        }
        i += run.max(1);
    }
    out
}

/// A project made from version 1 of each embedded template (what the last release shipped),
/// edited, then updated to the current version: every edited file comes out exactly as `git
/// merge-file` merges it (clean where the edits and the template's changes are apart, markers
/// where they touch), and the exit code says whether there were conflicts.
#[test]
fn version_1_projects_update_to_the_current_templates_as_git_would_merge() {
    let fx = Fixture::new();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    for template in crate::fixture::embedded_names() {
        let old = format!("embedded:{template}@1");
        let info = fx.run().args(["info", &old]).output().unwrap();
        let info = String::from_utf8_lossy(&info.stdout);
        assert!(info.contains("\nversion: 1\n"), "info {old}: {info}");
        let info = fx.run().args(["info", &template]).output().unwrap();
        let info = String::from_utf8_lossy(&info.stdout).into_owned();
        let current = info
            .lines()
            .find_map(|l| l.strip_prefix("version: "))
            .unwrap_or_else(|| panic!("info {template}: {info}"))
            .to_string();
        let p = format!("{template}-p");
        let (base, theirs) = (format!("{template}-base"), format!("{template}-theirs"));
        for (source, dest) in [(&old, &p), (&old, &base)] {
            ok(
                &fx,
                &["new", source, dest, "--name", "demo", "--no-input", "-q"],
            );
        }
        // The current version with the project's recorded answers, as the update renders it
        // (a default that changed since, such as package's `ci`, does not apply to it).
        let answers = format!("{base}/.scaffold.toml");
        ok(
            &fx,
            &[
                "new",
                &template,
                &theirs,
                "--name",
                "demo",
                "--data-file",
                &answers,
                "--no-input",
                "-q",
            ],
        );
        // Edit every text file the template changes (files holding the drawn secret aside):
        // a line of the user's near the top, and in every other file also the first line the
        // template changed, which must conflict.
        let mut edited = Vec::new();
        for (i, f) in fx.tree(&base).iter().enumerate() {
            let (Ok(b), Ok(t)) = (
                fs::read_to_string(fx.path(&format!("{base}/{f}"))),
                fs::read_to_string(fx.path(&format!("{theirs}/{f}"))),
            ) else {
                continue;
            };
            if b == t || f == ".scaffold.toml" || !secrets(&b).is_empty() {
                continue;
            }
            let mut lines: Vec<String> = b.split_inclusive('\n').map(str::to_string).collect();
            if i % 2 == 0
                && let Some(n) = b.lines().zip(t.lines()).position(|(x, y)| x != y)
            {
                lines[n] = "a line of the user's, where the template changed one\n".into();
            }
            lines.insert(1.min(lines.len()), "# the user's own line\n".into());
            let ours = lines.concat();
            fs::write(fx.path(&format!("{p}/{f}")), &ours).unwrap();
            edited.push((f.clone(), ours, b, t));
        }
        assert!(
            edited.len() > 2,
            "{template}: version {current} changes too little to test"
        );
        let out = fx
            .run()
            .current_dir(fx.path(&p))
            .args(["update", "--no-input", "--no-backup"])
            .output()
            .unwrap();
        let mut conflicts = 0;
        for (f, ours, b, t) in &edited {
            let merged = merge_file(dir, ours, b, t, &format!("template {current}"));
            if merged.status.code() != Some(0) {
                conflicts += 1;
            }
            let got = fs::read(fx.path(&format!("{p}/{f}"))).unwrap();
            assert!(
                got == merged.stdout,
                "{template}: {f} is not what git merges:\n{}",
                String::from_utf8_lossy(&got)
            );
        }
        let want = if conflicts > 0 { 3 } else { 0 };
        assert_eq!(out.status.code(), Some(want), "{template}: {}", text(&out));
        assert!(
            conflicts > 0 && conflicts < edited.len(),
            "{template}: {conflicts} conflicts"
        );
    }
}

/// A project inside a work tree that does not hold it (an ignored folder such as `target/`,
/// or not committed yet) has no copy in git: the update proceeds as outside git, with a
/// backup of what it changes, instead of calling every file an uncommitted change.
#[test]
fn a_project_its_repository_does_not_hold_is_updated_as_outside_git() {
    let fx = Fixture::new();
    fx.template(
        "t",
        &format!("{HEAD}[[variables]]\nname = \"word\"\ntype = \"string\"\ndefault = \"one\"\n"),
        &[("a.txt.tera", "{{ word }}\n")],
    );
    fs::create_dir(fx.path("repo")).unwrap();
    git(&fx.path("repo"), &["init", "-q"]);
    fx.write("repo/.gitignore", "target/\n");
    git(&fx.path("repo"), &["add", ".gitignore"]);
    git(&fx.path("repo"), &["commit", "-qm", "ignore target"]);
    for dest in ["repo/target/gen/p", "repo/fresh/p"] {
        ok(&fx, &["new", "./t", dest, "-q"]);
        let out = fx
            .run()
            .current_dir(fx.path(dest))
            .args(["update", "--no-input", "-d", "word=two"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{dest}: {}", text(&out));
        assert_eq!(read(&fx, &format!("{dest}/a.txt")), "two\n");
        let backup = fx.path(&format!("{dest}/.scaffold/backup"));
        assert!(
            backup.is_dir(),
            "{dest}: no backup of the previous contents"
        );
    }
    // Once committed, the same project is in git: an uncommitted edit is protected. Its
    // backups stay out of the commit.
    git(&fx.path("repo"), &["add", "fresh"]);
    let added = std::process::Command::new("git")
        .current_dir(fx.path("repo"))
        .args(["ls-files", "fresh"])
        .output()
        .unwrap();
    let added = String::from_utf8_lossy(&added.stdout);
    assert!(added.contains("fresh/p/a.txt"), "{added}");
    assert!(
        !added.contains(".scaffold/"),
        "backups were committed: {added}"
    );
    git(&fx.path("repo"), &["commit", "-qm", "the project"]);
    fx.write("repo/fresh/p/a.txt", "mine\n");
    let out = fx
        .run()
        .current_dir(fx.path("repo/fresh/p"))
        .args(["update", "--no-input", "-d", "word=three"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("uncommitted changes"), "{}", text(&out));
}

/// Each rendering has its own output budget: a project `new` accepts (70 MiB, over half the
/// run's 128 MiB) can be updated, though an update renders the template twice.
#[test]
fn a_big_project_new_accepts_can_be_updated() {
    let fx = Fixture::new();
    // Ten thousand long lines rather than a hundred thousand short ones: the same bytes for
    // a tenth of Tera's loop, so that a debug build on a loaded machine stays well inside the
    // run's 10 s budget (this test is about the output budget, not the time one).
    let big = format!(
        "{{% for i in range(end=10000) %}}{{{{ word }}}}: {} {{{{ i }}}}\n{{% endfor %}}",
        "a line of about twelve hundred bytes, written ten thousand times. ".repeat(18)
    );
    let files: Vec<(String, &str)> = (0..6)
        .map(|i| (format!("big{i}.txt.tera"), big.as_str()))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), *t)).collect();
    fx.template(
        "t",
        &format!("{HEAD}[[variables]]\nname = \"word\"\ntype = \"string\"\ndefault = \"one\"\n"),
        &files,
    );
    ok(&fx, &["new", "./t", "p", "-q"]);
    let size = fs::metadata(fx.path("p/big0.txt")).unwrap().len();
    assert!(
        size > 11 << 20 && size < 16 << 20,
        "six files of {size} bytes"
    );
    let out = update(&fx, &["-d", "word=two", "--no-input"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(read(&fx, "p/big5.txt").starts_with("two: "));
}

/// A project whose last commit holds its cookie secret (earlier template versions wrote it
/// into a source file) is told so by the update that moves the secret out of git: the update
/// keeps the secret, so the user must replace it. Outside git, or once the committed file no
/// longer holds it, nothing is said.
#[test]
fn a_secret_in_the_git_history_is_told() {
    let fx = Fixture::new();
    fx.template(
        "t",
        &format!("{HEAD}version = \"1\"\n"),
        &[("settings.py.tera", "SECRET = \"{{ cookie_secret }}\"\n")],
    );
    fx.template(
        "v2/t",
        &format!("{HEAD}version = \"2\"\n"),
        &[
            (
                "settings.py",
                "import os\nSECRET = os.environ[\"SECRET\"]\n",
            ),
            (".env.tera", "SECRET={{ cookie_secret }}\n"),
            (".gitignore", ".env\n"),
        ],
    );
    ok(&fx, &["new", "./t", "p", "-q"]);
    let secret = read(&fx, "p/settings.py")[10..74].to_string();
    // Outside git: nothing to say.
    let out = update(&fx, &["--template", "../v2/t", "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("git history"), "{}", text(&out));
    git(&fx.path("p"), &["init", "-q"]);
    git(&fx.path("p"), &["add", "-A"]);
    git(&fx.path("p"), &["commit", "-qm", "generated"]);
    let out = update(&fx, &["--template", "../v2/t", "--json", "--dry-run"]);
    assert_eq!(json(&out.stdout)["secret_committed"][0], "settings.py");
    let out = update(&fx, &["--template", "../v2/t"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(
            "the cookie secret is in this project's git history: `settings.py` was committed \
             holding it, so anyone with a copy of the repository has it; the update keeps it, so \
             set a new one (this version keeps it in `.env`) and wherever the project is deployed"
        ),
        "{}",
        text(&out)
    );
    assert_eq!(read(&fx, "p/.env"), format!("SECRET={secret}\n"));
    // Committed without it, the history's older commits are not looked at: HEAD no longer
    // holds it, and the next update says nothing.
    git(&fx.path("p"), &["add", "-A"]);
    git(&fx.path("p"), &["commit", "-qm", "updated"]);
    let out = update(&fx, &["--template", "../v2/t", "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("git history"), "{}", text(&out));
}

//! What `scaffold update` says, checked against what it does (issue 22, items 4 to 7): the
//! plan counts every change on disk, the answers file included, and says "nothing to change"
//! only when no byte changes; a dry run shows its whole plan and the refusal a real run would
//! meet; a folder moved by an answer takes the user's own files with it; `--allow-dirty`
//! keeps a copy of what it merges over; the advice after conflicts fits the conflicts.

use std::fs;

use crate::fixture::{Fixture, assert_unchanged, git, json, ok, state};

const HEAD: &str = "name = \"t\"\ndescription = \"d\"\nfollows = \"f\"\n";

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

fn read(fx: &Fixture, p: &str) -> String {
    fs::read_to_string(fx.path(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// A template `t` with a string `word` (in `a.txt`), a string `unused` that no file uses,
/// and the files `dropped.txt` and `deleted.txt`.
fn words(fx: &Fixture) {
    fx.template(
        "t",
        &format!(
            "{HEAD}[[variables]]\nname = \"word\"\ntype = \"string\"\ndefault = \"one\"\n\
             [[variables]]\nname = \"unused\"\ntype = \"string\"\ndefault = \"u\"\n"
        ),
        &[
            ("a.txt.tera", "{{ word }}\n2\n3\n4\n5\n"),
            ("dropped.txt", "dropped\n"),
            ("deleted.txt", "v1\n"),
            ("clash.txt", "1\n2\n3\n"),
        ],
    );
}

/// Runs an update that must not say "nothing to change": it succeeds (or with `code`), names
/// the answers file in its plan with `why`, counts it, and really changes the answers file.
fn changes_the_record(fx: &Fixture, args: &[&str], why: &str, code: i32) -> String {
    let before = read(fx, "p/.scaffold.toml");
    let out = update(fx, args);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {said}");
    assert!(!said.contains("nothing to change"), "{args:?}: {said}");
    assert!(!said.contains("Up to date"), "{args:?}: {said}");
    assert!(
        said.contains("  record    .scaffold.toml") && said.contains(why),
        "{args:?}: the answers file is not in the plan, or not with {why:?}:\n{said}"
    );
    assert_ne!(
        read(fx, "p/.scaffold.toml"),
        before,
        "{args:?}: it said the answers file changes"
    );
    said
}

/// Item 4: an update that only changes answers, keeps an edited file the template dropped,
/// keeps a deletion or clears resolved conflicts rewrites `.scaffold.toml`: the plan says so
/// and counts it; "Up to date ..., nothing to change" comes only when no byte changes.
#[test]
fn nothing_to_change_only_when_nothing_changes() {
    let fx = Fixture::new();
    words(&fx);
    ok(&fx, &["new", "./t", "p", "-q"]);
    // An answer no file uses: only the answers file changes.
    let said = changes_the_record(&fx, &["-d", "unused=v"], "new answers", 0);
    assert!(said.contains("answer    unused: u -> v"), "{said}");
    assert!(said.contains("(1 change)"), "{said}");
    // Again: now nothing changes, and it says so, without touching a byte.
    let before = state(fx.dir.path());
    let out = update(&fx, &["-d", "unused=v"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Up to date: template t") && text(&out).contains("nothing to change"),
        "{}",
        text(&out)
    );
    assert_unchanged(
        &before,
        &state(fx.dir.path()),
        "an update with nothing to do",
    );
    let out = update(&fx, &["--json"]);
    let plan = json(&out.stdout);
    assert_eq!(plan["changes"], 0, "{plan}");
    assert_eq!(plan["record"], serde_json::json!([]), "{plan}");

    // The template drops a file you edited (kept, no longer tracked), and changes one you
    // deleted (stays deleted): the answers file changes, nothing else.
    fx.write("p/dropped.txt", "dropped, and edited\n");
    fs::remove_file(fx.path("p/deleted.txt")).unwrap();
    fs::remove_file(fx.path("t/dropped.txt")).unwrap();
    fx.write("t/deleted.txt", "v2\n");
    let said = changes_the_record(&fx, &[], "no longer tracked", 0);
    assert!(said.contains("keep      dropped.txt"), "{said}");
    assert!(said.contains("keep deleted deleted.txt"), "{said}");
    let out = update(&fx, &["--json"]);
    assert_eq!(json(&out.stdout)["changes"], 0, "{}", text(&out));

    // A conflict, resolved: the next update clears it from the answers file, and says so.
    fx.write("p/clash.txt", "1\nYOURS\n3\n");
    fx.write("t/clash.txt", "1\nTHEIRS\n3\n");
    let out = update(&fx, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    fx.write("p/clash.txt", "1\nYOURS and THEIRS\n3\n");
    let said = changes_the_record(&fx, &[], "resolved", 0);
    assert!(said.contains("(1 change)"), "{said}");
    let out = update(&fx, &[]);
    assert!(text(&out).contains("nothing to change"), "{}", text(&out));
    fx.assert_canary();
}

/// Item 5: with uncommitted changes in a file it would touch, or unresolved conflicts, a dry
/// run still shows the whole plan and the refusal a real run would meet, and exits 0 (as
/// `new --dry-run` does), in JSON too; the real run is refused (exit 1).
#[test]
fn a_dry_run_shows_its_plan_and_the_refusal() {
    let fx = Fixture::new();
    words(&fx);
    ok(&fx, &["new", "./t", "p", "-q"]);
    git(&fx.path("p"), &["init", "-q"]);
    git(&fx.path("p"), &["add", "-A"]);
    git(&fx.path("p"), &["commit", "-qm", "generated"]);
    fx.write("p/a.txt", "mine\n");
    let before = state(fx.dir.path());
    let out = update(&fx, &["--dry-run", "-d", "word=two"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    for part in [
        "Would refuse to update from template t",
        "answer    word: one -> two",
        "CONFLICT  a.txt",
        "unchanged dropped.txt",
        "uncommitted changes",
        "  a.txt",
    ] {
        assert!(said.contains(part), "{part:?} not in:\n{said}");
    }
    let out = update(&fx, &["--dry-run", "--json", "-d", "word=two"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let plan = json(&out.stdout);
    assert!(
        plan["refused"]
            .as_str()
            .is_some_and(|r| r.contains("uncommitted changes")),
        "{plan}"
    );
    assert_eq!(plan["dry_run"], true);
    assert!(plan["files"].as_array().unwrap().len() >= 4, "{plan}");
    assert_unchanged(&before, &state(fx.dir.path()), "a dry run");
    let out = update(&fx, &["-d", "word=two"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("uncommitted changes"), "{}", text(&out));
    assert_unchanged(&before, &state(fx.dir.path()), "a refused update");

    // Unresolved conflicts: the same.
    git(&fx.path("p"), &["checkout", "-q", "--", "a.txt"]);
    fx.write("p/clash.txt", "1\nYOURS\n3\n");
    git(&fx.path("p"), &["commit", "-qam", "mine"]);
    fx.write("t/clash.txt", "1\nTHEIRS\n3\n");
    let out = update(&fx, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    git(&fx.path("p"), &["commit", "-qam", "conflicts"]);
    let before = state(fx.dir.path());
    let out = update(&fx, &["--dry-run", "-d", "word=three"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    for part in [
        "Would refuse to update",
        "answer    word: one -> three",
        "update    a.txt",
        "clash.txt (conflict markers)",
    ] {
        assert!(said.contains(part), "{part:?} not in:\n{said}");
    }
    let out = update(&fx, &["--dry-run", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        json(&out.stdout)["refused"]
            .as_str()
            .is_some_and(|r| r.contains("not resolved")),
        "{}",
        text(&out)
    );
    assert_unchanged(&before, &state(fx.dir.path()), "a dry run");
    let out = update(&fx, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    fx.assert_canary();
}

/// Item 7a: in git, `--allow-dirty` merges over uncommitted changes; the content it merged over
/// is kept in `.scaffold/backup/<n>/`, as outside git, and the report says where.
#[test]
fn allow_dirty_keeps_a_copy_of_what_it_merges_over() {
    let fx = Fixture::new();
    words(&fx);
    ok(&fx, &["new", "./t", "p", "-q"]);
    git(&fx.path("p"), &["init", "-q"]);
    git(&fx.path("p"), &["add", "-A"]);
    git(&fx.path("p"), &["commit", "-qm", "generated"]);
    fx.write("p/a.txt", "one\n2\n3\n4\n5\nmine, not committed\n");
    let out = update(&fx, &["-d", "word=two", "--allow-dirty"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert_eq!(
        read(&fx, "p/a.txt"),
        "two\n2\n3\n4\n5\nmine, not committed\n"
    );
    assert_eq!(
        read(&fx, "p/.scaffold/backup/1/a.txt"),
        "one\n2\n3\n4\n5\nmine, not committed\n",
        "{said}"
    );
    assert!(said.contains(".scaffold/backup/1"), "{said}");
    // The backup stays out of git.
    let status = git(&fx.path("p"), &["status", "--porcelain"]);
    assert!(!status.contains(".scaffold/"), "{status}");
    // Without uncommitted changes, git holds the previous contents: no backup.
    git(&fx.path("p"), &["commit", "-qam", "two"]);
    let out = update(&fx, &["-d", "word=three"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!fx.path("p/.scaffold/backup/2").exists());
}

/// Item 7h: the advice after an update with conflicts, and the refusal while they are open,
/// mention `.scaffold-new` files only when there are some, and markers only when there are.
#[test]
fn conflict_advice_fits_the_conflicts() {
    let fx = Fixture::new();
    fx.template("t", HEAD, &[("a.txt", "1\n2\n3\n"), ("b.bin", "B\0v1")]);
    ok(&fx, &["new", "./t", "p", "-q"]);
    fx.write("p/a.txt", "1\nYOURS\n3\n");
    fx.write("t/a.txt", "1\nTHEIRS\n3\n");
    let out = update(&fx, &[]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(said.contains("<<<<<<< yours"), "{said}");
    assert!(!said.contains("scaffold-new"), "no side file, yet: {said}");
    let out = update(&fx, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!text(&out).contains("scaffold-new"), "{}", text(&out));
    fx.write("p/a.txt", "1\nYOURS and THEIRS\n3\n");
    // Now a binary conflict only: no markers to edit, a side file to take from.
    fx.write("p/b.bin", "B\0mine");
    fx.write("t/b.bin", "B\0v2");
    let out = update(&fx, &[]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    let advice = said.split("with conflicts:").nth(1).unwrap_or_default();
    assert!(advice.contains("b.bin.scaffold-new"), "{said}");
    assert!(!advice.contains("<<<<<<<"), "no markers to edit: {said}");
    let out = update(&fx, &[]);
    let said = text(&out);
    assert!(
        said.contains(".scaffold-new") && !said.contains("marked blocks"),
        "{said}"
    );
}

/// A package template: `{{ package_name }}/` holds generated files.
fn package(fx: &Fixture) {
    fx.template(
        "t",
        HEAD,
        &[
            ("{{ package_name }}/__init__.py", ""),
            (
                "{{ package_name }}/app.py.tera",
                "NAME = \"{{ project_name }}\"\n",
            ),
            ("{{ package_name }}/sub/views.py", "views = []\n"),
            ("README.md.tera", "# {{ project_name }}\n"),
        ],
    );
}

/// Item 6: a new name moves every generated file from `shop/` to `shop_two/`; the user's own
/// files in `shop/` move with their folder, to the same place under `shop_two/` (contents,
/// mode and all), and the plan says so; one that would land on an existing file is left where
/// it is and named, with what to do. Nothing is left silently in a package with no
/// `__init__.py`.
#[test]
fn your_files_move_with_a_folder_an_answer_moves() {
    let fx = Fixture::new();
    package(&fx);
    ok(&fx, &["new", "./t", "p", "--name", "Shop", "-q"]);
    fx.write("p/shop/custom.py", "def mine():\n    pass\n");
    fx.write("p/shop/data/prices.json", "{}\n");
    fx.write("p/shop/sub/extra.py", "extra = 1\n");
    fx.write("p/shop/notes.txt", "mine, in shop\n");
    fx.write("p/shop_two/notes.txt", "mine, already in shop_two\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let secret = fx.path("p/shop/custom.py");
        fs::set_permissions(&secret, fs::Permissions::from_mode(0o600)).unwrap();
    }
    let before = state(fx.dir.path());
    let out = update(&fx, &["--name", "Shop Two", "--dry-run"]);
    let plan = text(&out);
    assert!(out.status.success(), "{plan}");
    assert_unchanged(&before, &state(fx.dir.path()), "a dry run");
    for line in [
        "rename, update shop/app.py -> shop_two/app.py",
        "move      shop/custom.py -> shop_two/custom.py",
        "move      shop/data/prices.json -> shop_two/data/prices.json",
        "move      shop/sub/extra.py -> shop_two/sub/extra.py",
        "left      shop/notes.txt",
        "shop_two/notes.txt",
    ] {
        assert!(plan.contains(line), "{line:?} not in\n{plan}");
    }
    let out = update(&fx, &["--name", "Shop Two", "--dry-run", "--json"]);
    let json = json(&out.stdout);
    assert_eq!(json["moves"][0]["from"], "shop/custom.py", "{json}");
    assert_eq!(json["moves"][0]["to"], "shop_two/custom.py", "{json}");
    assert_eq!(json["left"][0]["path"], "shop/notes.txt", "{json}");

    let out = update(&fx, &["--name", "Shop Two"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    // Counted as the plan shows them: 3 renames, 1 update, 3 moves, the answers file.
    assert!(said.contains("(8 changes)"), "{said}");
    assert_eq!(read(&fx, "p/shop_two/custom.py"), "def mine():\n    pass\n");
    assert_eq!(read(&fx, "p/shop_two/data/prices.json"), "{}\n");
    assert_eq!(read(&fx, "p/shop_two/sub/extra.py"), "extra = 1\n");
    assert_eq!(read(&fx, "p/shop_two/sub/views.py"), "views = []\n");
    assert_eq!(
        read(&fx, "p/shop_two/notes.txt"),
        "mine, already in shop_two\n"
    );
    assert_eq!(
        fx.tree("p/shop"),
        ["notes.txt"],
        "only the one named is left"
    );
    assert_eq!(read(&fx, "p/shop/notes.txt"), "mine, in shop\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(fx.path("p/shop_two/custom.py"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the mode moves with the file");
    }
    // The moved files are the user's, not generated: status does not list them.
    let status = fx
        .run()
        .current_dir(fx.path("p"))
        .arg("status")
        .output()
        .unwrap();
    let status = text(&status);
    assert!(!status.contains("custom.py"), "{status}");
    fx.assert_canary();
}

/// A folder that does not move as a whole (the template still writes into it) keeps the
/// user's files where they are, and the plan has nothing to say about them.
#[test]
fn your_files_stay_when_their_folder_stays() {
    let fx = Fixture::new();
    fx.template(
        "t",
        &format!("{HEAD}[[variables]]\nname = \"dir\"\ntype = \"string\"\ndefault = \"pkg\"\n"),
        &[("{{ dir }}/a.py", "a\n"), ("pkg/fixed.py", "fixed\n")],
    );
    ok(&fx, &["new", "./t", "p", "-q"]);
    fx.write("p/pkg/mine.py", "mine\n");
    let out = update(&fx, &["-d", "dir=app"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("rename, update pkg/a.py -> app/a.py"),
        "{said}"
    );
    assert!(!said.contains("move "), "{said}");
    assert_eq!(read(&fx, "p/pkg/mine.py"), "mine\n");
    assert_eq!(read(&fx, "p/app/a.py"), "a\n");
}

/// Item 7i: a variable the new template adds, answered at the prompt, is shown in the plan
/// with the value given (and one whose condition is off, with the default it takes).
#[cfg(unix)]
#[test]
fn a_new_variable_answered_at_the_prompt_is_shown_with_its_value() {
    let fx = Fixture::new();
    fx.template("t", HEAD, &[("a.txt", "a\n")]);
    ok(&fx, &["new", "./t", "p", "-q"]);
    fx.write(
        "t/template.toml",
        &format!(
            "{HEAD}[[variables]]\nname = \"port\"\ntype = \"int\"\ndefault = 8888\n\
             [[variables]]\nname = \"docker\"\ntype = \"bool\"\ndefault = false\n\
             [[variables]]\nname = \"image\"\ntype = \"string\"\ndefault = \"py\"\nwhen = \"docker\"\n"
        ),
    );
    fx.write("t/port.txt.tera", "{{ port }}\n");
    let bin = assert_cmd::cargo::cargo_bin("scaffold");
    let out = std::process::Command::new("script")
        .current_dir(fx.path("p"))
        .env("NO_COLOR", "1")
        .args(["-qec", &format!("'{}' update", bin.display()), "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"9000\n\n")?;
            child.wait_with_output()
        })
        .expect("util-linux `script` is needed for the terminal test");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert_eq!(read(&fx, "p/port.txt"), "9000\n");
    assert!(
        said.contains("answer    new variable port = 9000 (asked)"),
        "{said}"
    );
    assert!(
        said.contains("answer    new variable docker = false (asked)"),
        "{said}"
    );
    assert!(
        said.contains("answer    new variable image = py (not asked: its condition is off)"),
        "{said}"
    );
}

//! The destination: refusals, `--force`, staging, interrupted runs and leftovers, never a symlink.

use crate::fixture::{Fixture, basic, demo, ok, refused, rustix_is_root, scaffold, state, with};
use predicates::prelude::*;
use predicates::str::contains;
use std::fs;
use std::time::{Duration, Instant};

#[test]
fn destination_exists() {
    let fx = Fixture::new();
    basic(&fx);
    fx.write("p/p.txt", "mine\n");
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["destination `p` is not empty", "  p.txt", "--force"],
    );
}

#[test]
fn destination_is_a_file() {
    let fx = Fixture::new();
    basic(&fx);
    fx.write("p", "a file\n");
    refused(
        &fx,
        &["new", "./t", "p", "--force"],
        1,
        &["destination `p` exists and is not a directory"],
    );
}

#[cfg(unix)]
#[test]
fn destination_is_a_symlink() {
    let fx = Fixture::new();
    basic(&fx);
    std::os::unix::fs::symlink(fx.path("canary"), fx.path("p")).unwrap();
    refused(
        &fx,
        &["new", "./t", "p", "--force"],
        1,
        &["destination `p` is a symlink"],
    );
}

#[cfg(unix)]
#[test]
fn symlinks_inside_destination_under_force() {
    let fx = Fixture::new();
    basic(&fx);
    fs::create_dir(fx.path("p")).unwrap();
    std::os::unix::fs::symlink(fx.path("canary"), fx.path("p/sub")).unwrap();
    refused(
        &fx,
        &["new", "./t", "p", "--force"],
        1,
        &["p/sub` is a symlink", "sub/f.txt"],
    );
}

#[test]
fn missing_parents_are_created_and_removed_again_on_failure() {
    let fx = Fixture::new();
    basic(&fx);
    ok(&fx, &["new", "./t", "no/such/p", "-q"]);
    assert_eq!(
        fx.tree("no"),
        [
            "such",
            "such/p",
            "such/p/.scaffold.toml",
            "such/p/p.txt",
            "such/p/sub",
            "such/p/sub/f.txt"
        ]
    );
    // A failure (here a file name the template breaks) leaves no parent behind.
    fx.write("t/{{ value }}.tera", "x");
    refused(
        &fx,
        &["new", "./t", "deep/er/my-site", "-d", "value=a/b"],
        2,
        &["-d value=a/b"],
    );
    assert!(!fx.path("deep").exists());
}

#[cfg(unix)]
#[test]
fn missing_parents_are_removed_when_writing_fails() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    basic(&fx);
    fs::create_dir(fx.path("ro")).unwrap();
    fs::create_dir(fx.path("ro/made")).unwrap();
    // `ro/made/x` is created, then staging inside it fails: read-only.
    fs::set_permissions(fx.path("ro/made"), fs::Permissions::from_mode(0o555)).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("scaffold");
    let mut cmd = if rustix_is_root() {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c
    } else {
        std::process::Command::new(&bin)
    };
    fs::set_permissions(fx.dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
    fs::set_permissions(fx.path("ro"), fs::Permissions::from_mode(0o777)).unwrap();
    let out = cmd
        .current_dir(fx.dir.path())
        .args(["new", "./t", "ro/made/x/y/p"])
        .output()
        .unwrap();
    fs::set_permissions(fx.path("ro/made"), fs::Permissions::from_mode(0o755)).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Permission denied"), "{stderr}");
    assert_eq!(fx.tree("ro"), ["made"], "no created parent is left");
}

#[test]
fn file_in_the_way_under_force() {
    let fx = Fixture::new();
    basic(&fx);
    fx.write("p/sub", "a file where a directory goes\n");
    refused(
        &fx,
        &["new", "./t", "p", "--force"],
        1,
        &["p/sub` is a file", "sub/f.txt"],
    );
}

#[cfg(unix)]
#[test]
fn read_only_destination() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    basic(&fx);
    fx.write("p/other.txt", "x\n");
    fs::set_permissions(fx.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(fx.path("p"), fs::Permissions::from_mode(0o555)).unwrap();
    let before = state(fx.dir.path());
    // Root ignores permission bits: run as `nobody` then, so the write really fails.
    let bin = assert_cmd::cargo::cargo_bin("scaffold");
    let mut cmd = if rustix_is_root() {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c
    } else {
        std::process::Command::new(&bin)
    };
    let out = cmd
        .current_dir(fx.dir.path())
        .args(["new", "./t", "p", "--force"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot create") || stderr.contains("cannot write"),
        "{stderr}"
    );
    assert!(stderr.contains("Permission denied"), "{stderr}");
    assert_eq!(state(fx.dir.path()), before);
    fx.assert_canary();
    fs::set_permissions(fx.path("p"), fs::Permissions::from_mode(0o755)).unwrap();
}

/// A run killed (SIGKILL) while it writes its staging folder leaves at most that folder,
/// marked with its process id; the next run removes it (its process is gone), and leaves
/// folders that only look like one alone.
#[cfg(unix)]
#[test]
fn interrupted_run_leaves_at_most_a_marked_staging_folder() {
    let fx = Fixture::new();
    // Plain files (no rendering): 300 of 200 KB, so the write takes a while.
    let big = "0123456789".repeat(20_000);
    let files: Vec<(String, String)> = (0..300)
        .map(|i| (format!("f{i:03}.txt"), big.clone()))
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    with(&fx, "", &refs);
    let bin = assert_cmd::cargo::cargo_bin("scaffold");
    let staging = || {
        fs::read_dir(fx.dir.path())
            .unwrap()
            .flatten()
            .find(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".scaffold-staging-")
            })
            .map(|e| e.path())
    };
    let mut killed_mid_write = false;
    for _ in 0..20 {
        let _ = fs::remove_dir_all(fx.path("p"));
        let mut child = std::process::Command::new(&bin)
            .current_dir(fx.dir.path())
            .args(["new", "./t", "p", "-q"])
            .spawn()
            .unwrap();
        // Wait until the staging folder exists and holds some files, then kill.
        let start = Instant::now();
        let mut seen = false;
        while start.elapsed() < Duration::from_secs(10) {
            if let Some(dir) = staging()
                && fs::read_dir(&dir).map_or(0, Iterator::count) > 5
            {
                seen = true;
                break;
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        if seen && !fx.path("p").exists() {
            killed_mid_write = true;
            break;
        }
    }
    assert!(
        killed_mid_write,
        "never caught the run while it was writing"
    );
    let left = staging().expect("the staging folder of the killed run");
    let marker = fs::read_to_string(left.join(".scaffold-staging")).unwrap();
    assert!(marker.starts_with("pid "), "{marker}");
    for name in fx.top() {
        assert!(
            ["canary", "t"].contains(&name.as_str()) || name.starts_with(".scaffold-staging-"),
            "left behind: {name}"
        );
    }
    // The next run removes the dead run's folder, and keeps one without the marker.
    fx.write(".scaffold-staging-mine/notes.txt", "mine\n");
    ok(&fx, &["new", "./t", "q", "-q"]);
    assert!(
        !left.exists(),
        "the killed run's staging folder is still there"
    );
    assert_eq!(
        fs::read_to_string(fx.path(".scaffold-staging-mine/notes.txt")).unwrap(),
        "mine\n"
    );
    assert_eq!(fx.tree("q").len(), 301, "300 files and .scaffold.toml");
    fx.assert_canary();
}

/// Temporary files are created exclusively under random names, so a symlink planted in the
/// destination is never written through; files that only look like scaffold's temporary
/// files (another scheme, no process id) are the user's and stay.
#[cfg(unix)]
#[test]
fn planted_links_and_lookalike_temp_files_are_left_alone() {
    let fx = Fixture::new();
    basic(&fx);
    fx.write("victim.txt", "victim\n");
    fx.write("p/p.txt", "mine\n");
    fx.write("p/.scaffold-tmp-notes", "mine\n");
    fx.write("p/.scaffold-tmp-12-short", "mine\n");
    std::os::unix::fs::symlink(fx.path("victim.txt"), fx.path("p/.scaffold-tmp-link")).unwrap();
    ok(&fx, &["new", "./t", "p", "--force", "-q"]);
    assert_eq!(
        fs::read_to_string(fx.path("victim.txt")).unwrap(),
        "victim\n"
    );
    assert_eq!(fs::read_to_string(fx.path("p/p.txt")).unwrap(), "plain\n");
    for kept in [
        ".scaffold-tmp-notes",
        ".scaffold-tmp-12-short",
        ".scaffold-tmp-link",
    ] {
        assert!(
            fs::symlink_metadata(fx.path(&format!("p/{kept}"))).is_ok(),
            "{kept}"
        );
    }
}

/// Leftovers of a killed in-place run: abandoned ones (their process is gone) are removed,
/// and a destination holding only those counts as empty (never "no file in it would be
/// overwritten"); those of a live run are named and refused, even with --force.
#[cfg(unix)]
#[test]
fn leftovers_of_killed_runs_are_recognised() {
    let fx = Fixture::new();
    basic(&fx);
    let dead = ".scaffold-tmp-4000000000-0123456789abcdef";
    fx.write(&format!("p/{dead}"), "partial");
    fx.write(&format!("p/sub/{dead}"), "partial");
    ok(&fx, &["new", "./t", "p", "-q"]);
    assert!(!fx.path(&format!("p/{dead}")).exists());
    assert!(!fx.path(&format!("p/sub/{dead}")).exists());
    assert_eq!(
        fx.tree("p"),
        [".scaffold.toml", "p.txt", "sub", "sub/f.txt"]
    );
    // A live process's temporary file (this test's own pid): named, nothing done.
    let live = format!(".scaffold-tmp-{}-0123456789abcdef", std::process::id());
    fx.write(&format!("q/{live}"), "busy");
    refused(
        &fx,
        &["new", "./t", "q", "--force"],
        1,
        &[&live, "still running"],
    );
    refused(&fx, &["new", "./t", "q"], 1, &[&live]);
}

/// When writing in place fails half-way (here: a file size limit, as on a full disk), every
/// temporary file the run created is removed and every file is as it was.
#[cfg(unix)]
#[test]
fn a_failed_in_place_write_leaves_everything_as_it_was() {
    let fx = Fixture::new();
    let big = "x".repeat(200 * 1024);
    with(
        &fx,
        "",
        &[
            ("a.txt", "small\n"),
            ("b/big.txt", &big),
            ("c.txt", "small\n"),
        ],
    );
    fx.write("p/a.txt", "old a\n");
    fx.write("p/notes.txt", "mine\n");
    let before = state(fx.dir.path());
    let bin = assert_cmd::cargo::cargo_bin("scaffold");
    // 100 KiB per file; SIGXFSZ ignored so the write fails with EFBIG instead of killing.
    let out = std::process::Command::new("sh")
        .current_dir(fx.dir.path())
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 200 && exec \"$0\" new ./t p --force")
        .arg(&bin)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("big.txt") || stderr.contains("File too large"),
        "{stderr}"
    );
    assert_eq!(
        state(fx.dir.path()),
        before,
        "something changed or was left behind"
    );
}

/// `--force` into a directory that contains the template (its parent, say) must not write any
/// file of the template.
#[test]
fn the_template_is_never_a_destination() {
    let fx = Fixture::new();
    with(
        &fx,
        "",
        &[
            ("t/template.toml", "name = \"overwritten\"\n"),
            ("x.txt", "x"),
        ],
    );
    refused(
        &fx,
        &["new", "./t", ".", "--force", "--name", "proj"],
        2,
        &["contains the template directory", "t/template.toml"],
    );
    // The same through a path that names the template differently.
    refused(
        &fx,
        &["new", "./canary/../t", ".", "--force", "--name", "proj"],
        2,
        &["t/template.toml"],
    );
}

#[test]
fn destination_inside_the_template() {
    let fx = Fixture::new();
    basic(&fx);
    refused(
        &fx,
        &["new", "./t", "t", "--force"],
        2,
        &["inside the template directory `./t`"],
    );
    refused(
        &fx,
        &["new", "./t", "t/out"],
        2,
        &["inside the template directory"],
    );
}

#[test]
fn existing_destination_is_refused_then_forced() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fx.run().args(["new", &t, "p", "-q"]).assert().success();
    fx.write("p/README.md", "my own notes\n");
    fx.write("p/notes.txt", "user file\n");
    let before = fx.tree("p");
    fx.run()
        .args(["new", &t, "p", "-d", "license=none"])
        .assert()
        .code(1)
        .stderr(
            // A project: `update` changes it (issue 22, item 3), or `new --force` again.
            contains("`p` is already a project made by scaffold")
                .and(contains("scaffold update p -d license=none"))
                .and(contains("scaffold new ./demo p -d license=none --force")),
        );
    assert_eq!(fx.tree("p"), before);
    assert_eq!(
        fs::read_to_string(fx.path("p/README.md")).unwrap(),
        "my own notes\n"
    );
    // --dry-run shows the plan and writes nothing.
    fx.run()
        .args(["new", &t, "p", "--dry-run"])
        .assert()
        .success()
        .stdout(
            contains("overwrite README.md")
                .and(contains("identical run.sh"))
                .and(contains("without --force this would be refused")),
        );
    assert_eq!(
        fs::read_to_string(fx.path("p/README.md")).unwrap(),
        "my own notes\n"
    );
    // --force replaces the template's files and nothing else.
    fx.run()
        .args(["new", &t, "p", "--force"])
        .assert()
        .success()
        .stdout(contains("overwritten").and(contains("unchanged")));
    assert!(
        fs::read_to_string(fx.path("p/README.md"))
            .unwrap()
            .starts_with("# p\r\n")
    );
    assert_eq!(
        fs::read_to_string(fx.path("p/notes.txt")).unwrap(),
        "user file\n"
    );
    fx.assert_canary();
    assert!(
        fx.top().iter().all(|n| !n.contains("scaffold-staging")),
        "{:?}",
        fx.top()
    );
}

#[test]
fn empty_existing_destination_is_filled() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fs::create_dir(fx.path("empty")).unwrap();
    fx.run().args(["new", &t, "empty", "-q"]).assert().success();
    assert!(fx.path("empty/run.sh").exists());
}

#[test]
fn destination_problems() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fx.write("afile", "x");
    fx.run()
        .args(["new", &t, "afile"])
        .assert()
        .code(1)
        .stderr(contains("exists and is not a directory"));
    fx.write("afile2", "");
    fx.run()
        .args(["new", &t, "afile2/sub/p"])
        .assert()
        .code(1)
        .stderr(contains("`afile2` is not a directory"));
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(fx.path("canary"), fx.path("link")).unwrap();
        fx.run()
            .args(["new", &t, "link", "--force"])
            .assert()
            .code(1)
            .stderr(contains("is a symlink"));
        // A symlink inside an existing destination is never written through.
        fx.run().args(["new", &t, "p", "-q"]).assert().success();
        fs::remove_file(fx.path("p/run.sh")).unwrap();
        std::os::unix::fs::symlink(fx.path("canary/keep.txt"), fx.path("p/run.sh")).unwrap();
        fx.run()
            .args(["new", &t, "p", "--force"])
            .assert()
            .code(1)
            .stderr(contains(
                "is a symlink; refusing to write `run.sh` through it",
            ));
    }
    fx.assert_canary();
}

#[test]
fn the_current_directory_as_destination() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fs::create_dir(fx.path("here")).unwrap();
    scaffold()
        .current_dir(fx.path("here"))
        .args(["new", &format!(".{t}"), ".", "-q"])
        .assert()
        .success();
    // The project is named after the directory, and written into it (not beside it).
    assert!(fx.path("here/here/page.html").exists());
    assert_eq!(fx.top(), ["canary", "demo", "here"]);
}

#[test]
fn the_suggested_force_command_keeps_the_search_path() {
    let fx = Fixture::new();
    fx.template(
        "mine",
        "name = \"mine\"\ndescription = \"d\"\nfollows = \"f\"\n",
        &[("a.txt", "a")],
    );
    fx.write("x/a.txt", "changed");
    fx.run()
        .args(["--templates", ".", "new", "mine", "x"])
        .assert()
        .code(1)
        .stderr(contains("scaffold --templates . new mine x --force"));
}

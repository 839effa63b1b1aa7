//! The destination: refusals, `--force`, staging, interrupted runs and leftovers, never a symlink.

use crate::fixture::{Fixture, basic, demo, ok, refused, rustix_is_root, scaffold, state, with};
use predicates::prelude::*;
use predicates::str::contains;
use std::fs;
use std::time::Duration;

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

#[cfg(unix)]
#[test]
fn interrupted_run_leaves_at_most_a_named_staging_folder() {
    let fx = Fixture::new();
    // Enough output that the write takes a moment.
    let files: Vec<(String, String)> = (0..200)
        .map(|i| {
            (
                format!("f{i}.txt.tera"),
                "{% for i in range(end=6000) %}0123456789{% endfor %}".to_string(),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    with(&fx, "", &refs);
    let bin = assert_cmd::cargo::cargo_bin("scaffold");
    let mut child = std::process::Command::new(&bin)
        .current_dir(fx.dir.path())
        .args(["new", "./t", "p", "-q"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(150));
    let _ = child.kill();
    let _ = child.wait();
    let top = fx.top();
    // Either it finished (the whole project), or nothing but a staging folder is left.
    if fx.path("p").exists() {
        assert_eq!(fx.tree("p").len(), 200);
    }
    for name in &top {
        assert!(
            ["canary", "t", "p"].contains(&name.as_str())
                || name.starts_with(".p.scaffold-staging."),
            "left behind: {name}"
        );
    }
    // A leftover from a killed run (its marker names a dead process) is removed by the next
    // run; a folder that merely has a similar name, without the marker, is the user's: kept.
    fx.write(
        ".scaffold-staging-0123456789abcdef/.scaffold-staging",
        "pid 4000000000\n",
    );
    fx.write(".scaffold-staging-0123456789abcdef/f0.txt", "partial");
    fx.write(".scaffold-staging-mine/notes.txt", "mine\n");
    ok(&fx, &["new", "./t", "q", "-q"]);
    assert!(!fx.path(".scaffold-staging-0123456789abcdef").exists());
    assert_eq!(
        fs::read_to_string(fx.path(".scaffold-staging-mine/notes.txt")).unwrap(),
        "mine\n"
    );
    assert_eq!(fx.tree("q").len(), 200);
    fx.assert_canary();
}

#[cfg(unix)]
#[test]
fn a_planted_symlink_at_a_temp_name_is_never_followed() {
    // Temp names are random and created exclusively; plant links at every name the old
    // scheme would have used and check nothing outside the destination changes.
    let fx = Fixture::new();
    basic(&fx);
    fx.write("victim.txt", "victim\n");
    fx.write("p/p.txt", "mine\n");
    for pid in 0..200 {
        let _ = std::os::unix::fs::symlink(
            fx.path("victim.txt"),
            fx.path(&format!("p/.p.txt.scaffold-tmp.{pid}")),
        );
    }
    ok(&fx, &["new", "./t", "p", "--force", "-q"]);
    assert_eq!(
        fs::read_to_string(fx.path("victim.txt")).unwrap(),
        "victim\n"
    );
    assert_eq!(fs::read_to_string(fx.path("p/p.txt")).unwrap(), "plain\n");
    assert!(
        fs::symlink_metadata(fx.path("p/p.txt"))
            .unwrap()
            .file_type()
            .is_file()
    );
    // Files that only look like scaffold's temporary files are the user's: kept.
    assert!(fx.path("p/.p.txt.scaffold-tmp.7").exists());
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
            contains("destination `p` is not empty and these files would be overwritten:")
                .and(contains("  README.md"))
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

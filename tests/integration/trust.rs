//! The cache and other inputs scaffold does not own (issue 19, items 10 and 12): a cache entry
//! tampered with or replaced by a link runs nothing; a record cannot make an update move your
//! own files, keep a resolved file conflicted, or render into its template.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use crate::fixture::{Fixture, assert_unchanged, git, ok, refused, state};

const HEAD: &str = "name = \"t\"\ndescription = \"d\"\nfollows = \"f\"\n";

/// A script that appends to `marker` when anything runs it.
#[cfg(unix)]
fn trap(fx: &Fixture) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let marker = fx.path("marker");
    let script = fx.path("evil.sh");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$0 $*\" >> '{}'\nexit 1\n",
            marker.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    (marker, script)
}

/// A bare repository `name.git` holding a template, and its `file://` URL.
fn published(fx: &Fixture, name: &str) -> String {
    let work = fx.path(&format!("{name}-work"));
    fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q"]);
    fs::write(
        work.join("template.toml"),
        HEAD.replace("\"t\"", "\"house\""),
    )
    .unwrap();
    fs::write(work.join("a.txt"), format!("{name}\n")).unwrap();
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-qm", "one"]);
    let bare = format!("{name}.git");
    git(
        fx.dir.path(),
        &["clone", "-q", "--bare", &format!("{name}-work"), &bare],
    );
    format!("file://{}", fx.path(&bare).display())
}

/// The cache entry's directory (there is one).
fn entry(fx: &Fixture) -> PathBuf {
    fs::read_dir(fx.path("cache"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "git"))
        .unwrap()
}

fn new_from(fx: &Fixture, url: &str, dest: &str) -> std::process::Output {
    fx.run()
        .env("SCAFFOLD_GIT_TIMEOUT", "20")
        .args(["new", url, dest, "--no-input", "-q"])
        .timeout(Duration::from_secs(90))
        .output()
        .unwrap()
}

/// 19.10: a cache entry whose configuration names programs (`remote.origin.uploadpack`, an
/// `include.path` that sets more, `core.alternateRefsCommand` with an alternate, `core.
/// sshCommand`), or that is a symlink to a repository configured so: the next fetch runs
/// none of them, and the linked repository is left as it was. Failed before: git ran the
/// entry's `uploadpack` (the canary's marker appeared), then the run died at the template's
/// 10 s limit.
#[cfg(unix)]
#[test]
fn a_tampered_cache_entry_runs_nothing() {
    let fx = Fixture::new();
    let (marker, script) = trap(&fx);
    let url = published(&fx, "repo");
    let out = new_from(&fx, &url, "p0");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = entry(&fx);
    let s = script.display();
    let included = fx.path("included.cfg");
    fs::write(
        &included,
        format!("[remote \"origin\"]\n\tuploadpack = {s}\n[core]\n\tsshCommand = {s}\n"),
    )
    .unwrap();
    let mut config = fs::read_to_string(dir.join("config")).unwrap();
    config.push_str(&format!(
        "[remote \"origin\"]\n\tuploadpack = {s}\n\treceivepack = {s}\n[include]\n\tpath = {}\n\
         [core]\n\tsshCommand = {s}\n\tfsmonitor = {s}\n\thooksPath = {}\n",
        included.display(),
        fx.dir.path().display()
    ));
    fs::write(dir.join("config"), config).unwrap();
    let inode = |p: &std::path::Path| {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(p).unwrap().ino()
    };
    let made = inode(&dir);
    let out = new_from(&fx, &url, "p1");
    assert!(
        !marker.exists(),
        "the entry's configuration ran a program: {}",
        fs::read_to_string(&marker).unwrap_or_default()
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::read_to_string(fx.path("p1/a.txt")).unwrap(), "repo\n");
    let config = fs::read_to_string(dir.join("config")).unwrap();
    assert!(
        !config.contains("evil"),
        "scaffold owns the entry's configuration: {config}"
    );
    assert_eq!(
        inode(&dir),
        made,
        "the entry was used, its configuration rewritten"
    );

    // Alternates, whose refs git would list with `core.alternateRefsCommand`: scaffold never
    // makes an entry with them, so it is made again.
    let _other = published(&fx, "other");
    let mut config = fs::read_to_string(dir.join("config")).unwrap();
    config.push_str(&format!("[core]\n\talternateRefsCommand = {s}\n"));
    fs::write(dir.join("config"), config).unwrap();
    fs::write(
        dir.join("objects/info/alternates"),
        format!("{}\n", fx.path("other.git/objects").display()),
    )
    .unwrap();
    let out = new_from(&fx, &url, "p1b");
    assert!(!marker.exists(), "alternates ran a program");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.join("objects/info/alternates").exists());
    fx.assert_canary();
}

/// 19.10: a cache entry that is a symlink to another repository (configured to run a program
/// on fetch) is never followed: the next fetch replaces the link with an entry of scaffold's
/// own, the repository it pointed at is left as it was; offline, the link is refused, naming
/// it. Failed before: git fetched into the linked repository and ran its `uploadpack`.
#[cfg(unix)]
#[test]
fn a_cache_entry_that_is_a_link_is_never_followed() {
    let fx = Fixture::new();
    let (marker, script) = trap(&fx);
    let s = script.display();
    let url = published(&fx, "repo");
    let out = new_from(&fx, &url, "p0");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = entry(&fx);
    let _other = published(&fx, "other");
    fs::remove_dir_all(&dir).unwrap();
    let target = fx.path("other.git");
    let mut config = fs::read_to_string(target.join("config")).unwrap();
    config.push_str(&format!("[remote \"origin\"]\n\tuploadpack = {s}\n"));
    fs::write(target.join("config"), config).unwrap();
    std::os::unix::fs::symlink(&target, &dir).unwrap();
    let before = state(&target);
    let out = new_from(&fx, &url, "p2");
    assert!(!marker.exists(), "a linked entry ran a program");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::read_to_string(fx.path("p2/a.txt")).unwrap(), "repo\n");
    assert_unchanged(&before, &state(&target), "the linked repository");
    assert!(
        fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()),
        "the link is replaced by an entry of scaffold's own"
    );
    // Offline, a linked entry is refused, naming it.
    fs::remove_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(&target, &dir).unwrap();
    let out = fx
        .run()
        .args(["new", &url, "p3", "--offline", "--no-input"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("symlink"), "{said}");
    assert!(!marker.exists());
    fx.assert_canary();
}

/// Security review, BROKEN 3: whatever stands in a cache entry where the next fetch writes
/// (`FETCH_HEAD` a symlink to a file outside, a hard link to one, a FIFO; a folder git writes
/// into, or `packed-refs`, a symlink to one outside) is never written through, nothing waits
/// on a FIFO, and a lock a killed git left below `refs/` does not make every fetch fail: the
/// update fetches (the entry made again where need be) and the files outside stay byte for
/// byte. Failed before: the victim was truncated and filled with fetch lines, a FIFO held
/// every fetch for the git timeout (and the stale lock failed every fetch).
#[cfg(unix)]
#[test]
fn a_fetch_writes_nothing_through_a_cache_entry() {
    type Plant = fn(&Fixture, &std::path::Path);
    let cases: [(&str, Plant); 7] = [
        ("FETCH_HEAD symlink", |fx, e| {
            std::os::unix::fs::symlink(fx.path("victim.txt"), e.join("FETCH_HEAD")).unwrap();
        }),
        ("FETCH_HEAD hard link", |fx, e| {
            fs::hard_link(fx.path("victim.txt"), e.join("FETCH_HEAD")).unwrap();
        }),
        ("FETCH_HEAD fifo", |_, e| {
            let made = std::process::Command::new("mkfifo")
                .arg(e.join("FETCH_HEAD"))
                .status();
            assert!(made.unwrap().success());
        }),
        ("packed-refs symlink", |fx, e| {
            let _ = fs::remove_file(e.join("packed-refs"));
            std::os::unix::fs::symlink(fx.path("victim.txt"), e.join("packed-refs")).unwrap();
        }),
        ("refs/tags symlink", |fx, e| {
            let _ = fs::remove_dir_all(e.join("refs/tags"));
            std::os::unix::fs::symlink(fx.path("outside"), e.join("refs/tags")).unwrap();
        }),
        ("a stale lock below refs/", |_, e| {
            fs::create_dir_all(e.join("refs/tags")).unwrap();
            fs::write(e.join("refs/tags/v9.lock"), "").unwrap();
        }),
        ("objects/pack symlink", |fx, e| {
            let _ = fs::remove_dir_all(e.join("objects/pack"));
            std::os::unix::fs::symlink(fx.path("outside"), e.join("objects/pack")).unwrap();
        }),
    ];
    for (what, plant) in cases {
        let fx = Fixture::new();
        let url = published(&fx, "house");
        let out = new_from(&fx, &url, "p");
        assert!(out.status.success(), "{}", said(&out));
        // A new tag upstream: the next fetch has something to write.
        git(&fx.path("house-work"), &["tag", "v9"]);
        git(
            &fx.path("house-work"),
            &["push", "-q", "../house.git", "v9"],
        );
        fx.write("victim.txt", "precious\n");
        fx.write("outside/keep.txt", "outside\n");
        let e = entry(&fx);
        let _ = fs::remove_file(e.join("FETCH_HEAD"));
        plant(&fx, &e);
        let before = state(&fx.path("outside"));
        let start = std::time::Instant::now();
        let out = fx
            .run()
            .current_dir(fx.path("p"))
            .env("SCAFFOLD_GIT_TIMEOUT", "20")
            .args(["update", "--no-input"])
            .timeout(Duration::from_secs(90))
            .output()
            .unwrap();
        assert!(out.status.success(), "{what}: {}", said(&out));
        assert!(start.elapsed() < Duration::from_secs(15), "{what}: waited");
        assert_eq!(
            fs::read_to_string(fx.path("victim.txt")).unwrap(),
            "precious\n",
            "{what}"
        );
        assert_unchanged(&before, &state(&fx.path("outside")), what);
        fx.assert_canary();
    }
}

/// The project `p` made from template `t` (`files`), and `v2/t` beside it (`v2`).
fn project(fx: &Fixture, files: &[(&str, &str)], v2: &[(&str, &str)]) {
    fx.template("t", HEAD, files);
    ok(fx, &["new", "./t", "p", "-q"]);
    fx.template("v2/t", HEAD, v2);
}

fn update(fx: &Fixture, args: &[&str]) -> std::process::Output {
    fx.run()
        .current_dir(fx.path("p"))
        .arg("update")
        .arg("--no-input")
        .args(args)
        .output()
        .unwrap()
}

fn said(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// 19.12: a record whose entry names your own untracked `.env` as generated from a file the
/// new template adds cannot make the update "rename" it there: `.env` stays as it is, and the
/// new file holds the template's bytes, none of yours. Failed before: `.env` was moved into
/// the new (tracked) `settings.py`, between conflict markers.
#[test]
fn a_record_cannot_rename_your_own_file() {
    let fx = Fixture::new();
    project(
        &fx,
        &[("a.txt", "a\n")],
        &[("a.txt", "a\n"), ("settings.py", "DEBUG = False\n")],
    );
    fx.write("p/.env", "SECRET=mine\n");
    let record = fx.path("p/.scaffold.toml");
    let mut text = fs::read_to_string(&record).unwrap();
    text.push_str(&format!(
        "\".env\" = {{ blob = \"{}\", from = \"settings.py\" }}\n",
        "1".repeat(40)
    ));
    fs::write(&record, text).unwrap();
    let out = update(&fx, &["--template", "../v2/t", "--dry-run"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(!said(&out).contains("rename"), "{}", said(&out));
    let out = update(&fx, &["--template", "../v2/t"]);
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(
        fs::read_to_string(fx.path("p/.env")).unwrap(),
        "SECRET=mine\n"
    );
    assert_eq!(
        fs::read_to_string(fx.path("p/settings.py")).unwrap(),
        "DEBUG = False\n"
    );
}

/// 19.12: a template whose text holds lines that look like conflict markers: once you resolve
/// the update's one real conflict, the file is no longer conflicted and the next update runs.
/// Failed before: the template's own lines kept it "conflicted" for ever, and every update
/// was refused.
#[test]
fn lines_that_look_like_markers_do_not_keep_a_file_conflicted() {
    let fx = Fixture::new();
    let look =
        "How a conflict looks:\n<<<<<<< yours\nexample\n=======\nexample\n>>>>>>> template 9\n";
    let body = |last: &str| format!("{look}1\n2\n3\n4\n5\n6\n7\n{last}\n");
    project(
        &fx,
        &[("doc.md", &body("last"))],
        &[("doc.md", &body("theirs"))],
    );
    fx.write("p/doc.md", &body("mine"));
    let out = update(&fx, &["--template", "../v2/t"]);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    let status = |fx: &Fixture| {
        let out = fx
            .run()
            .current_dir(fx.path("p"))
            .args(["status"])
            .output()
            .unwrap();
        said(&out)
    };
    assert!(status(&fx).contains("conflicted doc.md"), "{}", status(&fx));
    // Resolved: the one real conflict, at the end, replaced by your line.
    let merged = fs::read_to_string(fx.path("p/doc.md")).unwrap();
    let cut = merged.rfind("<<<<<<< yours\n").unwrap();
    assert!(merged[..cut].contains("<<<<<<< yours\n"), "{merged}");
    fs::write(fx.path("p/doc.md"), format!("{}mine\n", &merged[..cut])).unwrap();
    let shown = status(&fx);
    assert!(
        shown.contains("modified  doc.md") && !shown.contains("conflicted"),
        "{shown}"
    );
    // Half resolved (the real markers back), it is conflicted again.
    fs::write(fx.path("p/doc.md"), &merged).unwrap();
    assert!(status(&fx).contains("conflicted doc.md"), "{}", status(&fx));
    fs::write(fx.path("p/doc.md"), format!("{}mine\n", &merged[..cut])).unwrap();
    let out = update(&fx, &["--template", "../v2/t"]);
    assert!(out.status.success(), "{}", said(&out));
}

/// 19.12: `update --template T` (or a record naming T) with the project inside T is refused,
/// as `new` refuses a destination inside its template. Failed before: the update rendered
/// the template into itself.
#[test]
fn an_update_never_renders_into_its_template() {
    let fx = Fixture::new();
    fx.template(
        "outer",
        &HEAD.replace("\"t\"", "\"outer\""),
        &[("a.txt", "a\n")],
    );
    ok(&fx, &["new", "./outer", "proj", "-q"]);
    fs::rename(fx.path("proj"), fx.path("outer/proj")).unwrap();
    refused(
        &fx,
        &["update", "outer/proj", "--template", "outer", "--no-input"],
        2,
        &["inside the template directory", "outer"],
    );
    let record = fx.path("outer/proj/.scaffold.toml");
    let text = fs::read_to_string(&record)
        .unwrap()
        .replace("path = \"../outer\"", "path = \"..\"");
    fs::write(&record, text).unwrap();
    refused(
        &fx,
        &["update", "outer/proj", "--no-input"],
        2,
        &["inside the template directory"],
    );
}

/// Security review, weak points on names from disk: in a folder that `--name` moves, a file
/// whose name holds a newline cannot fake a line of the plan (it is shown escaped, on its own
/// `left` line); a name that is not UTF-8 is reported as such (shown truthfully, `\xe9`), not
/// as "not a regular file"; and a tree deeper than any path scaffold may write is reported as
/// `left`, not a failure. Failed before: the newline printed a bogus `remove README.md` line,
/// the name was "not a regular file", and the deep tree ended the update with "cannot read
/// ... File name too long".
#[cfg(unix)]
#[test]
fn names_from_disk_are_reported_truthfully_on_one_line() {
    use std::os::unix::ffi::OsStrExt as _;
    let fx = Fixture::new();
    fx.template(
        "t",
        HEAD,
        &[
            ("{{ package_name }}/__init__.py", ""),
            (
                "{{ package_name }}/app.py.tera",
                "NAME = \"{{ project_name }}\"\n",
            ),
            ("README.md.tera", "# {{ project_name }}\n"),
        ],
    );
    ok(&fx, &["new", "./t", "p", "--name", "Shop", "-q"]);
    fx.write("p/shop/fake\n  remove    README.md", "mine\n");
    let raw = fx
        .path("p/shop")
        .join(std::ffi::OsStr::from_bytes(b"caf\xe9.py"));
    fs::write(&raw, "mine\n").unwrap();
    // 2,100 folders deep: a path of more than 4,200 bytes below `shop/` (made one folder at a
    // time, each relative to the one before: no path that long can be named at once).
    {
        use rustix::fs::{Mode, OFlags};
        let mut dir = rustix::fs::open(
            fx.path("p/shop"),
            OFlags::RDONLY | OFlags::DIRECTORY,
            Mode::empty(),
        )
        .unwrap();
        for name in std::iter::once("deep").chain(std::iter::repeat_n("a", 2100)) {
            rustix::fs::mkdirat(&dir, name, Mode::from_raw_mode(0o755)).unwrap();
            dir = rustix::fs::openat(
                &dir,
                name,
                OFlags::RDONLY | OFlags::DIRECTORY,
                Mode::empty(),
            )
            .unwrap();
        }
        let file = rustix::fs::openat(
            &dir,
            "f.txt",
            OFlags::WRONLY | OFlags::CREATE,
            Mode::from_raw_mode(0o644),
        )
        .unwrap();
        rustix::io::write(&file, b"mine\n").unwrap();
    }
    for args in [
        &["--name", "Shop Two", "--dry-run"][..],
        &["--name", "Shop Two"],
    ] {
        let out = update(&fx, args);
        let said = said(&out);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            &said[..said.len().min(3000)]
        );
        assert!(
            !said.lines().any(|l| l.trim_start().starts_with("remove")),
            "a name faked a plan line:\n{said}"
        );
        assert!(
            said.lines()
                .any(|l| l.starts_with("  left      shop/fake\\n  remove    README.md  (")),
            "{said}"
        );
        let line = said
            .lines()
            .find(|l| l.contains("caf\\xe9.py"))
            .unwrap_or_else(|| panic!("{said}"));
        assert!(
            line.contains("left") && line.contains("not UTF-8"),
            "{line}"
        );
        let line = said
            .lines()
            .find(|l| l.contains("shop/deep/a/a/"))
            .unwrap_or_else(|| panic!("{said}"));
        assert!(
            line.contains("left") && line.contains("too deep to move"),
            "{line}"
        );
    }
    assert_eq!(fs::read_to_string(&raw).unwrap(), "mine\n");
    assert!(fx.path("p/shop/deep/a/a").is_dir());
    assert_eq!(
        fs::read_to_string(fx.path("p/shop_two/app.py")).unwrap(),
        "NAME = \"Shop Two\"\n"
    );
    fx.assert_canary();
}

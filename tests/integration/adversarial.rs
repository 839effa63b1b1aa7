//! Hostile input, one case each: every case asserts the exit code, that the message names the
//! culprit, and that nothing outside the templates changed (a canary beside the destination,
//! the destination itself, and no staging leftovers), unless the case is meant to succeed.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::fixture::Fixture;

const MANIFEST: &str = r#"
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
fn basic(fx: &Fixture) {
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
fn with(fx: &Fixture, manifest: &str, files: &[(&str, &str)]) {
    fx.template(
        "t",
        &format!("name = \"t\"\ndescription = \"d\"\nfollows = \"f\"\n{manifest}"),
        files,
    );
}

/// Every file and directory below the fixture except the template, with contents.
fn state(root: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .flatten()
    {
        let rel = e.path().strip_prefix(root).unwrap().display().to_string();
        if rel.is_empty() || rel == "t" || rel.starts_with("t/") {
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

/// Runs `scaffold ARGS` in the fixture and checks a refusal: exit code, culprit, nothing changed.
fn refused(fx: &Fixture, args: &[&str], code: i32, culprits: &[&str]) {
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
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    for culprit in culprits {
        assert!(
            stderr.contains(culprit),
            "{args:?}: {culprit:?} not named in:\n{stderr}"
        );
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(state(fx.dir.path()), before, "{args:?} changed something");
    fx.assert_canary();
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{args:?} took {:?}",
        start.elapsed()
    );
}

fn ok(fx: &Fixture, args: &[&str]) {
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

// --- project names and -d values -------------------------------------------------------

#[test]
fn name_with_parent_dirs_cannot_escape() {
    let fx = Fixture::new();
    basic(&fx);
    refused(
        &fx,
        &["new", "./t", "p", "--name", "../evil"],
        2,
        &[
            "project name `../evil`",
            "{{ project_name }}.txt",
            "separator",
        ],
    );
}

#[test]
fn absolute_name_cannot_escape() {
    let fx = Fixture::new();
    basic(&fx);
    refused(
        &fx,
        &["new", "./t", "p", "--name", "/etc/evil"],
        2,
        &["project name `/etc/evil`", "{{ project_name }}.txt"],
    );
}

#[test]
fn name_with_control_character() {
    let fx = Fixture::new();
    basic(&fx);
    refused(
        &fx,
        &["new", "./t", "p", "--name", "a\u{7}b"],
        2,
        &["project name", "control character"],
    );
}

#[test]
fn very_long_name() {
    let fx = Fixture::new();
    basic(&fx);
    let long = "a".repeat(300);
    refused(
        &fx,
        &["new", "./t", "p", "--name", &long],
        2,
        &["longer than 100 characters"],
    );
}

#[test]
fn value_dot_dot() {
    let fx = Fixture::new();
    basic(&fx);
    refused(
        &fx,
        &["new", "./t", "p", "-d", "dir=.."],
        2,
        &["{{ dir }}/f.txt.tera", "`..`"],
    );
}

#[test]
fn value_traversal() {
    let fx = Fixture::new();
    basic(&fx);
    refused(
        &fx,
        &["new", "./t", "p", "-d", "dir=../../canary"],
        2,
        &["{{ dir }}/f.txt.tera", "separator"],
    );
}

#[test]
fn value_absolute() {
    let fx = Fixture::new();
    basic(&fx);
    refused(
        &fx,
        &["new", "./t", "p", "-d", "dir=/tmp/x"],
        2,
        &["{{ dir }}/f.txt.tera", "/tmp/x"],
    );
}

#[test]
fn value_empty_component() {
    let fx = Fixture::new();
    basic(&fx);
    refused(
        &fx,
        &["new", "./t", "p", "-d", "dir="],
        2,
        &["{{ dir }}/f.txt.tera", "empty component"],
    );
}

#[test]
fn value_drive_prefix() {
    let fx = Fixture::new();
    basic(&fx);
    refused(
        &fx,
        &["new", "./t", "p", "-d", "dir=C:evil"],
        2,
        &["drive prefix"],
    );
}

#[test]
fn value_backslash() {
    let fx = Fixture::new();
    basic(&fx);
    refused(
        &fx,
        &["new", "./t", "p", "-d", "dir=..\\..\\x"],
        2,
        &["separator"],
    );
}

#[test]
fn value_control_character() {
    let fx = Fixture::new();
    basic(&fx);
    refused(
        &fx,
        &["new", "./t", "p", "-d", "dir=a\nb"],
        2,
        &["`-d dir=", "control character"],
    );
}

#[test]
fn value_too_long_for_a_file_name() {
    let fx = Fixture::new();
    basic(&fx);
    let long = format!("dir={}", "x".repeat(300));
    refused(
        &fx,
        &["new", "./t", "p", "-d", &long],
        2,
        &["longer than 255 bytes"],
    );
}

#[test]
fn tera_syntax_in_values_comes_out_literally() {
    let fx = Fixture::new();
    basic(&fx);
    ok(
        &fx,
        &[
            "new",
            "./t",
            "p",
            "-d",
            "value={{ cookie_secret }}{% include 'x' %}",
            "-d",
            "dir={{ year }}",
        ],
    );
    assert_eq!(
        fs::read_to_string(fx.path("p/{{ year }}/f.txt")).unwrap(),
        "value={{ cookie_secret }}{% include 'x' %}\n"
    );
}

#[test]
fn very_long_value_in_content() {
    let fx = Fixture::new();
    basic(&fx);
    let long = format!("value={}", "y".repeat(100_000));
    ok(&fx, &["new", "./t", "p", "-d", &long]);
    assert_eq!(fs::read(fx.path("p/sub/f.txt")).unwrap().len(), 100_000 + 7);
}

#[test]
fn unknown_define() {
    let fx = Fixture::new();
    basic(&fx);
    refused(
        &fx,
        &["new", "./t", "p", "-d", "valeu=1"],
        2,
        &["`valeu`", "did you mean `value`"],
    );
}

// --- manifests ---------------------------------------------------------------------------

#[test]
fn manifest_unknown_keys_including_hooks() {
    let fx = Fixture::new();
    with(
        &fx,
        "hooks = [\"rm -rf /\"]\n[[variables]]\nname = \"a\"\ntype = \"string\"\nprompt = \"x\"\n",
        &[("a.txt", "a")],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["`hooks`: unknown key", "variables[0].prompt: unknown key"],
    );
}

#[test]
fn manifest_wrong_types() {
    let fx = Fixture::new();
    with(
        &fx,
        "executable = \"a.txt\"\n[[variables]]\nname = \"n\"\ntype = \"int\"\ndefault = \"3\"\n",
        &[("a.txt", "a")],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &[
            "`executable`: expected an array of strings",
            "variables[0].default: expected an integer",
        ],
    );
}

#[test]
fn manifest_cyclic_defaults() {
    let fx = Fixture::new();
    with(
        &fx,
        "[[variables]]\nname = \"a\"\ntype = \"string\"\ndefault = \"{{ b }}\"\n\
         [[variables]]\nname = \"b\"\ntype = \"string\"\ndefault = \"{{ a }}\"\n",
        &[("a.txt", "a")],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["variables[0].default: refers to `b`"],
    );
}

#[test]
fn manifest_paths_leaving_the_template() {
    let fx = Fixture::new();
    fx.write("secret.sh", "#!/bin/sh\n");
    with(
        &fx,
        "executable = [\"../secret.sh\"]\n[[conditional]]\nwhen = \"true\"\npaths = [\"../canary\"]\n",
        &[("a.txt", "a")],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &[
            "`../secret.sh`, which is not a file of the template",
            "`../canary` is not a file or directory",
        ],
    );
}

#[test]
fn manifest_not_toml() {
    let fx = Fixture::new();
    fx.template("t", "name = \"t\"\n[[variables\n", &[("a.txt", "a")]);
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["t/template.toml", "not valid TOML"],
    );
}

#[test]
fn manifest_bad_when_expression() {
    let fx = Fixture::new();
    with(
        &fx,
        "[[conditional]]\nwhen = \"a ==\"\npaths = [\"a.txt\"]\n",
        &[("a.txt", "a")],
    );
    refused(&fx, &["new", "./t", "p"], 1, &["conditional[0].when"]);
}

#[test]
fn manifest_missing() {
    let fx = Fixture::new();
    fx.write("t/a.txt", "a");
    refused(&fx, &["new", "./t", "p"], 2, &["has no `template.toml`"]);
}

// --- file and directory names --------------------------------------------------------------

#[test]
fn file_name_rendering_to_dot_dot() {
    let fx = Fixture::new();
    with(&fx, "", &[("{{ \"..\" }}/x.txt", "x")]);
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["{{ \"..\" }}/x.txt", "`..`"],
    );
}

#[test]
fn file_name_rendering_to_an_absolute_path() {
    let fx = Fixture::new();
    // A literal `/` would split the component, so the path comes from a computed value.
    with(
        &fx,
        "[[computed]]\nname = \"target\"\nvalue = \"/tmp/evil\"\n",
        &[("{{ target }}", "x")],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["{{ target }}", "renders to `/tmp/evil`"],
    );
}

#[test]
fn two_files_rendering_to_one_path() {
    let fx = Fixture::new();
    with(&fx, "", &[("a.txt", "x"), ("a.txt.tera", "y")]);
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["`a.txt` and `a.txt.tera` both render to `a.txt`"],
    );
}

#[test]
fn file_where_a_directory_is_needed() {
    let fx = Fixture::new();
    with(&fx, "", &[("x.tera", "file"), ("x/y.txt", "y")]);
    refused(&fx, &["new", "./t", "p"], 1, &["needs a directory there"]);
}

#[test]
fn file_named_only_the_suffix() {
    let fx = Fixture::new();
    with(&fx, "", &[(".tera", "x")]);
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["`.tera`", "empty component"],
    );
}

// --- symlinks and special files --------------------------------------------------------------

#[cfg(unix)]
#[test]
fn symlinked_file_in_template() {
    let fx = Fixture::new();
    with(&fx, "", &[("a.txt", "a")]);
    std::os::unix::fs::symlink("/etc/passwd", fx.path("t/passwd")).unwrap();
    refused(&fx, &["new", "./t", "p"], 1, &["`passwd` is a symlink"]);
}

#[cfg(unix)]
#[test]
fn symlinked_directory_in_template() {
    let fx = Fixture::new();
    with(&fx, "", &[("a.txt", "a")]);
    std::os::unix::fs::symlink(fx.path("canary"), fx.path("t/linked")).unwrap();
    refused(&fx, &["new", "./t", "p"], 1, &["`linked` is a symlink"]);
}

#[cfg(unix)]
#[test]
fn fifo_in_template_does_not_hang() {
    let fx = Fixture::new();
    with(&fx, "", &[("a.txt", "a")]);
    let status = std::process::Command::new("mkfifo")
        .arg(fx.path("t/pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["`pipe` is not a regular file"],
    );
}

#[cfg(unix)]
#[test]
fn socket_in_template() {
    let fx = Fixture::new();
    with(&fx, "", &[("a.txt", "a")]);
    let _listener = std::os::unix::net::UnixListener::bind(fx.path("t/sock")).unwrap();
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["`sock` is not a regular file"],
    );
}

#[cfg(unix)]
#[test]
fn template_directory_is_a_symlink() {
    let fx = Fixture::new();
    with(&fx, "", &[("a.txt", "a")]);
    std::os::unix::fs::symlink(fx.path("t"), fx.path("tl")).unwrap();
    refused(
        &fx,
        &["new", "./tl", "p"],
        1,
        &["template directory `./tl` is a symlink"],
    );
}

#[cfg(unix)]
#[test]
fn manifest_is_a_symlink() {
    let fx = Fixture::new();
    fx.write(
        "elsewhere.toml",
        "name = \"t\"\ndescription = \"d\"\nfollows = \"f\"\n",
    );
    fs::create_dir(fx.path("t")).unwrap();
    std::os::unix::fs::symlink(fx.path("elsewhere.toml"), fx.path("t/template.toml")).unwrap();
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["template.toml` is a symlink"],
    );
}

// --- content ---------------------------------------------------------------------------------

#[test]
fn syntax_errors_in_several_files() {
    let fx = Fixture::new();
    with(
        &fx,
        "",
        &[
            ("a.txt.tera", "ok\n{% if x %}\n"),
            ("b.txt.tera", "{{ 1 + }}\n"),
        ],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["a.txt.tera:3:1", "b.txt.tera:1:"],
    );
}

#[test]
fn undefined_variable() {
    let fx = Fixture::new();
    with(&fx, "", &[("a.txt.tera", "line\n  {{ projcet_name }}\n")]);
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["a.txt.tera:2:", "projcet_name"],
    );
}

#[test]
fn recursive_include() {
    let fx = Fixture::new();
    with(
        &fx,
        "",
        &[
            ("a.txt.tera", "{% include \"b.txt.tera\" %}"),
            ("b.txt.tera", "{% include \"a.txt.tera\" %}"),
        ],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["Circular include", "a.txt.tera"],
    );
}

#[test]
fn include_outside_the_template() {
    let fx = Fixture::new();
    with(
        &fx,
        "",
        &[("a.txt.tera", "{% include \"../canary/keep.txt\" %}")],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["a.txt.tera:1:", "Unknown template `../canary/keep.txt`"],
    );
}

#[test]
fn recursive_component() {
    let fx = Fixture::new();
    with(
        &fx,
        "",
        &[(
            "a.txt.tera",
            "{% component Rec(n: Integer) %}{{ Rec(n=n+1) }}{% endcomponent Rec %}{{ Rec(n=1) }}",
        )],
    );
    refused(&fx, &["new", "./t", "p"], 1, &["a.txt.tera"]);
}

#[test]
fn huge_loop() {
    let fx = Fixture::new();
    with(
        &fx,
        "",
        &[(
            "a.txt.tera",
            "{% for i in range(end=1000000000) %}x{% endfor %}",
        )],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["a.txt.tera:1:", "exceeds the limit"],
    );
}

#[test]
fn huge_output() {
    let fx = Fixture::new();
    with(
        &fx,
        "",
        &[(
            "big.txt.tera",
            "{% for i in range(end=100000) %}{% for j in range(end=1000) %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}{% endfor %}",
        )],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["big.txt.tera", "size limit"],
    );
}

#[test]
fn runaway_loop_ends_in_bounded_time() {
    let fx = Fixture::new();
    with(
        &fx,
        "",
        &[(
            "slow.txt.tera",
            "{% for i in range(end=100000) %}{% for j in range(end=100000) %}{% endfor %}{% endfor %}",
        )],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["slow.txt.tera", "took more than 10 s"],
    );
}

#[test]
fn binary_and_non_utf8_files_are_copied_byte_for_byte() {
    let fx = Fixture::new();
    with(&fx, "", &[("a.txt", "a")]);
    let binary: Vec<u8> = (0..=255u8).chain([0, 0, 0xff, 0xfe]).collect();
    fs::write(fx.path("t/logo.png"), &binary).unwrap();
    fs::write(fx.path("t/latin1.txt"), b"caf\xe9 {{ not rendered }}\n").unwrap();
    ok(&fx, &["new", "./t", "p"]);
    assert_eq!(fs::read(fx.path("p/logo.png")).unwrap(), binary);
    assert_eq!(
        fs::read(fx.path("p/latin1.txt")).unwrap(),
        b"caf\xe9 {{ not rendered }}\n"
    );
}

#[test]
fn non_utf8_file_marked_for_rendering() {
    let fx = Fixture::new();
    with(&fx, "", &[("a.txt", "a")]);
    fs::write(fx.path("t/latin1.txt.tera"), b"caf\xe9\n").unwrap();
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["latin1.txt.tera", "not valid UTF-8"],
    );
}

#[test]
fn crlf_and_bom_are_preserved() {
    let fx = Fixture::new();
    with(
        &fx,
        "",
        &[
            (
                "a.txt.tera",
                "\u{feff}first {{ project_name }}\r\nsecond\r\n",
            ),
            ("b.txt", "\u{feff}x\r\n"),
        ],
    );
    ok(&fx, &["new", "./t", "p"]);
    assert_eq!(
        fs::read(fx.path("p/a.txt")).unwrap(),
        "\u{feff}first p\r\nsecond\r\n".as_bytes()
    );
    assert_eq!(
        fs::read(fx.path("p/b.txt")).unwrap(),
        "\u{feff}x\r\n".as_bytes()
    );
}

// --- destination state -----------------------------------------------------------------------

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
fn rustix_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

// --- interruption ----------------------------------------------------------------------------

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
fn huge_manifest() {
    let fx = Fixture::new();
    fx.write(
        "t/template.toml",
        &format!("name = \"t\"\n# {}\n", "x".repeat(2 * 1024 * 1024)),
    );
    refused(
        &fx,
        &["check", "./t"],
        1,
        &["template.toml` is larger than 1024 KiB"],
    );
}

#[test]
fn embedded_names_are_exact() {
    let fx = Fixture::new();
    refused(
        &fx,
        &["new", "embedded:chat/", "x"],
        2,
        &["no embedded template named `chat/`"],
    );
    refused(
        &fx,
        &["new", "embedded:../chat", "x"],
        2,
        &["no embedded template named `../chat`"],
    );
}

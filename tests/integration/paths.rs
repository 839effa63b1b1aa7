//! Rendered paths: every component checked, nothing written outside the destination.

use std::fs;

use crate::fixture::{Fixture, ok, refused, with};
use predicates::prelude::*;
use predicates::str::contains;

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

#[test]
fn rendered_paths_cannot_leave_the_destination() {
    let fx = Fixture::new();
    fx.template(
        "paths",
        "name = \"paths\"\ndescription = \"d\"\nfollows = \"f\"\n\
         [[variables]]\nname = \"dir\"\ntype = \"string\"\ndefault = \"sub\"\n",
        &[("{{ dir }}/f.txt", "x\n")],
    );
    for (value, why) in [
        ("..", "the component `..`"),
        ("a/b", "path separator"),
        ("/etc", "path separator"),
        ("", "empty component"),
        ("C:", "drive prefix"),
        ("a\\b", "path separator"),
    ] {
        fx.run()
            .args(["new", "./paths", "x", "-d", &format!("dir={value}")])
            .assert()
            .code(2)
            .stderr(contains(why).and(contains("{{ dir }}/f.txt")));
        assert_eq!(fx.top(), ["canary", "paths"], "dir={value:?}");
    }
    fx.assert_canary();
    // Tera syntax inside a value comes out literally.
    fx.run()
        .args(["new", "./paths", "x", "-d", "dir={{ project_name }}"])
        .assert()
        .success();
    assert!(fx.path("x/{{ project_name }}/f.txt").exists());
}

// --- version-control metadata ------------------------------------------------------------

/// A template that ships `.git/config` (with `core.fsmonitor`) or a hook would make the first
/// `git status` in the new project run its command: no generated path may name `.git`, `.hg`
/// or `.svn`, in any letter case, literally or through a value.
#[test]
fn vcs_metadata_is_never_generated() {
    for (path, culprit) in [
        ("sub/.git/config", "sub/.git/config"),
        ("sub/.GIT/hooks/pre-commit", "sub/.GIT/hooks/pre-commit"),
        ("x/.Git./HEAD", "x/.Git./HEAD"),
        ("a/.hg/hgrc", "a/.hg/hgrc"),
        ("lib/.svn/entries", "lib/.svn/entries"),
    ] {
        let fx = Fixture::new();
        with(
            &fx,
            "",
            &[
                (path, "[core]\n\tfsmonitor = touch pwned\n"),
                ("ok.txt", "ok"),
            ],
        );
        refused(&fx, &["new", "./t", "p"], 1, &[culprit, "version-control"]);
        refused(&fx, &["check", "./t"], 1, &[culprit, "version-control"]);
    }
    // Rendered: by the template's default (exit 1) and by a -d value (the user's: exit 2).
    let fx = Fixture::new();
    with(
        &fx,
        "[[variables]]\nname = \"dir\"\ntype = \"string\"\ndefault = \".GIT\"\n",
        &[("{{ dir }}/hooks/post-checkout", "#!/bin/sh\ntouch pwned\n")],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["{{ dir }}/hooks/post-checkout", "`.GIT`"],
    );
    refused(
        &fx,
        &["check", "./t"],
        1,
        &["with the defaults", "version-control"],
    );
    let fx = Fixture::new();
    with(
        &fx,
        "[[variables]]\nname = \"dir\"\ntype = \"string\"\ndefault = \"scripts\"\n",
        &[("{{ dir }}/hooks/post-checkout", "#!/bin/sh\ntouch pwned\n")],
    );
    refused(
        &fx,
        &["new", "./t", "p", "-d", "dir=.git"],
        2,
        &["-d dir=.git", "version-control"],
    );
}

/// The template's own repository (`.git` at its root) is not part of the template: never
/// read, never written; and `--force` into an existing repository leaves its `.git` alone.
#[test]
fn the_templates_own_repository_is_not_copied_and_a_destination_repository_is_untouched() {
    let fx = Fixture::new();
    with(&fx, "", &[("app.py", "print()\n")]);
    fx.write("t/.git/config", "[core]\n\tfsmonitor = touch pwned\n");
    fx.write("t/.git/hooks/post-checkout", "#!/bin/sh\ntouch pwned\n");
    ok(&fx, &["new", "./t", "p", "-q"]);
    assert_eq!(fx.tree("p"), [".scaffold.toml", "app.py"]);
    fx.write("q/.git/config", "[core]\n\tbare = false\n");
    fx.write("q/.git/HEAD", "ref: refs/heads/main\n");
    let before = fx.tree("q/.git");
    ok(&fx, &["new", "./t", "q", "--force", "-q"]);
    assert_eq!(fx.tree("q/.git"), before);
    assert_eq!(
        fs::read_to_string(fx.path("q/.git/config")).unwrap(),
        "[core]\n\tbare = false\n"
    );
    assert!(!fx.path("pwned").exists() && !fx.path("p/pwned").exists());
}

// --- lengths the system can hold ---------------------------------------------------------

#[test]
fn paths_too_long_for_the_system_are_reported_before_writing() {
    // The template's paths are short; what they render to is not.
    let manifest = format!(
        "[[variables]]\nname = \"d\"\ntype = \"string\"\ndefault = \"{}\"\n",
        "d".repeat(200)
    );
    let fx = Fixture::new();
    with(
        &fx,
        &manifest,
        &[(&format!("{}f.txt", "{{ d }}/".repeat(21)), "x")],
    );
    refused(&fx, &["check", "./t"], 1, &["bytes long", "4095"]);
    refused(&fx, &["new", "./t", "p"], 1, &["bytes long"]);
    // Short enough alone, too long below a long destination: refused before anything is
    // written (not `File name too long` half-way through staging).
    let fx = Fixture::new();
    with(
        &fx,
        &manifest,
        &[(&format!("{}f.txt", "{{ d }}/".repeat(19)), "x")],
    );
    ok(&fx, &["check", "./t"]);
    let dest = vec!["e".repeat(100); 5].join("/");
    refused(
        &fx,
        &["new", "./t", &dest],
        1,
        &["longer than the 4095 bytes", "f.txt"],
    );
    assert!(!fx.path("eeee").exists());
}

#[test]
fn a_component_too_long_for_a_file_system_is_reported_by_check() {
    let fx = Fixture::new();
    with(
        &fx,
        "[[variables]]\nname = \"n\"\ntype = \"string\"\ndefault = \"{{ project_name }}\"\n",
        &[(&format!("{}.txt", "{{ n }}".repeat(20)), "x")],
    );
    // `check` renders with the project name `check-project`: 20 x 13 bytes.
    refused(&fx, &["check", "./t"], 1, &["longer than 255 bytes"]);
    refused(
        &fx,
        &["new", "./t", "p", "--name", "fourteen-bytes"],
        2,
        &["project name `fourteen-bytes`", "longer than 255 bytes"],
    );
}

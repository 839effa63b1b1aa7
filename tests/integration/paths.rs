//! Rendered paths: every component checked, nothing written outside the destination.

use crate::fixture::{Fixture, refused, with};
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

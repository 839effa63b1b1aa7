//! Rendering: errors named by file, line and column; bounded size, time and memory; bytes kept.

use crate::fixture::{Fixture, ok, refused, with};
use predicates::prelude::*;
use predicates::str::contains;
use std::fs;

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

#[test]
fn template_errors_name_file_line_and_column() {
    let fx = Fixture::new();
    fx.template(
        "broken",
        "name = \"broken\"\ndescription = \"d\"\nfollows = \"f\"\n",
        &[
            ("ok.txt.tera", "fine {{ project_name }}\n"),
            (
                "bad.txt.tera",
                "line one\n{% if project_name %}\nunclosed\n",
            ),
            (
                "bad2.txt.tera",
                "x\n  {{ project_name | no_such_filter }}\n",
            ),
        ],
    );
    fx.run()
        .args(["new", "./broken", "x"])
        .assert()
        .code(1)
        .stderr(contains("bad.txt.tera:").and(contains("bad2.txt.tera:2:")));
    assert_eq!(fx.top(), ["broken", "canary"]);
    fx.template(
        "undef",
        "name = \"undef\"\ndescription = \"d\"\nfollows = \"f\"\n",
        &[("u.txt.tera", "a\nb {{ nope }}\n")],
    );
    fx.run()
        .args(["new", "./undef", "x"])
        .assert()
        .code(1)
        .stderr(contains("undef/u.txt.tera:2:").and(contains("nope")));
    assert!(!fx.path("x").exists());
}

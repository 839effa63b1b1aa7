//! Rendering: errors named by file, line and column; bounded size, time and memory; bytes kept.

#[cfg(unix)]
use crate::fixture::run_limited;
use crate::fixture::{Fixture, ok, refused, state, with};
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
            "{% component rec(n) %}{{<rec n={n + 1}/>}}{% endcomponent rec %}{{<rec n={1}/>}}",
        )],
    );
    // It really recurses: Tera stops it at its depth limit, named with the file.
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &[
            "a.txt.tera",
            "Maximum render recursion depth for components exceeded",
        ],
    );
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
    // Among 300 quick files, so that files render on several threads where there are several
    // cores: the message names the file that never ends, not the last one another thread took.
    let fx = Fixture::new();
    with_many(
        &fx,
        "z",
        300,
        &[(
            "a/slow.txt.tera",
            "{% for i in range(end=100000) %}{% for j in range(end=100000) %}{% endfor %}{% endfor %}",
        )],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["rendering `./t/a/slow.txt.tera` took more than 10 s"],
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

/// A template that doubles a string again and again, or chains `replace`, ends with a clear
/// error naming the file and the limit well before 1 GiB, in `new` and in `check`. Run under
/// `ulimit -v` so that a regression fails the test instead of taking the machine down.
#[cfg(unix)]
#[test]
fn memory_bombs_end_with_a_clear_error() {
    let bombs = [
        (
            "double.txt.tera",
            "{% set_global s = \"xxxxxxxxxxxxxxxx\" %}{% for i in range(end=34) %}{% set_global s = s ~ s %}{% endfor %}{{ s | length }}",
        ),
        (
            "replace.txt.tera",
            "{{ \"x\" | replace(from=\"x\", to=\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\") | replace(from=\"x\", to=\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\") | replace(from=\"x\", to=\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\") | replace(from=\"x\", to=\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\") | replace(from=\"x\", to=\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\") | length }}",
        ),
    ];
    for (name, text) in bombs {
        let fx = Fixture::new();
        with(&fx, "", &[(name, text)]);
        let before = state(fx.dir.path());
        for args in [&["new", "./t", "p"][..], &["check", "./t"][..]] {
            // 2 GiB of address space: the heap limit (512 MiB) must end it first.
            let out = run_limited(&fx, 2 * 1024 * 1024, args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{name} {args:?}: {stderr}");
            assert!(stderr.contains(name), "{name} {args:?}: {stderr}");
            assert!(
                stderr.contains("512 MiB of memory"),
                "{name} {args:?}: {stderr}"
            );
            assert!(!stderr.contains("memory allocation of"), "{stderr}");
            assert_eq!(state(fx.dir.path()), before, "{args:?} changed something");
        }
    }
}

/// 25,000 variables fit in the 1 MiB manifest; resolving them is linear (it took 63 s when
/// each one rebuilt the whole context).
#[test]
fn many_variables_resolve_at_once() {
    use std::fmt::Write as _;
    let fx = Fixture::new();
    let mut manifest = String::from("variables = [\n");
    for i in 0..25_000 {
        let _ = writeln!(manifest, "{{name=\"v{i}\",type=\"bool\",default=true}},");
    }
    manifest.push_str("]\n");
    assert!(manifest.len() < 1024 * 1024);
    with(&fx, &manifest, &[("a.txt.tera", "{{ v24999 }}")]);
    ok(&fx, &["new", "./t", "p", "-q"]);
    assert_eq!(fs::read_to_string(fx.path("p/a.txt")).unwrap(), "true");
}

/// A validation rule is bounded in size, and checking values against one is inside the run's
/// time budget.
#[test]
fn rules_are_bounded() {
    let fx = Fixture::new();
    let long_rule = format!(
        "[[variables]]\nname = \"v\"\ntype = \"string\"\ndefault = \"a\"\nregex = '{}'\n",
        "a?".repeat(3000)
    );
    with(&fx, &long_rule, &[]);
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["variables[0].regex", "more than the 4096"],
    );
    // A rule at the size limit over a default near the manifest's: slow to match, so the
    // budget ends it with a message naming the stage.
    let fx = Fixture::new();
    let slow = format!(
        "[[variables]]\nname = \"v\"\ntype = \"string\"\ndefault = \"{}\"\nregex = '{}'\n",
        "a".repeat(900_000),
        "(a|aa|aaa|b)*".repeat(300)
    );
    with(&fx, &slow, &[]);
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["reading the manifest of `./t`", "took more than 10 s"],
    );
}

#[test]
fn a_file_name_may_include_a_template_file() {
    // Among 200 files, with the included one last: it is in the shard that renders names.
    let fx = Fixture::new();
    with_many(
        &fx,
        "f",
        200,
        &[
            ("{% include \"zz_n.tera\" %}.txt", ""),
            ("zz_n.tera", "mod{{ project_name }}"),
        ],
    );
    ok(&fx, &["new", "./t", "p"]);
    assert!(fx.path("p/modp.txt").is_file());
    assert_eq!(fs::read_to_string(fx.path("p/f/199.txt")).unwrap(), "p");
}

/// A template of `files` and `count` quick files `DIR/NNN.txt.tera` (`{{ project_name }}`),
/// enough that files parse and render on several threads where there are several cores.
fn with_many(fx: &Fixture, dir: &str, count: usize, files: &[(&str, &str)]) {
    let names: Vec<String> = (0..count)
        .map(|i| format!("{dir}/{i:03}.txt.tera"))
        .collect();
    let mut all = files.to_vec();
    all.extend(names.iter().map(|n| (n.as_str(), "{{ project_name }}")));
    with(fx, "", &all);
}

#[test]
fn a_raw_tag_in_a_string_or_comment_hides_no_include() {
    // Tera opens no raw block inside a string or a comment, so the include after it counts,
    // and the plain file it includes is parsed with it (and with the file name's include).
    let fx = Fixture::new();
    with(
        &fx,
        "",
        &[
            (
                "a.txt.tera",
                "{{ \"{% raw %}\" }}A:{% include \"b.tera\" %}\n",
            ),
            ("c.txt.tera", "{# {% raw %} #}C:{% include \"b.tera\" %}\n"),
            (
                "{{ \"{% raw %}\" | length }}{% include \"b.tera\" %}.txt",
                "",
            ),
            ("b.tera", "B {{ project_name }}"),
        ],
    );
    ok(&fx, &["new", "./t", "p"]);
    assert_eq!(
        fs::read_to_string(fx.path("p/a.txt")).unwrap(),
        "{% raw %}A:B p\n"
    );
    assert_eq!(fs::read_to_string(fx.path("p/c.txt")).unwrap(), "C:B p\n");
    assert!(fx.path("p/9B p.txt").is_file());
}

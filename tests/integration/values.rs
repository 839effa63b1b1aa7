//! Project names, `-d` values and prompts: typed, checked, and never able to break a file name.

use crate::fixture::{Fixture, basic, demo, ok, refused, scaffold};
use predicates::prelude::*;
use predicates::str::contains;
use std::fs;

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

#[test]
fn bad_values_are_usage_errors_and_write_nothing() {
    let fx = Fixture::new();
    let t = demo(&fx);
    let cases: &[(&[&str], &str)] = &[
        (
            &["x", "-d", "dockr=1"],
            "template `demo` has no variable `dockr`; did you mean `docker`?",
        ),
        (
            &["x", "-d", "docker=maybe"],
            "`-d docker=maybe`: expected a bool",
        ),
        (
            &["x", "-d", "port=80"],
            "`-d port=80`: does not match the rule `[0-9]{4}`",
        ),
        (&["x", "-d", "port=eighty"], "expected a whole number"),
        (
            &["x", "-d", "license=GPL"],
            "`-d license=GPL`: expected one of `MIT`, `none`",
        ),
        (&["x", "-d", "novalue"], "expected KEY=VALUE"),
        (&["x", "-d", "class_name=X"], "`class_name` is computed"),
        (&["x", "-d", "project_name=X"], "built-in variable"),
        (&["x", "-d", "author=a\u{1b}[31mb"], "control character"),
        (
            &["asyncio"],
            "would shadow the standard library module `asyncio`",
        ),
        (&["tornado"], "would shadow `tornado`"),
        (&["x", "--name", "class"], "is a Python keyword"),
        (&["3d"], "not a valid Python identifier"),
        (&["x", "--name", ""], "project name ``: it is empty"),
    ];
    for (args, message) in cases {
        let mut argv = vec!["new", t.as_str()];
        argv.extend_from_slice(args);
        fx.run()
            .args(&argv)
            .assert()
            .code(2)
            .stderr(contains(*message).and(predicate::str::starts_with("error: ")));
        assert_eq!(fx.top(), ["canary", "demo"], "{argv:?} wrote something");
    }
    fx.assert_canary();
}

#[test]
fn required_values_are_listed_when_not_interactive() {
    let fx = Fixture::new();
    fx.template(
        "req",
        "name = \"req\"\ndescription = \"d\"\nfollows = \"f\"\n\
         [[variables]]\nname = \"author\"\ntype = \"string\"\nhelp = \"who\"\n\
         [[variables]]\nname = \"email\"\ntype = \"string\"\nhelp = \"where\"\n",
        &[("a.txt.tera", "{{ author }} <{{ email }}>\n")],
    );
    fx.run()
        .args(["new", "./req", "x"])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(
            contains("needs values that have no default")
                .and(contains("-d author=<string>  who"))
                .and(contains("-d email=<string>  where")),
        );
    fx.run()
        .args(["new", "./req", "x", "-d", "author=A", "-d", "email=e@x"])
        .assert()
        .success();
    assert_eq!(fs::read_to_string(fx.path("x/a.txt")).unwrap(), "A <e@x>\n");
}

#[test]
fn reserved_values_are_refused() {
    scaffold()
        .args(["new", "apps", "x", "-d", "app_name=class", "--dry-run"])
        .assert()
        .code(2)
        .stderr(contains("`-d app_name=class`: is reserved"));
}

/// Runs `scaffold ARGS` in the fixture on a pseudo-terminal (util-linux `script`), typing
/// `typed`; returns what it printed there.
#[cfg(unix)]
fn at_a_terminal(fx: &Fixture, args: &str, typed: &[u8]) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("scaffold");
    std::process::Command::new("script")
        .current_dir(fx.dir.path())
        .env("NO_COLOR", "1")
        .args(["-qec", &format!("'{}' {args}", bin.display()), "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(typed)?;
            child.wait_with_output()
        })
        .expect("util-linux `script` is needed for the terminal test")
}

/// On a terminal (here a pseudo-terminal made by util-linux `script`), scaffold asks for what
/// was not given, re-asks after an invalid answer, and takes the default on an empty line.
#[cfg(unix)]
#[test]
fn prompts_on_a_terminal() {
    let fx = Fixture::new();
    let out = at_a_terminal(&fx, "new apps", b"My Apps\nclass\nblog\n\n");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("project name: "), "{text}");
    assert!(text.contains("`class`: is reserved"), "{text}");
    assert!(
        text.contains("(default: blog)"),
        "url_prefix's default follows app_name: {text}"
    );
    assert!(fx.path("my-apps/apps/blog/views.py").exists());
    let urls = fs::read_to_string(fx.path("my-apps/urls.py")).unwrap();
    assert!(urls.contains("/blog/"), "{urls}");
}

#[test]
fn the_same_define_twice_is_a_usage_error() {
    let fx = Fixture::new();
    basic(&fx);
    refused(
        &fx,
        &["new", "./t", "p", "-d", "dir=a", "-d", "dir=b"],
        2,
        &["`-d dir` is given twice (`a` and `b`)"],
    );
}

/// A variable without a default whose `when` is false is not asked, so it is not demanded.
#[test]
fn a_required_value_that_does_not_apply_is_not_demanded() {
    let fx = Fixture::new();
    crate::fixture::with(
        &fx,
        "[[variables]]\nname = \"docker\"\ntype = \"bool\"\ndefault = false\n\
         [[variables]]\nname = \"image\"\ntype = \"string\"\nwhen = \"docker\"\n",
        &[("a.txt.tera", "[{{ image }}]")],
    );
    ok(&fx, &["new", "./t", "p", "-q"]);
    assert_eq!(fs::read_to_string(fx.path("p/a.txt")).unwrap(), "[]");
    refused(
        &fx,
        &["new", "./t", "q", "-d", "docker=yes"],
        2,
        &["-d image=<string>"],
    );
    ok(
        &fx,
        &[
            "new",
            "./t",
            "q",
            "-d",
            "docker=yes",
            "-d",
            "image=py:3",
            "-q",
        ],
    );
    assert_eq!(fs::read_to_string(fx.path("q/a.txt")).unwrap(), "[py:3]");
}

/// A rule's sentence (`rule_help`) stands in for its regex in messages and `info`; `info
/// --json` keeps the regex.
#[test]
fn rules_are_explained_in_words() {
    let fx = Fixture::new();
    crate::fixture::with(
        &fx,
        "[[variables]]\nname = \"port\"\ntype = \"int\"\ndefault = 8000\nregex = '[0-9]{4}'\n\
         rule_help = \"four digits, like 8000\"\n",
        &[],
    );
    refused(
        &fx,
        &["new", "./t", "p", "-d", "port=80"],
        2,
        &["`-d port=80`: does not follow the rule: four digits, like 8000"],
    );
    fx.run()
        .args(["info", "./t"])
        .assert()
        .success()
        .stdout(contains("rule: four digits, like 8000").and(contains("[0-9]{4}").not()));
    let out = fx.run().args(["info", "./t", "--json"]).output().unwrap();
    let info = crate::fixture::json(&out.stdout);
    assert_eq!(info["variables"][0]["regex"], "[0-9]{4}");
    assert_eq!(info["variables"][0]["rule_help"], "four digits, like 8000");
}

/// On a terminal, a choice is a numbered list (a number, the name in any case, or a
/// suggestion on a miss) and a bool shows its default as `[y/N]`.
#[cfg(unix)]
#[test]
fn choices_and_bools_at_a_terminal_prompt() {
    let fx = Fixture::new();
    crate::fixture::with(
        &fx,
        "[[variables]]\nname = \"db\"\ntype = \"choice\"\nchoices = [\"sqlite\", \"postgres\"]\n\
         default = \"sqlite\"\nhelp = \"the database\"\n\
         [[variables]]\nname = \"docker\"\ntype = \"bool\"\ndefault = false\n",
        &[("a.txt.tera", "{{ db }} {{ docker }}")],
    );
    let out = at_a_terminal(&fx, "new ./t p", b"postgre\n3\nPOSTGRES\ny\n");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    // Long lines are wrapped to the terminal's width: compare with spaces normalised.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for part in [
        "1) sqlite",
        "2) postgres",
        "db (the database) [1-2, default 1 = sqlite]: ",
        "`postgre` is not one of the choices (type 1-2 or a name); did you mean `postgres`?",
        "`3` is not one of the choices",
        "docker [y/N]:",
    ] {
        let part = part.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(&part), "{part:?} not in {text}");
    }
    assert_eq!(
        fs::read_to_string(fx.path("p/a.txt")).unwrap(),
        "postgres true"
    );
}

/// Issue 22, item 7j: an empty default shows as `""`, not as `default: ` and nothing.
#[test]
fn info_shows_an_empty_default() {
    let fx = Fixture::new();
    crate::fixture::with(
        &fx,
        "[[variables]]\nname = \"prefix\"\ntype = \"string\"\ndefault = \"\"\nhelp = \"a prefix\"\n",
        &[],
    );
    let out = fx.run().args(["info", "./t"]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("prefix (string) default: \"\"\n"), "{said}");
    assert!(!said.contains("default: \n"), "{said}");
}

//! What every command shares: help, exit codes, printing (escaping, closed pipes, JSON errors).

use crate::fixture::{Fixture, json, scaffold};
use predicates::prelude::*;
use predicates::str::contains;

#[test]
fn version_and_help() {
    scaffold()
        .arg("--version")
        .assert()
        .success()
        .stdout(contains(env!("CARGO_PKG_VERSION")));
    scaffold()
        .arg("--help")
        .assert()
        .success()
        .stdout(contains("Examples:").and(contains("Exit codes")));
    scaffold()
        .args(["new", "--help"])
        .assert()
        .success()
        .stdout(contains("--dry-run").and(contains("Examples:")));
}

#[test]
fn usage_errors_exit_2() {
    scaffold().assert().code(2);
    scaffold().args(["frobnicate"]).assert().code(2);
    scaffold().args(["new"]).assert().code(2);
}

#[cfg(unix)]
#[test]
fn a_closed_pipe_is_not_a_panic() {
    let bin = assert_cmd::cargo::cargo_bin("scaffold");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' completions bash | head -c 1 >/dev/null; '{}' info apps | head -n 1 >/dev/null",
            bin.display(),
            bin.display()
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && stderr.is_empty(),
        "{stderr}"
    );
}

/// Every byte a template supplies (description, follows, help, next steps, file names, Tera
/// errors and `throw()`) reaches the terminal escaped: no OSC 52 writes the user's clipboard,
/// no CSI moves the cursor. `--json` stays valid JSON holding the same text.
#[test]
fn template_text_never_reaches_the_terminal_raw() {
    const OSC52: &str = "\u{1b}]52;c;cHduZWQ=\u{7}";
    const CSI: &str = "\u{9b}2J";
    let fx = Fixture::new();
    // TOML strings hold control characters only as escapes.
    let toml = |s: &str| {
        s.replace('\u{1b}', "\\u001b")
            .replace('\u{7}', "\\u0007")
            .replace('\u{9b}', "\\u009b")
    };
    let manifest = format!(
        "follows = \"f{}\"\ndescription = \"evil {}\"\nnext_steps = \"cd {{{{ dest }}}} {}\"\n\
         [[variables]]\nname = \"v\"\ntype = \"string\"\ndefault = \"x\"\nhelp = \"help {}\"\n",
        toml("\u{1b}[31m"),
        toml(OSC52),
        toml(OSC52),
        toml(CSI)
    );
    fx.template(
        "t",
        &format!("name = \"t\"\n{manifest}"),
        &[("ok.txt", "ok")],
    );
    fx.template(
        "thrower",
        "name = \"thrower\"\ndescription = \"d\"\nfollows = \"f\"\n",
        &[(
            "x.tera",
            &format!("{{{{ throw(message=\"boom {OSC52}\") }}}}"),
        )],
    );
    fx.template(
        "named",
        "name = \"named\"\ndescription = \"d\"\nfollows = \"f\"\n",
        &[(&format!("bad{OSC52}.txt"), "x")],
    );
    // (arguments, whether the hostile text is part of what they print)
    let runs: &[(&[&str], bool)] = &[
        (&["--templates", ".", "list"], true),
        (&["info", "./t"], true),
        (&["new", "./t", "p"], true),
        (&["new", "./t", "p2", "--dry-run"], false),
        (&["check", "./t"], false),
        (&["new", "./thrower", "q"], true),
        (&["check", "./thrower"], true),
        (&["new", "./named", "r"], true),
        (&["check", "./named"], true),
    ];
    for (args, hostile) in runs {
        let out = fx.run().args(*args).output().unwrap();
        for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{9b}'),
                "{args:?} {name} has a raw control character: {text:?}"
            );
        }
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let shown = ["\\u{1b}]52;c;cHduZWQ=\\u{7}", "\\u{9b}2J", "\\u{1b}[31m"];
        assert_eq!(
            shown.iter().any(|s| all.contains(s)),
            *hostile,
            "{args:?}: {all}"
        );
    }
    let out = fx.run().args(["info", "./t", "--json"]).output().unwrap();
    assert!(!out.stdout.contains(&0x1b), "raw ESC in JSON");
    let info = json(&out.stdout);
    assert_eq!(info["description"], format!("evil {OSC52}"));
    assert_eq!(info["variables"][0]["help"], format!("help {CSI}"));
}

/// With `--json`, a failure is a JSON object on stdout too, with the exit code.
#[test]
fn errors_are_json_when_json_was_asked_for() {
    let fx = Fixture::new();
    for (args, code, part) in [
        (
            &["new", "nope", "x", "--json"][..],
            2,
            "no template named `nope`",
        ),
        (
            &["info", "nope", "--json"][..],
            2,
            "no template named `nope`",
        ),
        (&["new", "flat", "--json", "--bogus"][..], 2, "--bogus"),
    ] {
        let out = fx.run().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        let err = json(&out.stdout);
        assert_eq!(err["exit_code"], code, "{args:?}");
        assert!(
            err["error"].as_str().unwrap().contains(part),
            "{args:?}: {err}"
        );
    }
    fx.write("taken/file.txt", "mine");
    let out = fx
        .run()
        .args(["new", "flat", "taken", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        json(&out.stdout)["error"]
            .as_str()
            .unwrap()
            .contains("not empty")
    );
}

/// Issue 22, item 7g: `scaffold --help` lists every exit code, 3 included.
#[test]
fn help_lists_every_exit_code() {
    scaffold().arg("--help").assert().success().stdout(
        contains("0 ok")
            .and(contains("1 failure"))
            .and(contains("2 usage error"))
            .and(contains("3 `update` finished with conflicts to resolve")),
    );
}

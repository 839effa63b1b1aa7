//! What every command shares: help, exit codes, printing (escaping, closed pipes, JSON errors).

use crate::fixture::scaffold;
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

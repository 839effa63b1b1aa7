//! Templates on disk and in the binary: reading them safely, finding them, `list`, `info`, completions.

use crate::fixture::{Fixture, demo, refused, scaffold, with};
use predicates::prelude::*;
use predicates::str::contains;
use std::fs;

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

#[test]
fn list_shows_every_embedded_template() {
    let names = crate::fixture::embedded_names();
    let out = scaffold()
        .arg("list")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for name in &names {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "{name} missing:\n{text}"
        );
    }
    let out = scaffold()
        .args(["list", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let listed: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, names);
    for t in json.as_array().unwrap() {
        assert!(!t["description"].as_str().unwrap().is_empty());
        assert!(!t["follows"].as_str().unwrap().is_empty());
    }
}

#[test]
fn info_shows_variables_and_files() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fx.run().args(["info", &t]).assert().success().stdout(
        contains("A demo template")
            .and(contains("license (choice) default: MIT"))
            .and(contains("one of: MIT, none"))
            .and(contains("rule: [0-9]{4}"))
            .and(contains("asked when: docker"))
            .and(contains("Dockerfile  (only when docker)"))
            .and(contains("run.sh  (executable)")),
    );
    let out = fx
        .run()
        .args(["info", &t, "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        json["variables"][1]["choices"],
        serde_json::json!(["MIT", "none"])
    );
    assert_eq!(json["variables"][2]["default"], serde_json::json!(false));
    for name in crate::fixture::embedded_names() {
        scaffold()
            .args(["info", &name])
            .assert()
            .success()
            .stdout(contains("variables"));
    }
}

#[test]
fn unknown_template_suggests() {
    scaffold()
        .args(["info", "chatt"])
        .assert()
        .code(2)
        .stderr(contains("no template named `chatt`").and(contains("did you mean `chat`?")));
    scaffold()
        .args(["new", "nope", "x"])
        .assert()
        .code(2)
        .stderr(contains("no template named `nope`"));
}

#[test]
fn completions_name_the_templates() {
    // clap_complete puts positional values into bash and zsh scripts (not fish).
    for shell in ["bash", "zsh"] {
        let out = scaffold()
            .args(["completions", shell])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        for name in crate::fixture::embedded_names() {
            assert!(text.contains(&name), "{shell} completion lacks {name}");
        }
    }
}

#[test]
fn a_name_in_two_places_is_ambiguous() {
    let fx = Fixture::new();
    fx.template(
        "flat",
        "name = \"flat\"\ndescription = \"mine\"\nfollows = \"f\"\n",
        &[("a.txt", "a")],
    );
    fx.run()
        .args(["--templates", ".", "new", "flat", "x"])
        .assert()
        .code(2)
        .stderr(
            contains("template name `flat` is ambiguous")
                .and(contains("`embedded:flat`"))
                .and(contains("./flat")),
        );
    fx.run()
        .args(["--templates", ".", "new", "embedded:flat", "x", "-q"])
        .assert()
        .success();
    fx.run()
        .args(["--templates", ".", "new", "./flat", "y", "-q"])
        .assert()
        .success();
    assert_eq!(fx.tree("y"), [".scaffold.toml", "a.txt"]);
}

/// A search directory that does not exist is a warning naming it and where it came from; it
/// does not break other commands (the README's own example names two such directories).
#[test]
fn missing_search_directories_are_warnings() {
    let fx = Fixture::new();
    fx.run()
        .env("SCAFFOLD_TEMPLATES", "/no/such/templates:/srv/none")
        .args(["--templates", "./gone", "new", "flat", "my-site", "-q"])
        .assert()
        .success()
        .stderr(
            contains("warning: template search directory `./gone` (from --templates) cannot be read (it does not exist)")
                .and(contains("`/no/such/templates` (from SCAFFOLD_TEMPLATES)"))
                .and(contains("`/srv/none` (from SCAFFOLD_TEMPLATES)")),
        );
    assert!(fx.path("my-site/app.py").exists());
}

/// `list` shows where each template comes from in its own column and marks names found in
/// more than one place.
#[test]
fn list_shows_origins_and_marks_clashes() {
    let fx = Fixture::new();
    fx.template(
        "flat",
        "name = \"flat\"\ndescription = \"mine\"\nfollows = \"f\"\n",
        &[],
    );
    fx.template(
        "hello",
        "name = \"hello\"\ndescription = \"hi\"\nfollows = \"f\"\n",
        &[],
    );
    let out = fx
        .run()
        .args(["--templates", ".", "list"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |start: &str| {
        text.lines()
            .filter(|l| l.starts_with(start))
            .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
    };
    assert_eq!(line("flat"), ["flat* embedded", "flat* ./flat"], "{text}");
    assert_eq!(line("hello"), ["hello ./hello"], "{text}");
    assert!(text.contains("* found in more than one place"), "{text}");
    let out = fx
        .run()
        .args(["--templates", ".", "list", "--json"])
        .output()
        .unwrap();
    let list = crate::fixture::json(&out.stdout);
    let flat: Vec<&serde_json::Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] == "flat")
        .collect();
    assert_eq!(flat.len(), 2);
    assert!(flat.iter().all(|t| t["ambiguous"] == true));
}

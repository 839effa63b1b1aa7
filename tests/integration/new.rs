//! `scaffold new` end to end: what a project gets, `--dry-run`, `--json`.

use crate::fixture::{Fixture, demo};
use predicates::prelude::*;
use predicates::str::contains;
use std::fs;

#[test]
fn new_renders_everything() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fx.run()
        .args(["new", &t, "my-proj", "-d", "docker=yes", "-d", "port=9000"])
        .assert()
        .success()
        .stdout(
            contains("Created `my-proj` from template `demo` (7 created)")
                .and(contains("Next steps:\n  cd my-proj\n  ./run.sh")),
        );
    assert_eq!(
        fx.tree("my-proj"),
        [
            ".scaffold.toml",
            "Dockerfile",
            "LICENSE",
            "README.md",
            "my_proj",
            "my_proj/page.html",
            "run.sh",
            "settings.py"
        ]
    );
    let read = |p: &str| fs::read_to_string(fx.path("my-proj").join(p)).unwrap();
    assert_eq!(read("Dockerfile"), "FROM python:3.13-slim\nEXPOSE 9000\n");
    assert!(read("LICENSE").starts_with("MIT (c) 20"));
    assert!(read("LICENSE").ends_with(" My Proj Team\n"));
    // Line endings and the missing final newline are kept; raw blocks come out literally.
    assert_eq!(
        read("README.md"),
        "# my-proj\r\nMyProj my_proj my-proj\r\n{{ literal }}"
    );
    // Files without .tera are copied byte for byte.
    assert_eq!(read("my_proj/page.html"), "<p>{{ not_rendered }}</p>\n");
    let secret = read("settings.py");
    let secret = secret
        .trim()
        .trim_start_matches("COOKIE_SECRET = \"")
        .trim_end_matches('"');
    assert_eq!(secret.len(), 64);
    assert!(secret.chars().all(|c| c.is_ascii_hexdigit()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| {
            fs::metadata(fx.path("my-proj").join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("run.sh"), 0o755);
        assert_eq!(mode("README.md"), 0o644);
    }
    fx.assert_canary();
    // A second project gets a different secret.
    fx.run()
        .args(["new", &t, "other", "-q"])
        .assert()
        .success()
        .stdout("");
    let other = fs::read_to_string(fx.path("other/settings.py")).unwrap();
    assert!(!other.contains(secret));
    assert!(
        !fx.path("other/Dockerfile").exists(),
        "conditional file written although docker=false"
    );
}

#[test]
fn dest_defaults_to_the_kebab_name() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fx.run()
        .args(["new", &t, "--name", "Team Chat", "-q"])
        .assert()
        .success();
    assert!(fx.path("team-chat/team_chat/page.html").exists());
    fx.run()
        .args(["new", &t])
        .assert()
        .code(2)
        .stderr(contains("no project name: give DEST or --name"));
}

/// The plan shows the refusal that the real run would meet, decided by the same rule.
#[test]
fn dry_run_shows_the_refusal() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fx.write("p/notes.txt", "mine\n");
    fx.run()
        .args(["new", &t, "p", "--dry-run"])
        .assert()
        .success()
        .stdout(
            contains("Would refuse to write `p`")
                .and(contains("is not empty; no file in it would be overwritten"))
                .and(contains("Would write").not()),
        );
    fx.run()
        .args(["new", &t, "p"])
        .assert()
        .code(1)
        .stderr(contains("is not empty; no file in it would be overwritten"));
    let out = fx
        .run()
        .args(["new", &t, "p", "--dry-run", "--json"])
        .output()
        .unwrap();
    let plan = crate::fixture::json(&out.stdout);
    assert_eq!(plan["refused_without_force"], true);
    assert!(plan["refused"].as_str().unwrap().contains("not empty"));
    fx.run()
        .args(["new", &t, "p", "--dry-run", "--force"])
        .assert()
        .success()
        .stdout(contains("Would write `p`"));
}

#[test]
fn dry_run_json_writes_nothing() {
    let fx = Fixture::new();
    let t = demo(&fx);
    let out = fx
        .run()
        .args(["new", &t, "p", "--dry-run", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["destination"], "absent");
    assert_eq!(json["variables"]["project_name"], "p");
    assert_eq!(json["variables"]["license"], "MIT");
    assert!(
        json["variables"].get("cookie_secret").is_none(),
        "the secret is not echoed"
    );
    let paths: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            ".scaffold.toml",
            "LICENSE",
            "README.md",
            "p/page.html",
            "run.sh",
            "settings.py"
        ]
    );
    assert!(!fx.path("p").exists());
    // --json without --dry-run reports what was written.
    let out = fx
        .run()
        .args(["new", &t, "p", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["files"][0]["action"], "create");
    assert!(fx.path("p/run.sh").exists());
}

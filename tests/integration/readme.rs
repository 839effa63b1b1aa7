//! The README's examples, run as written.

use crate::fixture::{Fixture, root};
use predicates::prelude::*;
use predicates::str::contains;
use std::fs;

#[test]
fn readme_examples_run() {
    // Every `scaffold ...` line in the README's console blocks runs as documented.
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let mut in_block = false;
    let mut commands = Vec::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_block = line.trim() == "```console";
            continue;
        }
        if in_block && let Some(cmd) = line.strip_prefix("$ scaffold ") {
            commands.push(cmd.to_string());
        }
    }
    assert!(
        commands.len() >= 5,
        "README has too few examples: {commands:?}"
    );
    let fx = Fixture::new();
    for cmd in commands {
        let words = crate::fixture::shell_words(&cmd);
        fx.run().args(&words).write_stdin("").assert().success();
    }
}

#[test]
fn readme_example_template_passes_check_and_renders() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let fx = Fixture::new();
    let mut written = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in readme.lines() {
        match &mut current {
            None => {
                if let Some(rest) = line.strip_prefix("```")
                    && let Some(path) = rest.split("title=\"").nth(1)
                {
                    current = Some((path.trim_end_matches('"').to_string(), String::new()));
                }
            }
            Some((path, text)) => {
                if line == "```" {
                    fx.write(path, text);
                    written.push(path.clone());
                    current = None;
                } else {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
    }
    assert!(
        written.contains(&"hello/template.toml".to_string()),
        "{written:?}"
    );
    fx.run()
        .args(["check", "./hello"])
        .assert()
        .success()
        .stdout(contains("template `./hello` is fine: 2 renders checked"));
    fx.run()
        .args([
            "new",
            "./hello",
            "my-app",
            "-d",
            "docker=yes",
            "-d",
            "port=9000",
        ])
        .assert()
        .success()
        .stdout(contains("cd my-app"));
    let app = fs::read_to_string(fx.path("my-app/app.py")).unwrap();
    assert!(
        app.contains("greeting=\"Hello from My App\"") && app.contains("listen(9000)"),
        "{app}"
    );
    assert!(
        fs::read_to_string(fx.path("my-app/templates/index.html"))
            .unwrap()
            .contains("<h1>{{ greeting }}</h1>")
    );
    assert!(fx.path("my-app/Dockerfile").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(fx.path("my-app/app.py"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
    }
    // On the search path it is found by name and listed with its origin.
    fx.run()
        .args(["--templates", ".", "list"])
        .assert()
        .success()
        .stdout(contains("hello").and(contains("./hello")));
    fx.run()
        .env("SCAFFOLD_TEMPLATES", fx.dir.path())
        .args(["new", "hello", "second", "-q"])
        .assert()
        .success();
    assert!(fx.path("second/app.py").exists());
}

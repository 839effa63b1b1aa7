//! The README's examples, run as written.

use crate::fixture::{Fixture, root};
use predicates::prelude::*;
use predicates::str::contains;
use std::fs;

#[test]
fn readme_examples_run() {
    // Every `scaffold ...` line in the README's console blocks runs as documented, after the
    // install line's own `scaffold ...` (as a reader runs them: in order, in one place).
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let install = readme
        .split("## Install")
        .nth(1)
        .and_then(|rest| rest.split("```sh\n").nth(1))
        .and_then(|block| block.split("```").next())
        .expect("the README's install block");
    let mut in_block = false;
    let mut commands: Vec<String> = install
        .split("&&")
        .filter_map(|part| part.trim().strip_prefix("scaffold "))
        .map(str::to_string)
        .collect();
    assert_eq!(
        commands.len(),
        1,
        "the install line makes one project: {install}"
    );
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
        let out = fx.run().args(&words).write_stdin("").output().unwrap();
        assert!(
            out.status.success(),
            "scaffold {cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Issue 22, item 7l: the README documents `[[renames]]` across several versions (each old
/// path pointing at the newest), and what it documents works: projects made from version 1
/// and from version 2 both follow the file to version 3's place, with their edits.
#[test]
fn readme_renames_across_versions_work() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let block = readme
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .find(|b| b.matches("[[renames]]").count() >= 2)
        .expect("a `[[renames]]` example across several versions in the README");
    let table: toml::Table = block.parse().unwrap();
    let renames: Vec<(String, String)> = table["renames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["from"].as_str().unwrap().to_string(),
                r["to"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let newest = &renames[0].1;
    assert!(renames.iter().all(|(_, to)| to == newest), "{renames:?}");
    let fx = Fixture::new();
    let head = "name = \"t\"\ndescription = \"d\"\nfollows = \"f\"\n";
    let text = "a\nb\nc\nd\ne\n";
    // Version 1 and 2 hold the file at each old path, in turn; version 3 at the newest.
    for (i, (from, _)) in renames.iter().enumerate() {
        fx.template(&format!("v{}/t", i + 1), head, &[(from.as_str(), text)]);
    }
    let last = renames.len() + 1;
    fx.template(
        &format!("v{last}/t"),
        &format!("{head}{block}"),
        &[(newest.as_str(), "a\nb\nc\nd\nE\n")],
    );
    let newest_out = newest.trim_end_matches(".tera");
    for (i, (from, _)) in renames.iter().enumerate() {
        let p = format!("p{}", i + 1);
        fx.run()
            .args(["new", &format!("./v{}/t", i + 1), &p, "-q"])
            .assert()
            .success();
        let old = from.trim_end_matches(".tera");
        fx.write(&format!("{p}/{old}"), "A\nb\nc\nd\ne\n");
        fx.run()
            .current_dir(fx.path(&p))
            .args(["update", "--template", &format!("../v{last}/t")])
            .assert()
            .success();
        assert_eq!(
            fs::read_to_string(fx.path(&format!("{p}/{newest_out}"))).unwrap(),
            "A\nb\nc\nd\nE\n",
            "version {} to {last}",
            i + 1
        );
        assert!(!fx.path(&format!("{p}/{old}")).exists());
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

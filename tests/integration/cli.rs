//! The command line as a user meets it: every case runs the real binary.

use std::fs;

use predicates::prelude::*;
use predicates::str::contains;

use crate::fixture::{Fixture, root, scaffold};

const DEMO: &str = r#"
name = "demo"
description = "A demo template"
follows = "nothing in particular"
executable = ["run.sh"]
next_steps = "cd {{ dest }}\n./run.sh"

[[variables]]
name = "author"
type = "string"
default = "{{ project_name | title_case }} Team"
help = "who wrote it"

[[variables]]
name = "license"
type = "choice"
choices = ["MIT", "none"]
default = "MIT"
help = "the licence"

[[variables]]
name = "docker"
type = "bool"
default = false
help = "add a Dockerfile"

[[variables]]
name = "port"
type = "int"
default = 8000
regex = '[0-9]{4}'
when = "docker"
help = "the port"

[[computed]]
name = "class_name"
value = "{{ project_name | upper_camel_case }}"

[[conditional]]
when = "docker"
paths = ["Dockerfile.tera"]

[[conditional]]
when = "license != 'none'"
paths = ["LICENSE.tera"]
"#;

fn demo(fx: &Fixture) -> String {
    fx.template(
        "demo",
        DEMO,
        &[
            ("run.sh", "#!/bin/sh\necho run\n"),
            ("Dockerfile.tera", "FROM python:3.13-slim\nEXPOSE {{ port }}\n"),
            ("LICENSE.tera", "{{ license }} (c) {{ year }} {{ author }}\n"),
            (
                "README.md.tera",
                "# {{ project_name }}\r\n{{ class_name }} {{ package_name }} {{ project_slug }}\r\n{% raw %}{{ literal }}{% endraw %}",
            ),
            ("{{ package_name }}/page.html", "<p>{{ not_rendered }}</p>\n"),
            ("settings.py.tera", "COOKIE_SECRET = \"{{ cookie_secret }}\"\n"),
        ],
    );
    "./demo".to_string()
}

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
fn new_renders_everything() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fx.run()
        .args(["new", &t, "my-proj", "-d", "docker=yes", "-d", "port=9000"])
        .assert()
        .success()
        .stdout(
            contains("Created `my-proj` from template `demo` (6 created)")
                .and(contains("Next steps:\n  cd my-proj\n  ./run.sh")),
        );
    assert_eq!(
        fx.tree("my-proj"),
        [
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

#[test]
fn existing_destination_is_refused_then_forced() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fx.run().args(["new", &t, "p", "-q"]).assert().success();
    fx.write("p/README.md", "my own notes\n");
    fx.write("p/notes.txt", "user file\n");
    let before = fx.tree("p");
    fx.run()
        .args(["new", &t, "p", "-d", "license=none"])
        .assert()
        .code(1)
        .stderr(
            contains("destination `p` is not empty and these files would be overwritten:")
                .and(contains("  README.md"))
                .and(contains("scaffold new ./demo p -d license=none --force")),
        );
    assert_eq!(fx.tree("p"), before);
    assert_eq!(
        fs::read_to_string(fx.path("p/README.md")).unwrap(),
        "my own notes\n"
    );
    // --dry-run shows the plan and writes nothing.
    fx.run()
        .args(["new", &t, "p", "--dry-run"])
        .assert()
        .success()
        .stdout(
            contains("overwrite README.md")
                .and(contains("identical run.sh"))
                .and(contains("without --force this would be refused")),
        );
    assert_eq!(
        fs::read_to_string(fx.path("p/README.md")).unwrap(),
        "my own notes\n"
    );
    // --force replaces the template's files and nothing else.
    fx.run()
        .args(["new", &t, "p", "--force"])
        .assert()
        .success()
        .stdout(contains("overwritten").and(contains("unchanged")));
    assert!(
        fs::read_to_string(fx.path("p/README.md"))
            .unwrap()
            .starts_with("# p\r\n")
    );
    assert_eq!(
        fs::read_to_string(fx.path("p/notes.txt")).unwrap(),
        "user file\n"
    );
    fx.assert_canary();
    assert!(
        fx.top().iter().all(|n| !n.contains("scaffold-staging")),
        "{:?}",
        fx.top()
    );
}

#[test]
fn empty_existing_destination_is_filled() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fs::create_dir(fx.path("empty")).unwrap();
    fx.run().args(["new", &t, "empty", "-q"]).assert().success();
    assert!(fx.path("empty/run.sh").exists());
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
fn manifest_problems_are_reported_together() {
    let fx = Fixture::new();
    fx.template(
        "bad",
        r#"
name = "other"
descripton = "typo"
follows = 3
executable = ["missing.py"]

[[variables]]
name = "Bad Name"
type = "text"

[[variables]]
name = "flag"
type = "bool"
default = "yes"

[[variables]]
name = "pick"
type = "choice"
choices = []
default = "a"

[[variables]]
name = "greeting"
type = "string"
default = "{{ later }}"

[[variables]]
name = "later"
type = "string"
default = "x"
regex = "("

[[conditional]]
when = "flag"
paths = ["nowhere/"]
"#,
        &[("a.txt", "a\n")],
    );
    let out = fx
        .run()
        .args(["info", "./bad"])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let text = String::from_utf8(out).unwrap();
    for part in [
        "problems:",
        "`name` is `other` but the template's directory is `bad`",
        "`descripton`: unknown key (did you mean `description`?)",
        "`description`: missing",
        "`follows`: expected a string, found an integer",
        "`executable` names `missing.py`",
        "variables[0].name: `Bad Name` is not a lowercase identifier",
        "variables[0].type: `text` is not one of",
        "variables[1].default: expected a bool for a `bool` variable, found a string",
        "variables[2].choices: a choice needs at least one value",
        "variables[3].default: refers to `later`, which is not a built-in or an earlier variable",
        "variables[4].regex: not a valid regex",
        "conditional[0].paths: `nowhere/` is not a file or directory",
    ] {
        assert!(text.contains(part), "missing {part:?} in:\n{text}");
    }
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

#[test]
fn destination_problems() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fx.write("afile", "x");
    fx.run()
        .args(["new", &t, "afile"])
        .assert()
        .code(1)
        .stderr(contains("exists and is not a directory"));
    fx.write("afile2", "");
    fx.run()
        .args(["new", &t, "afile2/sub/p"])
        .assert()
        .code(1)
        .stderr(contains("`afile2` is not a directory"));
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(fx.path("canary"), fx.path("link")).unwrap();
        fx.run()
            .args(["new", &t, "link", "--force"])
            .assert()
            .code(1)
            .stderr(contains("is a symlink"));
        // A symlink inside an existing destination is never written through.
        fx.run().args(["new", &t, "p", "-q"]).assert().success();
        fs::remove_file(fx.path("p/run.sh")).unwrap();
        std::os::unix::fs::symlink(fx.path("canary/keep.txt"), fx.path("p/run.sh")).unwrap();
        fx.run()
            .args(["new", &t, "p", "--force"])
            .assert()
            .code(1)
            .stderr(contains(
                "is a symlink; refusing to write `run.sh` through it",
            ));
    }
    fx.assert_canary();
}

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
        if in_block {
            if let Some(cmd) = line.strip_prefix("$ scaffold ") {
                commands.push(cmd.to_string());
            }
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

#[test]
fn reserved_values_are_refused() {
    scaffold()
        .args(["new", "apps", "x", "-d", "app_name=class", "--dry-run"])
        .assert()
        .code(2)
        .stderr(contains("`-d app_name=class`: is reserved"));
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
                if let Some(rest) = line.strip_prefix("```") {
                    if let Some(path) = rest.split("title=\"").nth(1) {
                        current = Some((path.trim_end_matches('"').to_string(), String::new()));
                    }
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
    assert_eq!(fx.tree("y"), ["a.txt"]);
}

#[test]
fn check_reports_portability_and_render_problems() {
    let fx = Fixture::new();
    fx.template(
        "port",
        "name = \"port\"\ndescription = \"d\"\nfollows = \"f\"\n\
         [[variables]]\nname = \"extra\"\ntype = \"bool\"\ndefault = false\n",
        &[
            ("README.md", "a"),
            ("readme.md", "b"),
            ("aux.txt", "c"),
            ("x.txt.tera", "{% if extra %}{{ missing }}{% endif %}"),
        ],
    );
    fx.run().args(["check", "./port"]).assert().code(1).stderr(
        contains("differ only in case")
            .and(contains(
                "`aux.txt`: `aux` is a reserved device name on Windows",
            ))
            .and(contains("with -d extra=true"))
            .and(contains("missing")),
    );
    for name in crate::fixture::embedded_names() {
        scaffold()
            .args(["check", &name])
            .assert()
            .success()
            .stdout(contains("is fine"));
    }
}

/// On a terminal (here a pseudo-terminal made by util-linux `script`), scaffold asks for what
/// was not given, re-asks after an invalid answer, and takes the default on an empty line.
#[cfg(unix)]
#[test]
fn prompts_on_a_terminal() {
    let fx = Fixture::new();
    let bin = assert_cmd::cargo::cargo_bin("scaffold");
    let out = std::process::Command::new("script")
        .current_dir(fx.dir.path())
        .env("NO_COLOR", "1")
        .args([
            "-qec",
            &format!("'{}' new apps", bin.display()),
            "/dev/null",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"My Apps\nclass\nblog\n\n")?;
            child.wait_with_output()
        })
        .expect("util-linux `script` is needed for the terminal test");
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
fn the_current_directory_as_destination() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fs::create_dir(fx.path("here")).unwrap();
    scaffold()
        .current_dir(fx.path("here"))
        .args(["new", &format!(".{t}"), ".", "-q"])
        .assert()
        .success();
    // The project is named after the directory, and written into it (not beside it).
    assert!(fx.path("here/here/page.html").exists());
    assert_eq!(fx.top(), ["canary", "demo", "here"]);
}

#[test]
fn check_fills_required_values_and_judges_each_render_alone() {
    let fx = Fixture::new();
    fx.template(
        "req",
        "name = \"req\"\ndescription = \"d\"\nfollows = \"f\"\n\
         [[variables]]\nname = \"author\"\ntype = \"string\"\n\
         [[variables]]\nname = \"email\"\ntype = \"string\"\nregex = '[^@]+@[^@]+'\n",
        &[("a.txt.tera", "{{ author }} <{{ email }}>\n")],
    );
    fx.run()
        .args(["check", "./req"])
        .assert()
        .code(1)
        .stderr(contains(
            "`email` has no default and `placeholder` breaks its rule",
        ));
    fx.run()
        .args(["check", "./req", "-d", "email=a@b"])
        .assert()
        .success();
}

#[test]
fn the_suggested_force_command_keeps_the_search_path() {
    let fx = Fixture::new();
    fx.template(
        "mine",
        "name = \"mine\"\ndescription = \"d\"\nfollows = \"f\"\n",
        &[("a.txt", "a")],
    );
    fx.write("x/a.txt", "changed");
    fx.run()
        .args(["--templates", ".", "new", "mine", "x"])
        .assert()
        .code(1)
        .stderr(contains("scaffold --templates . new mine x --force"));
}

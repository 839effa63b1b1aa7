//! `template.toml`: every problem reported at once, nothing in it can run or reach outside.

use crate::fixture::{Fixture, refused, with};

#[test]
fn manifest_unknown_keys_including_hooks() {
    let fx = Fixture::new();
    with(
        &fx,
        "hooks = [\"rm -rf /\"]\n[[variables]]\nname = \"a\"\ntype = \"string\"\nprompt = \"x\"\n",
        &[("a.txt", "a")],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["`hooks`: unknown key", "variables[0].prompt: unknown key"],
    );
}

#[test]
fn manifest_wrong_types() {
    let fx = Fixture::new();
    with(
        &fx,
        "executable = \"a.txt\"\n[[variables]]\nname = \"n\"\ntype = \"int\"\ndefault = \"3\"\n",
        &[("a.txt", "a")],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &[
            "`executable`: expected an array of strings",
            "variables[0].default: expected an integer",
        ],
    );
}

#[test]
fn manifest_cyclic_defaults() {
    let fx = Fixture::new();
    with(
        &fx,
        "[[variables]]\nname = \"a\"\ntype = \"string\"\ndefault = \"{{ b }}\"\n\
         [[variables]]\nname = \"b\"\ntype = \"string\"\ndefault = \"{{ a }}\"\n",
        &[("a.txt", "a")],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["variables[0].default: refers to `b`"],
    );
}

#[test]
fn manifest_paths_leaving_the_template() {
    let fx = Fixture::new();
    fx.write("secret.sh", "#!/bin/sh\n");
    with(
        &fx,
        "executable = [\"../secret.sh\"]\n[[conditional]]\nwhen = \"true\"\npaths = [\"../canary\"]\n",
        &[("a.txt", "a")],
    );
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &[
            "`../secret.sh`, which is not a file of the template",
            "`../canary` is not a file or directory",
        ],
    );
}

#[test]
fn manifest_not_toml() {
    let fx = Fixture::new();
    fx.template("t", "name = \"t\"\n[[variables\n", &[("a.txt", "a")]);
    refused(
        &fx,
        &["new", "./t", "p"],
        1,
        &["t/template.toml", "not valid TOML"],
    );
}

#[test]
fn manifest_bad_when_expression() {
    let fx = Fixture::new();
    with(
        &fx,
        "[[conditional]]\nwhen = \"a ==\"\npaths = [\"a.txt\"]\n",
        &[("a.txt", "a")],
    );
    refused(&fx, &["new", "./t", "p"], 1, &["conditional[0].when"]);
}

#[test]
fn manifest_missing() {
    let fx = Fixture::new();
    fx.write("t/a.txt", "a");
    refused(&fx, &["new", "./t", "p"], 2, &["has no `template.toml`"]);
}

#[test]
fn huge_manifest() {
    let fx = Fixture::new();
    fx.write(
        "t/template.toml",
        &format!("name = \"t\"\n# {}\n", "x".repeat(2 * 1024 * 1024)),
    );
    refused(
        &fx,
        &["check", "./t"],
        1,
        &["template.toml` is larger than 1024 KiB"],
    );
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

//! `scaffold check`: every problem of a template at once.

use crate::fixture::{Fixture, scaffold};
use predicates::prelude::*;
use predicates::str::contains;

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

/// `check` reports every stage that can still run: manifest problems and syntax problems
/// together, and renders of the files that parse.
#[test]
fn check_reports_every_stage_at_once() {
    let fx = Fixture::new();
    fx.template(
        "t",
        "name = \"t\"\ndescription = \"d\"\nfollows = \"f\"\nbogus = 1\n",
        &[("a.txt.tera", "{% if %}"), ("b.txt.tera", "ok")],
    );
    fx.run()
        .args(["check", "./t"])
        .assert()
        .code(1)
        .stderr(contains("template.toml: `bogus`: unknown key").and(contains("a.txt.tera:1:")));
    fx.template(
        "u",
        "name = \"u\"\ndescription = \"d\"\nfollows = \"f\"\n",
        &[("a.txt.tera", "{% if %}"), ("b.txt.tera", "{{ missing }}")],
    );
    fx.run().args(["check", "./u"]).assert().code(1).stderr(
        contains("has 2 problems")
            .and(contains("a.txt.tera:1:"))
            .and(contains("with the defaults: "))
            .and(contains("missing")),
    );
}

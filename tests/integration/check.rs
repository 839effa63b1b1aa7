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

//! Property tests: path validation and `-d` parsing hold for any input, and a fuzz-style
//! property over generated manifests and templates finds no panic (bounded cases, so it runs
//! in a fixed time in CI).

use std::borrow::Cow;
use std::path::Component;

use proptest::prelude::*;

use crate::sources::source::{Origin, SourceFile, TemplateSource};
use crate::template::answers::Input;
use crate::template::answers::{Answers, NoPrompt};
use crate::template::engine::Engine;
use crate::template::render::render_all;
use crate::template::values::Value;

fn template(manifest: &str, files: Vec<(String, String)>) -> TemplateSource {
    TemplateSource {
        name: "t".into(),
        origin: Origin::Embedded,
        manifest_text: manifest.into(),
        files: files
            .into_iter()
            .map(|(path, text)| SourceFile::new(path, Cow::Owned(text.into_bytes()), false))
            .collect(),
    }
}

const PLAIN: &str = "name = \"t\"\ndescription = \"d\"\nfollows = \"f\"\n[[variables]]\nname = \"v\"\ntype = \"string\"\ndefault = \"x\"\n";

fn builtins() -> Answers {
    Answers {
        values: vec![
            ("project_name".into(), Value::Str("p".into())),
            ("project_slug".into(), Value::Str("p".into())),
            ("year".into(), Value::Int(2026)),
            ("package_name".into(), Value::Str("p".into())),
        ],
        skipped: Vec::new(),
    }
}

static RENDERED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[test]
fn the_fuzz_property_reaches_rendering() {
    // Runs the generator's property and checks it is not vacuous: many cases render.
    generated_templates_never_panic();
    let rendered = RENDERED.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        rendered >= 20,
        "only {rendered} generated templates got as far as rendering"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// Whatever a value is, a rendered path is relative, normal and stays below the destination.
    #[test]
    fn rendered_paths_stay_inside(value in any::<String>(), prefix in "[a-z]{0,3}") {
        let t = template(PLAIN, vec![(format!("{prefix}{{{{ v }}}}/f.txt"), "x".into())]);
        let m = crate::template::manifest::parse(&t).unwrap();
        let engine = Engine::new(&t).unwrap();
        let defines = vec![("v".to_string(), value.clone())];
        let Ok(answers) = crate::template::answers::resolve(&engine, &m, builtins(), &defines, Input::Defaults, &mut NoPrompt) else {
            // Refused as a value (control characters): fine.
            return Ok(());
        };
        if let Ok(files) = render_all(&engine, &t, &m, &answers.context()) {
            for f in files {
                let p = std::path::Path::new(&f.path);
                prop_assert!(p.components().all(|c| matches!(c, Component::Normal(_))), "{:?}", f.path);
                prop_assert!(!f.path.contains('\\') && !f.path.split('/').any(|c| c.is_empty() || c == ".." || c == "."));
                prop_assert_eq!(f.path.split('/').count(), 2);
            }
        }
    }

    /// check_component accepts exactly the safe components.
    #[test]
    fn component_check(c in "\\PC{0,12}|\\.{1,3}|[a-z/\\\\:]{1,6}|(?i)\\.(git|hg|svn)[. ]{0,2}") {
        let ok = crate::util::paths::check_component(&c).is_ok();
        let safe = !c.is_empty() && c != "." && c != ".." && !c.contains('/') && !c.contains('\\')
            && !c.chars().any(char::is_control)
            && !(c.len() >= 2 && c.as_bytes()[0].is_ascii_alphabetic() && c.as_bytes()[1] == b':')
            && !crate::util::paths::is_vcs_dir(&c);
        prop_assert_eq!(ok, safe);
    }

    /// `-d` parsing splits on the first `=`, never panics, and refuses empty keys.
    #[test]
    fn define_parsing(key in "\\PC{0,10}", value in "\\PC{0,10}") {
        let raw = format!("{key}={value}");
        let (k, v) = raw.split_once('=').unwrap();
        match crate::cli::config::parse_define(&raw) {
            Ok((pk, pv)) => {
                prop_assert_eq!(pk.as_str(), k.trim());
                prop_assert_eq!(pv.as_str(), v);
                prop_assert!(!pk.is_empty());
            }
            Err(_) => prop_assert!(k.trim().is_empty()),
        }
        // Without `=` it is always an error.
        prop_assert!(crate::cli::config::parse_define(&key.replace('=', "")).is_err());
    }

    /// Typed parsing: bools take exactly the documented words, ints exactly i64.
    #[test]
    fn typed_values(raw in "\\PC{0,8}|-?[0-9]{1,20}|(?i)(true|false|yes|no|1|0|y|n|on|off)") {
        let t = template(
            "name = \"t\"\ndescription = \"d\"\nfollows = \"f\"\n[[variables]]\nname = \"b\"\ntype = \"bool\"\ndefault = false\n[[variables]]\nname = \"i\"\ntype = \"int\"\ndefault = 1\n",
            vec![],
        );
        let m = crate::template::manifest::parse(&t).unwrap();
        let word = raw.trim().to_ascii_lowercase();
        let is_bool = ["true", "yes", "y", "1", "on", "false", "no", "n", "0", "off"].contains(&word.as_str());
        prop_assert_eq!(m.variables[0].parse(&raw).is_ok(), is_bool);
        prop_assert_eq!(m.variables[1].parse(&raw).is_ok(), raw.trim().parse::<i64>().is_ok());
    }

    /// Fuzz: manifests and templates assembled from hostile fragments never panic anywhere in
    /// parse -> resolve -> render; they either work or fail with an error.
    #[test]
    fn generated_templates_never_panic(
        good in proptest::sample::subsequence(vec![
            "executable = [\"a.tera\"]\n",
            "next_steps = \"cd {{ dest }}\"\n",
            "[[variables]]\nname = \"a\"\ntype = \"choice\"\nchoices = [\"x\", \"y\"]\ndefault = \"x\"\n",
            "[[variables]]\nname = \"b\"\ntype = \"bool\"\ndefault = true\nwhen = \"a == 'y'\"\n",
            "[[variables]]\nname = \"c\"\ntype = \"string\"\ndefault = \"{{ project_name }}-c\"\nnot_in = [\"..\"]\n",
            "[[computed]]\nname = \"e\"\nvalue = \"{{ project_name | snake_case }}/..\"\n",
            "[[conditional]]\nwhen = \"b\"\npaths = [\"dir\"]\n",
        ], 0..=7),
        bad in proptest::option::weighted(0.25, prop_oneof![
            Just("executable = [\"../x\"]\n"), Just("next_steps = \"{{ nope }}\"\n"),
            Just("[[variables]]\nname = \"d\"\ntype = \"string\"\ndefault = \"{{ d }}\"\n"),
            Just("[[variables]]\nname = \"f\"\ntype = \"int\"\ndefault = 9\nregex = \"(\"\n"),
            Just("[[conditional]]\nwhen = \"{{\"\npaths = []\n"),
            Just("garbage = \n"), Just("[[variables]]\n"), Just("name = 3\n"),
        ]),
        files in proptest::collection::vec((
            prop_oneof![Just("a.tera"), Just("dir/{{ project_slug }}.tera"), Just("{{ a }}/x"), Just("{{ project_name }}"), Just("dir/b.txt"), Just("c.txt"), Just(".tera")],
            prop_oneof![
                Just("{{ project_name }} {{ year }}"), Just("{% if a is defined %}{{ a }}{% endif %}"), Just("{% for i in range(end=50) %}{{ i }}{% endfor %}"),
                Just("{% include \"a.tera\" %}"), Just("{% if %}"), Just("{{ x | upper_camel_case }}"),
                Just("{% raw %}{{ }}{% endraw %}"), Just("{{ e | kebab_case | title_case }}"), Just("\u{feff}\r\n"),
                Just("{% set x = [1, 2] %}{{ x | join(sep=\"/\") }}"), Just("{{ 1 / 0 }}"), Just("{{ \"a\" ~ 1 }}"),
            ],
        ), 0..6),
        defines in proptest::collection::vec((prop_oneof![Just("a"), Just("b"), Just("c"), Just("zz")], prop_oneof![Just("x"), Just("y"), Just("yes"), Just(".."), Just("{{ a }}")]), 0..3),
    ) {
        // A valid header most of the time, so that most cases get past the manifest.
        let manifest = format!(
            "name = \"t\"\ndescription = \"d\"\nfollows = \"f\"\n{}{}",
            good.concat(),
            bad.unwrap_or_default()
        );
        let mut seen = std::collections::BTreeSet::new();
        let files: Vec<(String, String)> = files
            .into_iter()
            .filter(|(p, _)| seen.insert(*p))
            .map(|(p, c)| (p.to_string(), c.to_string()))
            .collect();
        let t = template(&manifest, files);
        let Ok(m) = crate::template::manifest::parse(&t) else { return Ok(()) };
        let Ok(engine) = Engine::new(&t) else { return Ok(()) };
        let defines: Vec<(String, String)> = defines.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if let Ok(answers) = crate::template::answers::resolve(&engine, &m, builtins(), &defines, Input::Defaults, &mut NoPrompt)
            && let Ok(files) = render_all(&engine, &t, &m, &answers.context()) {
                RENDERED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                for f in files {
                    prop_assert!(f.path.split('/').all(|c| crate::util::paths::check_component(c).is_ok()));
                }
            }
    }
}

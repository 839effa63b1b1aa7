//! The one-way flow, checked: no module may use a module that comes later in the module table
//! of `src/lib.rs`, and every module is in the table.

use std::collections::BTreeSet;

/// The modules a source file refers to through `crate::NAME` (including
/// `use crate::{a, b::c}`).
fn references(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.insert(first_segment(&item));
        } else {
            out.insert(first_segment(rest));
        }
    }
    out
}

fn first_segment(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The modules in the order of lib.rs's table (`//! | `name` | ...` rows).
fn flow(lib: &str) -> Vec<String> {
    lib.lines()
        .filter_map(|l| l.strip_prefix("//! | "))
        .filter_map(|row| {
            let cell = row.split(" |").next()?.trim();
            let name = cell.trim_start_matches("[`").trim_start_matches('`');
            let name = name.trim_end_matches("`]").trim_end_matches('`');
            (cell != "module"
                && !name.is_empty()
                && name.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .then(|| name.to_string())
        })
        .collect()
}

#[test]
fn modules_only_use_modules_before_them() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let flow = flow(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    assert!(flow.len() > 10, "no module table found in lib.rs: {flow:?}");
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(module) = name.strip_suffix(".rs") else {
            continue;
        };
        if ["lib", "main"].contains(&module) {
            continue;
        }
        seen.insert(module.to_string());
        let Some(at) = flow.iter().position(|m| *m == module) else {
            problems.push(format!("src/{name} is not in lib.rs's module table"));
            continue;
        };
        let text = std::fs::read_to_string(entry.path()).unwrap();
        // Comments (doc links) are not uses.
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for r in references(&code) {
            if let Some(used) = flow.iter().position(|m| *m == r)
                && used >= at
                && r != module
            {
                problems.push(format!("{module} uses {r}, which comes later in the flow"));
            }
        }
    }
    for m in &flow {
        if !seen.contains(m) {
            problems.push(format!(
                "lib.rs's table names `{m}`, which has no src/{m}.rs"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_table_is_read() {
    let lib = "//! | module | owns |\n//! |---|---|\n//! | `text` | x |\n//! | [`cli`] | y |\n";
    assert_eq!(flow(lib), ["text", "cli"]);
}

#[test]
fn references_are_found() {
    let text = "use crate::a::X;\nuse crate::{b, c::{D, E}, d};\nlet x = crate::e::f();";
    let got: Vec<String> = references(text).into_iter().collect();
    assert_eq!(got, ["a", "b", "c", "d", "e"]);
}

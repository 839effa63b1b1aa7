//! The one-way flow, checked. The module map in `src/lib.rs` lists every module by its path
//! (`folder::module`, a module of a folder inside a folder as `folder::inner::module`): the
//! folders in flow order, and the modules of each folder in flow order. A module may use only
//! modules listed before it: nothing of a later folder, nor a later module of its own folder.
//! A folder's `mod.rs` comes after the modules in it (it may use them all, and none of them
//! may use it). Every file under `src/` must be in the map, and every row must name a file.

use std::collections::BTreeSet;
use std::path::Path;

/// The module paths in the order of lib.rs's table: rows `//! | `a::b` | ... |`. A row whose
/// first cell is a folder (`` `a/` ``) is a heading: folders are known from their modules.
fn flow(lib: &str) -> Vec<Vec<String>> {
    lib.lines()
        .filter_map(|l| l.strip_prefix("//! | "))
        .filter_map(|row| {
            let cell = row.split(" |").next()?.trim();
            let name = cell.trim_start_matches("[`").trim_start_matches('`');
            let name = name.trim_end_matches("`]").trim_end_matches('`');
            let path: Vec<String> = name.split("::").map(str::to_string).collect();
            let plain = |s: &String| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            };
            (cell != "module" && path.iter().all(plain)).then_some(path)
        })
        .collect()
}

/// The module a file under `src/` defines: `a/b.rs` is `a::b`, `a/mod.rs` is `a`, and
/// `lib.rs` (or `main.rs`) the crate itself.
fn module_of(rel: &str) -> Vec<String> {
    let mut path: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if path.last().is_some_and(|l| l == "mod")
        || (path.len() == 1 && ["lib", "main"].contains(&path[0].as_str()))
    {
        path.pop();
    }
    path
}

/// The code of a source file: comments left out (doc links are not uses), and the contents
/// of string and char literals (`"..."`, `r#"..."#`, `'x'`), so that a path written in a
/// string is not taken for one either.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let ident = |i: usize| b[i].is_ascii_alphanumeric() || b[i] == b'_';
    let mut out = String::with_capacity(text.len());
    let (mut i, mut kept) = (0, 0);
    while i < b.len() {
        let raw = b[i] == b'r'
            && (i == 0 || !ident(i - 1) || (b[i - 1] == b'b' && (i == 1 || !ident(i - 2))))
            && matches!(b.get(i + 1), Some(b'"' | b'#'));
        let (skip_to, instead) = if b[i..].starts_with(b"//") {
            (Some(text[i..].find('\n').map_or(b.len(), |e| i + e)), "")
        } else if b[i..].starts_with(b"/*") {
            (
                Some(text[i..].find("*/").map_or(b.len(), |e| i + e + 2)),
                " ",
            )
        } else if raw {
            let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let end = (b.get(i + 1 + hashes) == Some(&b'"'))
                .then(|| text[i + 2 + hashes..].find(&close))
                .flatten()
                .map(|e| i + 2 + hashes + e + close.len());
            (end, "\"\"")
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            (Some(j + 1), "\"\"")
        } else if b[i] == b'\'' && b.get(i + 1) == Some(&b'\\') {
            (text[i + 3..].find('\'').map(|e| i + 4 + e), "' '")
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            (Some(i + 3), "' '")
        } else {
            (None, "")
        };
        match skip_to {
            Some(end) => {
                out.push_str(&text[kept..i]);
                out.push_str(instead);
                i = end.min(b.len());
                kept = i;
            }
            None => i += 1,
        }
    }
    out.push_str(&text[kept..]);
    out
}

/// Every path a source file names through `crate::` or `super::` (use trees expanded:
/// `use crate::{a, b::{c, d}}` names `a`, `b::c` and `b::d`), made absolute from the crate
/// root; `module` is the file's own module. Comments (doc links) and strings are not uses.
/// Code after the first inline `mod NAME {` (a test module) is one level deeper, for `super::`.
fn references(text: &str, module: &[String]) -> BTreeSet<Vec<String>> {
    let code = code_only(text);
    let inline = code
        .match_indices("mod ")
        .find(|(i, _)| {
            let rest = &code[i + 4..];
            let name_len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            rest[name_len..].trim_start().starts_with('{')
        })
        .map_or(code.len(), |(i, _)| i);
    let mut out = BTreeSet::new();
    for (start, root) in code
        .match_indices("crate::")
        .chain(code.match_indices("super::"))
    {
        let before = code[..start].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let mut base: Vec<String> = if root == "crate::" {
            Vec::new()
        } else {
            let mut at = module.to_vec();
            if start < inline {
                at.pop();
            }
            at
        };
        let mut rest = &code[start + root.len()..];
        // `super::super::x`
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        let mut paths = Vec::new();
        tree(rest, &[], &mut paths);
        for p in paths {
            let mut full = base.clone();
            full.extend(p.into_iter().filter(|s| s != "self"));
            out.insert(full);
        }
    }
    out
}

/// Reads one use tree at the start of `text` (`a::b`, `a::{b, c::d}`, `a::*`, `{a, b}`),
/// adds every path it names, after `prefix`, to `out`, and returns how many bytes it took.
fn tree(text: &str, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
    let blank = |t: &str| t.len() - t.trim_start().len();
    let mut path = prefix.to_vec();
    let mut at = 0;
    loop {
        let rest = &text[at..];
        if rest.starts_with('{') {
            at += 1;
            loop {
                at += blank(&text[at..]);
                if text[at..].starts_with('}') {
                    return at + 1;
                }
                at += tree(&text[at..], &path, out);
                at += blank(&text[at..]);
                if text[at..].starts_with(',') {
                    at += 1;
                } else {
                    return at + usize::from(text[at..].starts_with('}'));
                }
            }
        }
        if rest.starts_with('*') {
            out.push(path);
            return at + 1;
        }
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            if path.len() > prefix.len() {
                out.push(path);
            }
            return at;
        }
        path.push(rest[..len].to_string());
        at += len;
        if text[at..].starts_with("::") {
            at += 2;
        } else {
            out.push(path);
            return at;
        }
    }
}

/// Where a path of the map stands, and which entry of the map it is: a module at its row; a
/// folder (its `mod.rs`) just after its last module, and after the folders inside it that end
/// there too.
fn position(flow: &[Vec<String>], path: &[String]) -> Option<((usize, usize), Vec<String>)> {
    for len in (1..=path.len()).rev() {
        let prefix = &path[..len];
        if let Some(i) = flow.iter().position(|m| m == prefix) {
            return Some(((2 * i, 0), prefix.to_vec()));
        }
        if let Some(last) = flow.iter().rposition(|m| m.starts_with(prefix)) {
            return Some(((2 * last + 1, usize::MAX - len), prefix.to_vec()));
        }
    }
    None
}

/// Every problem with the map and the files (paths relative to `src/`, with their text).
fn problems(flow: &[Vec<String>], files: &[(String, String)]) -> Vec<String> {
    let show = |p: &[String]| p.join("::");
    let mut problems = Vec::new();
    for (i, m) in flow.iter().enumerate() {
        if flow.iter().any(|o| o != m && o.starts_with(m)) {
            problems.push(format!(
                "the map names `{}` and modules inside it: list a folder's modules only",
                show(m)
            ));
        }
        for len in 1..m.len() {
            let folder = &m[..len];
            let first = flow.iter().position(|o| o.starts_with(folder));
            if first.is_some_and(|f| flow[f..i].iter().any(|o| !o.starts_with(folder))) {
                problems.push(format!(
                    "the map lists `{}` apart from the rest of the folder `{}`",
                    show(m),
                    show(folder)
                ));
            }
        }
        let file = format!("{}.rs", m.join("/"));
        if !files.iter().any(|(f, _)| *f == file) {
            problems.push(format!(
                "the map names `{}`, which has no src/{file}",
                show(m)
            ));
        }
    }
    for (file, text) in files {
        let module = module_of(file);
        if module.is_empty() {
            continue;
        }
        let Some((at, own)) = position(flow, &module) else {
            problems.push(format!("src/{file} is not in lib.rs's module map"));
            continue;
        };
        let is_folder = file.ends_with("/mod.rs");
        if own != module && !flow.contains(&own) || (is_folder && flow.contains(&own)) {
            problems.push(format!("src/{file} is not in lib.rs's module map"));
            continue;
        }
        for used in references(text, &module) {
            match position(flow, &used) {
                None => problems.push(format!(
                    "{} uses `crate::{}`, which is not in the module map",
                    show(&own),
                    show(&used)
                )),
                Some((there, target)) if there >= at && target != own => {
                    problems.push(format!(
                        "{} uses {}, which comes later in the flow",
                        show(&own),
                        show(&target)
                    ));
                }
                Some(_) => {}
            }
        }
    }
    problems
}

#[test]
fn modules_only_use_modules_before_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let flow = flow(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    assert!(flow.len() > 10, "no module map found in lib.rs: {flow:?}");
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(&src).sort_by_file_name() {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(&src).unwrap().to_string_lossy();
        if entry.file_type().is_file() && rel.ends_with(".rs") {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            files.push((rel.replace('\\', "/"), text));
        }
    }
    let problems = problems(&flow, &files);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn paths(list: &[&str]) -> Vec<Vec<String>> {
    list.iter()
        .map(|p| p.split("::").map(str::to_string).collect())
        .collect()
}

#[test]
fn the_table_is_read() {
    let lib = "//! | module | owns |\n//! |---|---|\n//! | `text` | x |\n//! | [`cli`] | y |\n\
               //! | `util/` | helpers |\n//! | `util::term` | z |\n//! | `ops::update::decide` | w |\n";
    assert_eq!(
        flow(lib),
        paths(&["text", "cli", "util::term", "ops::update::decide"])
    );
}

#[test]
fn references_are_found() {
    let text = "use crate::a::X;\nuse crate::{b, c::{D, E}, d};\nlet x = crate::e::f();\n\
                use crate::g::{self, h::{i, j}};\n// crate::k::l in a comment\nuse super::m::N;\n\
                macro_rules! x { () => { $crate::n::O } }\nfn y() { notcrate::p(); }\n\
                mod tests {\n    use super::*;\n    use crate::q::r;\n}\n";
    let module = paths(&["z::w"]).remove(0);
    let got: Vec<String> = references(text, &module)
        .into_iter()
        .map(|p| p.join("::"))
        .collect();
    assert_eq!(
        got,
        [
            "a::X", "b", "c::D", "c::E", "d", "e::f", "g", "g::h::i", "g::h::j", "n::O", "q::r",
            "z::m::N", "z::w"
        ]
    );
    assert_eq!(module_of("a/b.rs"), ["a", "b"]);
    assert_eq!(module_of("a/mod.rs"), ["a"]);
    assert_eq!(module_of("lib.rs"), Vec::<String>::new());
}

/// A small tree in the folder form that keeps the flow: its map and its files.
fn small_tree() -> (Vec<Vec<String>>, Vec<(String, String)>) {
    let flow = paths(&[
        "util::text",
        "util::term",
        "sources::files",
        "sources::git::refs",
        "ops::new",
    ]);
    let files = [
        ("lib.rs", "mod util;"),
        (
            "util/mod.rs",
            "//! helpers\nmod text;\nmod term;\nuse crate::util::text::x;",
        ),
        ("util/text.rs", "pub(crate) fn x() {}"),
        (
            "util/term.rs",
            "use crate::util::text::x;\nuse super::text;",
        ),
        (
            "sources/mod.rs",
            "pub(crate) fn locate() { crate::sources::git::refs::y(); }",
        ),
        ("sources/files.rs", "use crate::util::{term, text::x};"),
        (
            "sources/git/mod.rs",
            "use super::files;\nuse crate::sources::git::refs;",
        ),
        (
            "sources/git/refs.rs",
            "use crate::sources::files::F;\nuse super::super::files::G;",
        ),
        ("ops/mod.rs", ""),
        (
            "ops/new.rs",
            "use crate::sources::{self, locate};\nfn f() { sources::git::refs::y(); }",
        ),
        ("ops/new/tests.rs", "use super::*;\nuse crate::ops::new::f;"),
    ]
    .iter()
    .map(|(f, t)| ((*f).to_string(), (*t).to_string()))
    .collect();
    (flow, files)
}

/// `files` with `file` holding `text` instead (or added).
fn with(files: &[(String, String)], file: &str, text: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> =
        files.iter().filter(|(f, _)| f != file).cloned().collect();
    files.push((file.to_string(), text.to_string()));
    files
}

/// The folder form: a tree that keeps the flow passes; each way to break it is named.
#[test]
fn later_folders_and_later_modules_are_refused() {
    let (flow, files) = small_tree();
    assert_eq!(problems(&flow, &files), Vec::<String>::new());
    for (file, text, want) in [
        (
            "util/text.rs",
            "use crate::util::term;",
            "util::text uses util::term, which comes later",
        ),
        (
            "util/text.rs",
            "use super::term::X;",
            "util::text uses util::term, which comes later",
        ),
        (
            "util/text.rs",
            "use crate::ops::new;",
            "util::text uses ops::new, which comes later",
        ),
        (
            "util/text.rs",
            "fn f() { crate::sources::locate(); }",
            "util::text uses sources, which comes later",
        ),
        (
            "util/text.rs",
            "use super::*;",
            "util::text uses util, which comes later",
        ),
        (
            "sources/files.rs",
            "use crate::sources::git::refs::y;",
            "sources::files uses sources::git::refs, which",
        ),
        (
            "sources/git/refs.rs",
            "use crate::sources::locate;",
            "sources::git::refs uses sources, which comes later",
        ),
        (
            "sources/git/refs.rs",
            "use super::Options;",
            "sources::git::refs uses sources::git, which comes",
        ),
        (
            "sources/git/mod.rs",
            "use crate::sources::Reference;",
            "sources::git uses sources, which comes later",
        ),
        (
            "util/text.rs",
            "use crate::usage;",
            "util::text uses `crate::usage`, which is not in the module map",
        ),
        (
            "util/extra.rs",
            "",
            "src/util/extra.rs is not in lib.rs's module map",
        ),
        (
            "cli/mod.rs",
            "",
            "src/cli/mod.rs is not in lib.rs's module map",
        ),
    ] {
        let got = problems(&flow, &with(&files, file, text));
        assert!(
            got.len() == 1 && got[0].starts_with(want),
            "{file}: {text}\nwant: {want}\ngot:  {got:?}"
        );
    }
}

/// The map itself: a folder's modules stand together, and every row names a file.
#[test]
fn the_map_keeps_folders_together_and_names_files() {
    let (flow, files) = small_tree();
    let mut apart = flow.clone();
    apart.swap(1, 2);
    let got = problems(&apart, &files);
    assert!(
        got.iter()
            .any(|p| p.contains("apart from the rest of the folder `util`")),
        "{got:?}"
    );
    let missing = [flow.clone(), paths(&["ops::gone"])].concat();
    assert_eq!(
        problems(&missing, &files),
        ["the map names `ops::gone`, which has no src/ops/gone.rs"]
    );
    let folder_too = [flow, paths(&["ops"])].concat();
    assert!(problems(&folder_too, &files)[0].contains("names `ops` and modules inside it"));
}

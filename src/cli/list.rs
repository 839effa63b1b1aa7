//! `scaffold list`: every template the registry finds, embedded ones first, with its manifest;
//! a broken template of the user's is a warning that names it, not a failure.

use anyhow::Result;
use serde_json::{Value as Json, json};

use super::args::ListArgs;
use crate::sources::registry::Registry;
use crate::sources::source::Origin;
use crate::template::manifest::{self, Loaded};
use crate::util::term::{self, Line, Style};
use crate::util::text::shell_quote;

/// `scaffold list`.
pub(crate) fn exec(registry: &Registry, args: &ListArgs) -> Result<()> {
    let mut loaded = Vec::new();
    for entry in registry.entries() {
        // The search path holds directories only.
        if let Origin::Git(_) = entry.origin {
            continue;
        }
        // Each template read within the time a template may take.
        crate::util::limits::start();
        let source = match entry.load() {
            Ok(s) => s,
            Err(e) if entry.origin == Origin::Embedded => return Err(e),
            Err(_) => {
                if let Origin::Directory(dir) = &entry.origin {
                    broken(dir);
                }
                continue;
            }
        };
        match manifest::parse(&source) {
            Ok(manifest) => loaded.push(Loaded { source, manifest }),
            Err(e) if entry.origin == Origin::Embedded => return Err(e.into()),
            // One broken template of the user's does not hide the others.
            Err(_) => {
                if let Origin::Directory(dir) = &entry.origin {
                    broken(dir);
                }
            }
        }
    }
    crate::util::limits::finish();
    print(&loaded, args.json);
    Ok(())
}

fn broken(dir: &std::path::Path) {
    let shown = dir.display().to_string();
    term::err(format!(
        "warning: template in `{shown}` is broken; see `scaffold check {}`",
        shell_quote(&shown)
    ));
}

/// `scaffold list`: name, origin and description; names found in more than one place are
/// marked, with how to choose.
fn print(templates: &[Loaded], as_json: bool) {
    let clashes = |name: &str| templates.iter().filter(|t| t.manifest.name == name).count() > 1;
    if as_json {
        let items: Vec<Json> = templates
            .iter()
            .map(|t| {
                json!({
                    "name": t.manifest.name,
                    "description": t.manifest.description,
                    "follows": t.manifest.follows,
                    "origin": t.source.origin.to_string(),
                    "ambiguous": clashes(&t.manifest.name),
                })
            })
            .collect();
        term::out_json(&Json::Array(items));
        return;
    }
    let origin = |t: &Loaded| t.source.origin.to_string();
    let name_width = templates
        .iter()
        .map(|t| t.manifest.name.chars().count() + 1)
        .max()
        .unwrap_or(0);
    let origin_width = templates
        .iter()
        .map(|t| origin(t).chars().count())
        .max()
        .unwrap_or(0);
    let mut any_clash = false;
    for t in templates {
        let name = &t.manifest.name;
        let mark = if clashes(name) {
            any_clash = true;
            "*"
        } else {
            ""
        };
        let name_cell = format!("{name}{mark}");
        let o = origin(t);
        term::out(
            Line::new()
                .styled(Style::Bold, name_cell.clone())
                .plain(" ".repeat(name_width - name_cell.chars().count() + 1))
                .styled(Style::Dim, o.clone())
                .plain(" ".repeat(origin_width - o.chars().count() + 2))
                .plain(t.manifest.description.clone())
                .plain("  ")
                .styled(Style::Dim, format!("(follows {})", t.manifest.follows)),
        );
    }
    if any_clash {
        term::out("");
        term::out(
            "* found in more than one place: name one by its path, or the built-in one as \
             embedded:NAME",
        );
    }
}

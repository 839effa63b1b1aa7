//! Folders that an answer moves (`--name` renames `{{ package_name }}/`, `-d dir=...` a
//! templated folder): when every generated file of a folder moves to another one and the
//! template writes nothing more into the old one, the user's own files there move with it,
//! to the same place under the new folder. A file that would land where something already is
//! stays where it is and is named, with what to do; nothing is left behind silently.
//! Decided before anything is written, from the plan and a listing of the old folders.

use std::collections::BTreeSet;

use anyhow::Result;

use super::decide::{Step, Verdict};
use crate::project::apply::Change;
use crate::project::disk::{self, Listed};
use crate::project::root::Root;
use crate::util::limits::MAX_TEMPLATE_FILES;

/// A file of the user's that moves with its folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Move {
    /// Where it is.
    pub(crate) from: String,
    /// Where it goes: the same place under the new folder.
    pub(crate) to: String,
}

/// A file of the user's that stays in a folder that moved, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Left {
    /// Where it is (a folder, ending with `/`, when all of it stays).
    pub(crate) path: String,
    /// Why it stays, and what to do.
    pub(crate) why: String,
}

/// What becomes of the user's files in the folders an update moves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Moves {
    /// Files that move with their folder.
    pub(crate) moves: Vec<Move>,
    /// Files that stay, named.
    pub(crate) left: Vec<Left>,
}

impl Moves {
    /// The moves, as changes to apply.
    pub(crate) fn changes(&self) -> Vec<Change> {
        self.moves
            .iter()
            .map(|m| Change::Move {
                from: m.from.clone(),
                to: m.to.clone(),
            })
            .collect()
    }
}

/// `path` is `dir` or below it.
fn under(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The folder a rename moves, if it moves one: the file keeps its name (and the folders below
/// the one that changes), so `shop/sub/x.py -> shop_two/sub/x.py` moves `shop` to `shop_two`.
fn folder_of(from: &str, to: &str) -> Option<(String, String)> {
    let (mut a, mut b): (Vec<&str>, Vec<&str>) =
        (from.split('/').collect(), to.split('/').collect());
    let mut kept = 0;
    while a.len() > 1 && b.len() > 1 && a.last() == b.last() {
        a.pop();
        b.pop();
        kept += 1;
    }
    (kept > 0 && a != b).then(|| (a.join("/"), b.join("/")))
}

/// The folders that move as a whole, `(old, new)`: every rename out of the old folder agrees
/// on the new one, the template writes nothing more into the old one (every step of the plan
/// that ends there removes a file, forgets it or leaves it to the user), and neither holds
/// the other.
pub(crate) fn moved_folders(steps: &[Step]) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    let mut ambiguous = BTreeSet::new();
    for s in steps {
        let Some(from) = &s.renamed_from else {
            continue;
        };
        let Some((old, new)) = folder_of(from, &s.path) else {
            continue;
        };
        match found.iter().find(|(o, _)| *o == old) {
            Some((_, n)) if *n != new => {
                ambiguous.insert(old);
            }
            Some(_) => {}
            None => found.push((old, new)),
        }
    }
    found.retain(|(old, new)| {
        !ambiguous.contains(old)
            && !under(new, old)
            && !under(old, new)
            && !steps.iter().any(|s| {
                under(&s.path, old)
                    && !matches!(
                        s.verdict,
                        Verdict::Remove | Verdict::Forget | Verdict::KeepUntracked
                    )
            })
    });
    found.sort();
    found
}

/// What stays of a listing's entry that scaffold cannot name as a path it writes (a name
/// that is not UTF-8, a folder too deep), in the folder `old` that moved to `new`.
fn unnamed_left(entry: Listed, old: &str, new: &str) -> Left {
    match entry {
        Listed::TooDeep(path) => Left {
            path: format!("{path}/"),
            why: format!(
                "a folder of yours too deep to move: no path below it passes the path rules ({} \
                 bytes at most); all of it stays in `{old}/`, for you to move",
                crate::util::limits::MAX_PATH_BYTES
            ),
        },
        other => Left {
            path: other.path().to_string(),
            why: format!(
                "its name is not UTF-8 text (shown with `\\x` escapes), and scaffold moves only \
                 files it can name: it stays in `{old}/`; move it to `{new}/` yourself if it \
                 belongs there"
            ),
        },
    }
}

/// The user's files in the folders the plan moves, and where each goes: to the same place
/// under the new folder, unless something is there or the update writes there (then it stays,
/// named). Files the update removes or moves itself, and scaffold's own temporary files, are
/// not the user's.
pub(crate) fn plan(root: &Root, steps: &[Step]) -> Result<Moves> {
    let folders = moved_folders(steps);
    let mut out = Moves::default();
    if folders.is_empty() {
        return Ok(out);
    }
    let gone: BTreeSet<&str> = steps.iter().filter_map(|s| s.remove.as_deref()).collect();
    let mut taken: BTreeSet<String> = steps.iter().map(|s| s.path.clone()).collect();
    taken.extend(
        steps
            .iter()
            .filter(|s| s.side_file.is_some())
            .map(|s| format!("{}{}", s.path, crate::util::merge::SIDE_SUFFIX)),
    );
    // The outermost folders are listed; each file goes with the deepest folder that holds it.
    let outermost: Vec<&(String, String)> = folders
        .iter()
        .filter(|(old, _)| !folders.iter().any(|(o, _)| o != old && under(old, o)))
        .collect();
    for (old, new) in outermost {
        let Some(listed) = disk::list_below(root, old, MAX_TEMPLATE_FILES)? else {
            if disk::occupied(root, old) {
                out.left.push(Left {
                    path: format!("{old}/"),
                    why: format!(
                        "it moved to `{new}/`, but it is not a plain folder or it holds more \
                         than {MAX_TEMPLATE_FILES} files: what is yours in it stays there; move \
                         it yourself"
                    ),
                });
            }
            continue;
        };
        for entry in listed {
            let (path, regular) = match entry {
                Listed::File(p) => (p, true),
                Listed::Other(p) => (p, false),
                unnamed => {
                    out.left.push(unnamed_left(unnamed, old, new));
                    continue;
                }
            };
            let name = path.rsplit('/').next().unwrap_or(&path);
            if gone.contains(path.as_str()) || disk::temp_pid(name).is_some() {
                continue;
            }
            let (from_dir, to_dir) = folders
                .iter()
                .filter(|(o, _)| under(&path, o))
                .max_by_key(|(o, _)| o.len())
                .map_or((old.as_str(), new.as_str()), |(o, n)| {
                    (o.as_str(), n.as_str())
                });
            let to = format!("{to_dir}{}", &path[from_dir.len()..]);
            let unnamable = [&path, &to]
                .into_iter()
                .find_map(|p| crate::util::paths::check_relative(p).err());
            if !regular {
                out.left.push(Left {
                    path,
                    why: format!(
                        "not a regular file: it stays in `{from_dir}/`; move it to `{to_dir}/` \
                         yourself if it belongs there"
                    ),
                });
            } else if let Some(why) = unnamable {
                out.left.push(Left {
                    path,
                    why: format!(
                        "yours; its folder moved to `{to_dir}/`, but scaffold moves only files \
                         whose paths pass its path rules (this one, or its new one, {why}): it \
                         stays where it is, for you to move"
                    ),
                });
            } else if taken.contains(&to) || disk::occupied(root, &to) {
                out.left.push(Left {
                    path,
                    why: format!(
                        "yours; its folder moved to `{to_dir}/`, but `{to}` is there already: \
                         it stays where it is, for you to move or merge"
                    ),
                });
            } else {
                taken.insert(to.clone());
                out.moves.push(Move { from: path, to });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(from: Option<&str>, path: &str, verdict: Verdict) -> Step {
        Step {
            path: path.into(),
            verdict,
            renamed_from: from.map(str::to_string),
            yours: None,
            write: None,
            side_file: None,
            remove: from.map(str::to_string),
            record: None,
            lookalikes: 0,
        }
    }

    fn renamed(from: &str, to: &str) -> Step {
        step(Some(from), to, Verdict::Update)
    }

    /// A move never replaces anything: when a file appeared at its target since the plan, the
    /// update is refused before anything is written (and if it appears later still, the link
    /// fails: `project::apply`'s test); otherwise the file moves, mode and all.
    #[test]
    fn a_move_never_replaces_a_file() {
        use crate::project::apply::apply_update;
        use crate::template::render::OutFile;
        let dir = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        crate::project::journal::TEST_STATE_DIR
            .with(|d| *d.borrow_mut() = Some(state.path().to_path_buf()));
        let root = dir.path();
        let open = Root::open(root).unwrap();
        std::fs::create_dir_all(root.join("old")).unwrap();
        std::fs::create_dir_all(root.join("new")).unwrap();
        std::fs::write(root.join("old/mine.py"), "mine\n").unwrap();
        std::fs::write(root.join("old/gen.py"), "generated\n").unwrap();
        std::fs::write(root.join("new/mine.py"), "appeared\n").unwrap();
        let record = OutFile {
            path: ".scaffold.toml".into(),
            contents: b"record\n".to_vec(),
            executable: false,
            source: ".scaffold.toml".into(),
        };
        let changes = [
            Change::Write {
                path: "new/gen.py".into(),
                bytes: b"generated\n".to_vec(),
                executable: false,
            },
            Change::Remove {
                path: "old/gen.py".into(),
            },
            Change::Move {
                from: "old/mine.py".into(),
                to: "new/mine.py".into(),
            },
        ];
        let err = apply_update(&open, &changes, &record, false, &[]).unwrap_err();
        assert!(
            format!("{err:#}").contains("/old/mine.py` to `")
                && format!("{err:#}").contains("/new/mine.py`: something is there now"),
            "{err:#}"
        );
        let read = |p: &str| std::fs::read_to_string(root.join(p)).ok();
        assert_eq!(read("old/mine.py").as_deref(), Some("mine\n"));
        assert_eq!(read("old/gen.py").as_deref(), Some("generated\n"));
        assert_eq!(read("new/mine.py").as_deref(), Some("appeared\n"));
        assert_eq!(read("new/gen.py"), None);
        assert_eq!(read(".scaffold.toml"), None);
        std::fs::remove_file(root.join("new/mine.py")).unwrap();
        apply_update(&open, &changes, &record, false, &[]).unwrap();
        assert_eq!(read("new/mine.py").as_deref(), Some("mine\n"));
        assert_eq!(read("new/gen.py").as_deref(), Some("generated\n"));
        assert!(!root.join("old").exists(), "the emptied folder goes");
    }

    #[test]
    fn which_folders_move_as_a_whole() {
        // (the plan, the folders that move)
        type Case = (Vec<Step>, Vec<(&'static str, &'static str)>);
        let cases: Vec<Case> = vec![
            (
                vec![
                    renamed("shop/a.py", "shop_two/a.py"),
                    renamed("shop/sub/b.py", "shop_two/sub/b.py"),
                ],
                vec![("shop", "shop_two")],
            ),
            // Two folders, one inside another's name space.
            (
                vec![
                    renamed("shop/a.py", "shop_two/a.py"),
                    renamed("static/shop/a.js", "static/shop_two/a.js"),
                ],
                vec![("shop", "shop_two"), ("static/shop", "static/shop_two")],
            ),
            // A file renamed in place moves no folder.
            (vec![renamed("old.txt", "new.txt")], vec![]),
            (vec![renamed("a/old.txt", "a/new.txt")], vec![]),
            // Into the root, or out of it, or into itself: not a folder move.
            (vec![renamed("pkg/a.py", "a.py")], vec![]),
            (vec![renamed("pkg/a.py", "pkg/inner/a.py")], vec![]),
            // The template still writes into the old folder.
            (
                vec![
                    renamed("pkg/a.py", "app/a.py"),
                    step(None, "pkg/fixed.py", Verdict::Unchanged),
                ],
                vec![],
            ),
            // A file the template dropped there is removed: the folder still moves.
            (
                vec![
                    renamed("pkg/a.py", "app/a.py"),
                    step(None, "pkg/gone.py", Verdict::Remove),
                ],
                vec![("pkg", "app")],
            ),
            // Two renames out of one folder that disagree.
            (
                vec![
                    renamed("pkg/a.py", "app/a.py"),
                    renamed("pkg/b.py", "lib/b.py"),
                ],
                vec![],
            ),
        ];
        for (steps, want) in cases {
            let got = moved_folders(&steps);
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
                .collect();
            assert_eq!(got, want, "{steps:?}");
        }
    }
}

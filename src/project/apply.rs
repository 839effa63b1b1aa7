//! An update applied all or nothing, and recovered from when it was not, never destroying
//! work.
//!
//! The order of an update: its journal ([`super::journal`]), the new contents staged beside
//! their targets, renames, the user's files that move with their folder (each linked at its
//! new place, where nothing may be, then unlinked at the old one), removals, the answers file
//! last, then the journal put away. A
//! failure undoes the update by the same recovery a later `--recover` runs; if that cannot
//! finish either, the error says so and what to run. Recovery undoes nothing once the answers
//! file holds the new record (the update had finished), and otherwise puts back only a file
//! that still holds what the update wrote (or is missing where it removed one): anything else
//! is the user's work since, left as it is, named, with its earlier version kept. A moved
//! file goes back only while it is untouched (still the one file at both names, or at its new
//! place alone with the blob it had). It removes only the folders the update made (when
//! empty), and the run's temporary files.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context as _, Result, anyhow, bail};

use super::disk::{MAX_COMPARED_BYTES, is_dead, mode, temp_name, temp_pid};
use super::journal::{
    DIR_MODE, Entry, FILES, JOURNAL, Journal, List, Unfinished, inspect, parent_of, put_away,
    refuse_unfinished, saved, write_journal,
};
use super::record::FILE;
use super::root::{Found, Kind, Root, is_missing};
use crate::template::render::OutFile;
use crate::util::hash::blob;
use crate::util::hook;

/// One change an update makes to a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// Write these bytes (creating or replacing the file).
    Write {
        /// Path relative to the project.
        path: String,
        /// The new contents.
        bytes: Vec<u8>,
        /// Mode 755.
        executable: bool,
    },
    /// Remove the file.
    Remove {
        /// Path relative to the project.
        path: String,
    },
    /// Move a file of the user's, untouched, to a path where nothing is: linked there, then
    /// removed here, so that its contents, mode and inode go with it and nothing at `to` is
    /// ever replaced.
    Move {
        /// Path relative to the project, now.
        from: String,
        /// Path relative to the project, after.
        to: String,
    },
}

impl Change {
    /// The path it touches (for a move, where the file goes).
    pub(crate) fn path(&self) -> &str {
        match self {
            Change::Write { path, .. } | Change::Remove { path } => path,
            Change::Move { to, .. } => to,
        }
    }
}

/// The refusal to write `path` through `at` (a symlink, or not a folder).
fn through(root: &Root, at: &str, path: &str, why: &str) -> anyhow::Error {
    anyhow!(
        "`{}` {why}; refusing to write `{path}` through it",
        root.shown(at)
    )
}

/// The folders on the way to `path` that are missing (and not yet in `dirs`): the update makes
/// them, and lists them in `out`. A symlink or a file on the way is refused, naming it.
fn missing_dirs(
    root: &Root,
    path: &str,
    dirs: &mut BTreeSet<String>,
    out: &mut Vec<Entry>,
) -> Result<()> {
    let dir = parent_of(path);
    let mut end = 0;
    for part in dir.split('/').filter(|p| !p.is_empty()) {
        end += part.len();
        let at = &dir[..end];
        end += 1;
        if dirs.contains(at) {
            continue;
        }
        match root.kind(at) {
            Ok(Some(Kind::Dir)) => {}
            Ok(None) => {
                dirs.insert(at.to_string());
                out.push(Entry::Mkdir(at.to_string()));
            }
            Ok(Some(k)) => {
                return Err(through(root, at, path, k.refusal().unwrap_or("is a file")));
            }
            Err(e) if super::root::is_link_error(&e) => {
                let at = root.blocked_at(at).map_or(at, |(a, _)| a);
                return Err(through(root, at, path, "is a symlink"));
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot look at `{}`", root.shown(at)));
            }
        }
    }
    Ok(())
}

/// The entry of a move of the user's file `from` to `to`: it must be a regular file (its blob
/// is listed), and nothing may be at `to`.
fn move_entry(root: &Root, from: &str, to: &str) -> Result<Entry> {
    crate::util::paths::check_relative(from).map_err(|why| anyhow!("`{from}` {why}"))?;
    let cannot = |why: &str| {
        anyhow!(
            "cannot move `{}` to `{}`: {why}",
            root.shown(from),
            root.shown(to)
        )
    };
    let had = match root
        .read(from, MAX_COMPARED_BYTES)
        .with_context(|| format!("cannot read `{}`", root.shown(from)))?
    {
        Found::File { bytes, .. } => blob(&bytes),
        Found::Missing => return Err(cannot("it is gone")),
        Found::TooBig(_) => {
            return Err(cannot(&format!(
                "it is larger than {} MiB: no copy of it can be kept",
                MAX_COMPARED_BYTES >> 20
            )));
        }
        Found::Refused { at, why } => return Err(through(root, &at, from, why)),
    };
    match root.kind(to) {
        Ok(None) => {}
        Ok(Some(_)) => return Err(cannot("something is there now")),
        Err(e) if super::root::is_link_error(&e) => {
            let at = root.blocked_at(to).map_or(to, |(a, _)| a);
            return Err(through(root, at, to, "is a symlink"));
        }
        Err(e) => {
            return Err(e).with_context(|| format!("cannot look at `{}`", root.shown(to)));
        }
    }
    Ok(Entry::Move {
        from: from.to_string(),
        to: to.to_string(),
        had,
    })
}

/// What writing the changes will find: the entries, in order, with each file's present blob.
fn entries(root: &Root, changes: &[Change]) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    for c in changes {
        let path = c.path();
        crate::util::paths::check_relative(path).map_err(|why| anyhow!("`{path}` {why}"))?;
        if let Change::Move { from, to } = c {
            missing_dirs(root, to, &mut dirs, &mut out)?;
            out.push(move_entry(root, from, to)?);
            continue;
        }
        if let Change::Write { .. } = c {
            missing_dirs(root, path, &mut dirs, &mut out)?;
        }
        let had = match root
            .read(path, MAX_COMPARED_BYTES)
            .with_context(|| format!("cannot read `{}`", root.shown(path)))?
        {
            Found::Missing => None,
            Found::File { bytes, .. } => Some(blob(&bytes)),
            Found::TooBig(_) => bail!(
                "`{}` is larger than {} MiB: no copy of it can be kept",
                root.shown(path),
                MAX_COMPARED_BYTES >> 20
            ),
            Found::Refused { at, why } => return Err(through(root, &at, path, why)),
        };
        match (c, had) {
            (Change::Write { bytes, .. }, had) => out.push(Entry::Write {
                path: path.to_string(),
                had,
                new: blob(bytes),
            }),
            (Change::Remove { .. }, Some(had)) => out.push(Entry::Remove {
                path: path.to_string(),
                had,
            }),
            // (Moves are listed above.)
            (Change::Remove { .. }, None) | (Change::Move { .. }, _) => {}
        }
    }
    Ok(out)
}

/// Applies an update all or nothing (see the module's documentation): `changes`, then the
/// answers file `record_file` last; the files in `private` (holding the cookie secret) with
/// an owner-only mode. The caller holds the project's lock. With `backup`, the previous
/// contents stay in `.scaffold/backup/<n>/` (returned).
pub(crate) fn apply_update(
    root: &Root,
    changes: &[Change],
    record_file: &OutFile,
    backup: bool,
    private: &[String],
) -> Result<Option<PathBuf>> {
    refuse_unfinished(root)?;
    let mut all: Vec<Change> = changes.to_vec();
    all.push(Change::Write {
        path: record_file.path.clone(),
        bytes: record_file.contents.clone(),
        executable: false,
    });
    let list = List {
        pid: std::process::id(),
        entries: entries(root, &all)?,
    };
    apply_listed(root, &all, &list, backup, private)
}

/// [`apply_update`] once its journal's list is made: the journal written, then the changes.
fn apply_listed(
    root: &Root,
    all: &[Change],
    list: &List,
    backup: bool,
    private: &[String],
) -> Result<Option<PathBuf>> {
    write_journal(root, list)?;
    hook::at("journal")?;
    let mut staged: Vec<(String, String)> = Vec::new();
    let result = apply_entries(root, all, list, private, &mut staged);
    if let Err(e) = result {
        for (temp, _) in &staged {
            let _ = root.unlink(temp);
        }
        let undone = hook::at("undo")
            .map_err(anyhow::Error::from)
            .and_then(|()| replay(root, list));
        return Err(match undone {
            Ok(_) => e,
            Err(undo) => anyhow!(
                "{e:#}; the update could not be undone either ({undo:#}): run `scaffold update \
                 --recover` to put the project back"
            ),
        });
    }
    drop_move_copies(root, list);
    put_away(root, backup).map_err(|e| {
        anyhow!(
            "the project is updated, but its journal could not be put away ({e:#}): run \
             `scaffold update --recover` to finish"
        )
    })
}

/// A moved file is not changed: the journal's link to it is no backup of anything. Removes
/// those links, and the folders under `files/` that leaves empty.
fn drop_move_copies(root: &Root, list: &List) {
    for e in &list.entries {
        if let Entry::Move { from, .. } = e {
            let copy = saved(JOURNAL, from);
            if root.unlink(&copy).is_ok() {
                let mut dir = parent_of(&copy);
                while dir != FILES && root.rmdir(dir).is_ok() {
                    dir = parent_of(dir);
                }
            }
        }
    }
}

/// The update's writes: directories, staged contents, renames, the user's files moved,
/// removals, the answers file.
fn apply_entries(
    root: &Root,
    all: &[Change],
    list: &List,
    private: &[String],
    staged: &mut Vec<(String, String)>,
) -> Result<()> {
    let full = |rel: &str| root.shown(rel);
    for e in &list.entries {
        if let Entry::Mkdir(dir) = e {
            match root.mkdir(dir, DIR_MODE) {
                Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => {
                    return Err(err).with_context(|| format!("cannot create `{}`", full(dir)));
                }
                _ => {}
            }
        }
    }
    for c in all {
        if let Change::Write {
            path,
            bytes,
            executable,
        } = c
        {
            let dir = parent_of(path);
            let temp = if dir.is_empty() {
                temp_name()
            } else {
                format!("{dir}/{}", temp_name())
            };
            let private = private.iter().any(|p| p == path);
            root.create(&temp, bytes, mode(*executable, private))
                .with_context(|| format!("cannot write `{}`", full(&temp)))?;
            staged.push((temp, path.clone()));
        }
    }
    // Into place, the answers file last of all.
    let (record, files): (Vec<_>, Vec<_>) = staged.iter().cloned().partition(|(_, p)| p == FILE);
    for (temp, target) in &files {
        hook::at("rename")?;
        root.rename(temp, target)
            .with_context(|| format!("cannot replace `{}`", full(target)))?;
    }
    staged.retain(|(_, p)| p == FILE);
    // A move never replaces anything: the link fails where something is.
    for c in all {
        if let Change::Move { from, to } = c {
            hook::at("move")?;
            let cannot = || format!("cannot move `{}` to `{}`", full(from), full(to));
            root.link(from, to).with_context(cannot)?;
            hook::at("linked")?;
            root.unlink(from).with_context(cannot)?;
            remove_empty_parents(root, from);
        }
    }
    for c in all {
        if let Change::Remove { path } = c {
            match root.unlink(path) {
                Ok(()) => remove_empty_parents(root, path),
                Err(e) if is_missing(&e) => {}
                Err(e) => return Err(e).with_context(|| format!("cannot remove `{}`", full(path))),
            }
        }
    }
    hook::at("removed")?;
    for (temp, target) in &record {
        root.rename(temp, target)
            .with_context(|| format!("cannot replace `{}`", full(target)))?;
    }
    staged.clear();
    hook::at("answers")?;
    Ok(())
}

/// Removes the folders above `path` that the removal (or move) left empty (never the root).
fn remove_empty_parents(root: &Root, path: &str) {
    let mut dir = parent_of(path);
    while !dir.is_empty() && root.rmdir(dir).is_ok() {
        dir = parent_of(dir);
    }
}

/// What `--recover` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recovered {
    /// The update had finished (its answers file was in place): nothing was undone.
    pub(crate) finished: bool,
    /// Files put back as they were.
    pub(crate) restored: usize,
    /// Files the update had added, removed again.
    pub(crate) removed: usize,
    /// Files of the user's that the update had moved with their folder, moved back.
    pub(crate) moved_back: usize,
    /// Folders the update had made, removed again.
    pub(crate) folders: usize,
    /// Files that hold neither what the update wrote nor what was there before (the user's
    /// work since): left as they are, their earlier versions kept.
    pub(crate) kept: Vec<String>,
    /// Where the earlier versions were kept.
    pub(crate) backup: Option<PathBuf>,
}

/// Recovers the project at `root` from an interrupted update (the caller holds the lock);
/// `None` when there is none. An untrusted journal is an error that says so, never replayed.
pub(crate) fn recover(root: &Root) -> Result<Option<Recovered>> {
    match inspect(root)? {
        Journal::None => Ok(None),
        Journal::Untrusted(why) => Err(anyhow!(
            "{}",
            Unfinished::Untrusted(why).message(Some(root.path()))
        )),
        Journal::Unchecked(why) => Err(anyhow!(
            "{}",
            Unfinished::Unchecked(why).message(Some(root.path()))
        )),
        Journal::Trusted(list) => replay(root, &list).map(Some),
    }
}

/// The blob of what is at `path` now: `Ok(None)` when missing, `Err(())` when it is not a
/// regular file scaffold reads.
fn now(root: &Root, path: &str) -> Result<Result<Option<String>, ()>> {
    Ok(
        match root
            .read(path, MAX_COMPARED_BYTES)
            .with_context(|| format!("cannot read `{}`", root.shown(path)))?
        {
            Found::Missing => Ok(None),
            Found::File { bytes, .. } => Ok(Some(blob(&bytes))),
            Found::TooBig(_) | Found::Refused { .. } => Err(()),
        },
    )
}

/// Removes the temporary files of the run that wrote `list` (staged, never renamed), and of
/// dead runs, in every folder it touched.
fn clear_temps(root: &Root, list: &List) {
    let folders: BTreeSet<&str> = list
        .entries
        .iter()
        .map(|e| match e {
            Entry::Mkdir(d) => d.as_str(),
            other => parent_of(other.path()),
        })
        .collect();
    for dir in folders {
        for (name, kind) in root.names(dir).unwrap_or_default() {
            let run = temp_pid(&name);
            if kind != Kind::Dir
                && run.is_some_and(|p| p == list.pid || p == std::process::id() || is_dead(p))
            {
                let rel = if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                };
                let _ = root.unlink(&rel);
            }
        }
    }
}

/// What undoing one move did.
enum Back {
    /// The file had not moved: nothing to undo.
    Nothing,
    /// It is back where it was.
    Moved,
    /// It changed (or went) since: left as it is, at this path.
    Kept(String),
}

/// Undoes the move of the user's file `from` to `to` (its blob `had`), never touching their
/// work since: while both names are the one file (linked, not yet unlinked), the new name
/// goes; when only the new name is left and it still holds `had`, it is renamed back (its
/// folders made again where the move removed them). Anything else is the user's now.
fn move_back(root: &Root, from: &str, to: &str, had: &str) -> Result<Back> {
    let full = |rel: &str| root.shown(rel);
    let cannot = || format!("cannot move `{}` back to `{}`", full(to), full(from));
    let (at_from, at_to) = (now(root, from)?, now(root, to)?);
    Ok(match (at_from, at_to) {
        // Gone from both places since: the user's doing.
        (Ok(None), Ok(None)) => Back::Kept(from.to_string()),
        // Not linked yet (or the new name gone since): the file is where it was.
        (_, Ok(None)) => Back::Nothing,
        (Ok(Some(_)), Ok(Some(_))) if root.same_file(from, to).with_context(cannot)? => {
            root.unlink(to).with_context(cannot)?;
            Back::Moved
        }
        // It never left (what is at `to` is not the update's: it only ever makes a second
        // name for this very file there).
        (Ok(Some(now)), _) if now == had => Back::Nothing,
        (Ok(None), Ok(Some(now))) if now == had => {
            root.make_parents(from, DIR_MODE).with_context(cannot)?;
            // A link, so that nothing that appeared at `from` meanwhile is replaced.
            root.link(to, from).with_context(cannot)?;
            root.unlink(to).with_context(cannot)?;
            Back::Moved
        }
        // Changed or replaced since: the user's work.
        _ => Back::Kept(to.to_string()),
    })
}

/// Undoes what `list` did and still shows, never touching the user's work since; then puts
/// the journal away (kept as a backup when anything was kept, or when the update had
/// finished).
fn replay(root: &Root, list: &List) -> Result<Recovered> {
    let full = |rel: &str| root.shown(rel);
    let mut report = Recovered {
        finished: false,
        restored: 0,
        removed: 0,
        moved_back: 0,
        folders: 0,
        kept: Vec::new(),
        backup: None,
    };
    // The answers file holds the new record: the update had done everything.
    let mut finished = false;
    for e in &list.entries {
        if let Entry::Write { path, had, new } = e
            && path == FILE
            && had.as_deref() != Some(new.as_str())
        {
            finished = now(root, FILE)? == Ok(Some(new.clone()));
        }
    }
    if finished {
        report.finished = true;
        drop_move_copies(root, list);
        report.backup = put_away(root, true)?;
        return Ok(report);
    }
    clear_temps(root, list);
    let mut done: Vec<&str> = Vec::new();
    for e in list.entries.iter().rev() {
        let (path, had, new) = match e {
            Entry::Mkdir(_) => continue,
            Entry::Write { path, had, new } => (path, had.as_deref(), Some(new.as_str())),
            Entry::Remove { path, had } => (path, Some(had.as_str()), None),
            Entry::Move { from, to, had } => {
                match move_back(root, from, to, had)? {
                    Back::Nothing => {}
                    Back::Moved => report.moved_back += 1,
                    Back::Kept(path) => {
                        report.kept.push(path);
                        continue;
                    }
                }
                done.push(from);
                continue;
            }
        };
        let Ok(current) = now(root, path)? else {
            report.kept.push(path.clone());
            continue;
        };
        if current.as_deref() == had {
            // As it was before: nothing to undo.
            done.push(path);
        } else if current.as_deref() == new {
            if had.is_some() {
                let copy = saved(JOURNAL, path);
                root.make_parents(path, DIR_MODE)
                    .with_context(|| format!("cannot put `{}` back", full(path)))?;
                root.rename(&copy, path)
                    .with_context(|| format!("cannot put `{}` back", full(path)))?;
                report.restored += 1;
            } else {
                root.unlink(path)
                    .with_context(|| format!("cannot remove `{}`", full(path)))?;
                report.removed += 1;
            }
            done.push(path);
        } else {
            // Changed since the update: the user's work, left as it is.
            report.kept.push(path.clone());
        }
    }
    report.kept.reverse();
    for e in list.entries.iter().rev() {
        if let Entry::Mkdir(dir) = e
            && root.rmdir(dir).is_ok()
        {
            report.folders += 1;
        }
    }
    // The copies that are not needed any more go; those of kept files stay, as a backup.
    for path in done {
        let _ = root.unlink(&saved(JOURNAL, path));
    }
    report.backup = put_away(root, !report.kept.is_empty())?;
    Ok(report)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn record() -> OutFile {
        OutFile {
            path: FILE.into(),
            contents: b"record\n".to_vec(),
            executable: false,
            source: FILE.into(),
        }
    }

    /// A move never replaces anything, even a file that appears at its target after the
    /// journal was made: the link fails, the update undoes itself, and every file is as it
    /// was (the one that appeared included). Without it, the file moves, mode and inode
    /// with it, and the folder it leaves empty goes.
    #[test]
    fn a_move_never_replaces_a_file_that_appears_meanwhile() {
        use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
        let dir = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        super::super::journal::TEST_STATE_DIR
            .with(|d| *d.borrow_mut() = Some(state.path().to_path_buf()));
        let path = dir.path();
        std::fs::create_dir_all(path.join("old")).unwrap();
        std::fs::write(path.join("old/mine.py"), "mine\n").unwrap();
        std::fs::set_permissions(
            path.join("old/mine.py"),
            std::fs::Permissions::from_mode(0o751),
        )
        .unwrap();
        std::fs::write(path.join("old/gen.py"), "generated\n").unwrap();
        let inode = std::fs::metadata(path.join("old/mine.py")).unwrap().ino();
        let root = Root::open(path).unwrap();
        let all = vec![
            Change::Write {
                path: "new/gen.py".into(),
                bytes: b"generated\n".to_vec(),
                executable: false,
            },
            Change::Move {
                from: "old/mine.py".into(),
                to: "new/mine.py".into(),
            },
            Change::Remove {
                path: "old/gen.py".into(),
            },
            Change::Write {
                path: FILE.into(),
                bytes: record().contents,
                executable: false,
            },
        ];
        let list = List {
            pid: std::process::id(),
            entries: entries(&root, &all).unwrap(),
        };
        // Appears now, after the plan and the list (which has the update make `new/`).
        std::fs::create_dir(path.join("new")).unwrap();
        std::fs::write(path.join("new/mine.py"), "appeared\n").unwrap();
        let err = apply_listed(&root, &all, &list, false, &[]).unwrap_err();
        assert!(format!("{err:#}").contains("cannot move `"), "{err:#}");
        let read = |p: &str| std::fs::read_to_string(path.join(p)).ok();
        assert_eq!(read("old/mine.py").as_deref(), Some("mine\n"));
        assert_eq!(read("old/gen.py").as_deref(), Some("generated\n"));
        assert_eq!(read("new/mine.py").as_deref(), Some("appeared\n"));
        assert_eq!(read("new/gen.py"), None);
        assert_eq!(read(FILE), None);
        assert!(!path.join(JOURNAL).exists(), "undone, the journal goes");
        // Planned again with nothing there: the file moves, the same file.
        std::fs::remove_dir_all(path.join("new")).unwrap();
        apply_update(&root, &all[..3], &record(), false, &[]).unwrap();
        assert_eq!(read("new/mine.py").as_deref(), Some("mine\n"));
        let moved = std::fs::metadata(path.join("new/mine.py")).unwrap();
        assert_eq!(
            (moved.ino(), moved.permissions().mode() & 0o777),
            (inode, 0o751)
        );
        assert_eq!(read("new/gen.py").as_deref(), Some("generated\n"));
        assert!(!path.join("old").exists(), "the emptied folder goes");
        assert!(
            !path.join(super::super::journal::BACKUPS).exists(),
            "a moved file is no backup of anything"
        );
    }
}

//! An update applied all or nothing, and recovered from when it was not, never destroying
//! work.
//!
//! The order of an update: its journal ([`super::journal`]), the new contents staged beside
//! their targets, renames, removals, the answers file last, then the journal put away. A
//! failure undoes the update by the same recovery a later `--recover` runs; if that cannot
//! finish either, the error says so and what to run. Recovery undoes nothing once the answers
//! file holds the new record (the update had finished), and otherwise puts back only a file
//! that still holds what the update wrote (or is missing where it removed one): anything else
//! is the user's work since, left as it is, named, with its earlier version kept. It removes
//! only the folders the update made (when empty), and the run's temporary files.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context as _, Result, anyhow, bail};

use super::disk::{MAX_COMPARED_BYTES, is_dead, mode, temp_name, temp_pid};
use super::journal::{
    DIR_MODE, Entry, JOURNAL, Journal, List, Unfinished, inspect, parent_of, put_away,
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
}

impl Change {
    /// The path it touches.
    pub(crate) fn path(&self) -> &str {
        match self {
            Change::Write { path, .. } | Change::Remove { path } => path,
        }
    }
}

/// What writing the changes will find: the entries, in order, with each file's present blob.
fn entries(root: &Root, changes: &[Change]) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    let through = |at: &str, path: &str, why: &str| {
        anyhow!(
            "`{}` {why}; refusing to write `{path}` through it",
            root.full(at).display()
        )
    };
    for c in changes {
        let path = c.path();
        crate::util::paths::check_relative(path).map_err(|why| anyhow!("`{path}` {why}"))?;
        if let Change::Write { .. } = c {
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
                        return Err(through(at, path, k.refusal().unwrap_or("is a file")));
                    }
                    Err(e) if super::root::is_link_error(&e) => {
                        let at = root.blocked_at(at).map_or(at, |(a, _)| a);
                        return Err(through(at, path, "is a symlink"));
                    }
                    Err(e) => {
                        return Err(e).with_context(|| {
                            format!("cannot look at `{}`", root.full(at).display())
                        });
                    }
                }
            }
        }
        let had = match root
            .read(path, MAX_COMPARED_BYTES)
            .with_context(|| format!("cannot read `{}`", root.full(path).display()))?
        {
            Found::Missing => None,
            Found::File { bytes, .. } => Some(blob(&bytes)),
            Found::TooBig(_) => bail!(
                "`{}` is larger than {} MiB: no copy of it can be kept",
                root.full(path).display(),
                MAX_COMPARED_BYTES >> 20
            ),
            Found::Refused { at, why } => return Err(through(&at, path, why)),
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
            (Change::Remove { .. }, None) => {}
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
    write_journal(root, &list)?;
    hook::at("journal")?;
    let mut staged: Vec<(String, String)> = Vec::new();
    let result = apply_entries(root, &all, &list, private, &mut staged);
    if let Err(e) = result {
        for (temp, _) in &staged {
            let _ = root.unlink(temp);
        }
        let undone = hook::at("undo")
            .map_err(anyhow::Error::from)
            .and_then(|()| replay(root, &list));
        return Err(match undone {
            Ok(_) => e,
            Err(undo) => anyhow!(
                "{e:#}; the update could not be undone either ({undo:#}): run `scaffold update \
                 --recover` to put the project back"
            ),
        });
    }
    put_away(root, backup).map_err(|e| {
        anyhow!(
            "the project is updated, but its journal could not be put away ({e:#}): run \
             `scaffold update --recover` to finish"
        )
    })
}

/// The update's writes: directories, staged contents, renames, removals, the answers file.
fn apply_entries(
    root: &Root,
    all: &[Change],
    list: &List,
    private: &[String],
    staged: &mut Vec<(String, String)>,
) -> Result<()> {
    let full = |rel: &str| root.full(rel).display().to_string();
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

/// Removes the folders above `path` that the removal left empty (never the root).
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
        Journal::Trusted(list) => replay(root, &list).map(Some),
    }
}

/// The blob of what is at `path` now: `Ok(None)` when missing, `Err(())` when it is not a
/// regular file scaffold reads.
fn now(root: &Root, path: &str) -> Result<Result<Option<String>, ()>> {
    Ok(
        match root
            .read(path, MAX_COMPARED_BYTES)
            .with_context(|| format!("cannot read `{}`", root.full(path).display()))?
        {
            Found::Missing => Ok(None),
            Found::File { bytes, .. } => Ok(Some(blob(&bytes))),
            Found::TooBig(_) | Found::Refused { .. } => Err(()),
        },
    )
}

/// Undoes what `list` did and still shows, never touching the user's work since; then puts
/// the journal away (kept as a backup when anything was kept, or when the update had
/// finished).
fn replay(root: &Root, list: &List) -> Result<Recovered> {
    let full = |rel: &str| root.full(rel).display().to_string();
    let mut report = Recovered {
        finished: false,
        restored: 0,
        removed: 0,
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
        report.backup = put_away(root, true)?;
        return Ok(report);
    }
    // Temporary files of the run (staged, never renamed) in every folder it touched.
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
    let mut done: Vec<&str> = Vec::new();
    for e in list.entries.iter().rev() {
        let (path, had, new) = match e {
            Entry::Mkdir(_) => continue,
            Entry::Write { path, had, new } => (path, had.as_deref(), Some(new.as_str())),
            Entry::Remove { path, had } => (path, Some(had.as_str()), None),
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

//! Applying an update all or nothing, and recovering from one that was interrupted: the
//! journal of what is about to change, the backups kept outside git, and the project's
//! `.scaffold/` folder that holds them.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use super::disk::{create_new, is_dead, temp_name, temp_pid};
use crate::template::render::OutFile;

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

    /// Every path it touches: for a move, where the file is and where it goes.
    fn paths(&self) -> Vec<&str> {
        match self {
            Change::Write { path, .. } | Change::Remove { path } => vec![path],
            Change::Move { from, to } => vec![from, to],
        }
    }
}

/// Where an update keeps, while it runs, what it is about to replace (and, outside git, keeps
/// it afterwards as a backup); its presence means an update was interrupted.
pub(crate) const JOURNAL: &str = ".scaffold/journal";
/// The list of what the interrupted update was doing, inside [`JOURNAL`].
const JOURNAL_LIST: &str = "changes";
/// Backups of earlier updates, outside git: `.scaffold/backup/<n>/`.
pub(crate) const BACKUPS: &str = ".scaffold/backup";
/// Written beside the backups so that git ignores all of `.scaffold/`.
const BACKUPS_IGNORE: &str = ".scaffold/.gitignore";
const BACKUPS_IGNORE_TEXT: &str =
    "# scaffold's update backups (see its README): not part of the project\n*\n";

/// Applies an update all or nothing: every previous file is first linked into the journal,
/// new contents are staged beside their targets, then everything is renamed and removed in
/// one go and `record_file` (the answers file) is written last. Any failure puts every file
/// back as it was; a run killed on the way leaves the journal, which [`recover`] uses.
/// With `backup`, the previous contents stay in `.scaffold/backup/<n>/` (the number is
/// returned).
pub(crate) fn apply_update(
    root: &Path,
    changes: &[Change],
    record_file: &OutFile,
    backup: bool,
) -> Result<Option<PathBuf>> {
    let journal = root.join(JOURNAL);
    if fs::symlink_metadata(&journal).is_ok() {
        bail!(
            "an earlier update of `{}` was interrupted; run `scaffold update --recover` to put \
             the project back as it was before it",
            root.display()
        );
    }
    let mut checked = std::collections::HashSet::new();
    for c in changes {
        for path in c.paths() {
            refuse_links_on_the_way(root, path, &mut checked)?;
        }
    }
    let mut made: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    let mut ensure_dir = |dir: &Path| -> Result<()> {
        if made.insert(dir.to_path_buf()) {
            fs::create_dir_all(dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
        }
        Ok(())
    };
    fs::create_dir_all(&journal)
        .with_context(|| format!("cannot create `{}`", journal.display()))?;
    let mut all: Vec<Change> = changes.to_vec();
    all.push(Change::Write {
        path: record_file.path.clone(),
        bytes: record_file.contents.clone(),
        executable: false,
    });
    let result = (|| -> Result<()> {
        // 1. The list, then a link to every file about to change: enough to undo.
        let mut list = String::new();
        for path in all.iter().flat_map(Change::paths) {
            let target = root.join(path);
            let had = fs::symlink_metadata(&target).is_ok_and(|m| m.is_file());
            list.push_str(if had { "had " } else { "new " });
            list.push_str(path);
            list.push('\n');
            if had {
                let saved = journal.join(path);
                if let Some(dir) = saved.parent() {
                    ensure_dir(dir)?;
                }
                fs::hard_link(&target, &saved)
                    .or_else(|_| fs::copy(&target, &saved).map(|_| ()))
                    .with_context(|| format!("cannot keep a copy of `{path}`"))?;
            }
        }
        create_new(&journal.join(JOURNAL_LIST), list.as_bytes(), false)?;
        // 2. Stage the new contents beside their targets.
        let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
        let staging = (|| -> Result<()> {
            for c in &all {
                if let Change::Write {
                    path,
                    bytes,
                    executable,
                } = c
                {
                    let target = root.join(path);
                    let dir = target.parent().unwrap_or(root);
                    ensure_dir(dir)?;
                    let temp = dir.join(temp_name());
                    create_new(&temp, bytes, *executable)?;
                    staged.push((temp, target));
                }
            }
            Ok(())
        })();
        if let Err(e) = staging {
            for (temp, _) in &staged {
                let _ = fs::remove_file(temp);
            }
            return Err(e);
        }
        // 3. Into place. The answers file is the last write.
        for (temp, target) in &staged {
            fs::rename(temp, target)
                .with_context(|| format!("cannot replace `{}`", target.display()))?;
        }
        apply_moves(root, &all)?;
        for c in &all {
            if let Change::Remove { path } = c {
                match fs::remove_file(root.join(path)) {
                    Ok(()) => remove_empty_parents(root, path),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e).with_context(|| format!("cannot remove `{path}`")),
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = undo(root);
        return Err(e);
    }
    // A moved file did not change: the journal's link to it is no backup of anything.
    for c in &all {
        if let Change::Move { from, .. } = c {
            let _ = fs::remove_file(journal.join(from));
        }
    }
    finish(root, backup)
}

/// The moves of `all`, never over anything: a link fails where a file is.
fn apply_moves(root: &Path, all: &[Change]) -> Result<()> {
    for c in all {
        if let Change::Move { from, to } = c {
            let target = root.join(to);
            let dir = target.parent().unwrap_or(root);
            fs::create_dir_all(dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
            fs::hard_link(root.join(from), &target)
                .with_context(|| format!("cannot move `{from}` to `{to}`"))?;
            fs::remove_file(root.join(from))
                .with_context(|| format!("cannot move `{from}` to `{to}`"))?;
            remove_empty_parents(root, from);
        }
    }
    Ok(())
}

/// No directory on the way to `path` may be a symlink: an update writes and removes only
/// inside the project.
fn refuse_links_on_the_way(
    root: &Path,
    path: &str,
    checked: &mut std::collections::HashSet<PathBuf>,
) -> Result<()> {
    let mut at = root.to_path_buf();
    for part in path.split('/') {
        at.push(part);
        if checked.contains(&at) {
            continue;
        }
        checked.insert(at.clone());
        match fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => bail!(
                "`{}` is a symlink; refusing to write `{path}` through it",
                at.display()
            ),
            Ok(_) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

fn remove_empty_parents(root: &Path, path: &str) {
    let mut dir = root.join(path);
    while dir.pop() && dir != root {
        if fs::remove_dir(&dir).is_err() {
            break;
        }
    }
}

/// After a successful update: keep the journal's copies as a backup, or drop them.
fn finish(root: &Path, backup: bool) -> Result<Option<PathBuf>> {
    let journal = root.join(JOURNAL);
    let _ = fs::remove_file(journal.join(JOURNAL_LIST));
    if !backup {
        fs::remove_dir_all(&journal)
            .with_context(|| format!("cannot remove `{}`", journal.display()))?;
        let _ = fs::remove_dir(root.join(".scaffold"));
        return Ok(None);
    }
    let backups = root.join(BACKUPS);
    fs::create_dir_all(&backups)
        .with_context(|| format!("cannot create `{}`", backups.display()))?;
    let mut n = 1;
    while backups.join(n.to_string()).exists() {
        n += 1;
    }
    let dest = backups.join(n.to_string());
    fs::rename(&journal, &dest).with_context(|| format!("cannot keep `{}`", dest.display()))?;
    // Backups are not the project's: git leaves the folder out wherever the project goes
    // (committed later, or moved into a repository), as with pytest's own cache folder. The
    // update is done by now, so this is best effort; an existing file is left as it is.
    let _ = create_new(
        &root.join(BACKUPS_IGNORE),
        BACKUPS_IGNORE_TEXT.as_bytes(),
        false,
    );
    Ok(Some(dest))
}

/// The backup folder the next backup of the project at `root` goes to.
pub(crate) fn next_backup(root: &Path) -> PathBuf {
    let backups = root.join(BACKUPS);
    let mut n = 1;
    while fs::symlink_metadata(backups.join(n.to_string())).is_ok() {
        n += 1;
    }
    backups.join(n.to_string())
}

/// Keeps the files `paths` of the project at `root` (regular files, checked) as they are now,
/// in the next `.scaffold/backup/<n>/`, before something overwrites them; returns that folder.
/// Nothing is written through a symlink: `.scaffold` and its `backup` must be real folders.
pub(crate) fn keep_copies(root: &Path, paths: &[String]) -> Result<PathBuf> {
    let backups = root.join(BACKUPS);
    for dir in [root.join(".scaffold"), backups.clone()] {
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => bail!(
                "`{}` is not a folder scaffold made; scaffold keeps its backups there: look at \
                 it, then remove it",
                dir.display()
            ),
            Err(_) => fs::create_dir(&dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?,
        }
    }
    let _ = create_new(
        &root.join(BACKUPS_IGNORE),
        BACKUPS_IGNORE_TEXT.as_bytes(),
        false,
    );
    let mut dest = next_backup(root);
    while let Err(e) = fs::create_dir(&dest) {
        if e.kind() != io::ErrorKind::AlreadyExists {
            return Err(e).with_context(|| format!("cannot create `{}`", dest.display()));
        }
        dest = next_backup(root);
    }
    let kept = (|| -> Result<()> {
        for path in paths {
            let saved = dest.join(path);
            if let Some(dir) = saved.parent() {
                fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create `{}`", dir.display()))?;
            }
            // A link keeps the very file (the write that follows replaces the name, not the
            // file); a copy where links are not possible.
            fs::hard_link(root.join(path), &saved)
                .or_else(|_| fs::copy(root.join(path), &saved).map(|_| ()))
                .with_context(|| format!("cannot keep a copy of `{path}`"))?;
        }
        Ok(())
    })();
    if let Err(e) = kept {
        drop_copies(root, &dest);
        return Err(e);
    }
    Ok(dest)
}

/// Removes a backup [`keep_copies`] made, when what it was kept for did not happen (and the
/// `backup` folder, if that leaves it empty).
pub(crate) fn drop_copies(root: &Path, dir: &Path) {
    let _ = fs::remove_dir_all(dir);
    let _ = fs::remove_dir(root.join(BACKUPS));
}

/// Puts every file an interrupted (or failed) update touched back as it was, from the
/// journal, and removes the journal. Returns how many files were put back; `None` when there
/// was no interrupted update.
pub(crate) fn recover(root: &Path) -> Result<Option<usize>> {
    let journal = root.join(JOURNAL);
    if fs::symlink_metadata(&journal).is_err() {
        return Ok(None);
    }
    let n = undo(root)?;
    Ok(Some(n))
}

fn undo(root: &Path) -> Result<usize> {
    let journal = root.join(JOURNAL);
    let list = fs::read_to_string(journal.join(JOURNAL_LIST)).unwrap_or_default();
    let mut n = 0;
    for line in list.lines() {
        let (kind, path) = line.split_once(' ').unwrap_or(("", line));
        // The list is scaffold's own, but check it as any path: nothing outside the project.
        if crate::util::paths::check_relative(path).is_err() {
            continue;
        }
        let target = root.join(path);
        // Files staged but not yet renamed go too.
        if let Some(dir) = target.parent()
            && let Ok(entries) = fs::read_dir(dir)
        {
            for e in entries.flatten() {
                let name = e.file_name();
                let name = name.to_string_lossy();
                if temp_pid(&name) == Some(std::process::id())
                    || temp_pid(&name).is_some_and(is_dead)
                {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        match kind {
            "had" => {
                let saved = journal.join(path);
                if saved.exists() {
                    if let Some(dir) = target.parent() {
                        let _ = fs::create_dir_all(dir);
                    }
                    fs::rename(&saved, &target)
                        .with_context(|| format!("cannot put `{path}` back"))?;
                    n += 1;
                }
            }
            "new" if fs::remove_file(&target).is_ok() => {
                remove_empty_parents(root, path);
                n += 1;
            }
            _ => {}
        }
    }
    fs::remove_dir_all(&journal)
        .with_context(|| format!("cannot remove `{}`", journal.display()))?;
    let _ = fs::remove_dir(root.join(".scaffold"));
    Ok(n)
}

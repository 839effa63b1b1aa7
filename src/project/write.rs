//! Applying `new`'s plan: the rendered files written into the destination.
//!
//! This is the only module that writes a new project's files. A new destination is staged in a
//! sibling folder and renamed into place, so it appears whole or not at all; missing parents
//! are created first and removed again if the run fails. In an existing directory (empty, or
//! with `--force`) every file is first written beside its target under a temporary name and
//! only then renamed over it, and a failure removes everything the run added. Nothing the
//! template does not produce is touched, and nothing is ever followed through a symlink.
//! Temporary names carry the run's process id, so a later run can tell an abandoned leftover
//! (its process is gone) from a live one.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::disk::{
    STAGING_MARKER, STAGING_PREFIX, create_new, is_dead, mode, random_suffix, temp_name,
};
use super::plan::{Action, DestState, Plan, parent_of};
use crate::template::render::OutFile;

/// Writes the plan; the files in `private` (those holding the cookie secret) readable by their
/// owner only. On failure the destination (and its parents) are left as they were.
pub(crate) fn apply(plan: &Plan, private: &[String]) -> Result<()> {
    for l in plan.leftovers.iter().filter(|l| l.abandoned) {
        let _ = fs::remove_file(plan.dest.join(&l.path));
    }
    match plan.state {
        DestState::Absent => {
            let mut created = Vec::new();
            let result = (|| {
                for dir in &plan.parents {
                    fs::create_dir(dir)
                        .with_context(|| format!("cannot create `{}`", dir.display()))?;
                    created.push(dir.clone());
                }
                apply_staged(plan, private)
            })();
            if result.is_err() {
                for dir in created.iter().rev() {
                    let _ = fs::remove_dir(dir);
                }
            }
            result
        }
        // An existing directory keeps its inode (it may be the shell's current directory):
        // files are written beside their targets and renamed into place.
        DestState::Empty | DestState::NonEmpty => apply_in_place(plan, private),
    }
}

/// Whether a staging folder was left by a run that is no longer alive. Folders without
/// scaffold's marker, or whose run cannot be proven dead, are left alone.
fn is_stale_staging(dir: &Path) -> bool {
    let Ok(marker) = fs::read_to_string(dir.join(STAGING_MARKER)) else {
        return false;
    };
    marker
        .strip_prefix("pid ")
        .and_then(|p| p.trim().parse::<u32>().ok())
        .is_some_and(is_dead)
}

/// The directories `files` need below `root`, parents before children.
fn directories(files: &[(OutFile, Action)]) -> BTreeSet<&str> {
    let mut dirs = BTreeSet::new();
    for (f, _) in files {
        let mut path = f.path.as_str();
        while let Some((dir, _)) = path.rsplit_once('/') {
            if !dirs.insert(dir) {
                break;
            }
            path = dir;
        }
    }
    dirs
}

/// Writes `files` below `root` (whose directories exist), on every core for many files; those
/// whose destination path is in `private` with an owner-only mode.
fn write_files(root: &Path, files: &[(&OutFile, bool)]) -> Result<()> {
    let workers = crate::util::limits::workers(files.len(), 128);
    let one = |(f, private): &(&OutFile, bool)| {
        create_new(
            &root.join(&f.path),
            &f.contents,
            mode(f.executable, *private),
        )
    };
    if workers == 1 {
        return files.iter().try_for_each(one);
    }
    let chunk = files.len().div_ceil(workers);
    std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().try_for_each(one)))
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("a writing thread panicked")))
        })
    })
}

fn apply_staged(plan: &Plan, private: &[String]) -> Result<()> {
    let dest = &plan.dest;
    let parent = parent_of(dest);
    // A run that was killed may have left its staging folder: remove those proven stale.
    if let Ok(entries) = fs::read_dir(&parent) {
        for entry in entries.flatten() {
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir
                && entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(STAGING_PREFIX)
                && is_stale_staging(&entry.path())
            {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
    let staging = parent.join(format!("{STAGING_PREFIX}{}", random_suffix()));
    fs::create_dir(&staging)
        .with_context(|| format!("cannot create the staging folder `{}`", staging.display()))?;
    // (A template that ships a file of the marker's name simply goes without the marker.)
    let marked = !plan.files.iter().any(|(f, _)| f.path == STAGING_MARKER);
    let result = (|| -> Result<()> {
        if marked {
            create_new(
                &staging.join(STAGING_MARKER),
                format!("pid {}\n", std::process::id()).as_bytes(),
                mode(false, false),
            )?;
        }
        for dir in directories(&plan.files) {
            let path = staging.join(dir);
            fs::create_dir(&path).with_context(|| format!("cannot create `{}`", path.display()))?;
        }
        let files: Vec<(&OutFile, bool)> = plan
            .files
            .iter()
            .map(|(f, _)| (f, private.contains(&f.path)))
            .collect();
        write_files(&staging, &files)?;
        if marked {
            fs::remove_file(staging.join(STAGING_MARKER))?;
        }
        fs::rename(&staging, dest).with_context(|| {
            format!(
                "cannot move the staged project from `{}` to `{}`",
                staging.display(),
                dest.display()
            )
        })
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

fn apply_in_place(plan: &Plan, private: &[String]) -> Result<()> {
    let dest = &plan.dest;
    let mut created_dirs: Vec<PathBuf> = Vec::new();
    let mut temps: Vec<(PathBuf, PathBuf)> = Vec::new();
    let todo: Vec<&OutFile> = plan
        .files
        .iter()
        .filter(|(_, a)| *a != Action::Identical)
        .map(|(f, _)| f)
        .collect();
    let result = (|| -> Result<()> {
        for (f, _) in plan.files.iter().filter(|(_, a)| *a != Action::Identical) {
            let mut missing = Vec::new();
            let mut p = dest.join(&f.path);
            while p.pop() && p != *dest && fs::symlink_metadata(&p).is_err() {
                missing.push(p.clone());
            }
            for dir in missing.into_iter().rev() {
                fs::create_dir(&dir)
                    .with_context(|| format!("cannot create `{}`", dir.display()))?;
                created_dirs.push(dir);
            }
        }
        // A random name, created exclusively: nothing at that name (a planted symlink) is
        // ever followed, and no existing file is touched.
        for f in &todo {
            let target = dest.join(&f.path);
            let parent = target.parent().unwrap_or(dest);
            temps.push((parent.join(temp_name()), target));
        }
        let staged: Vec<OutFile> = todo
            .iter()
            .zip(&temps)
            .map(|(f, (temp, _))| OutFile {
                path: temp
                    .strip_prefix(dest)
                    .unwrap_or(temp)
                    .to_string_lossy()
                    .into_owned(),
                contents: f.contents.clone(),
                executable: f.executable,
                source: f.source.clone(),
            })
            .collect();
        let refs: Vec<(&OutFile, bool)> = staged
            .iter()
            .zip(&todo)
            .map(|(s, f)| (s, private.contains(&f.path)))
            .collect();
        write_files(dest, &refs)?;
        rename_all(&temps)
    })();
    if result.is_err() {
        for (temp, _) in &temps {
            let _ = fs::remove_file(temp);
        }
        for dir in created_dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
    result
}

/// Renames every temporary file over its target, all or nothing: an existing target is first
/// linked to a backup name, and if any rename fails, every target is put back as it was.
fn rename_all(temps: &[(PathBuf, PathBuf)]) -> Result<()> {
    let mut done: Vec<(&Path, Option<PathBuf>)> = Vec::new();
    let mut failure = None;
    for (temp, target) in temps {
        let backup = if fs::symlink_metadata(target).is_ok() {
            let backup = target.with_file_name(temp_name());
            if let Err(e) = fs::hard_link(target, &backup) {
                failure = Some(
                    anyhow::Error::new(e).context(format!("cannot replace `{}`", target.display())),
                );
                break;
            }
            Some(backup)
        } else {
            None
        };
        if let Err(e) = fs::rename(temp, target) {
            if let Some(b) = &backup {
                let _ = fs::remove_file(b);
            }
            failure = Some(
                anyhow::Error::new(e).context(format!("cannot replace `{}`", target.display())),
            );
            break;
        }
        done.push((target, backup));
    }
    match failure {
        None => {
            for (_, backup) in done {
                if let Some(b) = backup {
                    let _ = fs::remove_file(b);
                }
            }
            Ok(())
        }
        Some(e) => {
            for (target, backup) in done.into_iter().rev() {
                match backup {
                    Some(b) => {
                        let _ = fs::rename(&b, target);
                    }
                    None => {
                        let _ = fs::remove_file(target);
                    }
                }
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::disk::{TEMP_PREFIX, temp_pid};
    use crate::project::plan::{Refusal, plan};

    fn file(path: &str, text: &str) -> OutFile {
        OutFile {
            path: path.into(),
            contents: text.as_bytes().to_vec(),
            executable: false,
            source: path.into(),
        }
    }

    #[test]
    fn leftovers_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("p");
        fs::create_dir(&d).unwrap();
        let dead = format!("{TEMP_PREFIX}4000000000-0123456789abcdef");
        let live = format!("{TEMP_PREFIX}{}-0123456789abcdef", std::process::id());
        fs::write(d.join(&dead), "partial").unwrap();
        let only_dead = plan(&d, vec![file("a.txt", "a")], None, &[]).unwrap();
        assert_eq!(
            only_dead.state,
            DestState::Empty,
            "only an abandoned leftover"
        );
        assert_eq!(only_dead.refusal(false), None);
        apply(&only_dead, &[]).unwrap();
        assert!(
            !d.join(&dead).exists(),
            "the abandoned leftover was removed"
        );
        assert_eq!(fs::read_to_string(d.join("a.txt")).unwrap(), "a");

        // This process is alive: its name is not removable.
        fs::write(d.join(&live), "busy").unwrap();
        let busy = plan(&d, vec![file("a.txt", "a")], None, &[]).unwrap();
        assert_eq!(
            busy.refusal(true),
            Some(Refusal::Leftovers(vec![live.clone()]))
        );
        // Names of another shape are the user's, not leftovers.
        assert_eq!(temp_pid(".scaffold-tmp-12-short"), None);
        assert_eq!(temp_pid(".scaffold-tmp-12-0123456789abcdef"), Some(12));
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("p");
        fs::create_dir_all(d.join("sub")).unwrap();
        // A directory where a file goes: the rename fails after the temps are written.
        fs::create_dir(d.join("sub/f.txt")).unwrap();
        let p = Plan {
            dest: d.clone(),
            state: DestState::NonEmpty,
            files: vec![
                (file("a.txt", "a"), Action::Create),
                (file("new/x.txt", "x"), Action::Create),
                (file("sub/f.txt", "f"), Action::Overwrite),
            ],
            parents: vec![],
            leftovers: vec![],
            project: None,
            keep: vec![],
        };
        assert!(apply(&p, &[]).is_err());
        let mut left: Vec<String> = walkdir::WalkDir::new(&d)
            .into_iter()
            .flatten()
            .map(|e| e.path().strip_prefix(&d).unwrap().display().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        left.sort();
        // Everything as it was: no file renamed into place, no temporary file, no new folder.
        assert_eq!(left, ["sub", "sub/f.txt"]);
    }

    #[test]
    fn a_failed_rename_puts_overwritten_files_back() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("p");
        fs::create_dir_all(d.join("z")).unwrap();
        fs::write(d.join("a.txt"), "old a").unwrap();
        fs::create_dir(d.join("z/dir")).unwrap();
        let p = Plan {
            dest: d.clone(),
            state: DestState::NonEmpty,
            files: vec![
                (file("a.txt", "new a"), Action::Overwrite),
                (file("b.txt", "b"), Action::Create),
                (file("z/dir", "x"), Action::Overwrite),
            ],
            parents: vec![],
            leftovers: vec![],
            project: None,
            keep: vec![],
        };
        assert!(apply(&p, &[]).is_err());
        assert_eq!(fs::read_to_string(d.join("a.txt")).unwrap(), "old a");
        assert!(!d.join("b.txt").exists());
        let names: Vec<String> = fs::read_dir(&d)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.starts_with(TEMP_PREFIX)),
            "{names:?}"
        );
    }
}

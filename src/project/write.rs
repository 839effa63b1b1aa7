//! Applying `new`'s plan: the rendered files written into the destination.
//!
//! This is the only module that writes a new project's files. A new destination is staged in a
//! sibling folder and renamed into place, so it appears whole or not at all; missing parents
//! are created first and removed again if the run fails. In an existing directory (empty, or
//! with `--force`) every file is first written beside its target under a temporary name and
//! only then renamed over it, and a failure removes everything the run added; there every
//! change is made through the directory opened once ([`Root`]), so no folder, file or name on
//! the way is followed through a symlink, even one swapped in after the plan looked. Nothing
//! the template does not produce is touched.
//! Temporary names carry the run's process id, so a later run can tell an abandoned leftover
//! (its process is gone) from a live one.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result};

use super::disk::{
    STAGING_MARKER, STAGING_PREFIX, create_new, is_dead, mode, random_suffix, temp_name,
};
use super::plan::{Action, DestState, Plan, parent_of};
use super::root::Root;
use crate::template::render::OutFile;
use crate::util::text::Shown as _;

/// Writes the plan; the files in `private` (those holding the cookie secret) readable by their
/// owner only. On failure the destination (and its parents) are left as they were.
pub(crate) fn apply(plan: &Plan, private: &[String]) -> Result<()> {
    match plan.state {
        DestState::Absent => {
            let mut created = Vec::new();
            let result = (|| {
                for dir in &plan.parents {
                    fs::create_dir(dir)
                        .with_context(|| format!("cannot create `{}`", dir.shown()))?;
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

/// Whether a staging folder was left by a run of this user's that is no longer alive.
/// Folders that are not this user's, without scaffold's marker, or whose run cannot be proven
/// dead, are left alone. The folder the staging folder is in may be anyone's (`/tmp`, an
/// unpacked archive): the marker is read as the small regular file scaffold writes, never
/// through a symlink, never waited on (a FIFO), never more than a few bytes of it.
fn is_stale_staging(dir: &Path) -> bool {
    let Ok(meta) = fs::symlink_metadata(dir) else {
        return false;
    };
    #[cfg(unix)]
    if std::os::unix::fs::MetadataExt::uid(&meta) != rustix::process::geteuid().as_raw() {
        return false;
    }
    if !meta.is_dir() {
        return false;
    }
    let Ok(marker) = crate::util::read::read_small(&dir.join(STAGING_MARKER), 64) else {
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
        .with_context(|| format!("cannot create the staging folder `{}`", staging.shown()))?;
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
            fs::create_dir(&path).with_context(|| format!("cannot create `{}`", path.shown()))?;
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
                staging.shown(),
                dest.shown()
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
    // The destination opened once: every folder made, file written, renamed or linked below
    // it is reached from it without following a symlink at any component, so a folder swapped
    // for a link after the plan looked cannot redirect a write.
    let root = Root::open(dest).with_context(|| format!("cannot open `{}`", dest.shown()))?;
    let shown = |rel: &str| dest.join(rel).display().to_string();
    for l in plan.leftovers.iter().filter(|l| l.abandoned) {
        let _ = root.unlink(&l.path);
    }
    let mut created_dirs: Vec<String> = Vec::new();
    let mut temps: Vec<(String, String)> = Vec::new();
    let todo: Vec<&OutFile> = plan
        .files
        .iter()
        .filter(|(_, a)| *a != Action::Identical)
        .map(|(f, _)| f)
        .collect();
    let result = (|| -> Result<()> {
        for f in &todo {
            let made = root
                .make_parents(&f.path, 0o755)
                .with_context(|| format!("cannot create the folders of `{}`", shown(&f.path)))?;
            created_dirs.extend(made);
        }
        // A random name, created exclusively: nothing at that name (a planted symlink) is
        // ever followed, and no existing file is touched.
        for f in &todo {
            let temp = match f.path.rsplit_once('/') {
                Some((dir, _)) => format!("{dir}/{}", temp_name()),
                None => temp_name(),
            };
            temps.push((temp, f.path.clone()));
        }
        let jobs: Vec<(&str, &OutFile)> = temps
            .iter()
            .zip(&todo)
            .map(|((temp, _), f)| (temp.as_str(), *f))
            .collect();
        write_in_place(&root, dest, &jobs, private)?;
        rename_all(&root, dest, &temps)
    })();
    if result.is_err() {
        for (temp, _) in &temps {
            let _ = root.unlink(temp);
        }
        for dir in created_dirs.iter().rev() {
            let _ = root.rmdir(dir);
        }
    }
    result
}

/// Writes each `(temp, file)` at `temp` below `root` (whose folders exist), exclusively and
/// never through a symlink, on every core for many files; those whose path is in `private`
/// with an owner-only mode.
fn write_in_place(
    root: &Root,
    dest: &Path,
    jobs: &[(&str, &OutFile)],
    private: &[String],
) -> Result<()> {
    let workers = crate::util::limits::workers(jobs.len(), 128);
    let one = |(temp, f): &(&str, &OutFile)| {
        root.create(
            temp,
            &f.contents,
            mode(f.executable, private.contains(&f.path)),
        )
        .with_context(|| format!("cannot create `{}`", dest.join(temp).shown()))
    };
    if workers == 1 {
        return jobs.iter().try_for_each(one);
    }
    let chunk = jobs.len().div_ceil(workers);
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().try_for_each(one)))
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("a writing thread panicked")))
        })
    })
}

/// Renames every temporary file over its target, all or nothing: an existing target is first
/// linked to a backup name, and if any rename fails, every target is put back as it was. All
/// below `root`, never through a symlink.
fn rename_all(root: &Root, dest: &Path, temps: &[(String, String)]) -> Result<()> {
    let mut done: Vec<(&str, Option<String>)> = Vec::new();
    let mut failure = None;
    let cannot = |target: &str, e: std::io::Error| {
        anyhow::Error::new(e).context(format!("cannot replace `{}`", dest.join(target).shown()))
    };
    for (temp, target) in temps {
        let backup = match root.kind(target) {
            Ok(None) => None,
            Ok(Some(_)) => {
                let backup = match target.rsplit_once('/') {
                    Some((dir, _)) => format!("{dir}/{}", temp_name()),
                    None => temp_name(),
                };
                if let Err(e) = root.link(target, &backup) {
                    failure = Some(cannot(target, e));
                    break;
                }
                Some(backup)
            }
            Err(e) => {
                failure = Some(cannot(target, e));
                break;
            }
        };
        if let Err(e) = root.rename(temp, target) {
            if let Some(b) = &backup {
                let _ = root.unlink(b);
            }
            failure = Some(cannot(target, e));
            break;
        }
        done.push((target, backup));
    }
    match failure {
        None => {
            for (_, backup) in done {
                if let Some(b) = backup {
                    let _ = root.unlink(&b);
                }
            }
            Ok(())
        }
        Some(e) => {
            for (target, backup) in done.into_iter().rev() {
                match backup {
                    Some(b) => {
                        let _ = root.rename(&b, target);
                    }
                    None => {
                        let _ = root.unlink(target);
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

    /// A folder of an existing destination swapped for a symlink after the plan looked (the
    /// plan refuses one it sees): nothing is written or replaced through it, and everything
    /// is as it was.
    #[cfg(unix)]
    #[test]
    fn nothing_is_written_through_a_folder_swapped_for_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("p");
        let outside = dir.path().join("outside");
        fs::create_dir_all(&d).unwrap();
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("f.txt"), "outside").unwrap();
        std::os::unix::fs::symlink(&outside, d.join("sub")).unwrap();
        let p = Plan {
            dest: d.clone(),
            state: DestState::NonEmpty,
            files: vec![
                (file("a.txt", "a"), Action::Create),
                (file("sub/f.txt", "evil"), Action::Overwrite),
                (file("sub/new.txt", "evil"), Action::Create),
            ],
            parents: vec![],
            leftovers: vec![],
            project: None,
            keep: vec![],
        };
        let err = apply(&p, &[]).unwrap_err();
        assert!(format!("{err:#}").contains("sub"), "{err:#}");
        let names = |at: &Path| {
            let mut n: Vec<String> = fs::read_dir(at)
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            n.sort();
            n
        };
        assert_eq!(names(&outside), ["f.txt"]);
        assert_eq!(
            fs::read_to_string(outside.join("f.txt")).unwrap(),
            "outside"
        );
        assert_eq!(names(&d), ["sub"]);
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

//! `.scaffold/` and the lock that lets one run at a time write a project. STAND-IN for the
//! `state` engineer's `project::state` (issue 22, item 1): the same `lock(&Root) -> Lock`, with
//! the behaviour their design gives it, so that `new --force` into an existing directory holds
//! the lock for its whole run; their module replaces this file whole when their branch lands.
//!
//! The lock is `flock(LOCK_EX | LOCK_NB)` on `.scaffold/lock` (never followed through a
//! symlink), taken before the run reads what it decides on and held to its end; the file says
//! `pid <n>`. The kernel drops a flock when its process dies, so a killed run's lock is simply
//! taken over. The holder removes the file as it lets go, and a run that takes the lock checks
//! that the file it locked is still the one at that name (else it locked a file just removed,
//! and tries again). A `.scaffold/` this run made goes again if nothing was kept in it.

use std::fs;
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};

use super::root::Root;

/// scaffold's folder in a project.
const DIR: &str = ".scaffold";
/// Written first into [`DIR`]: git ignores everything in it.
const IGNORE_TEXT: &str = "# scaffold's own state (see its README): not part of the project\n*\n";

/// The lock on a project, held until dropped.
#[derive(Debug)]
pub(crate) struct Lock {
    file: fs::File,
    path: PathBuf,
    /// `.scaffold/` was made by this run (it goes again if nothing else is kept in it).
    made: Option<PathBuf>,
}

/// Takes the lock on the project at `root` for this run, making `.scaffold/` if need be.
/// Refused at once (after a moment's grace) when another run holds it, naming its process.
pub(crate) fn lock(root: &Root) -> Result<Lock> {
    let dir = root.path().join(DIR);
    let made = match fs::symlink_metadata(&dir) {
        Ok(m) if m.is_dir() => None,
        Ok(_) => bail!(
            "`{}` is not a folder scaffold made; scaffold keeps its own state there: look at it, \
             then remove it",
            dir.display()
        ),
        Err(_) => {
            fs::create_dir(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
            let _ = crate::project::disk::create_new(
                &dir.join(".gitignore"),
                IGNORE_TEXT.as_bytes(),
                false,
            );
            Some(dir.clone())
        }
    };
    let lock = take(root.path(), &dir.join("lock"));
    match lock {
        Ok(file) => Ok(Lock {
            file,
            path: dir.join("lock"),
            made,
        }),
        Err(e) => {
            if let Some(dir) = &made {
                tidy(dir);
            }
            Err(e)
        }
    }
}

fn take(project: &Path, path: &Path) -> Result<fs::File> {
    let cannot = || format!("cannot lock `{}`", path.display());
    let started = std::time::Instant::now();
    loop {
        let mut options = fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        }
        let file = options.open(path).with_context(cannot)?;
        if !file.metadata().with_context(cannot)?.is_file() {
            bail!("`{}` is not a regular file", path.display());
        }
        if try_lock(&file).with_context(cannot)? {
            if !is_same(path, &file) {
                // Locked a file its last holder removed as it let go: try the new one.
                continue;
            }
            let mut file = file;
            file.set_len(0).with_context(cannot)?;
            file.write_all(format!("pid {}\n", std::process::id()).as_bytes())
                .with_context(cannot)?;
            return Ok(file);
        }
        if started.elapsed() > std::time::Duration::from_millis(500) {
            let pid = pid_in(&file);
            return Err(anyhow!(
                "another scaffold run{} is writing `{}`; wait for it to finish",
                pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
                project.display()
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Whether the file at `path` is `file` (the same inode), never following a symlink.
fn is_same(path: &Path, file: &fs::File) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (fs::symlink_metadata(path), file.metadata()) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, file);
        true
    }
}

/// The process id a lock file names.
fn pid_in(file: &fs::File) -> Option<u32> {
    let mut text = String::new();
    let mut file = file;
    file.rewind().ok()?;
    file.take(64).read_to_string(&mut text).ok()?;
    text.trim().strip_prefix("pid ")?.parse().ok()
}

/// A non-blocking exclusive flock: whether it was taken.
#[cfg(unix)]
fn try_lock(file: &fs::File) -> std::io::Result<bool> {
    match rustix::fs::flock(file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Off Unix there is no lock: one run at a time is the user's to keep.
#[cfg(not(unix))]
fn try_lock(_file: &fs::File) -> std::io::Result<bool> {
    Ok(true)
}

/// Removes `.scaffold/` if it holds nothing but its `.gitignore`.
fn tidy(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
    if names.iter().all(|n| n == ".gitignore") {
        let _ = fs::remove_file(dir.join(".gitignore"));
        let _ = fs::remove_dir(dir);
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Still holding it: the file goes first, then the lock with the descriptor.
        if is_same(&self.path, &self.file) {
            let _ = fs::remove_file(&self.path);
        }
        if let Some(dir) = &self.made {
            tidy(dir);
        }
    }
}

//! `.scaffold/`, scaffold's own state in a project: made by scaffold (mode 700, its
//! `.gitignore` first, so nothing in it ever shows in `git status`) or refused when something
//! else stands there (a symlink, a file, a symlink for one of its entries), before anything is
//! written; and the lock that lets one run at a time write a project.
//!
//! The lock is `flock(LOCK_EX | LOCK_NB)` on `.scaffold/lock`, taken before a writing run reads
//! anything it decides on and held to its end. A lock file is only ever locked, never written
//! into, unless this run made it: a run that takes the lock makes a file of its own (created
//! exclusively beside it, saying `pid <n>`, locked before anyone can see it) and puts it at
//! `lock`, where nothing was, or over the file it has just locked there. So a lock file that
//! came with a clone or an archive (a hard link to a file elsewhere, a read-only file) is
//! locked as it is and then replaced, never written; and only a lock file scaffold made names
//! a process. The kernel drops a flock when its process dies, so a killed run's lock is simply
//! taken over. The run that held it removes the file as it lets go, and a run that takes a lock
//! checks, once it holds it, that the file it locked is still the one at that name (else it
//! locked a file just removed or replaced, and tries again): so the file can go without two
//! runs ever both holding "the" lock, and a run that was refused, or changed nothing, leaves
//! the project as it found it. Read-only commands never take it: they probe it with a shared
//! lock released at once, to say that an update is running instead of calling it interrupted.

use std::io::{Read as _, Seek as _};

use anyhow::{Context as _, Result, anyhow, bail};

use super::disk::{is_dead, temp_name, temp_pid};
use super::root::{Found, Kind, Root, is_link_error};
use crate::util::text::Shown as _;

/// scaffold's folder in a project.
pub(crate) const DIR: &str = ".scaffold";
/// Written first into [`DIR`]: git ignores everything in it.
const IGNORE: &str = ".scaffold/.gitignore";
const IGNORE_TEXT: &str = "# scaffold's own state (see its README): not part of the project\n*\n";
/// The lock file.
const LOCK: &str = ".scaffold/lock";
/// The entries of [`DIR`] that scaffold writes into or through, and what each must be.
const ENTRIES: [(&str, Kind); 2] = [(LOCK, Kind::File), (".scaffold/backup", Kind::Dir)];

/// The error for something standing where scaffold keeps its state.
fn refused(root: &Root, rel: &str, kind: Kind) -> anyhow::Error {
    let what = match kind {
        Kind::File => "is not a directory",
        Kind::Dir => "is a directory",
        other => other.refusal().unwrap_or("is not what scaffold made"),
    };
    anyhow!(
        "`{}` {what}; scaffold keeps its own state in `{DIR}/` and writes there only into what \
         it made: look at it, then remove it",
        root.shown(rel)
    )
}

/// Whether `rel` is missing or of `kind`; anything else refused, naming it.
fn expect(root: &Root, rel: &str, kind: Kind) -> Result<bool> {
    match root.kind(rel) {
        Ok(None) => Ok(false),
        Ok(Some(k)) if k == kind => Ok(true),
        Ok(Some(k)) => Err(refused(root, rel, k)),
        Err(e) if is_link_error(&e) => Err(refused(root, DIR, Kind::Symlink)),
        Err(e) => Err(e).with_context(|| format!("cannot inspect `{}`", root.shown(rel))),
    }
}

/// Whether `.scaffold/` exists, as a real directory (anything else there is refused).
pub(crate) fn exists(root: &Root) -> Result<bool> {
    expect(root, DIR, Kind::Dir)
}

/// Makes `.scaffold/` (mode 700, with its `.gitignore` first) unless it is there; either way
/// checks that it and the entries scaffold writes through are what scaffold made, and that
/// it is this user's ([`own`]). Returns whether it was made now.
pub(crate) fn make(root: &Root) -> Result<bool> {
    let made = if exists(root)? {
        false
    } else {
        match root.mkdir(DIR, 0o700) {
            Ok(()) => {
                // (Best effort here: another run letting go may remove the folder at once,
                // and the lock is taken again; [`ready`] makes sure before anything is kept.)
                let _ = ignore(root);
                true
            }
            // Made meanwhile by another run starting at the same moment: it must be a folder
            // all the same (that run writes its `.gitignore`).
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                exists(root)?;
                false
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot create `{}`", root.shown(DIR)));
            }
        }
    };
    own(root, false)?;
    for (rel, kind) in ENTRIES {
        expect(root, rel, kind)?;
    }
    Ok(made)
}

/// Makes `.scaffold/` ready to keep something in (a journal, a backup): [`make`], then mode
/// 700 and a `.gitignore` that says `*` ([`own`], [`ignore`]).
/// (A run that keeps nothing there, refused or with nothing to change, leaves it as it was.)
pub(crate) fn ready(root: &Root) -> Result<()> {
    make(root)?;
    own(root, true)?;
    ignore(root)
}

/// Checks that `.scaffold/` is this user's (one that is another user's is refused: they could
/// change what scaffold keeps there), and with `narrow`, makes it theirs alone (mode 700): one
/// that came with a clone or an archive with a wider mode holds copies of the user's files,
/// those holding the cookie secret too, and only scaffold writes there.
fn own(root: &Root, narrow: bool) -> Result<()> {
    let Some((uid, mode)) = root
        .owner_and_mode(DIR)
        .with_context(|| format!("cannot inspect `{}`", root.shown(DIR)))?
    else {
        return Ok(());
    };
    #[cfg(unix)]
    if uid != rustix::process::geteuid().as_raw() {
        bail!(
            "`{}` is owned by another user; scaffold keeps its state only in a folder of yours: \
             look at it, then remove it (or run scaffold as its owner)",
            root.shown(DIR)
        );
    }
    #[cfg(not(unix))]
    let _ = uid;
    if narrow && mode & 0o777 != 0o700 {
        root.chmod_dir(DIR, 0o700)
            .with_context(|| format!("cannot make `{}` yours alone", root.shown(DIR)))?;
    }
    Ok(())
}

/// Makes sure `.scaffold/.gitignore` says what scaffold writes there (`*`: git ignores all of
/// the folder). One that says anything else (a clone's own, committed as `# nothing` so that
/// backups would show in `git status`), or a symlink or FIFO there, is replaced, never written
/// through; a folder there is refused, naming it.
pub(crate) fn ignore(root: &Root) -> Result<()> {
    let cannot = || format!("cannot write `{}`", root.shown(IGNORE));
    match root.read(IGNORE, 4096).with_context(cannot)? {
        Found::File { bytes, .. } if bytes == IGNORE_TEXT.as_bytes() => return Ok(()),
        Found::Missing => {
            return match root.create(IGNORE, IGNORE_TEXT.as_bytes(), 0o644) {
                // (Another run made it meanwhile: it says the same.)
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                other => other.with_context(cannot),
            };
        }
        Found::Refused { at, .. } if at == IGNORE && root.kind(IGNORE)? == Some(Kind::Dir) => {
            return Err(refused(root, IGNORE, Kind::Dir));
        }
        _ => {}
    }
    let temp = format!("{DIR}/{}", temp_name());
    root.create(&temp, IGNORE_TEXT.as_bytes(), 0o644)
        .with_context(cannot)?;
    root.rename(&temp, IGNORE)
        .with_context(cannot)
        .inspect_err(|_| {
            let _ = root.unlink(&temp);
        })
}

/// The lock on a project, held until dropped.
#[derive(Debug)]
pub(crate) struct Lock {
    root: Root,
    /// The locked file (none in a project this user cannot write).
    file: Option<std::fs::File>,
    /// `.scaffold/` was made by this run (it goes again if nothing else is kept in it).
    made: bool,
}

/// Takes the lock on the project at `root` for this run, making `.scaffold/` if need be.
/// Refused at once (after a moment's grace for a status that is looking) when another run
/// holds it, naming its process.
///
/// In a project this user cannot write (a read-only mount, another user's folder: its root
/// directory is not writable) there is no lock to take, and none is needed: nothing this run
/// does can mix the project, since any write it tries fails with its own error. Such a run
/// goes on unlocked (an update with nothing to change still says so), unless another run holds
/// the lock. Only the root counts: a file or folder in `.scaffold/` that this user cannot
/// write (one that came with a clone) is an error, never a reason to go on unlocked.
pub(crate) fn lock(root: &Root) -> Result<Lock> {
    let mut made = false;
    let lock = take(root, &mut made);
    if lock.is_err() && made {
        tidy(root);
    }
    match lock {
        Err(_) if !root.writable() => {
            if let Some(Holder(pid)) = holder(root)? {
                return Err(busy(root, pid));
            }
            Ok(Lock {
                root: root
                    .try_clone()
                    .with_context(|| format!("cannot open `{}`", root.path().shown()))?,
                file: None,
                made: false,
            })
        }
        other => other,
    }
}

/// The refusal while another run holds the lock.
fn busy(root: &Root, pid: Option<u32>) -> anyhow::Error {
    anyhow!(
        "another scaffold run{} is writing `{}`; wait for it to finish",
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
        root.path().shown()
    )
}

/// A lock file this run made: created exclusively under a temporary name in `.scaffold/`,
/// saying `pid <n>`, and locked before it is put at [`LOCK`]. Returns it and its name.
fn fresh(root: &Root) -> std::io::Result<(std::fs::File, String)> {
    let temp = format!("{DIR}/{}", temp_name());
    let file = root.create_open(
        &temp,
        format!("pid {}\n", std::process::id()).as_bytes(),
        0o600,
    )?;
    match try_lock(&file, true) {
        Ok(true) => Ok((file, temp)),
        other => {
            let _ = root.unlink(&temp);
            Err(other.err().unwrap_or_else(|| {
                std::io::Error::other("its new lock file was locked by another process")
            }))
        }
    }
}

fn take(root: &Root, made: &mut bool) -> Result<Lock> {
    let cannot = || format!("cannot lock `{}`", root.shown(LOCK));
    let started = std::time::Instant::now();
    let held = |file: std::fs::File, made: bool| -> Result<Lock> {
        clear_dead_temps(root);
        crate::util::hook::at("locked")?;
        Ok(Lock {
            root: root.try_clone().with_context(cannot)?,
            file: Some(file),
            made,
        })
    };
    loop {
        // (Again on every try: the run that held the lock may have removed the folder.)
        *made |= make(root)?;
        let old = match root.open_lock(LOCK) {
            Ok(f) => f,
            Err(e) if super::root::is_missing(&e) => {
                // None there: this run's own, put where nothing is (or another run was
                // quicker: look at its lock; or it removed the folder as it let go: again).
                let put = fresh(root).and_then(|(file, temp)| {
                    root.rename_new(&temp, LOCK)
                        .map(|()| file)
                        .inspect_err(|_| {
                            let _ = root.unlink(&temp);
                        })
                });
                match put {
                    Ok(file) => return held(file, *made),
                    Err(e)
                        if (e.kind() == std::io::ErrorKind::AlreadyExists
                            || super::root::is_missing(&e))
                            && started.elapsed() < std::time::Duration::from_secs(2) =>
                    {
                        continue;
                    }
                    Err(e) => return Err(e).with_context(cannot),
                }
            }
            Err(e) if is_link_error(&e) => return Err(refused(root, LOCK, Kind::Symlink)),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
                return Err(refused(root, LOCK, Kind::Special));
            }
            Err(e) => return Err(e).with_context(cannot),
        };
        if try_lock(&old, true).with_context(cannot)? {
            if !root.is_same(LOCK, &old).with_context(cannot)? {
                // Locked a file its last holder removed (or replaced) as it let go: try the
                // one there now.
                continue;
            }
            // Held. The file there is replaced by this run's own, never written: it may be
            // a hard link to a file elsewhere, or not this user's to write.
            let (file, temp) = fresh(root).with_context(cannot)?;
            if let Err(e) = root.rename(&temp, LOCK) {
                let _ = root.unlink(&temp);
                return Err(e).with_context(cannot);
            }
            return held(file, *made);
        }
        // A `status` probing the lock holds it for a moment: look again before refusing.
        if started.elapsed() > std::time::Duration::from_millis(500) {
            return Err(busy(root, pid_in(&old)));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Removes what dead runs left in `.scaffold/` under temporary names (a lock file made by a
/// run killed before it was put in place, a journal being made or put away); for a run that
/// holds the lock.
fn clear_dead_temps(root: &Root) {
    for (name, kind) in root.names(DIR).unwrap_or_default() {
        if temp_pid(&name).is_some_and(is_dead) {
            let rel = format!("{DIR}/{name}");
            let _ = if kind == Kind::Dir {
                root.remove_tree(&rel)
            } else {
                root.unlink(&rel)
            };
        }
    }
}

/// The process id a lock file names: only a file scaffold made can (a regular file of this
/// user's with one name, as scaffold makes them; a hard link or another user's file names no
/// one).
fn pid_in(file: &std::fs::File) -> Option<u32> {
    let mut text = String::new();
    let mut file = file;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let meta = file.metadata().ok()?;
        if meta.nlink() != 1 || meta.uid() != rustix::process::geteuid().as_raw() {
            return None;
        }
    }
    file.rewind().ok()?;
    file.take(64).read_to_string(&mut text).ok()?;
    text.trim().strip_prefix("pid ")?.parse().ok()
}

/// A non-blocking flock, exclusive or shared: whether it was taken.
#[cfg(unix)]
fn try_lock(file: &std::fs::File, exclusive: bool) -> std::io::Result<bool> {
    use rustix::fs::FlockOperation;
    let op = if exclusive {
        FlockOperation::NonBlockingLockExclusive
    } else {
        FlockOperation::NonBlockingLockShared
    };
    match rustix::fs::flock(file, op) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Off Unix there is no lock: one run at a time is the user's to keep.
#[cfg(not(unix))]
fn try_lock(_file: &std::fs::File, _exclusive: bool) -> std::io::Result<bool> {
    Ok(true)
}

/// Removes `.scaffold/` if it holds nothing but its `.gitignore` (a run that made it and kept
/// nothing there leaves the project as it found it). Should another run put its lock there
/// meanwhile, the folder stays, `.gitignore` and all.
fn tidy(root: &Root) {
    let Ok(names) = root.names(DIR) else {
        return;
    };
    if names.iter().all(|(n, _)| n == ".gitignore") {
        let _ = root.unlink(IGNORE);
        if root.rmdir(DIR).is_err() {
            let _ = ignore(root);
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let Some(file) = &self.file else {
            return;
        };
        // Still holding it: the file goes first, then the lock with the descriptor.
        if self.root.is_same(LOCK, file).unwrap_or(false) {
            let _ = self.root.unlink(LOCK);
        }
        // Made by this run, or left empty by another that made it: it goes.
        if self.made || self.root.names(DIR).is_ok_and(|n| n.is_empty()) {
            tidy(&self.root);
        }
    }
}

/// A run that holds a project's lock: its process id, if the lock file names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Holder(pub(crate) Option<u32>);

/// Whether another run holds the lock on the project at `root` now. Takes and drops a shared
/// lock at once; never waits, never writes.
pub(crate) fn holder(root: &Root) -> Result<Option<Holder>> {
    if !matches!(root.kind(DIR), Ok(Some(Kind::Dir))) {
        return Ok(None);
    }
    let Ok(file) = root.open_lock(LOCK) else {
        return Ok(None);
    };
    let cannot = || format!("cannot look at `{}`", root.shown(LOCK));
    if try_lock(&file, false).with_context(cannot)? {
        return Ok(None);
    }
    Ok(Some(Holder(pid_in(&file))))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// Runs that start at the same moment in a project with no `.scaffold/` yet: each one
    /// either takes the lock or is refused naming the other; none fails because the other
    /// made the folder first.
    #[test]
    fn runs_starting_together_make_the_folder_once() {
        for _ in 0..40 {
            let dir = tempfile::tempdir().unwrap();
            let start = std::sync::Barrier::new(6);
            std::thread::scope(|s| {
                for _ in 0..6 {
                    s.spawn(|| {
                        let root = Root::open(dir.path()).unwrap();
                        start.wait();
                        if let Err(e) = lock(&root) {
                            assert!(e.to_string().contains("another scaffold run"), "{e:#}");
                        }
                    });
                }
            });
        }
    }

    /// Only a lock file scaffold made names a process: one planted as a hard link (to a file
    /// saying `pid 42`), held by someone, names no one; and taking the lock replaces it
    /// without writing into it.
    #[test]
    fn a_planted_lock_names_no_one_and_is_never_written() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("planted"), "pid 42\n").unwrap();
        std::fs::create_dir(dir.path().join(DIR)).unwrap();
        std::fs::hard_link(dir.path().join("planted"), dir.path().join(LOCK)).unwrap();
        let root = Root::open(dir.path()).unwrap();
        let held = std::fs::File::open(dir.path().join(LOCK)).unwrap();
        assert!(try_lock(&held, true).unwrap());
        assert_eq!(holder(&root).unwrap(), Some(Holder(None)));
        drop(held);
        let lock = lock(&root).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("planted")).unwrap(),
            "pid 42\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join(LOCK)).unwrap(),
            format!("pid {}\n", std::process::id())
        );
        drop(lock);
        assert!(!dir.path().join(LOCK).exists());
    }

    /// One holder at a time; a second is refused naming the first's process; the file goes
    /// with the lock, and `.scaffold/` with it when this run made it.
    #[test]
    fn one_holder_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::open(dir.path()).unwrap();
        assert_eq!(holder(&root).unwrap(), None);
        let first = lock(&root).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(IGNORE)).unwrap(),
            IGNORE_TEXT
        );
        // (The probe sees it held; this process's pid is written there.)
        assert_eq!(
            holder(&root).unwrap(),
            Some(Holder(Some(std::process::id())))
        );
        let second = lock(&root).unwrap_err().to_string();
        assert!(
            second.contains(&format!(
                "another scaffold run (pid {}) is writing",
                std::process::id()
            )),
            "{second}"
        );
        drop(first);
        assert!(
            !dir.path().join(DIR).exists(),
            "made by the run, left empty"
        );
        let again = lock(&root).unwrap();
        std::fs::create_dir(dir.path().join(".scaffold/backup")).unwrap();
        drop(again);
        assert!(dir.path().join(".scaffold/backup").exists());
        assert!(!dir.path().join(LOCK).exists());
    }
}

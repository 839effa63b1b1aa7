//! An update's journal, `.scaffold/journal/`: what an update is about to change, kept so
//! that an update killed half-way can be undone, and trusted only where this user's scaffold
//! wrote it.
//!
//! It appears whole: it is built under a temporary name (its `list`, and under `files/` a link
//! to every file about to be replaced or removed, a copy of every file of the user's about to
//! move) and renamed into place before the first change. The list says what the update does,
//! entry by entry: the directories it makes, each file written (the blob it had, or none, and
//! the blob it gets), each file removed (the blob it had) and each file of the user's moved
//! with its folder (from, to, and the blob it has). It is marked: an HMAC of the list, the project's place and its root
//! directory's identity, keyed by a secret of this user's (`journal.key` in scaffold's state
//! directory). Only a journal whose mark checks is ever replayed; any other (one that came
//! with a clone or a copy, another user's, garbage, a file or a symlink where the folder
//! should be) is reported and left alone. Once the update is done, the journal is put away:
//! its copies kept as `.scaffold/backup/<n>/` (outside git), the rest removed.
//!
//! The backups a run keeps outside a journal (what `new --force` overwrites) are numbered in
//! the same `.scaffold/backup/` and made the same way: links (or copies) made below the root,
//! never through a symlink.

use std::path::PathBuf;

use anyhow::{Context as _, Result, anyhow, bail};

use super::disk::{MAX_COMPARED_BYTES, is_dead, mode, temp_name, temp_pid};
use super::root::{Found, Kind, Root};
use super::state;
use crate::util::hash::{blob, hex, hmac_sha1};
use crate::util::text::Shown as _;

/// Where an update keeps, while it runs, what it is about to replace; its presence means an
/// update was interrupted (or is running).
pub(crate) const JOURNAL: &str = ".scaffold/journal";
const LIST: &str = ".scaffold/journal/list";
pub(super) const FILES: &str = ".scaffold/journal/files";
/// Backups of earlier updates, outside git: `.scaffold/backup/<n>/`.
pub(crate) const BACKUPS: &str = ".scaffold/backup";
/// The list's first line.
const FORMAT: &str = "scaffold journal 1";
/// The most bytes a journal's list may hold (an update of 10,000 files with long paths).
const MAX_LIST_BYTES: u64 = 64 * 1024 * 1024;
/// Mode of the directories an update makes in a project.
pub(super) const DIR_MODE: u32 = 0o755;

/// One line of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Entry {
    /// A directory the update made (only these are ever removed again).
    Mkdir(String),
    /// A file written: the blob it had (none: it was new) and the blob written.
    Write {
        path: String,
        had: Option<String>,
        new: String,
    },
    /// A file removed, and the blob it had.
    Remove { path: String, had: String },
    /// A file of the user's moved, untouched (its blob `had`): linked at `to` (where nothing
    /// was), then removed at `from`.
    Move {
        from: String,
        to: String,
        had: String,
    },
}

impl Entry {
    /// The path it is about (for a move, where the file was: its copy is kept under that).
    pub(super) fn path(&self) -> &str {
        match self {
            Entry::Mkdir(p)
            | Entry::Write { path: p, .. }
            | Entry::Remove { path: p, .. }
            | Entry::Move { from: p, .. } => p,
        }
    }

    /// The blob a copy in `files/` holds, for entries that have one.
    pub(super) fn had(&self) -> Option<&str> {
        match self {
            Entry::Write { had, .. } => had.as_deref(),
            Entry::Remove { had, .. } | Entry::Move { had, .. } => Some(had),
            Entry::Mkdir(_) => None,
        }
    }
}

/// A journal's list: the run that wrote it and its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct List {
    pub(super) pid: u32,
    pub(super) entries: Vec<Entry>,
}

impl List {
    /// The text under the mark.
    fn body(&self) -> String {
        let mut out = format!("pid {}\n", self.pid);
        for e in &self.entries {
            match e {
                Entry::Mkdir(p) => out.push_str(&format!("mkdir {p}\n")),
                Entry::Write { path, had, new } => out.push_str(&format!(
                    "write {} {new} {path}\n",
                    had.as_deref().unwrap_or("-")
                )),
                Entry::Remove { path, had } => out.push_str(&format!("remove {had} {path}\n")),
                // (A path holds no control character: the tab parts the two.)
                Entry::Move { from, to, had } => {
                    out.push_str(&format!("move {had} {from}\t{to}\n"));
                }
            }
        }
        out
    }

    fn parse(body: &str) -> Option<List> {
        let mut lines = body.lines();
        let pid = lines.next()?.strip_prefix("pid ")?.parse().ok()?;
        let id =
            |s: &str| (s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())).then_some(());
        let path = |s: &str| {
            crate::util::paths::check_relative(s)
                .ok()
                .map(|()| s.to_string())
        };
        let mut entries = Vec::new();
        for line in lines {
            let (kind, rest) = line.split_once(' ')?;
            entries.push(match kind {
                "mkdir" => Entry::Mkdir(path(rest)?),
                "write" => {
                    let (had, rest) = rest.split_once(' ')?;
                    let (new, p) = rest.split_once(' ')?;
                    id(new)?;
                    Entry::Write {
                        path: path(p)?,
                        had: if had == "-" {
                            None
                        } else {
                            id(had)?;
                            Some(had.to_string())
                        },
                        new: new.to_string(),
                    }
                }
                "remove" => {
                    let (had, p) = rest.split_once(' ')?;
                    id(had)?;
                    Entry::Remove {
                        path: path(p)?,
                        had: had.to_string(),
                    }
                }
                "move" => {
                    let (had, paths) = rest.split_once(' ')?;
                    let (from, to) = paths.split_once('\t')?;
                    id(had)?;
                    Entry::Move {
                        from: path(from)?,
                        to: path(to)?,
                        had: had.to_string(),
                    }
                }
                _ => return None,
            });
        }
        Some(List { pid, entries })
    }
}

/// Where this user's journal key is: `$SCAFFOLD_STATE_DIR/journal.key`, else
/// `$XDG_STATE_HOME/scaffold/journal.key`, else `~/.local/state/scaffold/journal.key`.
fn key_path() -> Option<PathBuf> {
    #[cfg(test)]
    if let Some(dir) = TEST_STATE_DIR.with(|d| d.borrow().clone()) {
        return Some(dir.join("journal.key"));
    }
    let var = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if let Some(dir) = var("SCAFFOLD_STATE_DIR") {
        return Some(dir.join("journal.key"));
    }
    if let Some(dir) = var("XDG_STATE_HOME") {
        return Some(dir.join("scaffold/journal.key"));
    }
    var("HOME").map(|home| home.join(".local/state/scaffold/journal.key"))
}

#[cfg(test)]
thread_local! {
    /// (Unit tests, each on its own thread) the folder that holds this thread's journal key,
    /// instead of the user's: set it before applying an update.
    pub(crate) static TEST_STATE_DIR: std::cell::RefCell<Option<PathBuf>> =
        const { std::cell::RefCell::new(None) };
}

const KEY_BYTES: usize = 32;

/// What is at the journal key's place.
enum KeyFile {
    /// Nothing yet (and its folder, if there, is fit to hold one).
    Missing,
    /// The key.
    Found(Vec<u8>),
    /// Something scaffold will not use as a key, and why (a sentence naming it).
    Unsafe(String),
}

/// The rule a key is held to, for messages.
const KEY_RULE: &str = "the key must be a regular file of 32 bytes, mode 600, owned by you, \
                        in a folder no one else can write";

/// Whether the folder that holds (or will hold) the key is fit for it: this user's, and no
/// one else may write it (else anyone could replace the key). `None` when it is, or is not
/// there yet.
fn unsafe_key_folder(dir: &std::path::Path) -> Option<String> {
    // (Followed if a link: where the user keeps state is theirs to arrange.)
    let meta = std::fs::metadata(dir).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let mode = meta.mode() & 0o777;
        if meta.uid() != rustix::process::geteuid().as_raw() {
            return Some(format!(
                "scaffold's state folder `{}` (which holds `journal.key`) is owned by another \
                 user; {KEY_RULE}: set SCAFFOLD_STATE_DIR to a folder of yours",
                dir.shown()
            ));
        }
        if mode & 0o022 != 0 {
            return Some(format!(
                "scaffold's state folder `{}` (which holds `journal.key`) is writable by \
                 others (mode {mode:o}); {KEY_RULE}: `chmod 700` it",
                dir.shown()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    None
}

/// This user's journal key, read as the small private file scaffold makes: opened without
/// following a link or waiting on a FIFO, a regular file of [`KEY_BYTES`], mode 600, this
/// user's, in a folder [`unsafe_key_folder`] accepts. Anything else is [`KeyFile::Unsafe`].
fn read_key(path: &std::path::Path) -> KeyFile {
    use std::io::Read as _;
    if let Some(why) = path.parent().and_then(unsafe_key_folder) {
        return KeyFile::Unsafe(why);
    }
    let not = |why: String| {
        KeyFile::Unsafe(format!(
            "scaffold's journal key `{}` {why}; {KEY_RULE}: look at it, then remove it (the \
             next update makes a new one; a journal it marked can then not be replayed)",
            path.shown()
        ))
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return KeyFile::Missing,
        Err(e) => {
            return not(match std::fs::symlink_metadata(path) {
                Ok(m) => crate::util::read::refusal(m.file_type())
                    .map_or_else(|| format!("cannot be read ({e})"), str::to_string),
                Err(_) => format!("cannot be read ({e})"),
            });
        }
    };
    let Ok(meta) = file.metadata() else {
        return not("cannot be looked at".to_string());
    };
    if let Some(why) = crate::util::read::refusal(meta.file_type()) {
        return not(why.to_string());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        if meta.uid() != rustix::process::geteuid().as_raw() {
            return not("is owned by another user".to_string());
        }
        let mode = meta.mode() & 0o777;
        if mode != 0o600 {
            return not(format!("has mode {mode:o}"));
        }
    }
    if meta.len() != KEY_BYTES as u64 {
        return not(format!("holds {} bytes", meta.len()));
    }
    let mut key = Vec::with_capacity(KEY_BYTES);
    match file.take(KEY_BYTES as u64).read_to_end(&mut key) {
        Ok(KEY_BYTES) => KeyFile::Found(key),
        _ => not("cannot be read whole".to_string()),
    }
}

/// This user's journal key, made (32 bytes from the OS, mode 600, in a folder made 700) if
/// there is none yet; one that is not as scaffold makes them is refused, naming it.
fn key_or_make() -> Result<Vec<u8>> {
    let path = key_path().ok_or_else(|| {
        anyhow!(
            "no place for scaffold's journal key: set SCAFFOLD_STATE_DIR, XDG_STATE_HOME or HOME"
        )
    })?;
    match read_key(&path) {
        KeyFile::Found(key) => return Ok(key),
        KeyFile::Unsafe(why) => bail!("{why}"),
        KeyFile::Missing => {}
    }
    let cannot = || format!("cannot make scaffold's journal key `{}`", path.shown());
    if let Some(dir) = path.parent() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).with_context(cannot)?;
        if let Some(why) = unsafe_key_folder(dir) {
            bail!("{why}");
        }
    }
    let mut key = vec![0u8; KEY_BYTES];
    getrandom::fill(&mut key)
        .map_err(|e| anyhow!("{e}"))
        .with_context(cannot)?;
    match super::disk::create_new(&path, &key, 0o600) {
        Ok(()) => Ok(key),
        // Another run made it meanwhile.
        Err(e) => match read_key(&path) {
            KeyFile::Found(key) => Ok(key),
            KeyFile::Unsafe(why) => bail!("{why}"),
            KeyFile::Missing => Err(e).with_context(cannot),
        },
    }
}

/// The mark of a list's body for the project at `root`.
fn mark(key: &[u8], root: &Root, body: &str) -> Result<String> {
    let place = std::fs::canonicalize(root.path()).unwrap_or_else(|_| root.path().to_path_buf());
    let (dev, ino) = root
        .identity()
        .with_context(|| format!("cannot look at `{}`", root.path().shown()))?;
    let mut message = body.as_bytes().to_vec();
    message.push(0);
    message.extend_from_slice(place.to_string_lossy().as_bytes());
    message.extend_from_slice(format!("\0{dev}:{ino}").as_bytes());
    Ok(hex(&hmac_sha1(key, &message)))
}

/// What `.scaffold/journal` is.
pub(super) enum Journal {
    /// No journal.
    None,
    /// Written by this user's scaffold, for this project.
    Trusted(List),
    /// Anything else, and why it is not trusted.
    Untrusted(String),
    /// A journal that cannot be checked: this user's key is not fit to check it with (why).
    Unchecked(String),
}

/// Looks at the journal, reading its list as a bounded regular file and checking its mark.
pub(super) fn inspect(root: &Root) -> Result<Journal> {
    if !matches!(root.kind(state::DIR), Ok(Some(Kind::Dir))) {
        // No state folder, or not one scaffold made: the lock refuses the latter.
        return Ok(Journal::None);
    }
    let named = |rel: &str| format!("`{rel}`");
    match root
        .kind(JOURNAL)
        .with_context(|| format!("cannot look at `{}`", root.shown(JOURNAL)))?
    {
        None => return Ok(Journal::None),
        Some(Kind::Dir) => {}
        Some(Kind::File) => return Ok(Journal::Untrusted("it is a file, not a folder".into())),
        Some(other) => {
            return Ok(Journal::Untrusted(format!(
                "it {}",
                other.refusal().unwrap_or("is not a folder")
            )));
        }
    }
    let text = match root
        .read(LIST, MAX_LIST_BYTES)
        .with_context(|| format!("cannot read `{}`", root.shown(LIST)))?
    {
        Found::File { bytes, .. } => bytes,
        Found::Missing => return Ok(Journal::Untrusted(format!("{} is missing", named(LIST)))),
        Found::TooBig(_) => {
            return Ok(Journal::Untrusted(format!(
                "{} is larger than {} MiB",
                named(LIST),
                MAX_LIST_BYTES >> 20
            )));
        }
        Found::Refused { at, why } => {
            return Ok(Journal::Untrusted(format!("{} {why}", named(&at))));
        }
    };
    let not_ours = |why: &str| Ok(Journal::Untrusted(why.to_string()));
    let Ok(text) = String::from_utf8(text) else {
        return not_ours("its list is not scaffold's");
    };
    let Some(rest) = text.strip_prefix(FORMAT).and_then(|t| t.strip_prefix('\n')) else {
        return not_ours("its list is not in the format this scaffold writes");
    };
    let Some((mac, body)) = rest
        .split_once('\n')
        .and_then(|(line, body)| Some((line.strip_prefix("mac ")?, body)))
    else {
        return not_ours("its list has no mark");
    };
    let key = match key_path().map(|p| read_key(&p)) {
        Some(KeyFile::Found(key)) => key,
        Some(KeyFile::Unsafe(why)) => return Ok(Journal::Unchecked(why)),
        None | Some(KeyFile::Missing) => {
            return not_ours("this user has no journal key to check its mark with");
        }
    };
    if mark(&key, root, body)? != mac {
        return not_ours("its mark does not check");
    }
    match List::parse(body) {
        Some(list) => Ok(Journal::Trusted(list)),
        None => not_ours("its list does not parse"),
    }
}

/// An update that did not finish, as the next command finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unfinished {
    /// Another run holds the lock (its process id, if the lock file names one).
    Running(Option<u32>),
    /// A journal this user's scaffold wrote for this project: `--recover` replays it.
    Interrupted,
    /// A journal scaffold will not replay, and why.
    Untrusted(String),
    /// A journal scaffold cannot check, since this user's journal key is not fit (why).
    Unchecked(String),
}

impl Unfinished {
    /// What to tell the user, and what to do; about the project at `root` (else "this
    /// project").
    pub(crate) fn message(&self, root: Option<&std::path::Path>) -> String {
        let project = root.map_or_else(
            || "this project".to_string(),
            |r| format!("`{}`", r.shown()),
        );
        match self {
            Unfinished::Running(pid) => format!(
                "an update of {project} is running{}; wait for it to finish",
                pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
            ),
            Unfinished::Interrupted => format!(
                "an update of {project} was interrupted; run `scaffold update --recover` (it \
                 puts back what that update changed, and keeps your work since)"
            ),
            Unfinished::Untrusted(why) => format!(
                "{}`{JOURNAL}` was not written by scaffold on this machine for this project \
                 ({why}; it may have come with a copy of the project); scaffold will not \
                 replay it: look at it, then remove it",
                root.map(|r| format!("in `{}`: ", r.shown()))
                    .unwrap_or_default()
            ),
            Unfinished::Unchecked(why) => format!(
                "an update of {project} did not finish, and its journal `{JOURNAL}` cannot be \
                 checked: {why}"
            ),
        }
    }

    /// A word for scripts: `running`, `interrupted`, `untrusted`, `unchecked`.
    pub(crate) fn state(&self) -> &'static str {
        match self {
            Unfinished::Running(_) => "running",
            Unfinished::Interrupted => "interrupted",
            Unfinished::Untrusted(_) => "untrusted",
            Unfinished::Unchecked(_) => "unchecked",
        }
    }
}

/// An unfinished update of the project at `root`, as a command that does not write sees it:
/// a run holding the lock, else the journal. Never waits.
pub(crate) fn unfinished(root: &Root) -> Result<Option<Unfinished>> {
    if let Some(state::Holder(pid)) = state::holder(root)? {
        return Ok(Some(Unfinished::Running(pid)));
    }
    journal_state(root)
}

/// The journal's state alone (for a run that holds the lock itself).
fn journal_state(root: &Root) -> Result<Option<Unfinished>> {
    Ok(match inspect(root)? {
        Journal::None => None,
        Journal::Trusted(_) => Some(Unfinished::Interrupted),
        Journal::Untrusted(why) => Some(Unfinished::Untrusted(why)),
        Journal::Unchecked(why) => Some(Unfinished::Unchecked(why)),
    })
}

/// Refuses, for a run that holds the lock, while an earlier update's journal is there.
pub(crate) fn refuse_unfinished(root: &Root) -> Result<()> {
    match journal_state(root)? {
        None => Ok(()),
        Some(u) => Err(anyhow!("{}", u.message(Some(root.path())))),
    }
}

/// A path's directory (`""` at the root).
pub(super) fn parent_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// `rel` under the journal's `files/` (or a temporary journal's).
pub(super) fn saved(journal: &str, path: &str) -> String {
    format!("{journal}/files/{path}")
}

/// Removes what killed runs left in `.scaffold/`: temporary journals of dead processes.
fn clear_dead_journals(root: &Root) {
    for (name, kind) in root.names(state::DIR).unwrap_or_default() {
        if kind == Kind::Dir && temp_pid(&name).is_some_and(is_dead) {
            let _ = root.remove_tree(&format!("{}/{name}", state::DIR));
        }
    }
}

/// Makes the journal of `entries`: under a temporary name its marked list and a link to every
/// file about to be replaced or removed, then renamed into place whole.
pub(super) fn write_journal(root: &Root, list: &List) -> Result<()> {
    // (There already, unless this user cannot write the project: then this says so.)
    state::ready(root)?;
    let key = key_or_make()?;
    let body = list.body();
    let text = format!("{FORMAT}\nmac {}\n{body}", mark(&key, root, &body)?);
    if text.len() as u64 > MAX_LIST_BYTES {
        bail!(
            "the update is too large to journal ({} MiB of list)",
            text.len() >> 20
        );
    }
    clear_dead_journals(root);
    let temp = format!("{}/{}", state::DIR, temp_name());
    let made = (|| -> Result<()> {
        let full = |rel: &str| root.shown(rel);
        root.mkdir(&temp, 0o700)
            .with_context(|| format!("cannot create `{}`", full(&temp)))?;
        root.create(&format!("{temp}/list"), text.as_bytes(), 0o600)
            .with_context(|| format!("cannot write `{}`", full(&format!("{temp}/list"))))?;
        root.mkdir(&format!("{temp}/files"), 0o700)
            .with_context(|| format!("cannot create `{}`", full(&temp)))?;
        for e in &list.entries {
            if e.had().is_none() {
                continue;
            }
            let copy = saved(&temp, e.path());
            root.make_parents(&copy, 0o700)
                .with_context(|| format!("cannot keep a copy of `{}`", e.path()))?;
            // A link keeps the very file a write replaces (it renames another over its name).
            // A moved file is not replaced: it goes on living, and may be edited in place, so
            // its copy is of its bytes; as where links are not possible.
            let moved = matches!(e, Entry::Move { .. });
            if moved || root.link(e.path(), &copy).is_err() {
                let Found::File { bytes, executable } = root
                    .read(e.path(), MAX_COMPARED_BYTES)
                    .with_context(|| format!("cannot keep a copy of `{}`", e.path()))?
                else {
                    bail!("cannot keep a copy of `{}`: it changed", e.path());
                };
                if e.had() != Some(blob(&bytes).as_str()) {
                    bail!("cannot keep a copy of `{}`: it changed", e.path());
                }
                root.create(&copy, &bytes, mode(executable, true))
                    .with_context(|| format!("cannot keep a copy of `{}`", e.path()))?;
            }
        }
        root.sync(&format!("{temp}/list"))
            .with_context(|| format!("cannot write `{}`", full(&temp)))?;
        root.rename(&temp, JOURNAL)
            .with_context(|| format!("cannot create `{}`", full(JOURNAL)))
    })();
    if made.is_err() {
        let _ = root.remove_tree(&temp);
    }
    made
}

/// Puts the journal away: its copies kept as the next `.scaffold/backup/<n>/` when `keep`
/// (and there are any), the rest removed. Returns the backup.
pub(super) fn put_away(root: &Root, keep: bool) -> Result<Option<PathBuf>> {
    let full = |rel: &str| root.shown(rel);
    let mut kept = None;
    if keep && !root.names(FILES)?.is_empty() {
        match root.kind(BACKUPS)? {
            None => root
                .mkdir(BACKUPS, 0o700)
                .with_context(|| format!("cannot create `{}`", full(BACKUPS)))?,
            Some(Kind::Dir) => {}
            Some(k) => bail!(
                "`{}` {}; the previous contents stay in `{}`",
                full(BACKUPS),
                k.refusal().unwrap_or("is not a folder"),
                full(JOURNAL)
            ),
        }
        let dest = next_backup(root)?;
        root.rename(FILES, &dest)
            .with_context(|| format!("cannot keep `{}`", full(&dest)))?;
        // Made by an older scaffold without it: git leaves the folder out all the same.
        let _ = state::ignore(root);
        kept = Some(root.full(&dest));
    }
    // Away in one step, then removed: a run killed while the journal's parts are removed
    // leaves a dead run's temporary folder (the next run removes it), never half a journal.
    let gone = format!("{}/{}", state::DIR, temp_name());
    root.rename(JOURNAL, &gone)
        .with_context(|| format!("cannot remove `{}`", full(JOURNAL)))?;
    crate::util::hook::at("away")?;
    let _ = root.remove_tree(&gone);
    Ok(kept)
}

/// The highest number scaffold gives a backup folder: names with more digits, or not written
/// as scaffold writes numbers (`0`, `007`, `+1`), are not scaffold's and not counted.
const MAX_BACKUP: u64 = 999_999_999;

/// The number of a backup folder scaffold made, from its name.
fn backup_number(name: &str) -> Option<u64> {
    let plain = !name.is_empty()
        && name.len() <= 9
        && !name.starts_with('0')
        && name.bytes().all(|b| b.is_ascii_digit());
    plain.then(|| name.parse().ok()).flatten()
}

/// The numbers of the backup folders in `.scaffold/backup/` of the project at `root`.
fn backup_numbers(root: &Root) -> Result<std::collections::BTreeSet<u64>> {
    Ok(root
        .names(BACKUPS)
        .with_context(|| format!("cannot look at `{}`", root.shown(BACKUPS)))?
        .iter()
        .filter_map(|(name, _)| backup_number(name))
        .collect())
}

/// How many backups `.scaffold/backup/` of the project at `root` holds (folders numbered as
/// scaffold numbers them).
pub(crate) fn backup_count(root: &Root) -> usize {
    backup_numbers(root).map_or(0, |n| n.len())
}

/// What to tell the user once a run has kept a backup in the project at `root`: how many
/// backups there are, and that removing them is theirs to do (scaffold never removes one: a
/// backup may hold the only copy of work).
pub(crate) fn backups_note(root: &Root) -> String {
    let n = backup_count(root);
    format!(
        "`{}` holds {n} backup{}; scaffold never removes them: delete those you no longer need \
         (`rm -r {BACKUPS}/<n>`)",
        root.shown(BACKUPS),
        crate::util::text::plural(n)
    )
}

/// The folder the next backup of the project at `root` goes to, `.scaffold/backup/<n>` (one
/// more than the highest there now; once that is [`MAX_BACKUP`], the lowest free number),
/// relative to the root. Names scaffold never gives are not counted, so no number a clone
/// brings can make the next one wrap or be taken.
pub(crate) fn next_backup(root: &Root) -> Result<String> {
    let used = backup_numbers(root)?;
    let n = match used.last() {
        None => 1,
        Some(&max) if max < MAX_BACKUP => max + 1,
        Some(_) => (1..=MAX_BACKUP).find(|n| !used.contains(n)).unwrap_or(1),
    };
    Ok(format!("{BACKUPS}/{n}"))
}

/// Keeps the files `paths` of the project at `root` (regular files) as they are now in the
/// next `.scaffold/backup/<n>/`, before something overwrites them; returns that folder,
/// relative to the root. `.scaffold/` is made by scaffold or refused, and nothing is written
/// through a symlink: each file is linked (the write that follows replaces the name, not the
/// file), or copied where links are not possible.
pub(crate) fn keep_copies(root: &Root, paths: &[String]) -> Result<String> {
    let full = |rel: &str| root.shown(rel);
    state::ready(root)?;
    match root
        .kind(BACKUPS)
        .with_context(|| format!("cannot look at `{}`", full(BACKUPS)))?
    {
        None => root
            .mkdir(BACKUPS, 0o700)
            .with_context(|| format!("cannot create `{}`", full(BACKUPS)))?,
        Some(Kind::Dir) => {}
        Some(k) => bail!(
            "`{}` {}; scaffold keeps its backups there: look at it, then remove it",
            full(BACKUPS),
            k.refusal().unwrap_or("is not a folder")
        ),
    }
    // (The lock is held: no other run numbers a backup meanwhile.)
    let dest = next_backup(root)?;
    root.mkdir(&dest, 0o700)
        .with_context(|| format!("cannot create `{}`", full(&dest)))?;
    let kept = (|| -> Result<()> {
        for path in paths {
            let copy = format!("{dest}/{path}");
            let cannot = || format!("cannot keep a copy of `{}`", full(path));
            root.make_parents(&copy, 0o700).with_context(cannot)?;
            if root.link(path, &copy).is_err() {
                let Found::File { bytes, executable } =
                    root.read(path, MAX_COMPARED_BYTES).with_context(cannot)?
                else {
                    bail!("{}: it is not a regular file within the bounds", cannot());
                };
                root.create(&copy, &bytes, mode(executable, true))
                    .with_context(cannot)?;
            }
        }
        Ok(())
    })();
    if let Err(e) = kept {
        drop_copies(root, &dest);
        return Err(e);
    }
    Ok(dest)
}

/// Removes a backup [`keep_copies`] made (`dir`, relative to the root), when what it was
/// kept for did not happen; and the `backup` folder, if that leaves it empty.
pub(crate) fn drop_copies(root: &Root, dir: &str) {
    let _ = root.remove_tree(dir);
    let _ = root.rmdir(BACKUPS);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_numbers_are_only_scaffold_s() {
        for (name, want) in [
            ("1", Some(1)),
            ("42", Some(42)),
            ("999999999", Some(999_999_999)),
            ("0", None),
            ("007", None),
            ("+1", None),
            ("-1", None),
            ("1000000000", None),
            ("18446744073709551615", None),
            ("99999999999999999999999", None),
            ("1a", None),
            ("", None),
        ] {
            assert_eq!(backup_number(name), want, "{name}");
        }
    }

    #[test]
    fn lists_round_trip_and_garbage_is_refused() {
        let list = List {
            pid: 42,
            entries: vec![
                Entry::Mkdir("a b".into()),
                Entry::Write {
                    path: "a b/c d.txt".into(),
                    had: None,
                    new: "1".repeat(40),
                },
                Entry::Write {
                    path: "x".into(),
                    had: Some("2".repeat(40)),
                    new: "3".repeat(40),
                },
                Entry::Remove {
                    path: "y/z".into(),
                    had: "4".repeat(40),
                },
                Entry::Move {
                    from: "old dir/mine.py".into(),
                    to: "new dir/mine.py".into(),
                    had: "5".repeat(40),
                },
            ],
        };
        assert_eq!(List::parse(&list.body()), Some(list.clone()));
        for bad in [
            "pid x\n",
            "pid 1\nwrite - 1111 a\n",
            &format!("pid 1\nremove {} ../escape\n", "4".repeat(40)),
            &format!("pid 1\nremove {} /etc/passwd\n", "4".repeat(40)),
            "pid 1\nrun rm -rf\n",
            &format!("pid 1\nmove {} a\n", "5".repeat(40)),
            &format!("pid 1\nmove {} a\t../b\n", "5".repeat(40)),
            &format!("pid 1\nmove {} a\tb\tc\n", "5".repeat(40)),
        ] {
            assert_eq!(List::parse(bad), None, "{bad}");
        }
    }
}

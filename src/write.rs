//! From rendered files to disk: the plan (create / overwrite / identical, and whether the
//! destination is refused) and applying it.
//!
//! This is the only module that touches the destination. A new destination is staged in a
//! sibling folder and renamed into place, so it appears whole or not at all; missing parents
//! are created first and removed again if the run fails. In an existing directory (empty, or
//! with `--force`) every file is first written beside its target under a temporary name and
//! only then renamed over it, and a failure removes everything the run added. Nothing the
//! template does not produce is touched, and nothing is ever followed through a symlink.
//! Temporary names carry the run's process id, so a later run can tell an abandoned leftover
//! (its process is gone) from a live one.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, Result, bail};

use crate::template::render::OutFile;
use crate::util::limits::MAX_PATH_BYTES;

/// What writing one file will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Action {
    /// The file does not exist yet.
    Create,
    /// A different file is there and will be replaced.
    Overwrite,
    /// The same bytes (and mode) are already there.
    Identical,
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Action::Create => "create",
            Action::Overwrite => "overwrite",
            Action::Identical => "identical",
        })
    }
}

/// The state of the destination before writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DestState {
    /// It does not exist.
    Absent,
    /// An empty directory (or one holding only scaffold's abandoned leftovers).
    Empty,
    /// A directory with entries.
    NonEmpty,
}

/// A temporary file of an earlier scaffold run found where this run writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leftover {
    /// Its path relative to the destination.
    pub(crate) path: String,
    /// Whether it is provably scaffold's and abandoned (its run is dead): removed when the
    /// plan is applied.
    pub(crate) abandoned: bool,
}

/// Everything that writing will do, decided before anything is written.
#[derive(Debug)]
pub(crate) struct Plan {
    /// The destination directory.
    pub(crate) dest: PathBuf,
    /// What is there now.
    pub(crate) state: DestState,
    /// Each file with its action, sorted by path.
    pub(crate) files: Vec<(OutFile, Action)>,
    /// Ancestors of a new destination that do not exist yet, outermost first.
    pub(crate) parents: Vec<PathBuf>,
    /// Temporary files of earlier runs in the directories this run writes to.
    pub(crate) leftovers: Vec<Leftover>,
}

/// Why a plan may not be applied as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The destination has files the template would overwrite (and some identical ones).
    WouldOverwrite {
        /// Paths that would be overwritten.
        files: Vec<String>,
        /// How many more already hold the same contents.
        identical: usize,
    },
    /// The destination is not empty, though nothing in it would be overwritten.
    NotEmpty,
    /// Temporary files of a scaffold run that is still running, or of unknown origin.
    Leftovers(Vec<String>),
}

impl Refusal {
    /// The message, ending with how to go on (`retry` is the command with `--force`).
    pub(crate) fn message(&self, dest: &Path, retry: &str) -> String {
        let dest = dest.display();
        match self {
            Refusal::WouldOverwrite { files, identical } => {
                let mut list: Vec<String> =
                    files.iter().take(20).map(|p| format!("  {p}")).collect();
                if files.len() > 20 {
                    list.push(format!("  ... and {} more", files.len() - 20));
                }
                if *identical > 0 {
                    list.push(format!(
                        "  ({identical} more already have the same contents)"
                    ));
                }
                format!(
                    "destination `{dest}` is not empty and these files would be overwritten:\n{}\n\
                     to replace them (and touch nothing else), run again with --force:\n  {retry}",
                    list.join("\n")
                )
            }
            Refusal::NotEmpty => format!(
                "destination `{dest}` is not empty; no file in it would be overwritten, but \
                 scaffold only adds to a non-empty directory with --force:\n  {retry}"
            ),
            Refusal::Leftovers(paths) => format!(
                "destination `{dest}` holds temporary files of another scaffold run that is \
                 still running, or that scaffold cannot prove are its own:\n{}\n\
                 wait for that run to finish, or remove them if no scaffold is running",
                paths
                    .iter()
                    .map(|p| format!("  {p}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }
}

impl Plan {
    /// Whether this plan is refused, with `--force` given or not. The one rule behind the
    /// real run, `--dry-run` and `--json`.
    pub(crate) fn refusal(&self, force: bool) -> Option<Refusal> {
        let live: Vec<String> = self
            .leftovers
            .iter()
            .filter(|l| !l.abandoned)
            .map(|l| l.path.clone())
            .collect();
        if !live.is_empty() {
            return Some(Refusal::Leftovers(live));
        }
        if self.state != DestState::NonEmpty || force {
            return None;
        }
        let files: Vec<String> = self
            .files
            .iter()
            .filter(|(_, a)| *a == Action::Overwrite)
            .map(|(f, _)| f.path.clone())
            .collect();
        let identical = self
            .files
            .iter()
            .filter(|(_, a)| *a == Action::Identical)
            .count();
        Some(if files.is_empty() {
            Refusal::NotEmpty
        } else {
            Refusal::WouldOverwrite { files, identical }
        })
    }

    /// How many files get each action.
    pub(crate) fn count(&self, action: Action) -> usize {
        self.files.iter().filter(|(_, a)| *a == action).count()
    }
}

/// Decides what to do with each file; fails on anything that cannot be written safely.
pub(crate) fn plan(dest: &Path, mut files: Vec<OutFile>) -> Result<Plan> {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut parents = Vec::new();
    let state = match fs::symlink_metadata(dest) {
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            let mut at = parent_of(dest);
            loop {
                match fs::symlink_metadata(&at) {
                    Ok(m) if m.is_dir() => break,
                    Ok(m)
                        if m.file_type().is_symlink()
                            && fs::metadata(&at).is_ok_and(|m| m.is_dir()) =>
                    {
                        break;
                    }
                    Ok(_) => bail!(
                        "cannot create `{}`: `{}` is not a directory",
                        dest.display(),
                        at.display()
                    ),
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                        ) =>
                    {
                        parents.push(at.clone());
                        at = parent_of(&at);
                    }
                    Err(e) => {
                        return Err(e)
                            .with_context(|| format!("cannot inspect `{}`", at.display()));
                    }
                }
            }
            parents.reverse();
            DestState::Absent
        }
        Err(e) => return Err(e).with_context(|| format!("cannot inspect `{}`", dest.display())),
        Ok(m) if m.file_type().is_symlink() => bail!(
            "destination `{}` is a symlink; give the real directory instead",
            dest.display()
        ),
        Ok(m) if !m.is_dir() => bail!(
            "destination `{}` exists and is not a directory",
            dest.display()
        ),
        Ok(_) => DestState::NonEmpty,
    };
    check_lengths(dest, &files)?;
    let mut leftovers = Vec::new();
    let mut planned = Vec::with_capacity(files.len());
    if state == DestState::Absent {
        planned.extend(files.into_iter().map(|f| (f, Action::Create)));
    } else {
        let mut dirs: BTreeSet<String> = BTreeSet::new();
        dirs.insert(String::new());
        for file in &files {
            if let Some((dir, _)) = file.path.rsplit_once('/') {
                dirs.insert(dir.to_string());
            }
        }
        for dir in &dirs {
            leftovers.extend(find_leftovers(dest, dir)?);
        }
        for file in files {
            let action = existing_action(dest, &file)?;
            planned.push((file, action));
        }
    }
    let mut plan = Plan {
        dest: dest.to_path_buf(),
        state,
        files: planned,
        parents,
        leftovers,
    };
    if plan.state == DestState::NonEmpty && is_empty_but(dest, &plan.leftovers)? {
        plan.state = DestState::Empty;
    }
    Ok(plan)
}

/// Whether `dest` is empty, or holds nothing but abandoned leftovers (and the directories
/// they are in): the remains of a killed run, which count as an empty destination.
fn is_empty_but(dest: &Path, leftovers: &[Leftover]) -> Result<bool> {
    if !leftovers.iter().any(|l| l.abandoned) {
        let mut entries =
            fs::read_dir(dest).with_context(|| format!("cannot read `{}`", dest.display()))?;
        return Ok(entries.next().is_none());
    }
    for entry in walkdir::WalkDir::new(dest).min_depth(1).follow_links(false) {
        let entry = entry.with_context(|| format!("cannot read `{}`", dest.display()))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry.path().strip_prefix(dest).unwrap_or(entry.path());
        let abandoned = leftovers
            .iter()
            .any(|l| l.abandoned && Path::new(&l.path) == rel);
        if !abandoned {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Every path the run will create must fit the system's limit, here and while staging.
fn check_lengths(dest: &Path, files: &[OutFile]) -> Result<()> {
    let base = std::path::absolute(dest).unwrap_or_else(|_| dest.to_path_buf());
    let staging_len = parent_of(&base).as_os_str().len() + 1 + STAGING_PREFIX.len() + 16;
    let base_len = base.as_os_str().len().max(staging_len);
    for f in files {
        let len = base_len + 1 + f.path.len();
        if len > MAX_PATH_BYTES {
            bail!(
                "`{}` would be written at a path of {len} bytes under `{}`, longer than the \
                 {MAX_PATH_BYTES} bytes the system allows; choose a shorter destination or \
                 shorter names",
                f.path,
                dest.display()
            );
        }
    }
    Ok(())
}

fn parent_of(dest: &Path) -> PathBuf {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// In an existing destination: every directory on the way must be a real directory, and the
/// target, if present, a regular file.
fn existing_action(dest: &Path, file: &OutFile) -> Result<Action> {
    let mut at = dest.to_path_buf();
    let parts: Vec<&str> = file.path.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        at.push(part);
        let last = i + 1 == parts.len();
        let meta = match fs::symlink_metadata(&at) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Action::Create),
            Err(e) => return Err(e).with_context(|| format!("cannot inspect `{}`", at.display())),
            Ok(m) => m,
        };
        if meta.file_type().is_symlink() {
            bail!(
                "`{}` is a symlink; refusing to write `{}` through it",
                at.display(),
                file.path
            );
        }
        if !last && !meta.is_dir() {
            bail!(
                "`{}` is a file, but the template needs a directory there for `{}`",
                at.display(),
                file.path
            );
        }
        if last {
            if !meta.is_file() {
                bail!(
                    "`{}` exists and is not a regular file; the template writes a file there",
                    at.display()
                );
            }
            if meta.len() != file.contents.len() as u64 {
                return Ok(Action::Overwrite);
            }
            let current =
                fs::read(&at).with_context(|| format!("cannot read `{}`", at.display()))?;
            let same = current == file.contents
                && crate::util::read::is_executable(&meta) == file.executable;
            return Ok(if same {
                Action::Identical
            } else {
                Action::Overwrite
            });
        }
    }
    Ok(Action::Create)
}

/// Staging folders start with this; each holds a [`STAGING_MARKER`] naming the run's process.
pub(crate) const STAGING_PREFIX: &str = ".scaffold-staging-";
/// The file inside a staging folder that proves scaffold made it: `pid <n>`.
pub(crate) const STAGING_MARKER: &str = ".scaffold-staging";
/// Temporary files written beside their targets: `.scaffold-tmp-<pid>-<16 hex digits>`.
pub(crate) const TEMP_PREFIX: &str = ".scaffold-tmp-";

fn random_suffix() -> String {
    let mut bytes = [0u8; 8];
    // Fall back to the time if the CSPRNG fails: uniqueness, not secrecy, matters here (and
    // every name is created exclusively).
    if getrandom::fill(&mut bytes).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = (t as u64).to_le_bytes();
    }
    crate::template::builtins::hex(&bytes)
}

/// A temporary name for this run.
fn temp_name() -> String {
    format!("{TEMP_PREFIX}{}-{}", std::process::id(), random_suffix())
}

/// Whether the process `pid` is provably gone (Linux: no `/proc/<pid>`). Where that cannot be
/// told, nothing is provably gone.
fn is_dead(pid: u32) -> bool {
    pid != std::process::id()
        && Path::new("/proc/self").exists()
        && !Path::new(&format!("/proc/{pid}")).exists()
}

/// The process id in a temporary name of the current scheme, if it is one.
fn temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?;
    let (pid, random) = rest.split_once('-')?;
    let hex = random.len() == 16 && random.bytes().all(|b| b.is_ascii_hexdigit());
    if hex { pid.parse().ok() } else { None }
}

/// Scaffold's temporary files in `dest/dir` (if that is a real directory).
fn find_leftovers(dest: &Path, dir: &str) -> Result<Vec<Leftover>> {
    let at = if dir.is_empty() {
        dest.to_path_buf()
    } else {
        dest.join(dir)
    };
    let Ok(meta) = fs::symlink_metadata(&at) else {
        return Ok(Vec::new());
    };
    if !meta.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for entry in fs::read_dir(&at).with_context(|| format!("cannot read `{}`", at.display()))? {
        let entry = entry.with_context(|| format!("cannot read `{}`", at.display()))?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let Some(pid) = temp_pid(&name) else {
            continue;
        };
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        let path = if dir.is_empty() {
            name
        } else {
            format!("{dir}/{name}")
        };
        out.push(Leftover {
            path,
            abandoned: regular && is_dead(pid),
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Whether the umask is known to leave each mode as asked (0o644, 0o755): then the mode need
/// not be read back after creating a file.
static MODE_OK: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];

/// Creates a file that did not exist (never following a symlink at its name) and writes it.
/// If writing fails, the file this call created is removed again.
fn create_new(path: &Path, contents: &[u8], executable: bool) -> Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    let mode = if executable { 0o755 } else { 0o644 };
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    let file = options
        .open(path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    let result = fill(file, path, contents, mode);
    if result.is_err() {
        let _ = fs::remove_file(path);
    }
    result
}

fn fill(mut file: fs::File, path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    use std::io::Write;
    file.write_all(contents)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    #[cfg(unix)]
    {
        // The mode given at creation is reduced by the umask; set it exactly, on the open file.
        use std::os::unix::fs::PermissionsExt;
        let known = &MODE_OK[usize::from(mode == 0o755)];
        if !known.load(Ordering::Relaxed) {
            let current = file
                .metadata()
                .map_or(0, |m| m.permissions().mode() & 0o777);
            if current == mode {
                known.store(true, Ordering::Relaxed);
            } else {
                file.set_permissions(fs::Permissions::from_mode(mode))
                    .with_context(|| format!("cannot set the mode of `{}`", path.display()))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = mode;
    Ok(())
}

/// Writes the plan. On failure the destination (and its parents) are left as they were.
pub(crate) fn apply(plan: &Plan) -> Result<()> {
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
                apply_staged(plan)
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
        DestState::Empty | DestState::NonEmpty => apply_in_place(plan),
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

/// Writes `files` below `root` (whose directories exist), on every core for many files.
fn write_files(root: &Path, files: &[&OutFile]) -> Result<()> {
    let workers = crate::util::limits::workers(files.len(), 128);
    let one = |f: &&OutFile| create_new(&root.join(&f.path), &f.contents, f.executable);
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

fn apply_staged(plan: &Plan) -> Result<()> {
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
                false,
            )?;
        }
        for dir in directories(&plan.files) {
            let path = staging.join(dir);
            fs::create_dir(&path).with_context(|| format!("cannot create `{}`", path.display()))?;
        }
        let files: Vec<&OutFile> = plan.files.iter().map(|(f, _)| f).collect();
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

fn apply_in_place(plan: &Plan) -> Result<()> {
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
        let refs: Vec<&OutFile> = staged.iter().collect();
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
        refuse_links_on_the_way(root, c.path(), &mut checked)?;
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
        for c in &all {
            let path = c.path();
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
    finish(root, backup)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> OutFile {
        OutFile {
            path: path.into(),
            contents: text.as_bytes().to_vec(),
            executable: false,
            source: path.into(),
        }
    }

    fn actions(plan: &Plan) -> Vec<(&str, Action)> {
        plan.files
            .iter()
            .map(|(f, a)| (f.path.as_str(), *a))
            .collect()
    }

    #[test]
    fn plan_states_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let files = || vec![file("b/c.txt", "c"), file("a.txt", "a")];
        // (setup, state, actions, refusal without --force)
        let absent = plan(&d.join("new"), files()).unwrap();
        assert_eq!(absent.state, DestState::Absent);
        assert_eq!(
            actions(&absent),
            [("a.txt", Action::Create), ("b/c.txt", Action::Create)]
        );
        assert_eq!(absent.refusal(false), None);

        let deep = plan(&d.join("x/y/new"), files()).unwrap();
        assert_eq!(deep.parents, [d.join("x"), d.join("x/y")]);

        fs::create_dir(d.join("empty")).unwrap();
        let empty = plan(&d.join("empty"), files()).unwrap();
        assert_eq!(empty.state, DestState::Empty);
        assert_eq!(empty.refusal(false), None);

        fs::create_dir_all(d.join("full/b")).unwrap();
        fs::write(d.join("full/a.txt"), "a").unwrap();
        fs::write(d.join("full/b/c.txt"), "old").unwrap();
        let full = plan(&d.join("full"), files()).unwrap();
        assert_eq!(
            actions(&full),
            [("a.txt", Action::Identical), ("b/c.txt", Action::Overwrite)]
        );
        assert_eq!(
            full.refusal(false),
            Some(Refusal::WouldOverwrite {
                files: vec!["b/c.txt".into()],
                identical: 1
            })
        );
        assert_eq!(full.refusal(true), None);

        fs::create_dir(d.join("other")).unwrap();
        fs::write(d.join("other/notes.txt"), "mine").unwrap();
        let other = plan(&d.join("other"), files()).unwrap();
        assert_eq!(other.refusal(false), Some(Refusal::NotEmpty));
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_is_never_written_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, "victim").unwrap();
        let planted = dir.path().join(temp_name());
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let err = create_new(&planted, b"evil", false).unwrap_err();
        assert!(format!("{err:#}").contains("File exists"), "{err:#}");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "victim");
        assert!(
            fs::symlink_metadata(&planted)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn leftovers_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("p");
        fs::create_dir(&d).unwrap();
        let dead = format!("{TEMP_PREFIX}4000000000-0123456789abcdef");
        let live = format!("{TEMP_PREFIX}{}-0123456789abcdef", std::process::id());
        fs::write(d.join(&dead), "partial").unwrap();
        let only_dead = plan(&d, vec![file("a.txt", "a")]).unwrap();
        assert_eq!(
            only_dead.state,
            DestState::Empty,
            "only an abandoned leftover"
        );
        assert_eq!(only_dead.refusal(false), None);
        apply(&only_dead).unwrap();
        assert!(
            !d.join(&dead).exists(),
            "the abandoned leftover was removed"
        );
        assert_eq!(fs::read_to_string(d.join("a.txt")).unwrap(), "a");

        // This process is alive: its name is not removable.
        fs::write(d.join(&live), "busy").unwrap();
        let busy = plan(&d, vec![file("a.txt", "a")]).unwrap();
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
        };
        assert!(apply(&p).is_err());
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
        };
        assert!(apply(&p).is_err());
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

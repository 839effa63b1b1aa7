//! A project on disk, and the files scaffold touches under a project's root (or a new
//! project's destination): finding the root (the directory holding `.scaffold.toml`), opening
//! it once ([`Root`]) and reading its answers file; reading the project's files as the regular
//! files they must be, never through a symlink; creating a file exclusively, never through a
//! symlink, with an exact mode; and scaffold's temporary names, which carry the run's process
//! id so that a later run can tell an abandoned leftover (its process is gone) from a live one.

use std::fs;
use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, Result, bail};

use super::record::{self, Record};
use super::root::{Found, Kind, Root, is_link_error, is_missing};
use crate::util::error::usage;
use crate::util::text::Shown as _;

/// The most bytes read of one project file to compare it with what scaffold wrote; a larger
/// file is reported as modified without being read.
pub(crate) const MAX_COMPARED_BYTES: u64 = 256 * 1024 * 1024;

/// A project and its answers file.
#[derive(Debug)]
pub(crate) struct Project {
    /// The directory holding `.scaffold.toml`.
    pub(crate) root: PathBuf,
    /// That directory, open: every path below it is reached through this.
    pub(crate) dir: Root,
    /// What the answers file says.
    pub(crate) record: Record,
    /// The answers file's text, as `record` was parsed from it.
    text: String,
}

/// The directory of the project that `start` is in: `start` itself or the nearest ancestor
/// holding a `.scaffold.toml` (so a command run from a subdirectory finds its project).
pub(crate) fn find_root(start: &Path) -> Result<PathBuf> {
    let absolute = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    let mut at = absolute.as_path();
    loop {
        if fs::symlink_metadata(at.join(record::FILE)).is_ok() {
            return Ok(at.to_path_buf());
        }
        match at.parent() {
            Some(parent) => at = parent,
            None => {
                return Err(usage!(
                    "`{}` is not in a project made by scaffold: no `{}` there or in any folder above",
                    start.shown(),
                    record::FILE
                ));
            }
        }
    }
}

/// The project that `start` is in (see [`find_root`]), its root opened and its answers file
/// read.
pub(crate) fn find(start: &Path) -> Result<Project> {
    open(&find_root(start)?)
}

/// The project at `root`: the directory opened once, the answers file read from it.
pub(crate) fn open(root: &Path) -> Result<Project> {
    let dir = Root::open(root).with_context(|| format!("cannot open `{}`", root.shown()))?;
    let text = read_record(&dir)?;
    Ok(Project {
        root: dir.path().to_path_buf(),
        record: parse_record(&dir, &text)?,
        text,
        dir,
    })
}

/// The project whose root is exactly `dir` (it holds a `.scaffold.toml`; no folder above is
/// looked at), if it is one. An answers file that is a symlink, or that cannot be read as one,
/// is an error naming it.
pub(crate) fn at(dir: &Path) -> Result<Option<Project>> {
    let root = Root::open(dir).with_context(|| format!("cannot open `{}`", dir.shown()))?;
    match root
        .kind(record::FILE)
        .with_context(|| format!("cannot look at `{}`", root.shown(record::FILE)))?
    {
        Some(Kind::File) => {
            let text = read_record(&root)?;
            Ok(Some(Project {
                root: root.path().to_path_buf(),
                record: parse_record(&root, &text)?,
                text,
                dir: root,
            }))
        }
        Some(Kind::Symlink) => bail!(
            "`{}` is a symlink; scaffold reads a project's answers file only as a regular file",
            dir.join(record::FILE).shown()
        ),
        _ => Ok(None),
    }
}

impl Project {
    /// The answers file read again (a writing run reads it once more when it holds the lock).
    /// The same text gives the same record: it is parsed again only when it changed.
    pub(crate) fn reread(&mut self) -> Result<()> {
        let text = read_record(&self.dir)?;
        if text != self.text {
            self.record = parse_record(&self.dir, &text)?;
            self.text = text;
        }
        Ok(())
    }
}

/// The answers file's text: a regular file of at most [`record::MAX_BYTES`], read without
/// following a symlink or blocking on a FIFO ([`parse_record`] checks it as untrusted input).
fn read_record(dir: &Root) -> Result<String> {
    let path = dir.full(record::FILE);
    let text = match dir
        .read(record::FILE, record::MAX_BYTES)
        .with_context(|| format!("cannot read `{}`", path.shown()))?
    {
        Found::File { bytes, .. } => String::from_utf8(bytes)
            .with_context(|| format!("`{}` is not UTF-8 text", path.shown()))?,
        Found::Missing => bail!("`{}` is gone", path.shown()),
        Found::TooBig(_) => bail!(
            "`{}` is larger than {} MiB, more than an answers file can be",
            path.shown(),
            record::MAX_BYTES / 1024 / 1024
        ),
        Found::Refused { at, why } => bail!(
            "`{}` {why}; scaffold reads a project's answers file only as a regular file",
            dir.shown(&at)
        ),
    };
    Ok(text)
}

/// The answers file's text checked as untrusted input, and what it says.
fn parse_record(dir: &Root, text: &str) -> Result<Record> {
    Record::parse(text).map_err(|problems| {
        anyhow::anyhow!(
            "{}",
            crate::util::text::problems(&format!("`{}`", dir.shown(record::FILE)), &problems)
        )
    })
}

/// What is at a project path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OnDisk {
    /// Nothing.
    Missing,
    /// A regular file with these bytes.
    File {
        /// The contents.
        bytes: Vec<u8>,
        /// Whether it has an executable bit.
        executable: bool,
    },
    /// Something scaffold does not read: a symlink on the way or at the end, a directory, a
    /// special file, or a file too large to compare.
    Other(String),
}

/// Reads `rel` (a checked relative path) below the project's root without following symlinks
/// anywhere on the way, so that a project file or folder replaced by a link cannot make
/// scaffold read outside the project; a FIFO or device is not read.
pub(crate) fn read(root: &Root, rel: &str) -> Result<OnDisk> {
    Ok(
        match root
            .read(rel, MAX_COMPARED_BYTES)
            .with_context(|| format!("cannot read `{}`", root.shown(rel)))?
        {
            Found::Missing => OnDisk::Missing,
            Found::File { bytes, executable } => OnDisk::File { bytes, executable },
            Found::TooBig(_) => OnDisk::Other(format!(
                "`{}` is larger than {} MiB",
                root.shown(rel),
                MAX_COMPARED_BYTES / 1024 / 1024
            )),
            Found::Refused { at, why } => OnDisk::Other(format!("`{}` {why}", root.shown(&at))),
        },
    )
}

/// [`read`] for many paths, on every core.
pub(crate) fn read_many(
    root: &Root,
    paths: &[String],
) -> Result<std::collections::BTreeMap<String, OnDisk>> {
    let one = |p: &String| read(root, p).map(|d| (p.clone(), d));
    let workers = crate::util::limits::workers(paths.len(), 128);
    if workers == 1 {
        return paths.iter().map(one).collect();
    }
    let chunk = paths.len().div_ceil(workers);
    std::thread::scope(|s| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(one).collect::<Result<Vec<_>>>()))
            .collect();
        let mut out = std::collections::BTreeMap::new();
        for h in handles {
            let part = h
                .join()
                .map_err(|_| anyhow::anyhow!("a reading thread panicked"))??;
            out.extend(part);
        }
        Ok(out)
    })
}

/// What a listing of a folder in a project found at one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Listed {
    /// A regular file.
    File(String),
    /// Something else that is not a directory (a symlink, a FIFO, a device): never followed,
    /// never moved.
    Other(String),
    /// A name that is not UTF-8: its path as [`crate::util::text::path`] shows it (the bytes
    /// that are not UTF-8 as `\xNN`); never moved.
    NotUtf8(String),
    /// A folder too deep to go into: no path below it could be written (it is longer than the
    /// path rules allow, or than the system can name at once); never moved.
    TooDeep(String),
}

impl Listed {
    /// The path it was found at.
    pub(crate) fn path(&self) -> &str {
        match self {
            Listed::File(p) | Listed::Other(p) | Listed::NotUtf8(p) | Listed::TooDeep(p) => p,
        }
    }
}

/// Whether listing failed because the path is too long for the system to name at once.
fn too_long(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ENAMETOOLONG)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// Every file below the folder `dir` of a project (a checked relative path), sorted, reached
/// from the project's root without following a symlink anywhere: `None` when `dir` is not a
/// real directory (missing, a symlink, or one on the way) or holds more than `max` entries.
/// A folder no file below which could pass the path rules (its path is as long as a path may
/// be) is not gone into: it is [`Listed::TooDeep`].
pub(crate) fn list_below(root: &Root, dir: &str, max: usize) -> Result<Option<Vec<Listed>>> {
    if !matches!(root.kind(dir), Ok(Some(Kind::Dir))) {
        return Ok(None);
    }
    let mut out = Vec::new();
    let mut seen = 0;
    let mut folders = vec![dir.to_string()];
    while let Some(folder) = folders.pop() {
        let entries = match root.list(&folder) {
            Ok(entries) => entries,
            Err(e) if too_long(&e) => {
                out.push(Listed::TooDeep(folder));
                continue;
            }
            // Swapped for a symlink (or removed) while it was listed: not a plain folder.
            Err(e) if is_link_error(&e) || is_missing(&e) => return Ok(None),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read `{}`", root.shown(&folder)));
            }
        };
        for (name, kind) in entries {
            seen += 1;
            if seen > max {
                return Ok(None);
            }
            let Some(name) = name.to_str() else {
                out.push(Listed::NotUtf8(format!(
                    "{}/{}",
                    crate::util::text::name(&folder),
                    crate::util::text::path(Path::new(&name))
                )));
                continue;
            };
            let path = format!("{folder}/{name}");
            match kind {
                // (A file below needs at least two bytes more: `/` and a name.)
                Kind::Dir if path.len() + 2 > crate::util::limits::MAX_PATH_BYTES => {
                    out.push(Listed::TooDeep(path));
                }
                Kind::Dir => folders.push(path),
                Kind::File => out.push(Listed::File(path)),
                Kind::Symlink | Kind::Special => out.push(Listed::Other(path)),
            }
        }
    }
    out.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(Some(out))
}

/// Whether anything stands at `rel` in the project, or on the way to it something that is not
/// a directory (a file, a symlink): anywhere a new file could not simply be created. Looked at
/// from the project's root, never through a symlink; what cannot be looked at counts as
/// occupied.
pub(crate) fn occupied(root: &Root, rel: &str) -> bool {
    let mut end = 0;
    for part in rel.split('/') {
        end += part.len();
        let at = &rel[..end];
        end += 1;
        match root.kind(at) {
            Ok(None) => return false,
            Ok(Some(Kind::Dir)) if at.len() < rel.len() => {}
            _ => return true,
        }
    }
    true
}

/// Staging folders start with this; each holds a [`STAGING_MARKER`] naming the run's process.
pub(crate) const STAGING_PREFIX: &str = ".scaffold-staging-";
/// The file inside a staging folder that proves scaffold made it: `pid <n>`.
pub(crate) const STAGING_MARKER: &str = ".scaffold-staging";
/// Temporary files written beside their targets: `.scaffold-tmp-<pid>-<16 hex digits>`.
pub(crate) const TEMP_PREFIX: &str = ".scaffold-tmp-";

/// 16 random hex digits (the time's, if the system has no randomness to give).
pub(crate) fn random_suffix() -> String {
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
pub(crate) fn temp_name() -> String {
    format!("{TEMP_PREFIX}{}-{}", std::process::id(), random_suffix())
}

/// Whether the process `pid` is provably gone (Linux: no `/proc/<pid>`). Where that cannot be
/// told, nothing is provably gone.
pub(crate) fn is_dead(pid: u32) -> bool {
    pid != std::process::id()
        && Path::new("/proc/self").exists()
        && !Path::new(&format!("/proc/{pid}")).exists()
}

/// The process id in a temporary name of the current scheme, if it is one.
pub(crate) fn temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?;
    let (pid, random) = rest.split_once('-')?;
    let hex = random.len() == 16 && random.bytes().all(|b| b.is_ascii_hexdigit());
    if hex { pid.parse().ok() } else { None }
}

/// The mode of a file scaffold writes: 644, 755 when executable, and readable by its owner
/// only (600, 700) when it holds the cookie secret.
pub(crate) fn mode(executable: bool, private: bool) -> u32 {
    match (executable, private) {
        (false, false) => 0o644,
        (true, false) => 0o755,
        (false, true) => 0o600,
        (true, true) => 0o700,
    }
}

/// Whether the umask is known to leave each mode of [`mode`] as asked: then the mode need not
/// be read back after creating a file.
static MODE_OK: [AtomicBool; 4] = [const { AtomicBool::new(false) }; 4];

/// Creates a file that did not exist (never following a symlink at its name) and writes it,
/// with exactly `mode`. If writing fails, the file this call created is removed again.
pub(crate) fn create_new(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    let file = options
        .open(path)
        .with_context(|| format!("cannot create `{}`", path.shown()))?;
    let result = fill(file, path, contents, mode);
    if result.is_err() {
        let _ = fs::remove_file(path);
    }
    result
}

fn fill(mut file: fs::File, path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    use std::io::Write;
    file.write_all(contents)
        .with_context(|| format!("cannot write `{}`", path.shown()))?;
    #[cfg(unix)]
    {
        // The mode given at creation is reduced by the umask; set it exactly, on the open file.
        use std::os::unix::fs::PermissionsExt;
        let slot = match mode {
            0o644 => 0,
            0o755 => 1,
            0o600 => 2,
            _ => 3,
        };
        let known = &MODE_OK[slot];
        if !known.load(Ordering::Relaxed) {
            let current = file
                .metadata()
                .map_or(0, |m| m.permissions().mode() & 0o777);
            if current == mode {
                known.store(slot != 3, Ordering::Relaxed);
            } else {
                file.set_permissions(fs::Permissions::from_mode(mode))
                    .with_context(|| format!("cannot set the mode of `{}`", path.shown()))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = mode;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn reads_never_follow_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("p");
        fs::create_dir_all(root.join("real")).unwrap();
        fs::write(root.join("real/a.txt"), "a").unwrap();
        fs::write(dir.path().join("outside.txt"), "secret").unwrap();
        std::os::unix::fs::symlink(dir.path(), root.join("linked")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.txt"), root.join("l.txt")).unwrap();
        let root = Root::open(&root).unwrap();
        // (path, what reading it gives)
        for (rel, want) in [
            ("real/a.txt", "file"),
            ("missing.txt", "missing"),
            ("real/a.txt/x", "missing"),
            ("linked/outside.txt", "other"),
            ("l.txt", "other"),
            ("real", "other"),
        ] {
            let got = match read(&root, rel).unwrap() {
                OnDisk::File { .. } => "file",
                OnDisk::Missing => "missing",
                OnDisk::Other(_) => "other",
            };
            assert_eq!(got, want, "{rel}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_is_never_written_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, "victim").unwrap();
        let planted = dir.path().join(temp_name());
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let err = create_new(&planted, b"evil", 0o644).unwrap_err();
        assert!(format!("{err:#}").contains("File exists"), "{err:#}");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "victim");
        assert!(
            fs::symlink_metadata(&planted)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
}

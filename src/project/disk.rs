//! A project on disk, and the files scaffold touches under a project's root (or a new
//! project's destination): finding the root (the directory holding `.scaffold.toml`) and
//! reading its answers file; reading files without ever following a symlink out of the
//! project; creating a file exclusively, never through a symlink, with an exact mode; and
//! scaffold's temporary names, which carry the run's process id so that a later run can tell
//! an abandoned leftover (its process is gone) from a live one.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, Result, bail};

use super::record::{self, Record};
use crate::util::error::usage;

/// The most bytes read of one project file to compare it with what scaffold wrote; a larger
/// file is reported as modified without being read.
pub(crate) const MAX_COMPARED_BYTES: u64 = 256 * 1024 * 1024;

/// A project and its answers file.
#[derive(Debug)]
pub(crate) struct Project {
    /// The directory holding `.scaffold.toml`.
    pub(crate) root: PathBuf,
    /// What the answers file says.
    pub(crate) record: Record,
}

/// The project that `start` is in: `start` itself or the nearest ancestor holding a
/// `.scaffold.toml` (so a command run from a subdirectory finds its project).
pub(crate) fn find(start: &Path) -> Result<Project> {
    let absolute = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    let mut at = absolute.as_path();
    loop {
        let candidate = at.join(record::FILE);
        match fs::symlink_metadata(&candidate) {
            Ok(m) if m.file_type().is_symlink() => bail!(
                "`{}` is a symlink; scaffold reads a project's answers file only as a regular file",
                candidate.display()
            ),
            Ok(m) if m.is_file() => {
                return Ok(Project {
                    root: at.to_path_buf(),
                    record: read_record(&candidate, m.len())?,
                });
            }
            _ => {}
        }
        match at.parent() {
            Some(parent) => at = parent,
            None => {
                return Err(usage!(
                    "`{}` is not in a project made by scaffold: no `{}` there or in any folder above",
                    start.display(),
                    record::FILE
                ));
            }
        }
    }
}

/// The project whose root is exactly `dir` (it holds a `.scaffold.toml`; no folder above is
/// looked at), if it is one. An answers file that is a symlink, or that cannot be read as one,
/// is an error naming it.
pub(crate) fn at(dir: &Path) -> Result<Option<Project>> {
    let candidate = dir.join(record::FILE);
    match fs::symlink_metadata(&candidate) {
        Ok(m) if m.file_type().is_symlink() => bail!(
            "`{}` is a symlink; scaffold reads a project's answers file only as a regular file",
            candidate.display()
        ),
        Ok(m) if m.is_file() => Ok(Some(Project {
            root: dir.to_path_buf(),
            record: read_record(&candidate, m.len())?,
        })),
        _ => Ok(None),
    }
}

fn read_record(path: &Path, len: u64) -> Result<Record> {
    if len > record::MAX_BYTES {
        bail!(
            "`{}` is larger than {} MiB, more than an answers file can be",
            path.display(),
            record::MAX_BYTES / 1024 / 1024
        );
    }
    let mut text = String::new();
    fs::File::open(path)
        .and_then(|f| f.take(record::MAX_BYTES + 1).read_to_string(&mut text))
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    Record::parse(&text).map_err(|problems| {
        anyhow::anyhow!(
            "{}",
            crate::util::text::problems(&format!("`{}`", path.display()), &problems)
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

/// Reads `root/rel` (a checked relative path) without following symlinks anywhere on the
/// way, so that a project file or folder replaced by a link cannot make scaffold read outside
/// the project.
pub(crate) fn read(root: &Path, rel: &str) -> Result<OnDisk> {
    read_checked(
        root,
        rel,
        &std::sync::Mutex::new(std::collections::HashSet::new()),
    )
}

/// [`read`] for many paths, on every core; directories already found to be real ones are not
/// looked at again.
pub(crate) fn read_many(
    root: &Path,
    paths: &[String],
) -> Result<std::collections::BTreeMap<String, OnDisk>> {
    let dirs = std::sync::Mutex::new(std::collections::HashSet::new());
    let one = |p: &String| read_checked(root, p, &dirs).map(|d| (p.clone(), d));
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

fn read_checked(
    root: &Path,
    rel: &str,
    dirs: &std::sync::Mutex<std::collections::HashSet<PathBuf>>,
) -> Result<OnDisk> {
    let mut at = root.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        at.push(part);
        let last = i + 1 == parts.len();
        if !last && dirs.lock().is_ok_and(|d| d.contains(&at)) {
            continue;
        }
        let meta = match fs::symlink_metadata(&at) {
            Ok(m) => m,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(OnDisk::Missing);
            }
            Err(e) => return Err(e).with_context(|| format!("cannot inspect `{}`", at.display())),
        };
        if meta.file_type().is_symlink() {
            return Ok(OnDisk::Other(format!("`{}` is a symlink", at.display())));
        }
        if !last && !meta.is_dir() {
            return Ok(OnDisk::Missing);
        }
        if !last && let Ok(mut d) = dirs.lock() {
            d.insert(at.clone());
        }
        if last {
            if !meta.is_file() {
                return Ok(OnDisk::Other(format!(
                    "`{}` is not a regular file",
                    at.display()
                )));
            }
            if meta.len() > MAX_COMPARED_BYTES {
                return Ok(OnDisk::Other(format!(
                    "`{}` is larger than {} MiB",
                    at.display(),
                    MAX_COMPARED_BYTES / 1024 / 1024
                )));
            }
            let bytes = fs::read(&at).with_context(|| format!("cannot read `{}`", at.display()))?;
            return Ok(OnDisk::File {
                bytes,
                executable: crate::util::read::is_executable(&meta),
            });
        }
    }
    Ok(OnDisk::Missing)
}

/// What a listing of a folder in a project found at one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Listed {
    /// A regular file.
    File(String),
    /// Something else that is not a directory (a symlink, a FIFO, a device): never followed.
    Other(String),
}

/// Every file below the folder `dir` of a project (a checked relative path), sorted, without
/// following a symlink anywhere: `None` when `dir` is not a real directory (missing, or a
/// symlink on the way) or holds more than `max` entries.
pub(crate) fn list_below(root: &Path, dir: &str, max: usize) -> Result<Option<Vec<Listed>>> {
    let mut at = root.to_path_buf();
    for part in dir.split('/') {
        at.push(part);
        match fs::symlink_metadata(&at) {
            Ok(m) if m.is_dir() => {}
            _ => return Ok(None),
        }
    }
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&at)
        .follow_links(false)
        .min_depth(1)
        .sort_by_file_name()
    {
        let entry = entry.with_context(|| format!("cannot read `{}`", at.display()))?;
        if out.len() >= max {
            return Ok(None);
        }
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        out.push(match rel.to_str() {
            Some(rel) if entry.file_type().is_file() => {
                Listed::File(rel.replace(std::path::MAIN_SEPARATOR, "/"))
            }
            // A name that is not UTF-8 is named too, as well as it can be.
            _ => Listed::Other(
                rel.to_string_lossy()
                    .replace(std::path::MAIN_SEPARATOR, "/"),
            ),
        });
    }
    Ok(Some(out))
}

/// Whether anything stands at `rel` in the project, or on the way to it something that is not
/// a directory (a file, a symlink): anywhere a new file could not simply be created.
pub(crate) fn occupied(root: &Path, rel: &str) -> bool {
    let mut at = root.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        at.push(part);
        match fs::symlink_metadata(&at) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return false,
            Ok(m) if i + 1 < parts.len() && m.is_dir() => {}
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

/// Whether the umask is known to leave each mode as asked (0o644, 0o755): then the mode need
/// not be read back after creating a file.
static MODE_OK: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];

/// Creates a file that did not exist (never following a symlink at its name) and writes it.
/// If writing fails, the file this call created is removed again.
pub(crate) fn create_new(path: &Path, contents: &[u8], executable: bool) -> Result<()> {
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
}

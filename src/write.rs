//! From rendered files to disk: the plan (create / overwrite / identical) and applying it.
//!
//! This is the only module that touches the destination. A new destination is staged in a
//! sibling folder and renamed into place, so it appears whole or not at all. In an existing
//! directory (empty, or with `--force`) every file is first written beside its target and only
//! then renamed over it, and a failure removes what was added; nothing the template does not
//! produce is touched, and nothing is ever followed through a symlink.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use crate::render::OutFile;

/// What writing one file will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
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
pub enum DestState {
    /// It does not exist.
    Absent,
    /// An empty directory.
    Empty,
    /// A directory with entries.
    NonEmpty,
}

/// Everything that writing will do, decided before anything is written.
#[derive(Debug)]
pub struct Plan {
    /// The destination directory.
    pub dest: PathBuf,
    /// What is there now.
    pub state: DestState,
    /// Each file with its action, sorted by path.
    pub files: Vec<(OutFile, Action)>,
}

impl Plan {
    /// Paths of files that already exist in the destination.
    pub fn existing(&self) -> Vec<&str> {
        self.files
            .iter()
            .filter(|(_, a)| *a != Action::Create)
            .map(|(f, _)| f.path.as_str())
            .collect()
    }
}

fn is_executable(meta: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

/// Decides what to do with each file; fails on anything that cannot be written safely.
pub fn plan(dest: &Path, mut files: Vec<OutFile>) -> Result<Plan> {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let state = match fs::symlink_metadata(dest) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let parent = parent_of(dest);
            match fs::metadata(&parent) {
                Ok(m) if m.is_dir() => DestState::Absent,
                Ok(_) => bail!(
                    "cannot create `{}`: `{}` is not a directory",
                    dest.display(),
                    parent.display()
                ),
                Err(_) => bail!(
                    "cannot create `{}`: its parent `{}` does not exist (create it first)",
                    dest.display(),
                    parent.display()
                ),
            }
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
        Ok(_) => {
            let mut entries =
                fs::read_dir(dest).with_context(|| format!("cannot read `{}`", dest.display()))?;
            if entries.next().is_none() {
                DestState::Empty
            } else {
                DestState::NonEmpty
            }
        }
    };
    let mut planned = Vec::with_capacity(files.len());
    for file in files {
        let action = if state == DestState::NonEmpty {
            existing_action(dest, &file)?
        } else {
            Action::Create
        };
        planned.push((file, action));
    }
    Ok(Plan {
        dest: dest.to_path_buf(),
        state,
        files: planned,
    })
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
            let current =
                fs::read(&at).with_context(|| format!("cannot read `{}`", at.display()))?;
            let same = current == file.contents && is_executable(&meta) == file.executable;
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
pub const STAGING_PREFIX: &str = ".scaffold-staging-";
/// The file inside a staging folder that proves scaffold made it: `pid <n>`.
pub const STAGING_MARKER: &str = ".scaffold-staging";
/// Temporary files written beside their targets start with this.
pub const TEMP_PREFIX: &str = ".scaffold-tmp-";

fn random_suffix() -> String {
    let mut bytes = [0u8; 8];
    // Fall back to the pid and time if the CSPRNG fails: uniqueness, not secrecy, matters here.
    if getrandom::fill(&mut bytes).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        bytes = ((t as u64) ^ u64::from(std::process::id()) << 32).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a staging folder was left by a run that is no longer alive (Linux: `/proc/<pid>`).
/// Folders without scaffold's marker, or whose run cannot be proven dead, are left alone.
fn is_stale_staging(dir: &Path) -> bool {
    let Ok(marker) = fs::read_to_string(dir.join(STAGING_MARKER)) else {
        return false;
    };
    let Some(pid) = marker
        .strip_prefix("pid ")
        .and_then(|p| p.trim().parse::<u32>().ok())
    else {
        return false;
    };
    Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists()
}

/// Creates a file that did not exist (never following a symlink at its name) and writes it.
fn create_new(path: &Path, contents: &[u8], executable: bool) -> Result<()> {
    use std::io::Write;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if executable { 0o755 } else { 0o644 });
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    file.write_all(contents)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    #[cfg(unix)]
    {
        // The mode given at creation is reduced by the umask; set it exactly, on the open file.
        use std::os::unix::fs::PermissionsExt;
        let mode = if executable { 0o755 } else { 0o644 };
        let current = file
            .metadata()
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        if current != mode {
            file.set_permissions(fs::Permissions::from_mode(mode))
                .with_context(|| format!("cannot set the mode of `{}`", path.display()))?;
        }
    }
    #[cfg(not(unix))]
    let _ = executable;
    Ok(())
}

/// Writes the plan. On failure the destination is left as it was.
pub fn apply(plan: &Plan) -> Result<()> {
    match plan.state {
        DestState::Absent => apply_staged(plan),
        // An existing directory keeps its inode (it may be the shell's current directory):
        // files are written beside their targets and renamed into place.
        DestState::Empty | DestState::NonEmpty => apply_in_place(plan),
    }
}

fn apply_staged(plan: &Plan) -> Result<()> {
    let dest = &plan.dest;
    let parent = parent_of(dest);
    // A run that was killed may have left its staging folder: remove those proven stale.
    if let Ok(entries) = fs::read_dir(&parent) {
        for entry in entries.flatten() {
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
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
        for (file, _) in &plan.files {
            let path = staging.join(&file.path);
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create `{}`", dir.display()))?;
            }
            create_new(&path, &file.contents, file.executable)?;
        }
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
    let result = (|| -> Result<()> {
        for (file, action) in &plan.files {
            if *action == Action::Identical {
                continue;
            }
            let target = dest.join(&file.path);
            let parent = target.parent().unwrap_or(dest);
            let mut missing = Vec::new();
            let mut p = parent.to_path_buf();
            while !p.exists() {
                missing.push(p.clone());
                if !p.pop() {
                    break;
                }
            }
            for dir in missing.into_iter().rev() {
                fs::create_dir(&dir)
                    .with_context(|| format!("cannot create `{}`", dir.display()))?;
                created_dirs.push(dir);
            }
            // A random name, created exclusively: nothing at that name (a planted symlink)
            // is ever followed, and no existing file is touched.
            let temp = parent.join(format!("{TEMP_PREFIX}{}", random_suffix()));
            create_new(&temp, &file.contents, file.executable)
                .with_context(|| format!("cannot write `{}`", file.path))?;
            temps.push((temp, target));
        }
        Ok(())
    })();
    if let Err(e) = result {
        for (temp, _) in &temps {
            let _ = fs::remove_file(temp);
        }
        for dir in created_dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
        return Err(e);
    }
    for (temp, target) in &temps {
        fs::rename(temp, target)
            .with_context(|| format!("cannot replace `{}`", target.display()))?;
    }
    Ok(())
}

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

use anyhow::{Context as _, Result, anyhow, bail};

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

/// The staging folder name for a destination: next to it, clearly named.
pub fn staging_prefix(dest: &Path) -> String {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "project".to_string());
    format!(".{name}.scaffold-staging.")
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
    let prefix = staging_prefix(dest);
    // A previous run that was killed may have left its staging folder: remove it.
    if let Ok(entries) = fs::read_dir(&parent) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
    let staging = parent.join(format!("{prefix}{}", std::process::id()));
    fs::create_dir(&staging)
        .with_context(|| format!("cannot create the staging folder `{}`", staging.display()))?;
    let result = (|| -> Result<()> {
        for (file, _) in &plan.files {
            write_file(&staging.join(&file.path), file)?;
        }
        fs::rename(&staging, dest).with_context(|| {
            format!(
                "cannot move the staged project into `{}` (did something create it meanwhile?)",
                dest.display()
            )
        })
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

fn write_file(path: &Path, file: &OutFile) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create `{}`", parent.display()))?;
    }
    fs::write(path, &file.contents)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    set_mode(path, file.executable)
}

fn set_mode(path: &Path, executable: bool) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if executable { 0o755 } else { 0o644 };
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set the mode of `{}`", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = (path, executable);
    Ok(())
}

/// Removes regular files named `prefix*` in `dir`: what a killed run left beside a target.
fn remove_stale_temps(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        if is_file && entry.file_name().to_string_lossy().starts_with(prefix) {
            let _ = fs::remove_file(entry.path());
        }
    }
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
            let name = target
                .file_name()
                .ok_or_else(|| anyhow!("`{}` has no file name", file.path))?;
            let prefix = format!(".{}.scaffold-tmp.", name.to_string_lossy());
            remove_stale_temps(parent, &prefix);
            let temp = parent.join(format!("{prefix}{}", std::process::id()));
            fs::write(&temp, &file.contents)
                .with_context(|| format!("cannot write `{}`", temp.display()))?;
            temps.push((temp.clone(), target));
            set_mode(&temp, file.executable)?;
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

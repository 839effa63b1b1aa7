//! `new`'s plan: what writing the rendered files into the destination will do (create,
//! overwrite, identical), and whether the destination is refused as it stands (not empty
//! without `--force`, another run's temporary files, the template's own directory), decided
//! before anything is written. Planning reads the destination and writes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use super::disk::{MAX_COMPARED_BYTES, STAGING_PREFIX, is_dead, temp_pid};
use super::record::{Record, State};
use super::root::{Found, Root};
use crate::sources::source::Origin;
use crate::template::manifest::Loaded;
use crate::template::render::OutFile;
use crate::util::error::usage;
use crate::util::limits::MAX_PATH_BYTES;
use crate::util::paths::resolve_path;
use crate::util::text::Shown as _;

/// What writing one file will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Action {
    /// The file does not exist yet.
    Create,
    /// A different file is there and will be replaced.
    Overwrite,
    /// The same bytes (and mode: executable or not, and readable by its owner only when it
    /// holds the cookie secret) are already there.
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
    /// When the destination is a project made by scaffold: the template it names.
    pub(crate) project: Option<String>,
    /// The files to overwrite that are the user's: not what the destination's answers file
    /// says scaffold wrote there (edited since, or never scaffold's). Kept before writing.
    pub(crate) keep: Vec<String>,
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
    /// The destination is a project made by scaffold, from this template: `update` is the
    /// way to change it.
    Project {
        /// The template its answers file names.
        template: String,
    },
    /// The destination is not empty, and the questions are still to be asked: refused before
    /// them (which files would be overwritten depends on the answers).
    NotEmptyBeforeQuestions,
}

/// The commands a refusal suggests: the same `new` with `--force`, and the `update` that
/// changes an existing project instead.
pub(crate) struct Retry {
    /// `scaffold new ... --force`.
    pub(crate) force: String,
    /// `scaffold update DEST ...`.
    pub(crate) update: String,
}

impl Refusal {
    /// The message, ending with how to go on.
    pub(crate) fn message(&self, dest: &Path, retry: &Retry) -> String {
        let backups = dest.join(".scaffold/backup");
        let (backups, dest) = (backups.shown(), dest.shown());
        let force = &retry.force;
        match self {
            Refusal::Project { template } => format!(
                "`{dest}` is already a project made by scaffold (from template `{template}`); to \
                 change its answers, or bring it to the template's current version, update it:\n  \
                 {}\nto generate it again over itself instead, run again with --force (every \
                 file of yours it would overwrite is kept in `{backups}/` first, and the \
                 project keeps its cookie secret):\n  {force}",
                retry.update
            ),
            Refusal::NotEmptyBeforeQuestions => format!(
                "destination `{dest}` is not empty; scaffold writes into a non-empty directory \
                 only with --force (which files it would overwrite depends on your answers: \
                 --dry-run shows them; every file of yours it overwrites is kept in \
                 `{backups}/` first):\n  {force}"
            ),
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
                     to replace them (and touch nothing else; what is yours is kept in \
                     `{backups}/` first), run again with --force:\n  {force}",
                    list.join("\n")
                )
            }
            Refusal::NotEmpty => format!(
                "destination `{dest}` is not empty; no file in it would be overwritten, but \
                 scaffold only adds to a non-empty directory with --force:\n  {force}"
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
        if let Some(template) = &self.project
            && !force
        {
            return Some(Refusal::Project {
                template: template.clone(),
            });
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

/// What is at `dest` now, and for one that is not there, its missing ancestors (outermost
/// first). A symlink, a file, or a file on the way is refused.
fn dest_state(dest: &Path) -> Result<(DestState, Vec<PathBuf>)> {
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
                        dest.shown(),
                        at.shown()
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
                        return Err(e).with_context(|| format!("cannot inspect `{}`", at.shown()));
                    }
                }
            }
            parents.reverse();
            DestState::Absent
        }
        Err(e) => return Err(e).with_context(|| format!("cannot inspect `{}`", dest.shown())),
        Ok(m) if m.file_type().is_symlink() => bail!(
            "destination `{}` is a symlink; give the real directory instead",
            dest.shown()
        ),
        Ok(m) if !m.is_dir() => bail!(
            "destination `{}` exists and is not a directory",
            dest.shown()
        ),
        Ok(_) => DestState::NonEmpty,
    };
    Ok((state, parents))
}

/// Decides what to do with each file; fails on anything that cannot be written safely.
/// `existing` is the answers file of the project already at `dest`, if there is one: a file
/// to overwrite is the user's unless it holds what that file says scaffold wrote. The files in
/// `private` hold the cookie secret: one that others may read is not identical, whatever it
/// holds (it is written again, readable by its owner only).
pub(crate) fn plan(
    dest: &Path,
    mut files: Vec<OutFile>,
    existing: Option<&Record>,
    private: &[String],
) -> Result<Plan> {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let (state, parents) = dest_state(dest)?;
    check_lengths(dest, &files)?;
    let mut leftovers = Vec::new();
    let mut keep = Vec::new();
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
        let recorded: BTreeMap<&str, &str> = existing
            .map(|r| {
                r.files
                    .iter()
                    .filter(|f| f.state == State::Generated)
                    .map(|f| (f.path.as_str(), f.blob.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        // Opened once: what is there is read below it, never through a symlink, within a
        // bound.
        let root = Root::open(dest).with_context(|| format!("cannot open `{}`", dest.shown()))?;
        for file in files {
            let (action, yours) = existing_action(
                &root,
                &file,
                private.contains(&file.path),
                recorded.get(file.path.as_str()),
            )?;
            if yours {
                keep.push(file.path.clone());
            }
            planned.push((file, action));
        }
    }
    let mut plan = Plan {
        dest: dest.to_path_buf(),
        state,
        files: planned,
        parents,
        leftovers,
        project: existing.map(|r| r.template.name.clone()),
        keep,
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
            fs::read_dir(dest).with_context(|| format!("cannot read `{}`", dest.shown()))?;
        return Ok(entries.next().is_none());
    }
    for entry in walkdir::WalkDir::new(dest).min_depth(1).follow_links(false) {
        let entry = entry.with_context(|| format!("cannot read `{}`", dest.shown()))?;
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
                dest.shown()
            );
        }
    }
    Ok(())
}

/// The directory a destination is created in.
pub(crate) fn parent_of(dest: &Path) -> PathBuf {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// In an existing destination: every directory on the way must be a real directory, and the
/// target, if present, a regular file. Returns the action, and for an overwrite whether the
/// file there is the user's: not the bytes `recorded` (the blob the answers file names for
/// it) says scaffold wrote. What is there is read within [`MAX_COMPARED_BYTES`] (a larger
/// file is not what scaffold wrote: it is the user's), never through a symlink.
fn existing_action(
    root: &Root,
    file: &OutFile,
    private: bool,
    recorded: Option<&&str>,
) -> Result<(Action, bool)> {
    let action = existing_target(root, file, private)?;
    let yours = action == Action::Overwrite
        && match recorded {
            None => true,
            Some(blob) => match read_there(root, &file.path, MAX_COMPARED_BYTES)? {
                Some(current) => crate::util::hash::blob_id(&current)? != **blob,
                None => true,
            },
        };
    Ok((action, yours))
}

/// The bytes of the regular file `rel` in the destination, or `None` when it is larger than
/// `max` bytes (never read); an error naming it when it is not a regular file any more.
fn read_there(root: &Root, rel: &str, max: u64) -> Result<Option<Vec<u8>>> {
    let at = || root.shown(rel);
    match root
        .read(rel, max)
        .with_context(|| format!("cannot read `{}`", at()))?
    {
        Found::File { bytes, .. } => Ok(Some(bytes)),
        Found::TooBig(_) => Ok(None),
        Found::Missing => bail!("`{}` went away while scaffold looked at it", at()),
        Found::Refused { at: there, why } => bail!(
            "`{}` {why}; the template writes a file at `{}`",
            root.shown(&there),
            at()
        ),
    }
}

/// What writing `file` into an existing destination does (`private`: it holds the secret).
fn existing_target(root: &Root, file: &OutFile, private: bool) -> Result<Action> {
    let mut at = root.path().to_path_buf();
    let parts: Vec<&str> = file.path.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        at.push(part);
        let last = i + 1 == parts.len();
        let meta = match fs::symlink_metadata(&at) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Action::Create),
            Err(e) => return Err(e).with_context(|| format!("cannot inspect `{}`", at.shown())),
            Ok(m) => m,
        };
        if meta.file_type().is_symlink() {
            bail!(
                "`{}` is a symlink; refusing to write `{}` through it",
                at.shown(),
                file.path
            );
        }
        if !last && !meta.is_dir() {
            bail!(
                "`{}` is a file, but the template needs a directory there for `{}`",
                at.shown(),
                file.path
            );
        }
        if last {
            if !meta.is_file() {
                bail!(
                    "`{}` exists and is not a regular file; the template writes a file there",
                    at.shown()
                );
            }
            if meta.len() != file.contents.len() as u64 {
                return Ok(Action::Overwrite);
            }
            // (As long as what is written: grown since, it is not the same.)
            let Some(current) = read_there(root, &file.path, file.contents.len() as u64)? else {
                return Ok(Action::Overwrite);
            };
            let same = current == file.contents
                && crate::util::read::is_executable(&meta) == file.executable
                && !(private && others_may_read(&meta));
            return Ok(if same {
                Action::Identical
            } else {
                Action::Overwrite
            });
        }
    }
    Ok(Action::Create)
}

/// Whether anyone but the file's owner may read or write it.
fn others_may_read(meta: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o077 != 0
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
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
    for entry in fs::read_dir(&at).with_context(|| format!("cannot read `{}`", at.shown()))? {
        let entry = entry.with_context(|| format!("cannot read `{}`", at.shown()))?;
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

/// Writing into the template's own directory would corrupt it (and feed the next run): the
/// destination (of `new`; for `update`, the project: `what` says which) may not be inside the
/// template, and no file may be written inside it (as when it is a directory that contains
/// the template).
pub(crate) fn refuse_overlap(
    loaded: &Loaded,
    dest: &Path,
    files: &[OutFile],
    what: &str,
) -> Result<()> {
    let Origin::Directory(dir) = &loaded.source.origin else {
        return Ok(());
    };
    let template = resolve_path(dir);
    let dest_real = resolve_path(dest);
    if dest_real.starts_with(&template) {
        return Err(usage!(
            "{what} `{}` is inside the template directory `{}`; choose a {what} outside it",
            dest.shown(),
            dir.shown()
        ));
    }
    if template.starts_with(&dest_real)
        && let Some(f) = files
            .iter()
            .find(|f| dest_real.join(&f.path).starts_with(&template))
    {
        return Err(usage!(
            "{what} `{}` contains the template directory `{}`, and `{}` would be \
                 written inside the template; choose a {what} outside it",
            dest.shown(),
            dir.shown(),
            f.path
        ));
    }
    Ok(())
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

    /// Over a project, a file to overwrite is the user's unless it holds what the answers file
    /// says scaffold wrote there; without --force the project is refused as one.
    #[test]
    fn over_a_project_what_is_the_users() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("p");
        fs::create_dir_all(&d).unwrap();
        let blob = |t: &str| crate::util::hash::blob_id(t.as_bytes()).unwrap();
        let text = format!(
            "format = 1\nscaffold = \"0.1.0\"\n[template]\nsource = \"embedded\"\nname = \"chat\"\n\
             id = \"{}\"\n[project]\nname = \"p\"\nyear = 2026\nscaffold_version = \"0.1.0\"\n\
             [answers]\n[files]\n\"as-written.txt\" = {{ blob = \"{}\", from = \"x\" }}\n\
             \"edited.txt\" = {{ blob = \"{}\", from = \"x\" }}\n",
            blob("id"),
            blob("v1\n"),
            blob("v1\n")
        );
        let record = Record::parse(&text).unwrap();
        // (the file there now, what the template writes, whether it is kept first)
        let cases = [
            ("as-written.txt", "v1\n", "v2\n", false),
            ("edited.txt", "mine\n", "v2\n", true),
            ("never-scaffolds.txt", "mine\n", "v2\n", true),
            ("same.txt", "v2\n", "v2\n", false),
        ];
        let mut files = Vec::new();
        for (path, there, new, _) in cases {
            fs::write(d.join(path), there).unwrap();
            files.push(file(path, new));
        }
        let p = plan(&d, files, Some(&record), &[]).unwrap();
        for (path, _, _, kept) in cases {
            assert_eq!(p.keep.contains(&path.to_string()), kept, "{path}");
        }
        assert_eq!(
            p.refusal(false),
            Some(Refusal::Project {
                template: "chat".into()
            })
        );
        assert_eq!(p.refusal(true), None);
    }

    /// A file that holds the cookie secret, with the same bytes but readable by others, is
    /// written again (readable by its owner only): it is not identical.
    #[cfg(unix)]
    #[test]
    fn a_secret_file_others_may_read_is_not_identical() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join(".env"), "SECRET=1\n").unwrap();
        let private = [".env".to_string()];
        // (mode on disk, private, the action)
        for (mode, private, want) in [
            (0o644, &private[..], Action::Overwrite),
            (0o600, &private[..], Action::Identical),
            (0o644, &[][..], Action::Identical),
        ] {
            fs::set_permissions(d.join(".env"), fs::Permissions::from_mode(mode)).unwrap();
            let p = plan(d, vec![file(".env", "SECRET=1\n")], None, private).unwrap();
            assert_eq!(actions(&p), [(".env", want)], "{mode:o} {private:?}");
        }
    }

    #[test]
    fn plan_states_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let files = || vec![file("b/c.txt", "c"), file("a.txt", "a")];
        // (setup, state, actions, refusal without --force)
        let absent = plan(&d.join("new"), files(), None, &[]).unwrap();
        assert_eq!(absent.state, DestState::Absent);
        assert_eq!(
            actions(&absent),
            [("a.txt", Action::Create), ("b/c.txt", Action::Create)]
        );
        assert_eq!(absent.refusal(false), None);

        let deep = plan(&d.join("x/y/new"), files(), None, &[]).unwrap();
        assert_eq!(deep.parents, [d.join("x"), d.join("x/y")]);

        fs::create_dir(d.join("empty")).unwrap();
        let empty = plan(&d.join("empty"), files(), None, &[]).unwrap();
        assert_eq!(empty.state, DestState::Empty);
        assert_eq!(empty.refusal(false), None);

        fs::create_dir_all(d.join("full/b")).unwrap();
        fs::write(d.join("full/a.txt"), "a").unwrap();
        fs::write(d.join("full/b/c.txt"), "old").unwrap();
        let full = plan(&d.join("full"), files(), None, &[]).unwrap();
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
        let other = plan(&d.join("other"), files(), None, &[]).unwrap();
        assert_eq!(other.refusal(false), Some(Refusal::NotEmpty));
    }
}

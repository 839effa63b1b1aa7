//! The decision table of `scaffold update`: for every file, from its three versions, what the
//! update does.
//!
//! Three versions of every file: the **base** (what scaffold generated last time: the recorded
//! template version with the recorded answers, or the recorded bytes from the project's git
//! history), **theirs** (the new template with the new answers) and **yours** (the disk). A
//! pure decision table ([`plan`]) says per file what happens; text changes on both sides are
//! merged three-way in process ([`crate::util::merge`]); nothing is ever overwritten silently:
//! where the base is unknown, both-sided changes are conflicts.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;

use crate::project::apply::Change;
use crate::project::disk::OnDisk;
use crate::project::record::{self, Record, State};
use crate::template::render::OutFile;
use crate::util::merge::{self, Labels, SIDE_SUFFIX};

/// What happens to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Neither side changed it.
    Unchanged,
    /// Only the template changed it: the new version is written.
    Update,
    /// Only you changed it: yours stays.
    KeepYours,
    /// Both sides made the same change.
    Same,
    /// Both sides changed it, in different places: merged.
    Merge,
    /// Both sides changed the same lines (markers written), or a binary file (yours kept, the
    /// template's beside it), or no base to merge from.
    Conflict(Conflict),
    /// New in the template.
    Add,
    /// New in the template, and an identical file is already there.
    Adopt,
    /// The template dropped it (or its condition turned off) and you never edited it.
    Remove,
    /// The template dropped it but you edited it: kept, no longer tracked.
    KeepUntracked,
    /// Recorded, gone from the template and from the disk.
    Forget,
    /// You deleted it: it stays deleted (`changed`: the template changed it meanwhile).
    KeepDeleted {
        /// Whether the template's version differs from what you deleted.
        changed: bool,
    },
    /// You deleted it and asked for it back (`--restore`).
    Restore,
    /// Not a regular file on disk (a symlink, a directory): left alone.
    Skipped,
}

/// Why a file conflicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Conflict {
    /// The same lines changed on both sides: this many marked regions.
    Lines(usize),
    /// Binary on some side: yours kept, the template's version written beside it.
    Binary,
    /// Changed on both sides, and the version both started from is unknown: markers around
    /// every difference (this many regions), never a silent overwrite.
    NoBase(usize),
    /// You have a file where the template now adds a different one: this many regions.
    AddAdd(usize),
}

impl Verdict {
    /// The word the plan shows.
    pub(crate) fn word(&self) -> &'static str {
        match self {
            Verdict::Unchanged => "unchanged",
            Verdict::Update => "update",
            Verdict::KeepYours | Verdict::KeepUntracked => "keep",
            Verdict::Same => "same",
            Verdict::Merge => "merge",
            Verdict::Conflict(_) => "CONFLICT",
            Verdict::Add => "add",
            Verdict::Adopt => "adopt",
            Verdict::Remove => "remove",
            Verdict::Forget => "forget",
            Verdict::KeepDeleted { .. } => "keep deleted",
            Verdict::Restore => "restore",
            Verdict::Skipped => "skipped",
        }
    }

    /// A few words on why, where the word alone does not say it.
    pub(crate) fn note(&self) -> Option<String> {
        match self {
            Verdict::KeepYours => Some("yours: the template did not change it".into()),
            Verdict::KeepUntracked => {
                Some("the template dropped it, but you edited it: kept, no longer tracked".into())
            }
            Verdict::Same => Some("you and the template made the same change".into()),
            Verdict::KeepDeleted { changed: true } => Some(
                "you deleted it, and the template changed it since; `--restore PATH` brings \
                 back the new version"
                    .into(),
            ),
            Verdict::Conflict(Conflict::Lines(n)) => Some(format!(
                "{n} conflicting region{}",
                crate::util::text::plural(*n)
            )),
            Verdict::Conflict(Conflict::Binary) => {
                Some("binary: yours kept, the template's version beside it as .scaffold-new".into())
            }
            Verdict::Conflict(Conflict::NoBase(_)) => Some(
                "changed by you and by the template, and the version you started from is not \
                 available: both kept between markers"
                    .into(),
            ),
            Verdict::Conflict(Conflict::AddAdd(_)) => {
                Some("you already have a different file here".into())
            }
            Verdict::Skipped => Some("not a regular file: left alone".into()),
            _ => None,
        }
    }
}

/// One file of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    /// Where the file is after the update.
    pub(crate) path: String,
    /// What happens.
    pub(crate) verdict: Verdict,
    /// The path it had, when a rename moves it (your edits move with it).
    pub(crate) renamed_from: Option<String>,
    /// The bytes on disk now, if any (for `--diff` and backups).
    pub(crate) yours: Option<Vec<u8>>,
    /// The bytes it will hold, when they change (or for a rename, move there).
    pub(crate) write: Option<(Vec<u8>, bool)>,
    /// The template's version written beside yours (`PATH.scaffold-new`).
    pub(crate) side_file: Option<Vec<u8>>,
    /// Whether an old path is removed (a removed file, or the old path of a rename).
    pub(crate) remove: Option<String>,
    /// What the new answers file records for it (`None`: no longer tracked).
    pub(crate) record: Option<record::File>,
    /// For a conflict: how many lines of what is written look like its opening marker without
    /// being one of its conflicts (the template's own text, or yours).
    pub(crate) lookalikes: usize,
}

/// Everything [`plan`] decides from.
pub(crate) struct Sides<'a> {
    /// What scaffold wrote last time.
    pub(crate) recorded: &'a [record::File],
    /// The bytes scaffold wrote last time, by recorded path, where known: each has the blob
    /// id recorded for its path (checked when it was found).
    pub(crate) base: &'a BTreeMap<String, Vec<u8>>,
    /// The new template's files with the new answers.
    pub(crate) theirs: &'a [OutFile],
    /// What is on disk at every path involved.
    pub(crate) yours: &'a BTreeMap<String, OnDisk>,
    /// Renames: (recorded path, new path), from answers that move a templated path and from
    /// the template's `[[renames]]`.
    pub(crate) renames: &'a [(String, String)],
    /// Deleted files to bring back (`--restore`).
    pub(crate) restore: &'a BTreeSet<String>,
    /// Conflict marker labels.
    pub(crate) labels: Labels<'a>,
}

fn blob(bytes: &[u8]) -> Result<String> {
    crate::util::hash::blob_id(bytes)
}

/// `bytes` with every CRLF made LF.
fn lf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// `bytes` with every lone LF made CRLF.
fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 20);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' && (i == 0 || bytes[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// How yours compares with what scaffold wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Yours {
    /// The same bytes.
    Same,
    /// The same but for line endings turned to CRLF (git's `autocrlf` on checkout): not an
    /// edit; what is written keeps your line endings.
    SameButCrlf,
    /// Edited.
    Edited,
}

/// How `o` compares with the recorded blob `r_blob`; `theirs` is the template's version and
/// its blob id, already computed: when yours holds the same bytes (most files of most updates),
/// their id is yours and `o` need not be hashed again.
fn compare(
    o: &[u8],
    r_blob: &str,
    base: Option<&Vec<u8>>,
    theirs: Option<(&[u8], &str)>,
) -> Result<Yours> {
    let same = match theirs {
        Some((t, t_blob)) if t == o => t_blob == r_blob,
        _ => blob(o)? == r_blob,
    };
    if same {
        return Ok(Yours::Same);
    }
    if let Some(b) = base
        && o != b.as_slice()
        && lf(o) == lf(b)
        && o.windows(2).any(|w| w == b"\r\n")
    {
        return Ok(Yours::SameButCrlf);
    }
    Ok(Yours::Edited)
}

/// A three-way merge of text, or `None` when some side is binary or too large to merge.
fn merge_text(
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    labels: &Labels<'_>,
) -> Result<Option<merge::Merged>> {
    if merge::is_binary(base) || merge::is_binary(ours) || merge::is_binary(theirs) {
        return Ok(None);
    }
    match merge::merge3(base, ours, theirs, labels) {
        Ok(m) => Ok(Some(m)),
        Err(e) if e.downcast_ref::<merge::TooLarge>().is_some() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The file's new record: the template's version (for a conflict too, so that the next
/// update's base is the pristine render whatever you make of the markers); `t_blob` is its
/// blob id.
fn record_of(t: &OutFile, t_blob: String, state: State) -> record::File {
    record::File {
        path: t.path.clone(),
        from: t.source.clone(),
        blob: t_blob,
        exec: t.executable,
        state,
    }
}

/// Decides, for every file involved, what the update does. Pure: nothing is read or written.
#[allow(clippy::too_many_lines)] // the decision table, one arm per row, reads best whole
pub(crate) fn plan(s: &Sides<'_>) -> Result<Vec<Step>> {
    let theirs: BTreeMap<&str, &OutFile> = s.theirs.iter().map(|t| (t.path.as_str(), t)).collect();
    let recorded: BTreeMap<&str, &record::File> =
        s.recorded.iter().map(|r| (r.path.as_str(), r)).collect();
    let disk = |p: &str| s.yours.get(p).cloned().unwrap_or(OnDisk::Missing);
    // A rename applies when its old path leaves the template, its new path is not recorded,
    // and nothing of yours stands at the new path.
    let renames: BTreeMap<&str, &str> = s
        .renames
        .iter()
        .filter(|(from, to)| {
            !theirs.contains_key(from.as_str())
                && !recorded.contains_key(to.as_str())
                && theirs.contains_key(to.as_str())
                && disk(to) == OnDisk::Missing
        })
        .map(|(f, t)| (f.as_str(), t.as_str()))
        .collect();
    let renamed_to: BTreeSet<&str> = renames.values().copied().collect();
    let mut steps = Vec::new();

    for r in s.recorded {
        let base = s.base.get(&r.path);
        let (path, t, renamed_from) = match renames.get(r.path.as_str()) {
            Some(to) => (
                to.to_string(),
                theirs.get(to).copied(),
                Some(r.path.clone()),
            ),
            None => (r.path.clone(), theirs.get(r.path.as_str()).copied(), None),
        };
        let remove_old = renamed_from.clone();
        let yours = disk(&r.path);
        let step = |verdict, write, side_file, remove, record| Step {
            path: path.clone(),
            verdict,
            renamed_from: renamed_from.clone(),
            yours: match &yours {
                OnDisk::File { bytes, .. } => Some(bytes.clone()),
                _ => None,
            },
            write,
            side_file,
            remove,
            record,
            lookalikes: 0,
        };
        let Some(t) = t else {
            // The template no longer has it.
            steps.push(match &yours {
                OnDisk::Missing => step(Verdict::Forget, None, None, None, None),
                OnDisk::Other(_) => step(Verdict::Skipped, None, None, None, None),
                OnDisk::File { bytes, .. } => match compare(bytes, &r.blob, base, None)? {
                    Yours::Same | Yours::SameButCrlf if r.state == State::Generated => {
                        step(Verdict::Remove, None, None, Some(r.path.clone()), None)
                    }
                    _ => step(Verdict::KeepUntracked, None, None, None, None),
                },
            });
            continue;
        };
        // The template gives what it gave last time (most files of most updates): the base's
        // id, known, is theirs.
        let t_blob = match base {
            Some(b) if *b == t.contents => r.blob.clone(),
            _ => blob(&t.contents)?,
        };
        match yours {
            OnDisk::Missing => {
                let (verdict, write) = if s.restore.contains(&path) {
                    (Verdict::Restore, Some((t.contents.clone(), t.executable)))
                } else {
                    (
                        Verdict::KeepDeleted {
                            changed: t_blob != r.blob,
                        },
                        None,
                    )
                };
                let state = if verdict == Verdict::Restore {
                    State::Generated
                } else {
                    State::Deleted
                };
                steps.push(step(
                    verdict,
                    write,
                    None,
                    None,
                    Some(record_of(t, t_blob, state)),
                ));
            }
            OnDisk::Other(_) => {
                steps.push(step(Verdict::Skipped, None, None, None, Some((*r).clone())));
            }
            OnDisk::File {
                ref bytes,
                executable,
            } => {
                let o = bytes;
                // The mode, three-way: the template's change applies unless you changed it.
                let exec = if executable == r.exec {
                    t.executable
                } else {
                    executable
                };
                let moved = renamed_from.is_some();
                let mut lookalikes = 0;
                let verdict_write = match compare(o, &r.blob, base, Some((&t.contents, &t_blob)))? {
                    Yours::Same | Yours::SameButCrlf if t_blob == r.blob => {
                        if exec == executable && !moved {
                            (Verdict::Unchanged, None, None)
                        } else {
                            (Verdict::Update, Some((o.clone(), exec)), None)
                        }
                    }
                    same @ (Yours::Same | Yours::SameButCrlf) => {
                        let bytes = if same == Yours::SameButCrlf {
                            crlf(&t.contents)
                        } else {
                            t.contents.clone()
                        };
                        (Verdict::Update, Some((bytes, exec)), None)
                    }
                    Yours::Edited if t_blob == r.blob => {
                        if moved || exec != executable {
                            (Verdict::KeepYours, Some((o.clone(), exec)), None)
                        } else {
                            (Verdict::KeepYours, None, None)
                        }
                    }
                    Yours::Edited if o == &t.contents => {
                        (Verdict::Same, moved.then(|| (o.clone(), exec)), None)
                    }
                    Yours::Edited => {
                        let merged = match base {
                            Some(b) => {
                                merge_text(b, o, &t.contents, &s.labels)?.map(|m| (m, false))
                            }
                            None => merge_text(b"", o, &t.contents, &s.labels)?.map(|m| (m, true)),
                        };
                        match merged {
                            Some((m, false)) if m.conflicts == 0 => {
                                (Verdict::Merge, Some((m.bytes, exec)), None)
                            }
                            Some((m, no_base)) => {
                                lookalikes = merge::open_markers(&m.bytes, s.labels.ours)
                                    .saturating_sub(m.conflicts);
                                let kind = if no_base {
                                    Conflict::NoBase(m.conflicts.max(1))
                                } else {
                                    Conflict::Lines(m.conflicts)
                                };
                                (Verdict::Conflict(kind), Some((m.bytes, exec)), None)
                            }
                            None => (
                                Verdict::Conflict(Conflict::Binary),
                                moved.then(|| (o.clone(), executable)),
                                Some(t.contents.clone()),
                            ),
                        }
                    }
                };
                let (verdict, write, side) = verdict_write;
                let mut made = step(
                    verdict,
                    write,
                    side,
                    remove_old,
                    Some(record_of(t, t_blob, State::Generated)),
                );
                made.lookalikes = lookalikes;
                steps.push(made);
            }
        }
    }

    // Files the template adds.
    for t in s.theirs {
        if recorded.contains_key(t.path.as_str()) || renamed_to.contains(t.path.as_str()) {
            continue;
        }
        let yours = disk(&t.path);
        let mut step = Step {
            path: t.path.clone(),
            verdict: Verdict::Add,
            renamed_from: None,
            yours: None,
            write: None,
            side_file: None,
            remove: None,
            record: Some(record_of(t, blob(&t.contents)?, State::Generated)),
            lookalikes: 0,
        };
        match yours {
            OnDisk::Missing => step.write = Some((t.contents.clone(), t.executable)),
            OnDisk::Other(_) => {
                step.verdict = Verdict::Skipped;
                step.record = None;
            }
            OnDisk::File { bytes, .. } => {
                step.yours = Some(bytes.clone());
                if bytes == t.contents {
                    step.verdict = Verdict::Adopt;
                } else if let Some(m) = merge_text(b"", &bytes, &t.contents, &s.labels)? {
                    step.lookalikes =
                        merge::open_markers(&m.bytes, s.labels.ours).saturating_sub(m.conflicts);
                    step.verdict = Verdict::Conflict(Conflict::AddAdd(m.conflicts.max(1)));
                    step.write = Some((m.bytes, t.executable));
                } else {
                    step.verdict = Verdict::Conflict(Conflict::Binary);
                    step.side_file = Some(t.contents.clone());
                }
            }
        }
        steps.push(step);
    }
    steps.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(steps)
}

/// The writes and removals a plan makes, in order (side files included).
pub(crate) fn changes(steps: &[Step]) -> Vec<Change> {
    let mut out = Vec::new();
    for s in steps {
        if let Some((bytes, executable)) = &s.write {
            out.push(Change::Write {
                path: s.path.clone(),
                bytes: bytes.clone(),
                executable: *executable,
            });
        }
        if let Some(side) = &s.side_file {
            out.push(Change::Write {
                path: format!("{}{SIDE_SUFFIX}", s.path),
                bytes: side.clone(),
                executable: false,
            });
        }
        if let Some(old) = &s.remove {
            out.push(Change::Remove { path: old.clone() });
        }
    }
    out
}

/// Of the files left with conflicts, those holding lines that look like the opening marker
/// without being one of the conflicts: how many.
pub(crate) fn lookalikes(steps: &[Step]) -> std::collections::BTreeMap<String, usize> {
    steps
        .iter()
        .filter(|s| matches!(s.verdict, Verdict::Conflict(_)) && s.lookalikes > 0)
        .map(|s| (s.path.clone(), s.lookalikes))
        .collect()
}

/// The files left with conflicts: marked files and binary files with a side file.
pub(crate) fn conflicts(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .filter(|s| matches!(s.verdict, Verdict::Conflict(_)))
        .map(|s| s.path.clone())
        .collect()
}

/// Why the answers file changes, in words (the plan's `record` line); empty when it does not.
/// The version of scaffold that writes the file is no reason on its own: when nothing else
/// changes, `new` keeps the old one, so that not a byte changes.
pub(crate) fn record_notes(old: &Record, new: &mut Record, steps: &[Step]) -> Vec<String> {
    // The file lists answers and files sorted, whatever order they were made in.
    let mut old = old.clone();
    for r in [&mut old, &mut *new] {
        r.answers.sort_by(|a, b| a.name.cmp(&b.name));
        r.files.sort_by(|a, b| a.path.cmp(&b.path));
    }
    let old = &old;
    let count = |n: usize, what: &str| format!("{n} file{} {what}", crate::util::text::plural(n));
    let mut notes = Vec::new();
    if old.template != new.template {
        notes.push("the template's version".to_string());
    }
    if old.answers != new.answers {
        notes.push("new answers".to_string());
    }
    if old.project.name != new.project.name {
        notes.push("the project name".to_string());
    }
    if old.project.scaffold_version != new.project.scaffold_version {
        notes.push("the scaffold version the files are rendered with".to_string());
    }
    if old.project.secret != new.project.secret {
        notes.push("where the cookie secret is".to_string());
    }
    let before: BTreeMap<&str, &record::File> =
        old.files.iter().map(|f| (f.path.as_str(), f)).collect();
    let after: BTreeMap<&str, &record::File> =
        new.files.iter().map(|f| (f.path.as_str(), f)).collect();
    let moved: BTreeMap<&str, &str> = steps
        .iter()
        .filter_map(|s| Some((s.renamed_from.as_deref()?, s.path.as_str())))
        .collect();
    let (mut untracked, mut tracked, mut renamed, mut versions, mut deleted) = (0, 0, 0, 0, 0);
    for (path, was) in &before {
        let now = match moved.get(path) {
            Some(to) => {
                renamed += 1;
                after.get(to)
            }
            None => after.get(path),
        };
        match now {
            None => untracked += 1,
            Some(now) if now.state == State::Deleted && was.state != State::Deleted => {
                deleted += 1;
            }
            Some(now) if (&now.blob, &now.from, now.exec) != (&was.blob, &was.from, was.exec) => {
                versions += 1;
            }
            Some(_) => {}
        }
    }
    for path in after.keys() {
        if !before.contains_key(path) && !moved.values().any(|to| to == path) {
            tracked += 1;
        }
    }
    for (n, what) in [
        (untracked, "no longer tracked"),
        (tracked, "newly tracked"),
        (renamed, "moved"),
        (deleted, "recorded as deleted by you"),
        (versions, "recorded at the template's new version"),
    ] {
        if n > 0 {
            notes.push(count(n, what));
        }
    }
    let resolved = old
        .pending
        .iter()
        .filter(|p| !new.pending.contains(p))
        .count();
    if resolved > 0 {
        notes.push(format!(
            "{resolved} resolved conflict{} no longer listed",
            crate::util::text::plural(resolved)
        ));
    }
    let open = new
        .pending
        .iter()
        .filter(|p| !old.pending.contains(p))
        .count();
    if open > 0 {
        notes.push(format!(
            "{open} conflict{} to resolve",
            crate::util::text::plural(open)
        ));
    }
    let mut same_but_version = new.clone();
    same_but_version.scaffold.clone_from(&old.scaffold);
    if notes.is_empty() {
        if same_but_version == *old {
            *new = same_but_version;
        } else {
            notes.push("rewritten".to_string());
        }
    }
    notes
}

#[cfg(test)]
mod tests;

//! `scaffold update`: bring a project up to a newer template, or to new answers, without
//! losing a line of the user's work. [`prepare`] runs the stages, reading the project but
//! writing nothing: it locates the new version and the base, renders both, reads the disk and
//! decides per file ([`decide::plan`]); [`apply`] writes the result all or nothing.

pub(crate) mod decide;
pub(crate) mod moves;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{Result, bail};

use self::decide::{Sides, Step, Verdict, changes, conflicts, lookalikes, plan};
use crate::project::disk::{self, OnDisk, Project};
use crate::project::record::{self, Record};
use crate::project::{apply, base, journal, state};
use crate::sources::recorded;
use crate::sources::registry::Registry;
use crate::sources::{self, Reference, Unavailable, git};
use crate::template::answers::{self, Input, Prompter};
use crate::template::builtins::{self, Inputs};
use crate::template::engine::Engine;
use crate::template::manifest::{self, Loaded};
use crate::template::render::{self, OutFile, Rendered};
use crate::util::error::usage;
use crate::util::merge::{Labels, OURS, SIDE_SUFFIX};

/// What `scaffold update` was asked.
pub(crate) struct Request {
    /// New values (`-d`, then `--data-file`), each key once.
    pub(crate) defines: Vec<(String, String)>,
    /// Prompt for new and no longer valid answers, or take defaults (and fail for invalid ones).
    pub(crate) input: Input,
    /// Another template directory to update to (`--template`).
    pub(crate) template: Option<PathBuf>,
    /// Deleted files to bring back.
    pub(crate) restore: BTreeSet<String>,
    /// A new project name, checked.
    pub(crate) project_name: Option<String>,
    /// Proceed although files the update touches have uncommitted changes.
    pub(crate) allow_dirty: bool,
    /// For a git template: the ref to update to (`--ref`).
    pub(crate) reference: Option<String>,
    /// For a git template: the cache only.
    pub(crate) offline: bool,
    /// For a git template: pre-release tags count for the default rule.
    pub(crate) pre: bool,
    /// `-q`: nothing on stderr about where the template came from.
    pub(crate) quiet: bool,
    /// `--dry-run`: a refusal is part of the plan rather than an error.
    pub(crate) dry_run: bool,
}

/// Everything an update will do, decided before anything is written.
pub(crate) struct Prepared {
    /// The plan, one step per file.
    pub(crate) steps: Vec<Step>,
    /// Notes on the answers: changed, new (and how they were set), dropped.
    pub(crate) answer_notes: Vec<String>,
    /// Why some files have no base, if the recorded version could not be rendered again.
    pub(crate) base_note: Option<String>,
    /// The template before and after, as shown (`chat 1` -> `chat 2`).
    pub(crate) from: String,
    /// See `from`.
    pub(crate) to: String,
    /// The answers file after the update.
    pub(crate) record: Record,
    /// Whether the project is in a git work tree (else previous contents are backed up).
    pub(crate) in_git: bool,
    /// Why the answers file changes, in words; empty when it does not.
    pub(crate) record_notes: Vec<String>,
    /// Files with uncommitted changes that the update changes (with `--allow-dirty`): their
    /// previous contents are kept in a backup, as outside git.
    pub(crate) dirty: Vec<String>,
    /// The user's own files in the folders the update moves: moved with them, or named.
    pub(crate) moves: moves::Moves,
    /// Why a real run would be refused (only a dry run gets this far with one).
    pub(crate) refusal: Option<String>,
    /// Files that the project's last commit holds with the cookie secret in them: the secret
    /// is in its git history, whatever the update does.
    pub(crate) secret_committed: Vec<String>,
}

/// A template version as the plan shows it: its name and version (or id), and for a git
/// template the ref.
fn shown_version(name: &str, version: Option<&str>, id: &str, source: &recorded::Source) -> String {
    let shown = match version {
        Some(v) => format!("{name} {v}"),
        None => format!("{name} {}", &id[..12]),
    };
    match source {
        recorded::Source::Git { resolved, .. } => {
            format!("{shown} ({})", crate::util::text::shown(resolved))
        }
        _ => shown,
    }
}

/// Why an update is refused while the last update's conflicts are unresolved (markers or
/// side files there), if it is; the advice fits the conflicts there are.
fn pending_refusal(project: &Project) -> Result<Option<String>> {
    let mut open = Vec::new();
    let (mut markers, mut side_files) = (false, false);
    for u in crate::ops::status::unresolved(project)? {
        if u.markers {
            markers = true;
            open.push(format!("{} (conflict markers)", u.path));
        }
        if u.side_file {
            side_files = true;
            open.push(format!(
                "{}{SIDE_SUFFIX} (the template's version, beside yours)",
                u.path
            ));
        }
    }
    if open.is_empty() {
        return Ok(None);
    }
    let mut todo = Vec::new();
    if markers {
        todo.push("edit the marked blocks (both sides usually matter)");
    }
    if side_files {
        todo.push("delete each .scaffold-new file once you have taken what you need from it");
    }
    Ok(Some(format!(
        "the last update left conflicts that are not resolved yet:\n  {}\n{}, then run the \
         update again",
        open.join("\n  "),
        todo.join(", ")
    )))
}

/// `-d`-style values to render with, notes for the plan, and the recorded answers to ask
/// again: (name, the recorded value, why it is no longer accepted).
type Resolved = (
    Vec<(String, String)>,
    Vec<String>,
    Vec<(String, String, String)>,
);

/// The answers for the new template: the recorded ones that it still accepts, the new values
/// asked for, and for the rest a prompt or, without one, the default; a recorded answer the
/// new template no longer accepts is asked again or, without a prompt, an error. Returns the
/// defines to render with, notes for the plan, and the answers to ask again (the notes on
/// those and on new variables come with their values, once answered: [`answered_notes`]).
fn new_answers(
    project: &Project,
    loaded: &Loaded,
    request: &Request,
    prompter: &mut dyn Prompter,
) -> Result<Resolved> {
    let mut defines = request.defines.clone();
    let mut notes = Vec::new();
    let mut again = Vec::new();
    for (k, v) in &request.defines {
        match project.record.answers.iter().find(|a| &a.name == k) {
            Some(a) if a.value.to_string() == *v => {}
            Some(a) => notes.push(format!(
                "{k}: {} -> {}",
                crate::util::text::shown(&a.value.to_string()),
                crate::util::text::shown(v)
            )),
            None => notes.push(format!("{k} = {}", crate::util::text::shown(v))),
        }
    }
    for a in &project.record.answers {
        if defines.iter().any(|(k, _)| k == &a.name) {
            continue;
        }
        let Some(var) = loaded.manifest.variables.iter().find(|v| v.name == a.name) else {
            notes.push(format!(
                "{}: dropped (the template no longer asks it)",
                a.name
            ));
            continue;
        };
        let raw = a.value.to_string();
        match var.parse(&raw) {
            Ok(_) => defines.push((a.name.clone(), raw)),
            Err(why) => {
                let reason = format!(
                    "your previous answer `{}` for `{}` is no longer valid: it {why}",
                    crate::util::text::shown(&raw),
                    a.name
                );
                if request.input == Input::Defaults {
                    return Err(usage!("{reason}; give a new one with -d {}=...", a.name));
                }
                prompter.tell(&reason);
                again.push((a.name.clone(), raw, why.clone()));
            }
        }
    }
    Ok((defines, notes, again))
}

/// The plan's notes on the answers given now: each recorded answer asked again, and each
/// variable the new template adds, with the value it got and how.
fn answered_notes(
    project: &Project,
    loaded: &Loaded,
    request: &Request,
    again: &[(String, String, String)],
    answers: &answers::Answers,
) -> Vec<String> {
    let value = |name: &str| {
        answers
            .get(name)
            .map_or_else(String::new, |v| crate::util::text::shown(&v.to_string()))
    };
    let mut notes = Vec::new();
    for (name, old, why) in again {
        notes.push(format!(
            "{name}: {} -> {} (asked again: it {why})",
            crate::util::text::shown(old),
            value(name)
        ));
    }
    for v in &loaded.manifest.variables {
        if request.defines.iter().any(|(k, _)| k == &v.name)
            || project.record.answers.iter().any(|a| a.name == v.name)
        {
            continue;
        }
        let how = if answers.skipped.contains(&v.name) {
            "not asked: its condition is off"
        } else if request.input == Input::Prompt {
            "asked"
        } else {
            "default"
        };
        notes.push(format!(
            "new variable {} = {} ({how})",
            v.name,
            value(&v.name)
        ));
    }
    notes
}

/// Renames the update applies: a recorded file whose template file now renders elsewhere
/// (an answer moved a templated folder), and the template's `[[renames]]`. Only a file that
/// scaffold is known to have generated moves: one the recorded version, rendered again, gives
/// at that path from that source (`generated`). A record is untrusted: its word alone must not
/// make an update move a file of yours (a git-ignored `.env`) into one the template tracks.
fn renames(
    recorded: &[record::File],
    generated: &BTreeSet<String>,
    theirs: &[OutFile],
    declared: &[(String, String)],
) -> Vec<(String, String)> {
    // Each template file's outputs, found by source at once (not a search of every output for
    // every recorded file: a million comparisons for a project of a thousand files).
    let mut by_source: BTreeMap<&str, Vec<&OutFile>> = BTreeMap::new();
    for t in theirs {
        by_source.entry(t.source.as_str()).or_default().push(t);
    }
    let mut out = Vec::new();
    for r in recorded.iter().filter(|r| generated.contains(&r.path)) {
        let from = declared
            .iter()
            .find(|(f, _)| *f == r.from)
            .map_or(r.from.as_str(), |(_, to)| to.as_str());
        if let Some([t]) = by_source.get(from).map(Vec::as_slice)
            && t.path != r.path
        {
            out.push((r.path.clone(), t.path.clone()));
        }
    }
    out
}

/// Decides the whole update, reading the project but writing nothing: the new version and the
/// base located and rendered, the disk read, every file decided, the new answers file made.
pub(crate) fn prepare(
    registry: &Registry,
    project: &Project,
    request: &Request,
    prompter: &mut dyn Prompter,
) -> Result<Prepared> {
    // Refused before any question is asked; a dry run goes on to show its plan.
    let mut refusal = pending_refusal(project)?;
    if let Some(why) = &refusal
        && !request.dry_run
    {
        bail!("{why}");
    }
    let record = &project.record;
    // Theirs: the new version, and the answers for it; never a template the project is in.
    let (loaded, new_source) = locate_new(registry, project, request)?;
    let from = shown_version(
        &record.template.name,
        record.template.version.as_deref(),
        &record.template.id,
        &record.template.source,
    );
    let to = shown_version(
        &loaded.manifest.name,
        record::version_of(&loaded)?.as_deref(),
        &loaded.source.id()?,
        &new_source,
    );
    answers::check_defines(&loaded.manifest, &request.defines)?;
    let (defines, mut answer_notes, again) = new_answers(project, &loaded, request, prompter)?;
    // The base: the recorded version again, or the recorded bytes from git.
    let engine = Engine::new(&loaded.source)?;
    let base = locate_base(registry, project, &loaded, &engine, request.offline)?;
    // Theirs, rendered.
    let inputs = inputs(project, request, base.secret.as_deref())?;
    let render_request = answers::Request {
        inputs: &inputs,
        defines: &defines,
        input: request.input,
        dest_label: ".",
    };
    let answers = answers::answer(&engine, &loaded.manifest, &render_request, prompter)?;
    answer_notes.extend(answered_notes(project, &loaded, request, &again, &answers));
    let rendered = render::render(&loaded, &engine, &render_request, answers)?;
    std::mem::forget(engine);
    refuse_unwritable(&loaded, project, &rendered.files)?;
    // Yours: every path involved, as it is on disk.
    let renames = renames(
        &record.files,
        &base.generated,
        &rendered.files,
        &loaded.manifest.renames,
    );
    let mut paths: BTreeSet<String> = record.files.iter().map(|f| f.path.clone()).collect();
    paths.extend(rendered.files.iter().map(|f| f.path.clone()));
    let paths: Vec<String> = paths.into_iter().collect();
    let yours = disk::read_many(&project.dir, &paths)?;
    // Every file decided.
    let labels_theirs = format!(
        "template {}",
        to.split_once(' ').map_or(to.as_str(), |(_, v)| v)
    );
    let steps = plan(&Sides {
        recorded: &record.files,
        base: &base.bytes,
        theirs: &rendered.files,
        yours: &yours,
        renames: &renames,
        restore: &request.restore,
        labels: Labels {
            ours: OURS,
            base: "base",
            theirs: &labels_theirs,
        },
    })?;
    refuse_unknown_restores(request, &steps)?;
    let moves = moves::plan(&project.dir, &steps)?;
    let (in_git, dirty) = dirty_files(project, &steps, &yours)?;
    let secret_committed = secret_committed(project, in_git, base.secret.as_deref())?;
    if !dirty.is_empty() && !request.allow_dirty {
        // Refused like a destination that holds files (exit 1), not a usage error.
        refusal.get_or_insert_with(|| {
            format!(
                "these files have uncommitted changes, and the update would change them:\n  {}\n\
                 commit (or stash) them first, or run again with --allow-dirty",
                dirty.join("\n  ")
            )
        });
    }
    if let Some(why) = &refusal
        && !request.dry_run
    {
        bail!("{why}");
    }
    let mut new_record = new_record(project, &loaded, &inputs, &rendered, new_source, &steps)?;
    let record_notes = decide::record_notes(&project.record, &mut new_record, &steps);
    Ok(Prepared {
        steps,
        answer_notes,
        base_note: base.note,
        from,
        to,
        record: new_record,
        in_git,
        record_notes,
        dirty,
        moves,
        refusal,
        secret_committed,
    })
}

/// The files the answers file says hold the cookie secret that the project's last commit
/// holds with the secret in them (earlier template versions wrote it into source files).
fn secret_committed(project: &Project, in_git: bool, secret: Option<&str>) -> Result<Vec<String>> {
    let (true, Some(secret), Some(held)) = (in_git, secret, &project.record.project.secret) else {
        return Ok(Vec::new());
    };
    let Some(committed) = crate::git::blobs::committed_blobs(&project.root, &held.files)? else {
        return Ok(Vec::new());
    };
    if committed.is_empty() {
        return Ok(Vec::new());
    }
    let history = crate::git::blobs::History::of(&project.root)?;
    let finder = memchr::memmem::Finder::new(secret.as_bytes());
    let max = crate::util::limits::MAX_FILE_BYTES as u64;
    let mut out = Vec::new();
    for path in &held.files {
        if let Some(blob) = committed.get(path)
            && let Some(bytes) = history.blob(blob, max)?
            && finder.find(&bytes).is_some()
        {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// Refuses a rendering that would write what scaffold keeps for itself, or into the template
/// (the project inside its template directory, or a file landing there).
fn refuse_unwritable(loaded: &Loaded, project: &Project, files: &[OutFile]) -> Result<()> {
    record::refuse_reserved(files)?;
    crate::project::plan::refuse_overlap(loaded, &project.root, files, "project")
}

/// The version to update to, with its manifest, and how the new answers file names it; never
/// a template directory the project is inside.
fn locate_new(
    registry: &Registry,
    project: &Project,
    request: &Request,
) -> Result<(Loaded, recorded::Source)> {
    let dir = request.template.as_deref();
    let asked = git::Options {
        reference: request.reference.clone(),
        subdir: None,
        offline: request.offline,
        pre: request.pre,
        quiet: request.quiet,
    };
    let reference = Reference::UpdateTo {
        template: &project.record.template,
        root: &project.root,
        dir,
        git: &asked,
    };
    let source = sources::locate(registry, &reference)?;
    let named = project
        .record
        .template
        .after_update(&source.origin, &project.root, dir.is_some());
    let manifest = manifest::parse(&source)?;
    let loaded = Loaded { source, manifest };
    crate::project::plan::refuse_overlap(&loaded, &project.root, &[], "project")?;
    Ok((loaded, named))
}

/// What scaffold wrote last time, as far as it can be found again.
struct Base {
    /// The bytes of each recorded file, by path, where known: each has its recorded blob id.
    bytes: BTreeMap<String, Vec<u8>>,
    /// The recorded files the recorded version, rendered again, gives exactly: the same bytes
    /// at the same path from the same source. Scaffold generated these.
    generated: BTreeSet<String>,
    /// The cookie secret, found again in the files that held it.
    secret: Option<String>,
    /// Why the recorded version could not be rendered again, if it could not.
    note: Option<String>,
}

/// The base: the recorded version located and rendered again with the recorded answers (with
/// `engine` when the template did not change, as when only answers do), each file kept where
/// it gives the bytes scaffold wrote; else those bytes from the project's git history.
fn locate_base(
    registry: &Registry,
    project: &Project,
    loaded: &Loaded,
    engine: &Engine,
    offline: bool,
) -> Result<Base> {
    let record = &project.record;
    let mut base = Base {
        bytes: BTreeMap::new(),
        generated: BTreeSet::new(),
        secret: None,
        note: None,
    };
    let made_from = Reference::MadeFrom {
        template: &record.template,
        root: &project.root,
        offline,
    };
    // An answer change keeps the template: the version to update to is the recorded one (the
    // same tree id), which need not be located and read again, and one engine renders both.
    let same = record.template.id == loaded.source.id()?;
    let located = if same {
        Ok(None)
    } else {
        sources::locate(registry, &made_from)
            .map(Some)
            .map_err(Unavailable::reason)
    };
    match located {
        Ok(old) => {
            let rebuilt = match old {
                None => base::rebuild_with(project, loaded, engine)?,
                Some(old) => base::rebuild(project, old)?,
            };
            base.secret.clone_from(&rebuilt.secret);
            for r in &record.files {
                if let Some(f) = rebuilt.files.get(&r.path)
                    && crate::util::hash::blob_id(&f.contents)? == r.blob
                {
                    base.bytes.insert(r.path.clone(), f.contents.clone());
                    if f.source == r.from {
                        base.generated.insert(r.path.clone());
                    }
                }
            }
        }
        Err(why) => base.note = Some(why?),
    }
    // The project's git history, found once for every file it may hold.
    let mut history = None;
    for r in &record.files {
        if base.bytes.contains_key(&r.path) {
            continue;
        }
        let history = history
            .get_or_insert_with(|| crate::git::blobs::History::of(&project.root).ok())
            .as_ref();
        // Checked as the rendered ones are: a repository is trusted for nothing, and the plan
        // relies on every base holding its recorded blob id.
        if let Some(Ok(Some(bytes))) = history.map(|h| h.blob(&r.blob, disk::MAX_COMPARED_BYTES))
            && crate::util::hash::blob(&bytes) == r.blob
        {
            base.bytes.insert(r.path.clone(), bytes);
        }
    }
    if base.secret.is_none() {
        base.secret = base::find_secret(project)?;
    }
    if base.secret.is_none() && project.record.project.secret.is_some() {
        base.note.get_or_insert_with(|| {
            "the cookie secret is no longer in the files that held it: a new one is used".into()
        });
    }
    Ok(base)
}

/// The built-ins' inputs for the new version: the project's name (or the new one), the
/// secret found again (or a new one), the year it was made.
fn inputs(project: &Project, request: &Request, secret: Option<&str>) -> Result<Inputs> {
    let record = &project.record;
    let name = request
        .project_name
        .clone()
        .unwrap_or_else(|| record.project.name.clone());
    Ok(Inputs {
        package_name: crate::util::python::package_name(&name),
        project_name: name,
        cookie_secret: match secret {
            Some(s) => s.to_string(),
            None => builtins::random_secret()?,
        },
        year: record.project.year,
        scaffold_version: env!("CARGO_PKG_VERSION").to_string(),
    })
}

/// Refuses a `--restore` that names no file the plan brings back.
fn refuse_unknown_restores(request: &Request, steps: &[Step]) -> Result<()> {
    for r in &request.restore {
        if !steps
            .iter()
            .any(|s| &s.path == r && s.verdict == Verdict::Restore)
        {
            return Err(usage!(
                "--restore `{}`: not a generated file that you deleted",
                crate::util::text::shown(r)
            ));
        }
    }
    Ok(())
}

/// Whether the project is in git, and the files the update changes that have uncommitted
/// changes there.
fn dirty_files(
    project: &Project,
    steps: &[Step],
    yours: &BTreeMap<String, OnDisk>,
) -> Result<(bool, Vec<String>)> {
    let touched: Vec<String> = changes(steps)
        .iter()
        .map(|c| c.path().to_string())
        .filter(|p| !matches!(yours.get(p), None | Some(OnDisk::Missing)))
        .collect();
    // A project is in git when its answers file is committed there; one inside a work tree
    // but never committed to it (new, or in an ignored folder such as `target/`) has no copy
    // in git to go back to, so it is treated as outside git: backups, no dirty check.
    let mut asked = touched.clone();
    asked.push(record::FILE.to_string());
    let committed = crate::git::blobs::committed_blobs(&project.root, &asked)?
        .filter(|c| c.contains_key(record::FILE));
    let in_git = committed.is_some();
    let mut dirty = Vec::new();
    if let Some(committed) = committed {
        for p in &touched {
            if let Some(OnDisk::File { bytes, .. }) = yours.get(p)
                && committed.get(p) != Some(&crate::util::hash::blob_id(bytes)?)
            {
                dirty.push(p.clone());
            }
        }
    }
    Ok((in_git, dirty))
}

/// The answers file after the update: the new version and answers, the year the project was
/// made, every file as decided, the conflicts left.
fn new_record(
    project: &Project,
    loaded: &Loaded,
    inputs: &Inputs,
    rendered: &Rendered,
    source: recorded::Source,
    steps: &[Step],
) -> Result<Record> {
    let mut new_record =
        record::record_head(loaded, inputs, rendered, &rendered.files, &project.root)?;
    new_record.template.source = source;
    new_record.project.year = project.record.project.year;
    new_record.files = steps.iter().filter_map(|s| s.record.clone()).collect();
    new_record.files.sort_by(|a, b| a.path.cmp(&b.path));
    new_record.pending = conflicts(steps);
    new_record.lookalikes = lookalikes(steps);
    Ok(new_record)
}

/// Whether a prepared update changes nothing on disk: no file, and not the answers file.
pub(crate) fn is_noop(p: &Prepared) -> bool {
    all_changes(p).is_empty() && p.record_notes.is_empty()
}

/// Every change to the project's files, in order: the plan's writes and removals, then the
/// user's files that move with their folder.
fn all_changes(p: &Prepared) -> Vec<apply::Change> {
    let mut all = changes(&p.steps);
    all.extend(p.moves.changes());
    all
}

/// How many lines of the plan change something on disk: each file written, moved or removed
/// (a rename is one), each file of the user's that moves, and the answers file when it is
/// rewritten.
pub(crate) fn change_count(p: &Prepared) -> usize {
    let files = p
        .steps
        .iter()
        .filter(|s| s.write.is_some() || s.side_file.is_some() || s.remove.is_some())
        .count();
    files + p.moves.moves.len() + usize::from(!p.record_notes.is_empty())
}

/// Takes the project's lock for a run that writes it (held until dropped), reads its answers
/// file again under the lock, and refuses while an earlier update's journal is there.
pub(crate) fn lock(project: &mut Project) -> Result<state::Lock> {
    let lock = state::lock(&project.dir)?;
    project.reread()?;
    journal::refuse_unfinished(&project.dir)?;
    Ok(lock)
}

/// For a run that writes nothing (`--dry-run`): refuses while an update of the project is
/// running or was left unfinished, saying what to do.
pub(crate) fn refuse_unfinished(project: &Project) -> Result<()> {
    match journal::unfinished(&project.dir)? {
        None => Ok(()),
        Some(u) => bail!("{}", u.message(Some(&project.root))),
    }
}

/// Writes a prepared update into the project, all or nothing (the caller holds the lock);
/// returns where the previous contents were kept (outside git).
pub(crate) fn apply(project: &Project, p: &Prepared, backup: bool) -> Result<Option<PathBuf>> {
    let record_file = record::record_file(&p.record);
    let changes = all_changes(p);
    // Files holding the cookie secret are written readable by their owner only.
    let private: &[String] = p
        .record
        .project
        .secret
        .as_ref()
        .map_or(&[], |s| s.files.as_slice());
    if changes.is_empty() {
        if !p.record_notes.is_empty() {
            apply::apply_update(&project.dir, &[], &record_file, false, private)?;
        }
        return Ok(None);
    }
    // Git holds the previous contents of committed files; uncommitted ones it merges over
    // (`--allow-dirty`) are kept as they are outside git.
    let keep = backup && (!p.in_git || !p.dirty.is_empty());
    apply::apply_update(&project.dir, &changes, &record_file, keep, private)
}

/// Puts back a project whose update was interrupted (the caller holds the lock), or finishes
/// one that had done its work; `None` when there was none.
pub(crate) fn recover(root: &crate::project::root::Root) -> Result<Option<apply::Recovered>> {
    apply::recover(root)
}

//! `scaffold new`: a template made into a new project, in two stages so that the command line
//! can show the plan, or refuse it, in between: [`prepare`] locates the template, answers its
//! variables, renders every file and plans the writes, and writes nothing; [`write()`] writes
//! the plan and, with `--git`, makes the first commit.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::project::disk::Project;
use crate::project::plan::{self, DestState, Plan};
use crate::project::record;
use crate::project::root::Root;
use crate::sources::registry::Registry;
use crate::sources::{self, Reference, git};
use crate::template::answers::{self, Input, Prompter};
use crate::template::builtins::Inputs;
use crate::template::engine::Engine;
use crate::template::manifest::{self, Loaded};
use crate::template::render::{self, Rendered};
use crate::util::error::usage;
use crate::util::term;
use crate::util::text::Shown as _;
use crate::util::text::shell_quote;

/// What `scaffold new` was asked to do, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    /// Template name.
    pub(crate) template: String,
    /// Destination directory, as given (relative paths stay relative).
    pub(crate) dest: PathBuf,
    /// The project's name.
    pub(crate) project_name: String,
    /// The derived, checked Python package name.
    pub(crate) package_name: String,
    /// `-d` pairs, in order, each key once.
    pub(crate) defines: Vec<(String, String)>,
    /// Prompt or use defaults.
    pub(crate) input: Input,
    /// Overwrite the template's files in an existing destination.
    pub(crate) force: bool,
    /// Plan only.
    pub(crate) dry_run: bool,
    /// Make DEST a git repository with one commit.
    pub(crate) git: bool,
    /// Machine-readable output.
    pub(crate) json: bool,
    /// No output on success.
    pub(crate) quiet: bool,
}

/// Values read from a file (`--data-file`, `--replay`), with the label that names the file
/// in messages.
pub(crate) type FileValues = (String, Vec<(String, String)>);

/// What stands at a destination, looked at before any question is asked.
pub(crate) struct Looked {
    /// Absent, empty or not.
    pub(crate) state: DestState,
    /// The project made by scaffold that is there, if one is (its answers file read).
    pub(crate) project: Option<Project>,
}

/// Looks at the destination, writing nothing: whether it exists, is empty, is a project made
/// by scaffold. A file, a symlink or an answers file that cannot be read is an error here,
/// before any question is asked.
pub(crate) fn look(dest: &Path) -> Result<Looked> {
    let state = plan::plan(dest, Vec::new(), None, &[])?.state;
    let project = if state == DestState::Absent {
        None
    } else {
        crate::project::disk::at(dest)?
    };
    Ok(Looked { state, project })
}

/// The lock on the existing directory `dest` (a project, or any non-empty directory), for a
/// run that writes into it (`new --force`): one run at a time, as for `update`, and the only
/// lock such a run takes. Held until dropped.
pub(crate) fn lock(dest: &Path) -> Result<crate::project::state::Lock> {
    let root = Root::open(dest).with_context(|| format!("cannot open `{}`", dest.shown()))?;
    let lock = crate::project::state::lock(&root)?;
    // An update there that was interrupted comes first: its files are half-written, and what
    // `new` would take for the user's (and back up) is partly that update's.
    crate::project::journal::refuse_unfinished(&root)?;
    Ok(lock)
}

/// A new project, rendered and planned, nothing written yet.
pub(crate) struct Prepared {
    /// The template.
    pub(crate) loaded: Loaded,
    /// The answers and the next steps (the files are in the plan).
    pub(crate) rendered: Rendered,
    /// What writing will do.
    pub(crate) plan: Plan,
    /// The cookie secret the files were rendered with, kept out of the first commit.
    pub(crate) secret: String,
    /// The files that hold it: written readable by their owner only.
    pub(crate) private: Vec<String>,
    /// Over an existing project whose secret could not be found again: why a new one is used.
    pub(crate) secret_note: Option<String>,
    /// Where the files of the user's it overwrites are kept first (`.scaffold/backup/<n>`, as
    /// of now), when there are some.
    pub(crate) keep_in: Option<PathBuf>,
}

/// What [`write()`] did besides writing the files.
pub(crate) struct Written {
    /// With `--git`: the first commit, and the files left out of it (they hold the secret).
    pub(crate) commit: Option<(String, Vec<String>)>,
    /// Where the files of the user's it overwrote were kept.
    pub(crate) kept: Option<PathBuf>,
}

/// Locates the template, answers its variables, renders every file (the answers file
/// included) and plans the writes; writes nothing. `files` are the values read from files
/// that `-d` did not override, checked against the template as `-d` values are. Over an
/// `existing` project, its cookie secret is used again (it is the project's), and the plan
/// knows which files it would overwrite are the user's.
pub(crate) fn prepare(
    registry: &Registry,
    req: &Request,
    git: &git::Options,
    files: &[FileValues],
    prompter: &mut dyn Prompter,
    existing: Option<&Project>,
) -> Result<Prepared> {
    let reference = Reference::Argument {
        name: &req.template,
        git,
    };
    let loaded = manifest::load(sources::locate(registry, &reference)?)?;
    for (label, values) in files {
        answers::check_values(&loaded.manifest, values, label)?;
    }
    plan::refuse_overlap(&loaded, &req.dest, &[], "destination")?;
    let mut inputs = Inputs::fresh(&req.project_name, &req.package_name)?;
    let mut secret_note = None;
    if let Some(project) = existing
        && let Some(held) = &project.record.project.secret
    {
        match crate::project::base::find_secret(project)? {
            Some(secret) => inputs.cookie_secret = secret,
            None => {
                secret_note = Some(format!(
                    "the project's cookie secret is no longer in the files that held it ({}): \
                     a new one is used",
                    crate::util::text::ticked(held.files.iter().map(String::as_str))
                ));
            }
        }
    }
    let engine = Engine::new(&loaded.source)?;
    let dest_label = shell_quote(&req.dest.display().to_string());
    let request = answers::Request {
        inputs: &inputs,
        defines: &req.defines,
        input: req.input,
        dest_label: &dest_label,
    };
    let answers = answers::answer(&engine, &loaded.manifest, &request, prompter)?;
    let mut rendered = render::render(&loaded, &engine, &request, answers)?;
    // The parsed templates are not needed any more, and freeing them costs more than the
    // rest of a large run: the process ends soon and the system takes the memory back.
    std::mem::forget(engine);
    plan::refuse_overlap(&loaded, &req.dest, &rendered.files, "destination")?;
    record::refuse_reserved(&rendered.files)?;
    let record = record::record_for(&loaded, &inputs, &rendered, &rendered.files, &req.dest)?;
    let private = record
        .project
        .secret
        .as_ref()
        .map(|s| s.files.clone())
        .unwrap_or_default();
    rendered.files.push(record::record_file(&record));
    if !req.quiet && !req.json {
        for problem in
            crate::util::portable::problems(rendered.files.iter().map(|f| f.path.as_str()))
        {
            term::err(format!("warning: {problem}"));
        }
    }
    if req.git {
        refuse_git_inside_a_work_tree(&req.dest)?;
        crate::git::commit::check_identity(&req.dest)?;
    }
    let plan = plan::plan(
        &req.dest,
        std::mem::take(&mut rendered.files),
        existing.map(|p| &p.record),
        &private,
    )?;
    let keep_in = if plan.keep.is_empty() {
        None
    } else {
        let root =
            Root::open(&req.dest).with_context(|| format!("cannot open `{}`", req.dest.shown()))?;
        Some(req.dest.join(crate::project::journal::next_backup(&root)?))
    };
    Ok(Prepared {
        loaded,
        rendered,
        plan,
        secret: inputs.cookie_secret,
        private,
        secret_note,
        keep_in,
    })
}

/// Writes a prepared project, keeping first what of the user's it overwrites (in
/// `.scaffold/backup/<n>/`); with `git`, makes its first commit and returns the commit id
/// and the files left out of it (those that hold the cookie secret). A destination this run
/// created goes again if the commit fails: nothing is left half-done.
pub(crate) fn write(prepared: &Prepared, git: bool) -> Result<Written> {
    let plan = &prepared.plan;
    // What of the user's it overwrites is kept first, through the destination's root: never
    // through a symlink, in a `.scaffold/` that scaffold made.
    let kept = if plan.keep.is_empty() {
        None
    } else {
        let root = Root::open(&plan.dest)
            .with_context(|| format!("cannot open `{}`", plan.dest.shown()))?;
        let dir = crate::project::journal::keep_copies(&root, &plan.keep)?;
        Some((root, dir))
    };
    if let Err(e) = crate::project::write::apply(plan, &prepared.private) {
        if let Some((root, dir)) = &kept {
            crate::project::journal::drop_copies(root, dir);
        }
        return Err(e);
    }
    let kept = kept.map(|(_, dir)| plan.dest.join(dir));
    if !git {
        return Ok(Written { commit: None, kept });
    }
    let commit = first_commit(plan, &prepared.loaded, &prepared.secret).inspect_err(|_| {
        if plan.state == DestState::Absent {
            let _ = std::fs::remove_dir_all(&plan.dest);
        }
    })?;
    Ok(Written {
        commit: Some(commit),
        kept,
    })
}

/// `new --git` makes a repository of its own: inside another one's work tree it is refused,
/// as `cargo new` does (the files belong in a commit there).
fn refuse_git_inside_a_work_tree(dest: &Path) -> Result<()> {
    let mut at = crate::util::paths::resolve_path(dest);
    while !at.exists() {
        if !at.pop() {
            return Ok(());
        }
    }
    if let Some(root) = crate::git::repo::work_tree_of(&at) {
        return Err(usage!(
            "`{}` is inside the git work tree `{}`; --git makes a new repository, so leave it \
             out and commit the new files there",
            dest.shown(),
            root.shown()
        ));
    }
    Ok(())
}

/// One commit of the files just written (the answers file included), but for those that
/// hold the cookie secret: a secret committed once stays in the history. Returns the commit
/// and the paths left out.
fn first_commit(plan: &Plan, loaded: &Loaded, secret: &str) -> Result<(String, Vec<String>)> {
    let finder = memchr::memmem::Finder::new(secret.as_bytes());
    let (holding, files): (Vec<_>, Vec<_>) = plan
        .files
        .iter()
        .partition(|(f, _)| !secret.is_empty() && finder.find(&f.contents).is_some());
    let files: Vec<(String, bool)> = files
        .iter()
        .map(|(f, _)| (f.path.clone(), f.executable))
        .collect();
    let left_out = holding.iter().map(|(f, _)| f.path.clone()).collect();
    let version = loaded
        .manifest
        .version
        .as_deref()
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    let message = format!(
        "Initial commit from template {}{version} (scaffold {})\n",
        loaded.manifest.name,
        env!("CARGO_PKG_VERSION")
    );
    let id = crate::git::commit::init_commit(&plan.dest, &files, &message)
        .context("cannot make the first commit")?;
    Ok((id, left_out))
}

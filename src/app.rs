//! Dispatches a parsed command to the modules that do the work, one short function each.

use std::io::IsTerminal;

use anyhow::{Context as _, Result, bail};

use crate::cli::{
    CacheAction, CacheArgs, Cli, Command, DiffArgs, GitArgs, InfoArgs, ListArgs, NewArgs,
    StatusArgs, UpdateArgs,
};
use crate::config::{self, Env, Preset};
use crate::ops::new::FileValues;
use crate::output;
use crate::sources::registry::Registry;
use crate::sources::source::Origin;
use crate::sources::{Reference, Unavailable};
use crate::template::answers::{Prompter, Terminal};
use crate::template::manifest::{self, Loaded};
use crate::util::error::usage;
use crate::util::term;
use crate::util::text::shell_quote;

/// Runs one command.
pub(crate) fn run(cli: &Cli) -> Result<()> {
    if let Command::Completions(args) = &cli.command {
        output::completions(args.shell);
        return Ok(());
    }
    let registry = Registry::new(
        &cli.templates,
        std::env::var_os("SCAFFOLD_TEMPLATES").as_deref(),
    );
    for w in &registry.warnings {
        term::err(format!("warning: {w}"));
    }
    match &cli.command {
        Command::List(args) => list(&registry, args),
        Command::Info(args) => info(&registry, args),
        Command::New(args) => new(&registry, &cli.templates, args),
        Command::Check(args) => {
            let defines = config::parse_defines(&args.define)?;
            let git = git_options(&args.from_git);
            output::check(&crate::ops::check::run(
                &registry,
                &args.template,
                &git,
                &defines,
            )?)
        }
        Command::Status(args) => status(&registry, args),
        Command::Diff(args) => diff(&registry, args),
        Command::Update(args) => update(&registry, args),
        Command::Cache(args) => cache(args),
        Command::Completions(_) => Ok(()),
    }
}

fn status(registry: &Registry, args: &StatusArgs) -> Result<()> {
    let start = args.project.clone().unwrap_or_else(|| ".".into());
    let project = crate::project::disk::find(&start)?;
    let files = crate::ops::status::status(&project)?;
    // From the cache only: a project's answers file may come from someone else.
    let made_from = Reference::MadeFrom {
        template: &project.record.template,
        root: &project.root,
        offline: true,
    };
    let template = match crate::sources::locate(registry, &made_from) {
        Ok(_) => Ok(()),
        Err(e) => Err(Unavailable::reason(e)?),
    };
    output::status(&project, &template, &files, args.json);
    let dirty = files
        .iter()
        .any(|(_, s)| *s != crate::ops::status::FileStatus::Unchanged);
    if args.exit_code && dirty {
        return Err(anyhow::Error::new(crate::util::error::Silent(1)));
    }
    Ok(())
}

fn update(registry: &Registry, args: &UpdateArgs) -> Result<()> {
    let start = args.project.clone().unwrap_or_else(|| ".".into());
    if args.recover {
        let project = crate::project::disk::find(&start);
        let root = match &project {
            Ok(p) => p.root.clone(),
            Err(_) => start.clone(),
        };
        return match crate::ops::update::recover(&root)? {
            Some(n) => {
                term::out(format!(
                    "Put {n} file{} back as they were before the interrupted update.",
                    crate::util::text::plural(n)
                ));
                Ok(())
            }
            None => Err(usage!(
                "`{}` has no interrupted update to recover from",
                root.display()
            )),
        };
    }
    crate::util::limits::start();
    let project = crate::project::disk::find(&start)?;
    let mut defines = config::parse_defines(&args.define)?;
    if let Some(file) = &args.data_file {
        let (_, values) = data_file(file)?;
        for (k, v) in values {
            if !defines.iter().any(|(dk, _)| *dk == k) {
                defines.push((k, v));
            }
        }
    }
    let input = if args.no_input || !std::io::stdin().is_terminal() {
        crate::template::answers::Input::Defaults
    } else {
        crate::template::answers::Input::Prompt
    };
    let request = crate::ops::update::Request {
        defines,
        input,
        template: args.template.clone(),
        restore: args.restore.iter().cloned().collect(),
        allow_dirty: args.allow_dirty,
        reference: args.reference.clone(),
        offline: args.offline,
        pre: args.pre,
        quiet: args.quiet,
        project_name: match &args.name {
            Some(name) => Some(config::checked_name(name)?),
            None => None,
        },
    };
    let prepared = crate::ops::update::prepare(registry, &project, &request, &mut Terminal)?;
    crate::util::limits::finish();
    if crate::ops::update::is_noop(&prepared) && !args.dry_run {
        crate::ops::update::apply(&project, &prepared, false)?;
        if !args.quiet && !args.json {
            term::out(format!(
                "Up to date: template {}, nothing to change.",
                prepared.to
            ));
        }
        if args.json {
            output::update_plan(&prepared, false, false, true);
        }
        return Ok(());
    }
    if args.dry_run || (!args.quiet) {
        output::update_plan(&prepared, args.dry_run, args.diff, args.json);
    }
    if args.dry_run {
        return Ok(());
    }
    let backup = crate::ops::update::apply(&project, &prepared, !args.no_backup)?;
    if !args.json {
        output::update_done(&prepared, backup.as_deref(), args.quiet);
    }
    if prepared.record.pending.is_empty() {
        Ok(())
    } else {
        Err(anyhow::Error::new(crate::util::error::Silent(3)))
    }
}

fn diff(registry: &Registry, args: &DiffArgs) -> Result<()> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let mut paths = args.paths.clone();
    let first_is_project = paths
        .first()
        .is_some_and(|p| p.join(crate::project::record::FILE).is_file());
    let project = if first_is_project {
        crate::project::disk::find(&paths.remove(0))?
    } else {
        crate::project::disk::find(&cwd)?
    };
    // Paths are taken relative to the current directory, as git does, then to the project.
    let root = std::fs::canonicalize(&project.root).unwrap_or(project.root.clone());
    let mut wanted = Vec::new();
    for p in &paths {
        let absolute = crate::util::paths::resolve_path(p);
        let rel = absolute.strip_prefix(&root).map_err(|_| {
            usage!(
                "`{}` is not inside the project `{}`",
                p.display(),
                root.display()
            )
        })?;
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        wanted.push(rel.join("/"));
    }
    output::diff(&crate::ops::diff::run(registry, &project, &wanted)?);
    Ok(())
}

fn list(registry: &Registry, args: &ListArgs) -> Result<()> {
    let mut loaded = Vec::new();
    for entry in registry.entries() {
        // The search path holds directories only.
        if let Origin::Git(_) = entry.origin {
            continue;
        }
        let source = match entry.load() {
            Ok(s) => s,
            Err(e) if entry.origin == Origin::Embedded => return Err(e),
            Err(_) => {
                if let Origin::Directory(dir) = &entry.origin {
                    broken(dir);
                }
                continue;
            }
        };
        match manifest::parse(&source) {
            Ok(manifest) => loaded.push(Loaded { source, manifest }),
            Err(e) if entry.origin == Origin::Embedded => return Err(e.into()),
            // One broken template of the user's does not hide the others.
            Err(_) => {
                if let Origin::Directory(dir) = &entry.origin {
                    broken(dir);
                }
            }
        }
    }
    output::list(&loaded, args.json);
    Ok(())
}

fn broken(dir: &std::path::Path) {
    let shown = dir.display().to_string();
    term::err(format!(
        "warning: template in `{shown}` is broken; see `scaffold check {}`",
        shell_quote(&shown)
    ));
}

/// The git options of `new`, `info` and `check`.
fn git_options(args: &GitArgs) -> crate::sources::git::Options {
    crate::sources::git::Options {
        reference: args.reference.clone(),
        subdir: args.subdir.clone(),
        offline: args.offline,
        pre: args.pre,
        quiet: false,
    }
}

fn cache(args: &CacheArgs) -> Result<()> {
    match &args.action {
        CacheAction::List { json } => {
            let entries = crate::sources::git::cache::cache_entries()?;
            output::cache_list(&crate::sources::git::cache::cache_dir()?, &entries, *json);
        }
        CacheAction::Clean { url } => {
            let gone = crate::sources::git::cache::clean(url.as_deref())?;
            if gone == 0
                && let Some(u) = url
            {
                bail!(
                    "`{}` is not in the cache (see `scaffold cache list`)",
                    crate::util::text::shown(&crate::sources::git::refs::without_credentials(u))
                );
            }
            term::out(format!(
                "Removed {gone} cached repositor{}.",
                if gone == 1 { "y" } else { "ies" }
            ));
        }
    }
    Ok(())
}

fn info(registry: &Registry, args: &InfoArgs) -> Result<()> {
    let git = git_options(&args.from_git);
    let reference = Reference::Argument {
        name: &args.template,
        git: &git,
    };
    let loaded = manifest::load(crate::sources::locate(registry, &reference)?)?;
    output::info(&loaded, args.json);
    Ok(())
}

fn new(registry: &Registry, templates: &[std::path::PathBuf], args: &NewArgs) -> Result<()> {
    crate::util::limits::start();
    let env = Env {
        stdin_is_tty: std::io::stdin().is_terminal(),
        cwd: std::env::current_dir().context("cannot read the current directory")?,
    };
    let (preset, from_files) = preset(args)?;
    let req = config::resolve_new(args, &env, &preset, &mut || ask_project_name(&mut Terminal))?;
    let mut git = git_options(&args.from_git);
    git.quiet = args.quiet;
    git.reference = git.reference.or_else(|| preset.reference.clone());
    git.subdir = git.subdir.or_else(|| preset.subdir.clone());
    // A file's values are checked as `-d` values are, naming the file; those `-d` overrides
    // are not used, so not checked.
    let given: Vec<String> = config::parse_defines(&args.define)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let files: Vec<FileValues> = from_files
        .into_iter()
        .map(|(label, values)| {
            let used = values.into_iter().filter(|(k, _)| !given.contains(k));
            (label, used.collect())
        })
        .collect();
    let made = crate::ops::new::prepare(registry, &req, &git, &files, &mut Terminal)?;
    crate::util::limits::finish();
    let refusal = made
        .plan
        .refusal(req.force)
        .map(|r| r.message(&req.dest, &force_command(templates, args)));
    if req.dry_run {
        output::new_result(
            &req,
            &made.loaded,
            &made.rendered,
            &made.plan,
            refusal.as_deref(),
        );
        return Ok(());
    }
    if let Some(message) = refusal {
        bail!("{message}");
    }
    let commit = crate::ops::new::write(&made, req.git)?;
    output::new_result(&req, &made.loaded, &made.rendered, &made.plan, None);
    if let Some((id, left_out)) = commit
        && !req.quiet
        && !req.json
    {
        print_commit(&id, &left_out);
    }
    Ok(())
}

/// The first commit of `new --git`, and the files left out of it.
fn print_commit(id: &str, left_out: &[String]) {
    term::out(format!(
        "Initialised a git repository; first commit {}.",
        &id[..12]
    ));
    if !left_out.is_empty() {
        term::out(format!(
            "Left out of it, as they hold the cookie secret: {}.",
            left_out
                .iter()
                .map(|p| format!("`{}`", crate::util::text::shown(p)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}

/// A `--data-file`'s values, and the label its mistakes are named by (usage errors).
fn data_file(file: &std::path::Path) -> Result<FileValues> {
    let label = format!("--data-file `{}`", file.display());
    let text = crate::util::read::read_small(file, crate::project::record::MAX_BYTES)
        .map_err(|e| usage!("{label}: {e:#}"))?;
    let values =
        crate::project::parse::values_file(&text).map_err(|why| usage!("{label}: {why}"))?;
    Ok((label, values))
}

/// What `--replay` and `--data-file` contribute, and each file's values.
fn preset(args: &NewArgs) -> Result<(Preset, Vec<FileValues>)> {
    let mut preset = Preset::default();
    let mut from_files = Vec::new();
    if let Some(file) = &args.data_file {
        let (label, values) = data_file(file)?;
        preset.values.extend(values.iter().cloned());
        from_files.push((label, values));
    }
    if let Some(dir) = &args.replay {
        let project = crate::project::disk::find(dir)?;
        let r = &project.record;
        let (template, reference, subdir) = r.template.argument(&project.root);
        preset.template = Some(template);
        preset.reference = reference;
        preset.subdir = subdir;
        preset.project_name = Some(r.project.name.clone());
        let values: Vec<(String, String)> = r
            .answers
            .iter()
            .map(|a| (a.name.clone(), a.value.to_string()))
            .collect();
        preset.values.extend(values.iter().cloned());
        from_files.push((
            format!(
                "--replay `{}`",
                project.root.join(crate::project::record::FILE).display()
            ),
            values,
        ));
    }
    Ok((preset, from_files))
}

fn ask_project_name(prompter: &mut dyn Prompter) -> Result<String> {
    loop {
        let Some(name) = prompter.ask("project name: ")? else {
            bail!("end of input while asking for the project name");
        };
        match crate::template::builtins::check_project_name(&name) {
            Ok(()) => return Ok(name.trim().to_string()),
            Err(why) => prompter.tell(&format!("the project name: {why}")),
        }
    }
}

/// The same `scaffold new` command with `--force`, to suggest after a refusal.
fn force_command(templates: &[std::path::PathBuf], args: &NewArgs) -> String {
    let mut words = vec!["scaffold".to_string()];
    for dir in templates {
        words.push("--templates".to_string());
        words.push(shell_quote(&dir.display().to_string()));
    }
    words.push("new".to_string());
    if let Some(dir) = &args.replay {
        words.push("--replay".into());
        words.push(shell_quote(&dir.display().to_string()));
    }
    if let Some(file) = &args.data_file {
        words.push("--data-file".into());
        words.push(shell_quote(&file.display().to_string()));
    }
    if let Some(t) = &args.template {
        words.push(shell_quote(t));
    }
    if let Some(dest) = &args.dest {
        words.push(shell_quote(&dest.display().to_string()));
    }
    if let Some(name) = &args.name {
        words.push("--name".into());
        words.push(shell_quote(name));
    }
    for d in &args.define {
        words.push("-d".into());
        words.push(shell_quote(d));
    }
    if args.no_input {
        words.push("--no-input".into());
    }
    words.push("--force".into());
    words.join(" ")
}

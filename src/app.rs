//! Dispatches a parsed command to the modules that do the work, one short function each.

use std::io::IsTerminal;

use anyhow::{Context as _, Result, bail};

use crate::answers::{Prompter, Terminal};
use crate::builtins::Inputs;
use crate::cli::{Cli, Command, InfoArgs, ListArgs, NewArgs};
use crate::config::{self, Env};
use crate::engine::Engine;
use crate::generate::{self, Loaded, Request};
use crate::registry::{self, Registry};
use crate::source::{self, Origin};
use crate::text::shell_quote;
use crate::{manifest, output, term, write};

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
            output::check(&crate::check::run(&registry, &args.template, &defines)?)
        }
        Command::Completions(_) => Ok(()),
    }
}

fn list(registry: &Registry, args: &ListArgs) -> Result<()> {
    let mut loaded = Vec::new();
    for entry in registry.entries() {
        let source = match &entry.origin {
            Origin::Embedded => registry::get(&entry.name)
                .with_context(|| format!("embedded template `{}` vanished", entry.name))?,
            Origin::Directory(dir) => {
                let Ok(s) = source::load_dir(dir) else {
                    broken(dir);
                    continue;
                };
                s
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

fn info(registry: &Registry, args: &InfoArgs) -> Result<()> {
    let loaded = generate::load(registry, &args.template)?;
    output::info(&loaded, args.json);
    Ok(())
}

fn new(registry: &Registry, templates: &[std::path::PathBuf], args: &NewArgs) -> Result<()> {
    crate::limits::start();
    let env = Env {
        stdin_is_tty: std::io::stdin().is_terminal(),
        cwd: std::env::current_dir().context("cannot read the current directory")?,
    };
    let req = config::resolve_new(args, &env, &mut || ask_project_name(&mut Terminal))?;
    let loaded = generate::load(registry, &req.template)?;
    generate::refuse_overlap(&loaded, &req.dest, &[])?;
    let inputs = Inputs::fresh(&req.project_name, &req.package_name)?;
    let engine = Engine::new(&loaded.source)?;
    let dest_label = shell_quote(&req.dest.display().to_string());
    let request = Request {
        inputs: &inputs,
        defines: &req.defines,
        input: req.input,
        dest_label: &dest_label,
    };
    let mut rendered = generate::render(&loaded, &engine, &request, &mut Terminal)?;
    // The parsed templates are not needed any more, and freeing them costs more than the
    // rest of a large run: the process ends soon and the system takes the memory back.
    std::mem::forget(engine);
    generate::refuse_overlap(&loaded, &req.dest, &rendered.files)?;
    if !req.quiet && !req.json {
        for problem in crate::portable::problems(rendered.files.iter().map(|f| f.path.as_str())) {
            term::err(format!("warning: {problem}"));
        }
    }
    let plan = write::plan(&req.dest, std::mem::take(&mut rendered.files))?;
    crate::limits::finish();
    let refusal = plan
        .refusal(req.force)
        .map(|r| r.message(&req.dest, &force_command(templates, args)));
    if req.dry_run {
        output::new_result(&req, &loaded, &rendered, &plan, refusal.as_deref());
        return Ok(());
    }
    if let Some(message) = refusal {
        bail!("{message}");
    }
    write::apply(&plan)?;
    output::new_result(&req, &loaded, &rendered, &plan, None);
    Ok(())
}

fn ask_project_name(prompter: &mut dyn Prompter) -> Result<String> {
    loop {
        let Some(name) = prompter.ask("project name: ")? else {
            bail!("end of input while asking for the project name");
        };
        match config::check_project_name(&name) {
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
    words.extend(["new".to_string(), shell_quote(&args.template)]);
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

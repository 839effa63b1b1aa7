//! The command line: clap's definitions (`args`), the requests made from them (`config`,
//! `preset`), one file per subcommand (its request, the operation, its output), and the
//! dispatcher, a match. The one place that prints a run's error and picks its exit code.

mod args;
pub(crate) mod cache;
pub(crate) mod check;
pub(crate) mod completions;
pub(crate) mod config;
pub(crate) mod diff;
pub(crate) mod info;
pub(crate) mod list;
pub(crate) mod new;
pub(crate) mod output;
pub(crate) mod preset;
pub(crate) mod status;
pub(crate) mod update;

use anyhow::Result;
use clap::Parser as _;

pub use self::args::{
    CacheAction, CacheArgs, CheckArgs, Cli, Command, CompletionsArgs, DiffArgs, GitArgs, InfoArgs,
    ListArgs, NewArgs, StatusArgs, UpdateArgs,
};
use crate::sources::registry::Registry;
use crate::util::error::{Silent, exit_code};
use crate::util::term;

/// Runs `scaffold` with these arguments (the program name first) and returns the exit code;
/// see [`crate::main`].
pub(crate) fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> u8 {
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let wants_json = args.iter().skip(1).any(|a| a == "--json");
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = u8::try_from(e.exit_code()).unwrap_or(2);
            if wants_json && code != 0 {
                let message = e.render().to_string();
                let first = message.lines().next().unwrap_or_default();
                let err = anyhow::anyhow!("{}", first.trim_start_matches("error: "));
                output::error(&err, code, true);
            } else {
                let _ = e.print();
            }
            return code;
        }
    };
    match run(&cli) {
        Ok(()) => 0,
        Err(err) => {
            let code = exit_code(&err);
            if err.downcast_ref::<Silent>().is_none() {
                output::error(&err, code, cli.wants_json());
            }
            code
        }
    }
}

/// Runs one command.
fn run(cli: &Cli) -> Result<()> {
    if let Command::Completions(args) = &cli.command {
        completions::exec(args.shell);
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
        Command::List(args) => list::exec(&registry, args),
        Command::Info(args) => info::exec(&registry, args),
        Command::New(args) => new::exec(&registry, &cli.templates, args),
        Command::Check(args) => check::exec(&registry, args),
        Command::Status(args) => status::exec(&registry, args),
        Command::Diff(args) => diff::exec(&registry, args),
        Command::Update(args) => update::exec(&registry, args),
        Command::Cache(args) => cache::exec(args),
        Command::Completions(_) => Ok(()),
    }
}

//! The command line, as clap parses it. No validation beyond clap's happens here: see
//! [`super::config`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXAMPLES: &str = "\
Examples:
  scaffold list                         what templates there are
  scaffold info chat                    a template's variables and files
  scaffold new chat my-chat             a long-poll chat in ./my-chat
  scaffold new package shop -d license=Apache-2.0 -d docker=yes
  scaffold new flat my-site --dry-run   show what would be written
  scaffold status my-chat               which generated files were changed
  scaffold diff my-chat                 the changes, as a unified diff

Exit codes: 0 ok, 1 failure, 2 usage error, 3 `update` finished with conflicts to resolve.";

/// Create new Tornado web projects from tested templates.
#[derive(Debug, Parser)]
#[command(name = "scaffold", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// Also look for templates in the subdirectories of DIR (repeatable; searched before
    /// the directories in SCAFFOLD_TEMPLATES, a path list).
    #[arg(long = "templates", value_name = "DIR", global = true)]
    pub templates: Vec<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Whether the command asked for JSON output (errors are then JSON too).
    pub fn wants_json(&self) -> bool {
        match &self.command {
            Command::List(a) => a.json,
            Command::Info(a) => a.json,
            Command::New(a) => a.json,
            Command::Status(a) => a.json,
            Command::Update(a) => a.json,
            Command::Cache(a) => matches!(a.action, CacheAction::List { json: true }),
            Command::Check(_) | Command::Diff(_) | Command::Completions(_) => false,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the templates.
    List(ListArgs),
    /// Show a template's description, variables and files.
    Info(InfoArgs),
    /// Create a new project from a template.
    #[command(after_help = "\
Examples:
  scaffold new chat my-chat
  scaffold new chat --name \"Team Chat\"            DEST becomes ./team-chat
  scaffold new package shop -d license=MIT -d docker=true --no-input
  scaffold new flat my-site --dry-run --json
  scaffold new https://git.example.com/acme/templates.git my-api --subdir tornado-api
  scaffold new ./templates-checkout my-api --ref v1.3.0

DEST defaults to the project name in kebab case; the project name defaults to the last
component of DEST. Without --force, an existing non-empty DEST is refused (a project made by
scaffold: use `scaffold update`).")]
    New(NewArgs),
    /// Check a template as its users will meet it: manifest, syntax, and renders with every
    /// choice.
    Check(CheckArgs),
    /// Show which generated files of a project were changed, deleted or left as generated.
    Status(StatusArgs),
    /// Show the changes made to a project's generated files, as a unified diff.
    Diff(DiffArgs),
    /// Bring a project up to its template's current version, or to new answers, merging your
    /// edits (three-way, in process; nothing is overwritten silently).
    #[command(after_help = "\
Examples:
  scaffold update                          apply the template's current version
  scaffold update -d backend=redis         change an answer, and the files that depend on it
  scaffold update --dry-run --diff         the plan, one line per file, and every change
  scaffold update --template ../v2/hello   another (or moved) template directory
  scaffold update --ref v1.4.0             a git template's newer tag

Exit codes: 0 done, 1 failure, 2 usage error, 3 done with conflicts to resolve.")]
    Update(UpdateArgs),
    /// List or empty the cache of git repositories fetched for templates.
    Cache(CacheArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// Where in a git repository a template is (for a git TEMPLATE: a URL, or a local
/// repository with --ref).
#[derive(Debug, Clone, Default, Args)]
pub struct GitArgs {
    /// The tag, branch or commit of a git template [default: the highest semver tag, else the
    /// default branch]; with a local directory, reads that repository at this ref.
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// The template's directory inside the git repository.
    #[arg(long, value_name = "DIR")]
    pub subdir: Option<String>,
    /// Use only the cache of fetched repositories, never the network.
    #[arg(long)]
    pub offline: bool,
    /// Let pre-release tags (`v2.0.0-rc.1`) win the default rule.
    #[arg(long)]
    pub pre: bool,
}

/// `scaffold list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `scaffold info`
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// A template name (see `scaffold list`), `embedded:NAME`, a path, or a git URL.
    pub template: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Where the template is in a git repository.
    #[command(flatten, next_help_heading = "Git templates")]
    pub from_git: GitArgs,
}

/// `scaffold new`
#[derive(Debug, Args)]
pub struct NewArgs {
    /// A template name (see `scaffold list`), `embedded:NAME`, a path to a template directory,
    /// or a git repository (a URL, or a local one with --ref). With --replay, the only
    /// positional argument is DEST.
    #[arg(index = 1, required_unless_present = "replay")]
    pub template: Option<String>,
    /// Where to create the project [default: the project name in kebab case].
    #[arg(index = 2)]
    pub dest: Option<PathBuf>,
    /// Set a template variable (repeatable), e.g. `-d license=MIT`.
    #[arg(short = 'd', long = "define", value_name = "KEY=VALUE")]
    pub define: Vec<String>,
    /// Values from a TOML file: top-level keys, or the `[answers]` of another project's
    /// `.scaffold.toml` (`-d` wins over it).
    #[arg(long, value_name = "FILE")]
    pub data_file: Option<PathBuf>,
    /// The same template, answers and project name as the project in this directory (the same
    /// files; `--name` gives another name).
    #[arg(long, value_name = "PROJECT_DIR")]
    pub replay: Option<PathBuf>,
    /// Make DEST a git repository whose first commit holds exactly the generated files.
    #[arg(long)]
    pub git: bool,
    /// The project's name [default: the last component of DEST].
    #[arg(long)]
    pub name: Option<String>,
    /// Never prompt: use defaults for everything not given with -d.
    #[arg(long)]
    pub no_input: bool,
    /// Overwrite files the template produces in an existing DEST (nothing else is touched;
    /// those that are yours are kept in DEST/.scaffold/backup/ first).
    #[arg(long)]
    pub force: bool,
    /// Show what would be written, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the result (or with --dry-run the plan) as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print nothing on success.
    #[arg(short, long)]
    pub quiet: bool,
    /// Where the template is in a git repository.
    #[command(flatten, next_help_heading = "Git templates")]
    pub from_git: GitArgs,
}

/// `scaffold check`
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A template name, a path to a template directory, or a git repository.
    pub template: String,
    /// A value for every render (repeatable); variables without a default need one unless
    /// the placeholder `placeholder` fits their rule.
    #[arg(short = 'd', long = "define", value_name = "KEY=VALUE")]
    pub define: Vec<String>,
    /// Where the template is in a git repository.
    #[command(flatten, next_help_heading = "Git templates")]
    pub from_git: GitArgs,
}

/// `scaffold status`
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The project (or any folder inside it) [default: the current directory].
    pub project: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Exit with 1 when a generated file was modified, deleted or is conflicted, or an update
    /// is running or did not finish (for CI).
    #[arg(long)]
    pub exit_code: bool,
}

/// `scaffold update`
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The project (or any folder inside it) [default: the current directory].
    pub project: Option<PathBuf>,
    /// Set a variable to a new value (repeatable).
    #[arg(short = 'd', long = "define", value_name = "KEY=VALUE")]
    pub define: Vec<String>,
    /// New values from a TOML file (as for `new`; `-d` wins over it).
    #[arg(long, value_name = "FILE")]
    pub data_file: Option<PathBuf>,
    /// Update to the template in this directory (a moved or another one).
    #[arg(long, value_name = "DIR")]
    pub template: Option<PathBuf>,
    /// A new project name (the package name and the paths made from it follow; your edits,
    /// and your own files in a folder that moves, move with them).
    #[arg(long)]
    pub name: Option<String>,
    /// Show the plan, with the refusal a real run would meet, and write nothing (exit 0);
    /// while an update is running or interrupted there is no plan to show: refused (exit 1).
    #[arg(long)]
    pub dry_run: bool,
    /// Also show every planned change as a unified diff.
    #[arg(long)]
    pub diff: bool,
    /// Never prompt: new variables take their defaults; an answer the template no longer
    /// accepts is an error.
    #[arg(long)]
    pub no_input: bool,
    /// Bring back a generated file you deleted (repeatable).
    #[arg(long, value_name = "PATH")]
    pub restore: Vec<String>,
    /// Proceed although files the update changes have uncommitted changes (their previous
    /// contents are kept in `.scaffold/backup/` first).
    #[arg(long)]
    pub allow_dirty: bool,
    /// Outside git, do not keep the previous contents in `.scaffold/backup/`.
    #[arg(long)]
    pub no_backup: bool,
    /// Undo an interrupted update: put back what it wrote and removed, and move back your
    /// files it moved (your work since is kept as it is); or put away one that had finished.
    #[arg(long)]
    pub recover: bool,
    /// For a git template: update to this tag, branch or commit [default: the ref the project
    /// asked for, else the default rule again: the highest semver tag, else the default branch].
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// For a git template: use only the cache of fetched repositories, never the network.
    #[arg(long)]
    pub offline: bool,
    /// For a git template: let pre-release tags win the default rule.
    #[arg(long)]
    pub pre: bool,
    /// Print the plan (and the result) as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print nothing on success.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `scaffold diff`
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The project directory (if the first argument holds a `.scaffold.toml`), then the files
    /// to show [default: the project of the current directory, every changed file].
    pub paths: Vec<PathBuf>,
}

/// `scaffold cache`
#[derive(Debug, Args)]
pub struct CacheArgs {
    /// What to do with the cache.
    #[command(subcommand)]
    pub action: CacheAction,
}

/// `scaffold cache list|clean`
#[derive(Debug, Clone, Subcommand)]
pub enum CacheAction {
    /// Show each cached repository: its URL, size and place.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Delete the cached repositories (all of them, or the one of URL).
    Clean {
        /// Only this repository's entry.
        url: Option<String>,
    },
}

/// `scaffold completions`
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for.
    pub shell: clap_complete::Shell,
}

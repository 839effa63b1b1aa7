//! `scaffold` creates new Tornado web projects from templates embedded in the binary or kept
//! in directories.
//!
//! Data flows one way. Each module uses only the modules listed before it in this table (a test
//! reads the table and `src/`, and fails when one does not):
//!
//! | module | owns |
//! |---|---|
//! | `util::error` | errors and exit codes: usage errors (2), silent exits, `usage!` |
//! | `util::text` | escaping for the terminal and JSON, values in messages, suggestions, quoting |
//! | `util::term` | the terminal boundary: every printed line, colour, prompts' raw output |
//! | `util::limits` | every bound: sizes, heap, the run's time budget and its watchdog |
//! | `util::read` | reading one file within a bound, never through a symlink |
//! | `util::paths` | the rules every written path passes; paths resolved and made relative |
//! | `util::portable` | names that break on other systems |
//! | `util::hash` | git blob and tree ids: what a file or a template is |
//! | `util::python` | what makes a good Python package name |
//! | `util::merge` | three-way text merges, byte for byte as `git merge-file` makes them |
//! | `git::repo` | every repository opened isolated: nothing it holds can run; object ids |
//! | `git::tree` | a template repository read in place: refs, tags, trees within limits |
//! | `git::history` | a project's own history: blobs by id, what the last commit holds |
//! | `git::commit` | `new --git`: the user's identity, the new repository and its one commit |
//! | `git::tests` | (tests) the git modules against the real git |
//! | `sources::source` | a template as files in memory, whatever source it was read from |
//! | `sources::embedded` | the templates compiled in, and every version of them kept |
//! | `sources::directory` | a template directory on disk; one in a git work tree, at a commit |
//! | `sources::git::refs` | git URLs and refs, checked before any process sees them; the ref rule |
//! | `sources::git::process` | the hardened `git` program: the only process scaffold runs |
//! | `sources::git::cache` | the cache of bare mirrors of remote repositories |
//! | `sources::registry` | the search path: a template by name, `embedded:NAME` or path |
//! | `sources::recorded` | a template as an answers file names it, and named again |
//! | `template::values` | variable types and values |
//! | `template::builtins` | the built-in variables: names, descriptions, values |
//! | `template::filters` | the case filters templates may use |
//! | `template::plain` | a text read by Tera's lexing rules: links between files; plain files |
//! | `template::engine` | Tera set up for scaffold, parsing, Tera's errors as `file:line:col` |
//! | `template::manifest` | `template.toml`: schema and every check; a template loaded |
//! | `template::answers` | variable values: `-d`, prompts, defaults |
//! | `template::render` | every file and path rendered in memory, and whom to blame |
//! | `project::record` | the answers file `.scaffold.toml`: what it holds, written; reserved paths |
//! | `project::parse` | the answers file read as untrusted input; `--data-file` values |
//! | `project::disk` | a project on disk: its root, reads that never follow a symlink, new files |
//! | `project::base` | what scaffold generated for a project, rendered again |
//! | `project::plan` | `new`'s plan: what writing will do, and whether it is refused |
//! | `project::write` | `new`'s plan written: staged, all or nothing |
//! | `project::journal` | an update applied all or nothing: journal, backups, recovery |
//! | `ops::new` | `scaffold new`: locate, answer, render, plan; then write |
//! | `ops::check` | `scaffold check`: a template validated as its users will meet it |
//! | `ops::status` | `scaffold status`: each generated file's state; open conflicts |
//! | `ops::diff` | `scaffold diff`: the user's changes against what scaffold generated |
//! | `ops::update::decide` | `scaffold update`'s decision table: what happens to each file |
//! | [`cli`] | the command line as clap parses it |
//! | `config` | parsed arguments become one validated request, no I/O |
//! | `output` | what each command prints |
//! | `app` | dispatching a command |
//! | `tests::words` | (tests) shell words, shared with the integration tests |
//! | `tests::history` | (tests) every version of every embedded template is kept |
//! | `tests::layout` | (tests) this map, checked against `src/` |
//! | `tests::properties` | (tests) property tests over paths, `-d` and generated templates |
//! | `tests::snapshots` | (tests) insta snapshots of every file of every embedded template |

mod app;
pub mod cli;
mod config;
mod git;
mod ops;
mod output;
mod project;
mod sources;
mod template;
mod util;

#[cfg(test)]
mod tests;

use clap::Parser as _;

pub use util::limits::{MAX_HEAP_BYTES, out_of_memory};

/// Runs `scaffold` with these arguments (the program name first) and returns the exit code.
/// Errors are printed once: `error: ...` on stderr, or a JSON object on stdout when `--json`
/// was asked for.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> u8 {
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let wants_json = args.iter().skip(1).any(|a| a == "--json");
    let cli = match cli::Cli::try_parse_from(&args) {
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
    match app::run(&cli) {
        Ok(()) => 0,
        Err(err) => {
            let code = util::error::exit_code(&err);
            if err.downcast_ref::<util::error::Silent>().is_none() {
                output::error(&err, code, cli.wants_json());
            }
            code
        }
    }
}

//! `scaffold` creates new Tornado web projects from templates embedded in the binary or kept
//! in directories.
//!
//! Data flows one way. Each module uses only the modules listed before it in this table (a test
//! reads the table and `src/`, and fails when one does not):
//!
//! | module | owns |
//! |---|---|
//! | `error` | errors and exit codes: usage errors (2), silent exits, `usage!` |
//! | `text` | escaping for the terminal and JSON, values in messages, suggestions, quoting |
//! | `term` | the terminal boundary: every printed line, colour, prompts' raw output |
//! | `limits` | every bound: sizes, heap, the run's time budget and its watchdog |
//! | `paths` | the rules every written path passes (no `..`, no `.git`, lengths) |
//! | `hash` | git blob and tree ids: what a file or a template is |
//! | `git` | local git repositories, in process (gix): nothing a repository holds can run |
//! | `merge` | three-way text merges, byte for byte as `git merge-file` makes them |
//! | `values` | variable types and values |
//! | [`cli`] | the command line as clap parses it |
//! | `python` | what makes a good Python package name |
//! | `config` | parsed arguments become one validated request, no I/O |
//! | `builtins` | the built-in variables: names, descriptions, values |
//! | `source` | a template as files in memory; reading one from disk |
//! | `registry` | embedded templates and the search path; finding one by name |
//! | `gitsource` | templates from git: refs, the mirror cache, the hardened `git` for fetches |
//! | `filters` | the case filters templates may use |
//! | `engine` | Tera set up for scaffold, parsing, Tera's errors as `file:line:col` |
//! | `manifest` | `template.toml`: schema and every check |
//! | `answers` | variable values: `-d`, prompts, defaults |
//! | `render` | every file and path rendered in memory |
//! | `record` | the answers file `.scaffold.toml`: writing it, reading it as untrusted input |
//! | `portable` | names that break on other systems |
//! | `write` | the plan and the disk: the only module that touches the destination |
//! | `project` | a generated project: its root, its answers file, reading its files safely |
//! | `generate` | the pipeline `new`, `check`, `diff` and the snapshot tests share |
//! | `check` | `scaffold check` |
//! | `diff` | `scaffold diff`: the user's changes against what scaffold generated |
//! | `update` | `scaffold update`: the three-way plan, decided per file |
//! | `output` | what each command prints |
//! | `app` | dispatching a command |
//! | `tests::words` | (tests) shell words, shared with the integration tests |
//! | `tests::history` | (tests) every version of every embedded template is kept |
//! | `tests::layout` | (tests) this map, checked against `src/` |
//! | `tests::properties` | (tests) property tests over paths, `-d` and generated templates |
//! | `tests::snapshots` | (tests) insta snapshots of every file of every embedded template |

mod answers;
mod app;
mod builtins;
mod check;
pub mod cli;
mod config;
mod diff;
mod engine;
mod error;
mod filters;
mod generate;
mod git;
mod gitsource;
mod hash;
mod limits;
mod manifest;
mod merge;
mod output;
mod paths;
mod portable;
mod project;
mod python;
mod record;
mod registry;
mod render;
mod source;
mod term;
mod text;
mod update;
mod values;
mod write;

#[cfg(test)]
mod tests;

use clap::Parser as _;

pub use limits::{MAX_HEAP_BYTES, out_of_memory};

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
            let code = error::exit_code(&err);
            if err.downcast_ref::<error::Silent>().is_none() {
                output::error(&err, code, cli.wants_json());
            }
            code
        }
    }
}

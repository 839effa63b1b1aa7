//! `scaffold` creates new Tornado web projects from templates embedded in the binary or kept
//! in directories, and later updates them three-way.
//!
//! The module map. Data flows one way, through folders in this order: `util` (helpers), `git`,
//! `sources` (where a template comes from), `template` (what it means), `project` (what is on
//! disk), `ops` (the operations) and `cli` (the command line). Each module uses only the
//! modules listed before it in this table: nothing of a later folder, nor a later module of
//! its own folder; a folder's `mod.rs` comes after its modules, so none of them uses it. A test
//! reads this table and `src/`, and fails when a module breaks the order or a file under `src/`
//! is not in the table.
//!
//! | module | owns |
//! |---|---|
//! | `util/` | **leaf helpers every stage may use; none knows about templates or projects** |
//! | `util::error` | errors and exit codes: usage errors (2), silent exits, `usage!` |
//! | `util::text` | escaping for the terminal and JSON, values in messages, suggestions, quoting |
//! | `util::term` | the terminal boundary: every printed line, colour, prompts' raw output |
//! | `util::limits` | every bound: sizes, heap, the run's time budget and its watchdog |
//! | `util::hook` | (debug builds) a run paused or failed at a named step, for the tests |
//! | `util::read` | reading one file within a bound, never through a symlink |
//! | `util::paths` | the rules every written path passes; paths resolved and made relative |
//! | `util::portable` | names that break on other systems |
//! | `util::hash` | git blob and tree ids: what a file or a template is; the journal's HMAC |
//! | `util::python` | what makes a good Python package name |
//! | `util::merge` | three-way text merges, byte for byte as `git merge-file` makes them |
//! | `util::diff` | unified diffs within bounds: git's where it is cheap, else linear, and said |
//! | `git/` | **local git repositories in process (gix), the one place gix is used: nothing a repository holds can run** |
//! | `git::testing` | (tests) the real git, driven for the git modules' tests |
//! | `git::files` | what gix reads in a repository, checked first: regular files within sizes, no link followed |
//! | `git::repo` | every repository opened isolated: nothing it holds can run; object ids |
//! | `git::tree` | a template repository read in place: refs, tags, trees within limits |
//! | `git::blobs` | a project's own history read: blobs by id, what the last commit holds |
//! | `git::commit` | `new --git`: the user's identity, the new repository and its one commit |
//! | `sources/` | **where templates come from; `sources::locate` decides it, once, for every way a command names one** |
//! | `sources::source` | a template as files in memory, whatever source it was read from |
//! | `sources::embedded` | the templates compiled in, and every version of them kept |
//! | `sources::directory` | a template directory on disk; one in a git work tree, at a commit |
//! | `sources::git/` | **templates from git: a location at a ref, or a recorded commit (its `mod.rs`)** |
//! | `sources::git::refs` | git URLs and refs, checked before any process sees them; the ref rule |
//! | `sources::git::process` | the hardened `git` program: the only process scaffold runs |
//! | `sources::git::cache` | the cache of bare mirrors of remote repositories |
//! | `sources::registry` | the search path: a template by name, `embedded:NAME` or path |
//! | `sources::recorded` | a template as an answers file names it, and named again |
//! | `template/` | **a template's meaning in memory: values, manifest, answers, rendering; nothing touches the disk** |
//! | `template::values` | variable types and values |
//! | `template::builtins` | the built-in variables: names, descriptions, values |
//! | `template::filters` | the case filters templates may use |
//! | `template::plain` | a text read by Tera's lexing rules: links between files; plain files |
//! | `template::engine` | Tera set up for scaffold, parsing, Tera's errors as `file:line:col` |
//! | `template::manifest` | `template.toml`: schema and every check; a template loaded |
//! | `template::answers` | variable values: `-d`, prompts, defaults |
//! | `template::render` | every file and path rendered in memory, and whom to blame |
//! | `project/` | **a generated project: its answers file, the disk under its root, `new`'s plan and writes, an update applied** |
//! | `project::record` | the answers file `.scaffold.toml`: what it holds, written; reserved paths |
//! | `project::parse` | the answers file read as untrusted input; `--data-file` values |
//! | `project::root/` | **a project's root opened once: every path below it, never through a symlink (its `mod.rs`)** |
//! | `project::root::types` | what is at a path, what a bounded read found, the open root, the path rules |
//! | `project::root::unix` | the calls on Unix: `openat2` beneath the root, or a no-follow walk |
//! | `project::root::portable` | the calls elsewhere: each component's metadata checked first |
//! | `project::disk` | a project on disk: its root, reads and listings that never follow a symlink, new files |
//! | `project::state` | `.scaffold/`, scaffold's state in a project: made or refused; the lock |
//! | `project::base` | what scaffold generated for a project, rendered again |
//! | `project::plan` | `new`'s plan: what writing will do, and whether it is refused |
//! | `project::write` | `new`'s plan written: staged, all or nothing |
//! | `project::journal` | an update's journal: written whole, marked, trusted only where it was written; backups |
//! | `project::apply` | an update applied all or nothing; recovery that never destroys work |
//! | `ops/` | **the operations, each a short pipeline over the stages above** |
//! | `ops::new` | `scaffold new`: locate, answer, render, plan; then write |
//! | `ops::check` | `scaffold check`: a template validated as its users will meet it |
//! | `ops::status` | `scaffold status`: each generated file's state; open conflicts |
//! | `ops::diff` | `scaffold diff`: the user's changes against what scaffold generated |
//! | `ops::update/` | **`scaffold update`: locate both versions, render both, read the disk, decide, apply (its `mod.rs`)** |
//! | `ops::update::decide` | `scaffold update`'s decision table: what happens to each file |
//! | `ops::update::moves` | the user's own files in a folder an answer moves: moved with it, or named |
//! | `cli/` | **the command line: one file per subcommand (request, operation, output) and the dispatcher** |
//! | `cli::args` | the command line as clap parses it |
//! | `cli::config` | parsed arguments become one validated request, no I/O |
//! | `cli::preset` | what `--data-file` and `--replay` contribute, read from files |
//! | `cli::output` | what every command prints alike: the error, unified diffs |
//! | `cli::list` | `scaffold list` |
//! | `cli::info` | `scaffold info` |
//! | `cli::new` | `scaffold new` |
//! | `cli::check` | `scaffold check` |
//! | `cli::status` | `scaffold status` |
//! | `cli::diff` | `scaffold diff` |
//! | `cli::update` | `scaffold update` |
//! | `cli::cache` | `scaffold cache` |
//! | `cli::completions` | `scaffold completions` |
//! | `tests/` | **(tests) tests that span modules** |
//! | `tests::words` | (tests) shell words, shared with the integration tests |
//! | `tests::history` | (tests) every version of every embedded template is kept |
//! | `tests::layout` | (tests) this map, checked against `src/` |
//! | `tests::properties` | (tests) property tests over paths, `-d` and generated templates |
//! | `tests::snapshots` | (tests) insta snapshots of every file of every embedded template |

pub mod cli;
mod git;
mod ops;
mod project;
mod sources;
mod template;
mod util;

#[cfg(test)]
mod tests;

pub use util::limits::{MAX_HEAP_BYTES, out_of_memory};

/// Runs `scaffold` with these arguments (the program name first) and returns the exit code.
/// Errors are printed once: `error: ...` on stderr, or a JSON object on stdout when `--json`
/// was asked for.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> u8 {
    cli::main(args)
}

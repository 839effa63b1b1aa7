//! `scaffold` creates new Tornado web projects from templates embedded in the binary.
//!
//! Data flows one way: [`cli`] (parsed arguments) -> [`config`] (a validated request, no I/O)
//! -> [`registry`] (the embedded templates) -> [`manifest`] (each template's `template.toml`)
//! -> [`answers`] (variable values: `-d`, prompts, defaults) -> [`render`] (everything in
//! memory) -> [`write`] (the only module that touches the destination).

pub mod answers;
pub mod app;
pub mod check;
pub mod cli;
pub mod config;
pub mod filters;
pub mod limits;
pub mod manifest;
pub mod output;
pub mod portable;
pub mod python;
pub mod registry;
pub mod render;
pub mod source;
pub mod write;

pub use app::run;

/// An error in what the user asked for (exit code 2), as opposed to a failure while doing it.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Exit code for an error: 2 for usage errors, 1 for everything else.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.chain().any(|cause| cause.is::<UsageError>()) {
        2
    } else {
        1
    }
}

/// Prints a line on stderr. A closed stderr is ignored rather than a panic: the exit code
/// still tells what happened.
pub fn eprint_line(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// A user-supplied value as shown in messages: control characters escaped (no terminal
/// escape sequence reaches the screen) and anything past 60 characters cut.
pub fn shown(value: &str) -> String {
    let mut out = String::new();
    for (i, c) in value.chars().enumerate() {
        if i == 60 {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Shorthand for returning a [`UsageError`].
#[macro_export]
macro_rules! usage {
    ($($arg:tt)*) => {
        ::anyhow::Error::new($crate::UsageError(format!($($arg)*)))
    };
}

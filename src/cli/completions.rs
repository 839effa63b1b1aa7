//! `scaffold completions`: a shell's completion script, with the embedded template names as
//! the candidates for TEMPLATE.

use clap::CommandFactory;

use super::args::Cli;
use crate::util::term;

/// Prints a completion script, with the embedded template names as candidates.
pub(crate) fn exec(shell: clap_complete::Shell) {
    let names = crate::sources::embedded::names();
    let mut cmd = Cli::command();
    for sub in ["new", "info", "check"] {
        let names = names.clone();
        cmd = cmd.mut_subcommand(sub, |s| {
            s.mut_arg("template", |a| {
                a.value_parser(clap::builder::PossibleValuesParser::new(names))
            })
        });
    }
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "scaffold", &mut script);
    term::out(String::from_utf8_lossy(&script).trim_end().to_string());
}

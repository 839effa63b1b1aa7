//! The `scaffold` binary: parse the command line, run it, print any error once.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = scaffold::cli::Cli::parse();
    match scaffold::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            scaffold::eprint_line(&format!("error: {err:#}"));
            ExitCode::from(scaffold::exit_code(&err))
        }
    }
}

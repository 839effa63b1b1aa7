//! `scaffold check`: a template checked as its users will meet it; fine on stdout, or every
//! problem as the error.

use anyhow::Result;

use super::args::CheckArgs;
use super::config;
use crate::ops::check::Report;
use crate::sources::registry::Registry;
use crate::util::term;

/// `scaffold check`.
pub(crate) fn exec(registry: &Registry, args: &CheckArgs) -> Result<()> {
    let defines = config::parse_defines(&args.define)?;
    let git = config::git_options(&args.from_git);
    print(&crate::ops::check::run(
        registry,
        &args.template,
        &git,
        &defines,
    )?)
}

/// The verdict: fine on stdout, or the problems as the error.
fn print(report: &Report) -> Result<()> {
    if report.problems.is_empty() {
        term::out(format!(
            "template `{}` is fine: {} render{} checked, up to {} files each",
            report.label,
            report.renders,
            crate::util::text::plural(report.renders),
            report.files
        ));
        Ok(())
    } else {
        anyhow::bail!(
            "{}",
            crate::util::text::problems(&format!("template `{}`", report.label), &report.problems)
        )
    }
}

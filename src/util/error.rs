//! Errors and exit codes: a usage error (what the user asked for is wrong: exit 2), a silent
//! exit with a code of its own (`status --exit-code`, `update` with conflicts), and the code
//! any other error ends the run with (1).

/// An error in what the user asked for (exit code 2), as opposed to a failure while doing it.
#[derive(Debug)]
pub(crate) struct UsageError(pub(crate) String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// An outcome that ends the run with an exit code and no message (`status --exit-code`).
#[derive(Debug)]
pub(crate) struct Silent(pub(crate) u8);

impl std::fmt::Display for Silent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}", self.0)
    }
}

impl std::error::Error for Silent {}

/// Exit code for an error: 2 for usage errors, 1 for everything else (or a [`Silent`] code).
pub(crate) fn exit_code(err: &anyhow::Error) -> u8 {
    if let Some(Silent(code)) = err.downcast_ref::<Silent>() {
        *code
    } else if err.chain().any(<dyn std::error::Error>::is::<UsageError>) {
        2
    } else {
        1
    }
}

/// Shorthand for returning a [`UsageError`].
macro_rules! usage {
    ($($arg:tt)*) => {
        ::anyhow::Error::new($crate::util::error::UsageError(format!($($arg)*)))
    };
}
pub(crate) use usage;

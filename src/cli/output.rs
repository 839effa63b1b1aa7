//! What every command prints alike: the one error message a run ends with, and unified diffs
//! (`scaffold diff`, `update --diff`). Each command's own results are printed by its file.
//! Every line goes through [`crate::util::term`], which escapes what templates and users
//! wrote and colours only on a terminal.

use serde_json::json;

use crate::util::term::{self, Line, Style};

/// A unified diff of `old` and `new` under `a/PATH` / `b/PATH` headers, coloured on a
/// terminal; bounded ([`crate::util::diff`]): a diff made the linear way, or not made at all
/// for a file too large, says so on stderr.
pub(crate) fn unified(path: &str, old: Option<&[u8]>, new: Option<&[u8]>) {
    use crate::util::diff::{MAX_DIFF_BYTES, MAX_DIFF_LINES, Shown};
    let (a, b) = (
        old.map_or("/dev/null".to_string(), |_| format!("a/{path}")),
        new.map_or("/dev/null".to_string(), |_| format!("b/{path}")),
    );
    let diff = crate::util::diff::unified(old.unwrap_or_default(), new.unwrap_or_default(), &a, &b);
    let unified = match diff {
        Shown::Binary => {
            term::out(Line::new().styled(Style::Bold, format!("Binary files {a} and {b} differ")));
            return;
        }
        Shown::TooLarge => {
            term::out(Line::new().styled(Style::Bold, format!("Files {a} and {b} differ")));
            term::err(format!(
                "note: the diff of `{}` is not shown: a side has more than {} or {MAX_DIFF_LINES} \
                 lines",
                crate::util::text::shown(path),
                crate::util::text::size(MAX_DIFF_BYTES as u64)
            ));
            return;
        }
        Shown::Text(u) => u,
    };
    // The time the terminal (or a pager) takes to take the lines is not the run's.
    crate::util::limits::waiting(|| {
        for line in &unified.lines {
            let style = if line.starts_with("+++") || line.starts_with("---") {
                Style::Bold
            } else if line.starts_with('+') {
                Style::Green
            } else if line.starts_with('-') {
                Style::Red
            } else if line.starts_with("@@") {
                Style::Cyan
            } else {
                Style::Plain
            };
            term::out(Line::new().styled(style, line.as_str()));
        }
    });
    if unified.cut_short {
        term::err(format!(
            "note: the diff of `{}` was cut short: it is too large to compare line by line in \
             the time a diff may take, so everything between its first and last change is shown \
             as one change",
            crate::util::text::shown(path)
        ));
    }
}

/// Prints an error once: `error: ...` with its cause chain on stderr, or with `--json` a JSON
/// object on stdout (`error`, `exit_code`) for scripts that asked for JSON.
pub(crate) fn error(err: &anyhow::Error, code: u8, as_json: bool) {
    if as_json {
        term::out_json(&json!({"error": format!("{err:#}"), "exit_code": code}));
    } else {
        term::err(format!("error: {err:#}"));
    }
}

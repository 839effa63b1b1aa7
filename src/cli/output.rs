//! What every command prints alike: the one error message a run ends with, and unified diffs
//! (`scaffold diff`, `update --diff`). Each command's own results are printed by its file.
//! Every line goes through [`crate::util::term`], which escapes what templates and users
//! wrote and colours only on a terminal.

use serde_json::json;

use crate::util::term::{self, Line, Style};

/// Whether bytes are shown as text in a diff: UTF-8 without NUL in the first 8000 bytes.
fn is_text(bytes: &[u8]) -> bool {
    !bytes[..bytes.len().min(8000)].contains(&0) && std::str::from_utf8(bytes).is_ok()
}

/// A unified diff of `old` and `new` under `a/PATH` / `b/PATH` headers, coloured on a
/// terminal.
pub(crate) fn unified(path: &str, old: Option<&[u8]>, new: Option<&[u8]>) {
    let (a, b) = (
        old.map_or("/dev/null".to_string(), |_| format!("a/{path}")),
        new.map_or("/dev/null".to_string(), |_| format!("b/{path}")),
    );
    let (old, new) = (old.unwrap_or_default(), new.unwrap_or_default());
    if !is_text(old) || !is_text(new) {
        term::out(Line::new().styled(Style::Bold, format!("Binary files {a} and {b} differ")));
        return;
    }
    let (old, new) = (
        std::str::from_utf8(old).unwrap_or_default(),
        std::str::from_utf8(new).unwrap_or_default(),
    );
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string();
    // Split on `\n` only: a `\r` stays visible (shown escaped) rather than vanishing.
    for line in text.strip_suffix('\n').unwrap_or(&text).split('\n') {
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
        term::out(Line::new().styled(style, line));
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

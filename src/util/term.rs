//! The terminal boundary: every line scaffold prints goes through [`out`] or [`err`], which
//! escape whatever came from a template or a user ([`crate::util::text::terminal`]) and add colour
//! only on a terminal and never with `NO_COLOR`.

use std::io::{IsTerminal, Write};

/// How a piece of a line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// As it is.
    Plain,
    /// Bold.
    Bold,
    /// Dimmed.
    Dim,
    /// Green (created).
    Green,
    /// Bold green (success).
    Success,
    /// Yellow (changed).
    Yellow,
    /// Red (removed).
    Red,
    /// Cyan (diff hunks).
    Cyan,
}

impl Style {
    fn code(self) -> Option<&'static str> {
        match self {
            Style::Plain => None,
            Style::Bold => Some("1"),
            Style::Dim => Some("2"),
            Style::Green => Some("32"),
            Style::Success => Some("1;32"),
            Style::Yellow => Some("33"),
            Style::Red => Some("31"),
            Style::Cyan => Some("36"),
        }
    }
}

/// A line made of styled pieces.
#[derive(Debug, Clone, Default)]
pub(crate) struct Line(Vec<(Style, String)>);

impl Line {
    /// An empty line.
    pub(crate) fn new() -> Line {
        Line(Vec::new())
    }

    /// Appends plain text.
    pub(crate) fn plain(mut self, text: impl Into<String>) -> Line {
        self.0.push((Style::Plain, text.into()));
        self
    }

    /// Appends styled text.
    pub(crate) fn styled(mut self, style: Style, text: impl Into<String>) -> Line {
        self.0.push((style, text.into()));
        self
    }

    fn render(&self, colour: bool) -> String {
        let mut out = String::new();
        for (style, text) in &self.0 {
            let text = crate::util::text::terminal(text);
            match style.code() {
                Some(code) if colour => {
                    out.push_str("\x1b[");
                    out.push_str(code);
                    out.push('m');
                    out.push_str(&text);
                    out.push_str("\x1b[0m");
                }
                _ => out.push_str(&text),
            }
        }
        out
    }
}

impl From<&str> for Line {
    fn from(text: &str) -> Line {
        Line::new().plain(text)
    }
}

impl From<String> for Line {
    fn from(text: String) -> Line {
        Line::new().plain(text)
    }
}

/// Whether stdout gets colour.
pub(crate) fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Prints one line on stdout. A closed pipe (`scaffold list | head -1`) ends the process
/// quietly with success, as it does for other command-line tools, instead of panicking.
pub(crate) fn out(line: impl Into<Line>) {
    let text = line.into().render(colour());
    write_stdout(&text);
}

/// Prints serialized JSON on stdout, made safe for a terminal.
pub(crate) fn out_json(value: &serde_json::Value) {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into());
    write_stdout(&crate::util::text::json_for_terminal(&text));
}

fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        err(format!("error: cannot write to standard output: {e}"));
        std::process::exit(1);
    }
}

/// Prints one line on stderr (never coloured). A closed stderr is ignored rather than a
/// panic: the exit code still tells what happened.
pub(crate) fn err(line: impl Into<Line>) {
    let text = line.into().render(false);
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Prints `text` on stderr without a newline (a prompt).
pub(crate) fn prompt(text: &str) {
    let mut e = std::io::stderr().lock();
    let _ = write!(e, "{}", crate::util::text::terminal(text));
    let _ = e.flush();
}

/// The width of the terminal on stderr, or 80.
pub(crate) fn width() -> usize {
    terminal_size::terminal_size_of(std::io::stderr())
        .map_or(80, |(w, _)| usize::from(w.0))
        .clamp(20, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_escape_every_piece_and_colour_only_when_asked() {
        let line = Line::new()
            .styled(Style::Bold, "name\x1b[2J")
            .plain(" text\u{9b}");
        assert_eq!(line.render(false), "name\\u{1b}[2J text\\u{9b}");
        assert_eq!(
            line.render(true),
            "\x1b[1mname\\u{1b}[2J\x1b[0m text\\u{9b}"
        );
    }
}

//! Text helpers every stage uses: escaping for the terminal and for JSON, values as shown in
//! messages, name suggestions, shell quoting, "N problems:" lists, and wrapping.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether a character must never reach a terminal raw: C0 and C1 controls (ESC starts every
/// terminal escape sequence; U+009B is a one-character CSI), DEL, and the Unicode bidirectional
/// overrides and isolates, which reorder what the user sees.
fn is_unsafe(c: char, keep_newline: bool) -> bool {
    match c {
        '\n' => !keep_newline,
        '\t' => false,
        '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{061c}'
        | '\u{2028}'
        | '\u{2029}' => true,
        c => c.is_control(),
    }
}

/// Text for the terminal: every unsafe character shown as an escape (`\u{1b}`), newlines and
/// tabs kept. Everything printed goes through this, so no template can move the cursor,
/// retitle the window or write the clipboard (OSC 52).
pub(crate) fn terminal(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_newline: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c, keep_newline)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c, keep_newline) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Serialized JSON made safe for a terminal as well: JSON already escapes C0 controls; DEL, C1
/// controls and bidirectional controls become `\uXXXX` escapes too (they can only occur inside
/// strings, so the result is the same JSON value).
pub(crate) fn json_for_terminal(json: &str) -> Cow<'_, str> {
    if !json.chars().any(|c| is_unsafe(c, true)) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if is_unsafe(c, true) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A user-supplied value as shown in messages: on one line (newlines escaped too) and cut after
/// 60 characters.
pub(crate) fn shown(value: &str) -> String {
    let mut out = String::new();
    for (i, c) in value.chars().enumerate() {
        if i == 60 {
            out.push_str("...");
            break;
        }
        if is_unsafe(c, false) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A path, or a name read from disk, as shown in messages and plan lines: whole and on one
/// line, every control character escaped (newlines and tabs too, so that no file name can
/// fake a line of scaffold's output), as are the characters [`terminal`] escapes; bytes that
/// are not UTF-8 are shown as `\xNN`, never replaced, so the name shown is the name there.
pub(crate) fn path(path: &std::path::Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        let mut out = String::new();
        for chunk in path.as_os_str().as_bytes().utf8_chunks() {
            out.push_str(&name(chunk.valid()));
            for b in chunk.invalid() {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        name(&path.to_string_lossy())
    }
}

/// Paths in messages: `p.shown()` is [`path`]`(p)`, where `p.display()` would print a newline
/// or an escape sequence in a name raw, and replace bytes that are not UTF-8.
pub(crate) trait Shown {
    /// The path as [`path`] shows it.
    fn shown(&self) -> String;
}

impl Shown for std::path::Path {
    fn shown(&self) -> String {
        path(self)
    }
}

/// A path under a project (or any name) as [`path`] shows it.
pub(crate) fn name(text: &str) -> String {
    let unsafe_here = |c: char| c.is_control() || is_unsafe(c, false);
    if !text.chars().any(unsafe_here) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_here(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The most characters [`shown_whole`] shows.
const WHOLE_MAX: usize = 500;

/// A sentence from elsewhere (git's reason, a URL) as shown in messages: on one line, escaped
/// as [`shown`] escapes, and whole; only one longer than 500 characters is cut, at the last
/// space before that, never inside a word.
pub(crate) fn shown_whole(value: &str) -> String {
    let escaped: String = value
        .chars()
        .flat_map(|c| {
            if is_unsafe(c, false) {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if escaped.chars().count() <= WHOLE_MAX {
        return escaped;
    }
    let cut: String = escaped.chars().take(WHOLE_MAX).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > 0 => &cut[..space],
        _ => &cut,
    };
    format!("{cut} ...")
}

/// The nearest of `candidates` to `name`, if close enough to be a likely typo.
pub(crate) fn nearest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Quotes a word for a POSIX shell when it needs it.
pub(crate) fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@+,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// `s` when `n` is not 1.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A byte count for people: bytes below 1 KiB, KiB below 1 MiB, MiB above, one decimal.
pub(crate) fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    let scaled = |unit: u64| bytes as f64 / unit as f64;
    if bytes < KIB {
        format!("{bytes} B")
    } else if bytes < KIB * KIB {
        format!("{:.1} KiB", scaled(KIB))
    } else {
        format!("{:.1} MiB", scaled(KIB * KIB))
    }
}

/// The most problems [`problems`] lists; the rest are counted. A hostile answers file can hold
/// hundreds of thousands, and one error of 24 MB helps nobody.
pub(crate) const MAX_LISTED_PROBLEMS: usize = 20;

/// `WHAT has N problem(s):` followed by one `  - ` line per problem, the first
/// [`MAX_LISTED_PROBLEMS`] of them, and how many more there are.
pub(crate) fn problems(what: &str, list: &[String]) -> String {
    let mut out = format!("{what} has {} problem{}:", list.len(), plural(list.len()));
    for p in list.iter().take(MAX_LISTED_PROBLEMS) {
        let _ = write!(out, "\n  - {p}");
    }
    if list.len() > MAX_LISTED_PROBLEMS {
        let _ = write!(out, "\n  ... and {} more", list.len() - MAX_LISTED_PROBLEMS);
    }
    out
}

/// `` `a`, `b`, `c` ``.
pub(crate) fn ticked<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items
        .into_iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Wraps `text` at spaces so that no line is longer than `width` characters (a word longer
/// than that stands on its own line); continuation lines start with `indent`.
pub(crate) fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for word in text.split(' ') {
        let len = word.chars().count();
        if line_len > 0 && line_len + 1 + len > width {
            out.push('\n');
            out.push_str(indent);
            line_len = indent.chars().count();
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escaping() {
        // (input, shown on a terminal)
        for (input, want) in [
            ("plain text", "plain text"),
            ("two\nlines\tand a tab", "two\nlines\tand a tab"),
            ("\x1b]52;c;aGk=\x07", "\\u{1b}]52;c;aGk=\\u{7}"),
            ("csi \u{9b}31m", "csi \\u{9b}31m"),
            ("del \x7f", "del \\u{7f}"),
            ("cr \r over", "cr \\r over"),
            ("bidi \u{202e}txt.exe", "bidi \\u{202e}txt.exe"),
            ("mark \u{61c}x", "mark \\u{61c}x"),
            ("line\u{2028}sep\u{2029}", "line\\u{2028}sep\\u{2029}"),
            ("caf\u{e9} \u{1f600}", "caf\u{e9} \u{1f600}"),
        ] {
            assert_eq!(terminal(input), want, "{input:?}");
        }
    }

    /// Paths and names from disk are shown whole, on one line, and truthfully.
    #[test]
    fn path_escaping() {
        for (input, want) in [
            ("app/views.py", "app/views.py"),
            ("fake\n  remove    base.txt", "fake\\n  remove    base.txt"),
            ("tab\there", "tab\\there"),
            ("esc \x1b[2J", "esc \\u{1b}[2J"),
            ("bidi \u{202e}txt.exe", "bidi \\u{202e}txt.exe"),
            ("caf\u{e9}", "caf\u{e9}"),
        ] {
            assert_eq!(name(input), want, "{input:?}");
            assert_eq!(path(std::path::Path::new(input)), want, "{input:?}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt as _;
            let raw = std::ffi::OsStr::from_bytes(b"caf\xe9/\xff\n.txt");
            assert_eq!(path(std::path::Path::new(raw)), "caf\\xe9/\\xff\\n.txt");
        }
    }

    #[test]
    fn sizes() {
        for (bytes, want) in [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (48_000, "46.9 KiB"),
            (1024 * 1024 - 1, "1024.0 KiB"),
            (1024 * 1024, "1.0 MiB"),
            (5 * 1024 * 1024 + 512 * 1024, "5.5 MiB"),
        ] {
            assert_eq!(size(bytes), want, "{bytes}");
        }
    }

    #[test]
    fn json_escaping_stays_json() {
        let value = serde_json::json!({"s": "a\u{1b}b\u{9b}c\u{202e}d\u{7f}"});
        let text = serde_json::to_string(&value).unwrap();
        let safe = json_for_terminal(&text);
        assert!(!safe.chars().any(|c| is_unsafe(c, true)), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn sentences_are_shown_whole() {
        let long = "word ".repeat(150);
        // (value, shown)
        for (value, want) in [
            (
                "'/tmp/x/repo.git' does not appear to be a git repository",
                "'/tmp/x/repo.git' does not appear to be a git repository".to_string(),
            ),
            ("a\nb\u{1b}[2J", "a\\nb\\u{1b}[2J".to_string()),
            (&long, format!("{} ...", "word ".repeat(99) + "word")),
        ] {
            assert_eq!(shown_whole(value), want, "{value:?}");
        }
    }

    #[test]
    fn shown_values() {
        for (input, want) in [
            ("short", "short".to_string()),
            ("a\nb", "a\\nb".to_string()),
            (&"x".repeat(70), format!("{}...", "x".repeat(60))),
        ] {
            assert_eq!(shown(input), want);
        }
    }

    #[test]
    fn nearest_names() {
        let names = ["license", "docker", "author"];
        for (typo, want) in [
            ("licence", Some("license")),
            ("dockr", Some("docker")),
            ("zzzzzz", None),
        ] {
            assert_eq!(nearest(typo, names), want, "{typo}");
        }
    }

    #[test]
    fn quoting() {
        for (word, want) in [
            ("my-chat", "my-chat"),
            ("my chat", "'my chat'"),
            ("it's", r"'it'\''s'"),
            ("", "''"),
        ] {
            assert_eq!(shell_quote(word), want);
        }
    }

    #[test]
    fn problem_lists_and_wrapping() {
        assert_eq!(
            problems("`t`", &["one".into(), "two".into()]),
            "`t` has 2 problems:\n  - one\n  - two"
        );
        assert_eq!(
            problems("`t`", &["one".into()]),
            "`t` has 1 problem:\n  - one"
        );
        let many: Vec<String> = (0..MAX_LISTED_PROBLEMS + 5)
            .map(|i| i.to_string())
            .collect();
        let listed = problems("`t`", &many);
        assert_eq!(
            listed.lines().count(),
            1 + MAX_LISTED_PROBLEMS + 1,
            "{listed}"
        );
        assert!(listed.ends_with("\n  - 19\n  ... and 5 more"), "{listed}");
        assert_eq!(wrap("aaa bbb ccc ddd", 9, "  "), "aaa bbb\n  ccc ddd");
        assert_eq!(wrap("short", 80, "  "), "short");
    }
}

//! Tera, set up once for scaffold: no autoescaping, scaffold's filters, every `.tera` file of a
//! template parsed (on every core when the files are independent), renders bounded by
//! [`crate::util::limits`], and Tera's errors turned into `file:line:col: reason`. A file that is only
//! text, `{{ name }}` and `{% raw %}` blocks is read by Tera's lexing rules and rendered without
//! Tera, to the same bytes (a property test holds the two together); anything else, and any
//! failure, is Tera's.

use std::borrow::Cow;
use std::collections::HashMap;

use anyhow::{Result, bail};
use tera::{Context, ErrorKind, Tera};

use crate::sources::source::{RENDER_SUFFIX, TemplateSource};
use crate::util::limits::{self, Limited};
use crate::values::Value;

/// A fresh Tera as scaffold uses it.
pub(crate) fn new_tera() -> Tera {
    let mut tera = Tera::new();
    // Tera escapes `.html` output by default; a project generator must never do that.
    tera.autoescape_on(Vec::<&str>::new());
    crate::filters::register(&mut tera);
    tera
}

/// The name Tera gives a one-off template (a default, a condition, a path component).
const ONE_OFF: &str = "__tera_one_off";

/// Formats a Tera error as `file:line:col: reason`, digging out the useful part. A one-off
/// text (a manifest value) has no file: `line:col: reason`.
pub(crate) fn describe_error(err: &tera::Error, one_off: bool) -> String {
    match err.kind() {
        ErrorKind::SyntaxError(r) | ErrorKind::RenderingError(r) => {
            let span = r.span();
            let message = r.message().trim_end_matches('.');
            if one_off || r.filename().is_empty() || r.filename() == ONE_OFF {
                format!("{}:{}: {message}", span.start_line, span.start_col + 1)
            } else {
                format!(
                    "{}:{}:{}: {message}",
                    r.filename(),
                    span.start_line,
                    span.start_col + 1
                )
            }
        }
        ErrorKind::Io(_) => too_big(),
        ErrorKind::Msg(text) if text.contains("\n --> ") => reports(text).join("\n  "),
        _ => {
            let mut text = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        }
    }
}

/// What a rendering that passed [`Limited`]'s limits is told.
fn too_big() -> String {
    format!(
        "the output passed the size limit ({} MiB a file, {} MiB a rendering)",
        limits::MAX_FILE_BYTES / 1024 / 1024,
        limits::MAX_RENDER_BYTES / 1024 / 1024
    )
}

/// What a condition (a `when` expression) is wrapped in to be evaluated.
const CONDITION_OPEN: &str = "{% if ";

/// A condition as a Tera text that renders `1` when it holds.
pub(crate) fn condition(expr: &str) -> String {
    format!("{CONDITION_OPEN}{expr} %}}1{{% endif %}}")
}

/// Formats an error in a condition, with columns counted in the expression as written.
pub(crate) fn describe_condition_error(err: &tera::Error) -> String {
    let text = describe_error(err, true);
    let Some((place, message)) = text.split_once(": ") else {
        return text;
    };
    match place.split_once(':') {
        Some(("1", col)) => match col.parse::<usize>() {
            Ok(c) if c > CONDITION_OPEN.len() => {
                format!("1:{}: {message}", c - CONDITION_OPEN.len())
            }
            _ => text,
        },
        _ => text,
    }
}

/// Turns Tera's terminal reports (`error: MSG` / ` --> FILE:LINE:COL` / source excerpt) into
/// one `FILE:LINE:COL: MSG` line each.
fn reports(text: &str) -> Vec<String> {
    text.split("\n\n")
        .filter_map(|chunk| {
            let message = chunk
                .lines()
                .find_map(|l| l.trim().strip_prefix("error: "))?;
            let place = chunk.lines().find_map(|l| l.trim().strip_prefix("--> "))?;
            // A one-off text (a file name, a value) has no file: `line:col`.
            let place = place
                .strip_prefix(ONE_OFF)
                .and_then(|p| p.strip_prefix(':'))
                .unwrap_or(place);
            Some(format!("{place}: {}", message.trim_end_matches('.')))
        })
        .collect()
}

/// Tags that make one template file depend on another (includes, inheritance, imports, and
/// components, which are global): files that use them are parsed into one Tera instance.
const LINKING_TAGS: &[&str] = &["include", "extends", "import", "component", "macro"];

/// Whether a template text may depend on other files: a linking tag, or what may be a
/// component call (`<` and a letter in an expression), read as Tera's lexer reads a text:
/// comments, `{% raw %}` blocks and string literals are skipped. Conservative: when unsure
/// (a tag or comment that does not close), it says yes.
fn links(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(i) = memchr::memchr(b'{', &bytes[at..]) {
        let open = at + i;
        at = match bytes.get(open + 1) {
            Some(b'#') => match memchr::memmem::find(&bytes[open + 2..], b"#}") {
                Some(end) => open + 2 + end + 2,
                None => return true,
            },
            Some(b'%') => {
                if let Some((body, _)) = tag(bytes, open + 2, b"raw") {
                    match endraw(bytes, body) {
                        Some((_, after, _)) => after,
                        None => return true,
                    }
                } else {
                    let start = skip_space(
                        bytes,
                        open + 2 + usize::from(matches!(bytes.get(open + 2), Some(b'-' | b'+'))),
                    );
                    let word = &text[start..start + ident_len(&bytes[start..])];
                    if LINKING_TAGS.contains(&word) {
                        return true;
                    }
                    match expression_end(bytes, open + 2, b"%}") {
                        Some(after) => after,
                        None => return true,
                    }
                }
            }
            Some(b'{') => match expression_end(bytes, open + 2, b"}}") {
                Some(after) => after,
                None => return true,
            },
            _ => open + 1,
        };
    }
    false
}

/// Where a tag or an expression that starts at `at` ends: just after the first `close`
/// outside string literals (`"`, `'` or `` ` ``, with `\` escapes, as Tera lexes them).
/// `None` when it does not close, or when it may call a component (`<` and a letter).
fn expression_end(bytes: &[u8], mut at: usize, close: &[u8]) -> Option<usize> {
    while at < bytes.len() {
        match bytes[at] {
            quote @ (b'"' | b'\'' | b'`') => {
                at += 1;
                loop {
                    match *bytes.get(at)? {
                        b'\\' => at += 2,
                        c if c == quote => break,
                        _ => at += 1,
                    }
                }
                at += 1;
            }
            b'<' if bytes
                .get(at + 1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') =>
            {
                return None;
            }
            _ if bytes[at..].starts_with(close) => return Some(at + close.len()),
            _ => at += 1,
        }
    }
    None
}

/// Words that mean something else to Tera at the start of an expression (literals, operators),
/// and the prefix of its own names: `{{ word }}` with one of these is left to Tera.
const NOT_PLAIN_NAMES: &[&str] = &[
    "true", "True", "false", "False", "none", "None", "null", "not", "and", "or", "in", "is", "if",
    "else", "loop", "self", "super",
];

/// A `.tera` file that is only text, `{{ name }}` substitutions and `{% raw %}` blocks,
/// rendered without Tera.
/// Most files of a big template are like this, and Tera's parser is most of a run's time.
struct Plain {
    text: String,
    /// The file in order: a text (`false`) or a variable name (`true`), as byte ranges of `text`.
    pieces: Vec<(u32, u32, bool)>,
}

impl Plain {
    /// Reads `text` as plain, with Tera's own lexing rules: the first `{{`, `{%` or `{#` ends a
    /// text; `{{`, ASCII whitespace, an identifier, ASCII whitespace, `}}` is a substitution;
    /// `{% raw %}` to the first `{% endraw %}` is text. `None` for anything else (other tags,
    /// comments, filters, whitespace control, other expressions), which then goes to Tera.
    fn read(text: &str) -> Option<Plain> {
        let bytes = text.as_bytes();
        let len = u32::try_from(bytes.len()).ok()?;
        let mut pieces = Vec::new();
        let mut text_from = 0;
        let mut from = 0;
        while let Some(i) = memchr::memchr(b'{', &bytes[from..]) {
            let open = from + i;
            let (piece, next) = match bytes.get(open + 1) {
                Some(b'{') => {
                    let start = skip_space(bytes, open + 2);
                    let end = start + ident_len(&bytes[start..]);
                    let name = &text[start..end];
                    let close = skip_space(bytes, end);
                    if end == start
                        || bytes.get(close..close + 2) != Some(b"}}")
                        || name.starts_with("__")
                        || NOT_PLAIN_NAMES.contains(&name)
                    {
                        return None;
                    }
                    ((start, end, true), close + 2)
                }
                Some(b'%') => {
                    let (body, dashed) = tag(bytes, open + 2, b"raw")?;
                    if dashed {
                        return None;
                    }
                    match endraw(bytes, body)? {
                        (_, _, true) => return None,
                        (end, after, false) => ((body, end, false), after),
                    }
                }
                Some(b'#') => return None,
                _ => {
                    from = open + 1;
                    continue;
                }
            };
            if text_from < open {
                pieces.push((text_from as u32, open as u32, false));
            }
            if piece.0 < piece.1 {
                pieces.push((piece.0 as u32, piece.1 as u32, piece.2));
            }
            text_from = next;
            from = next;
        }
        if text_from < bytes.len() {
            pieces.push((text_from as u32, len, false));
        }
        Some(Plain {
            text: text.to_string(),
            pieces,
        })
    }

    /// Renders the file; `Ok(None)` when a name is not in `ctx` or has no value (Tera then
    /// says why), `Err` past [`Limited`]'s limits. Two passes over the pieces: the size, so
    /// that the limits are checked before anything is built, then the bytes.
    fn render(&self, ctx: &Context) -> std::io::Result<Option<Vec<u8>>> {
        let piece = |start: u32, end: u32| &self.text[start as usize..end as usize];
        let value = |name: &str| -> Option<Cow<'_, str>> {
            let value = ctx.get(name)?;
            match value.as_str() {
                Some(s) => Some(Cow::Borrowed(s)),
                None if value.is_undefined() || value.is_none() => None,
                None => Some(Cow::Owned(value.to_string())),
            }
        };
        let mut len = 0usize;
        for &(start, end, var) in &self.pieces {
            len = len.saturating_add(if var {
                let Some(v) = value(piece(start, end)) else {
                    return Ok(None);
                };
                v.len()
            } else {
                (end - start) as usize
            });
            if len > limits::MAX_FILE_BYTES {
                break;
            }
        }
        let mut out = Limited::reserve(len)?;
        for &(start, end, var) in &self.pieces {
            if var {
                if let Some(v) = value(piece(start, end)) {
                    out.buf.extend_from_slice(v.as_bytes());
                }
            } else {
                out.buf.extend_from_slice(piece(start, end).as_bytes());
            }
        }
        Ok(Some(out.buf))
    }
}

/// The first byte at or after `at` that is not ASCII whitespace (Tera's whitespace in tags).
fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The length of the identifier `bytes` starts with, as Tera reads one.
fn ident_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .enumerate()
        .take_while(|&(i, &c)| {
            c == b'_'
                || if i == 0 {
                    c.is_ascii_alphabetic()
                } else {
                    c.is_ascii_alphanumeric()
                }
        })
        .count()
}

/// Reads the rest of the tag `{% name %}` from `at` (just after `{%`) as Tera's lexer does
/// for `raw` and `endraw`: where the tag ends, and whether it has a `-` at either end.
fn tag(bytes: &[u8], at: usize, name: &[u8]) -> Option<(usize, bool)> {
    let lead = bytes.get(at) == Some(&b'-');
    let at = skip_space(bytes, at + usize::from(lead));
    if !bytes.get(at..)?.starts_with(name) {
        return None;
    }
    let at = skip_space(bytes, at + name.len());
    let trail = bytes.get(at) == Some(&b'-');
    let at = at + usize::from(trail);
    (bytes.get(at..at + 2)? == b"%}").then_some((at + 2, lead || trail))
}

/// The first `{% endraw %}` at or after `body` (just after a `{% raw %}` tag), as Tera's lexer
/// finds it: where the block's text ends, where the tag ends, and whether it has a `-`.
fn endraw(bytes: &[u8], body: usize) -> Option<(usize, usize, bool)> {
    let mut search = body;
    loop {
        let at = search + memchr::memchr(b'{', &bytes[search..])?;
        search = at + 1;
        if bytes.get(search) == Some(&b'%')
            && let Some((after, dashed)) = tag(bytes, at + 2, b"endraw")
        {
            return Some((at, after, dashed));
        }
    }
}

/// The parsed `.tera` files of one template, ready to render.
pub(crate) struct Engine {
    /// One Tera per group of files parsed together; every group when files are independent,
    /// else one holding every file.
    shards: Vec<Tera>,
    /// Which shard holds each file.
    shard_of: HashMap<String, usize>,
    /// The plain files, when no file links to another: not in any shard.
    plain: HashMap<String, Plain>,
    /// The template's label, for messages.
    label: String,
}

impl Engine {
    /// Parses every `.tera` file of `template`; reports all syntax errors at once.
    pub(crate) fn new(template: &TemplateSource) -> Result<Engine> {
        let (engine, problems) = Engine::parse(template);
        if problems.is_empty() {
            Ok(engine)
        } else {
            bail!(
                "template `{}` does not parse:\n  {}",
                engine.label,
                problems.join("\n  ")
            )
        }
    }

    /// Parses what it can: an engine holding every file that parses, and a problem line for
    /// each file that does not (`file:line:col: reason`), in file order.
    pub(crate) fn parse(template: &TemplateSource) -> (Engine, Vec<String>) {
        let label = template.label();
        let mut sources: Vec<(&str, &str)> = Vec::new();
        let mut problems = Vec::new();
        for file in &template.files {
            if !file.path.ends_with(RENDER_SUFFIX) {
                continue;
            }
            match std::str::from_utf8(&file.contents) {
                Ok(text) => sources.push((file.path.as_str(), text)),
                Err(e) => problems.push(format!(
                    "{}: marked for rendering ({RENDER_SUFFIX}) but not valid UTF-8 ({e})",
                    file.path
                )),
            }
        }
        limits::stage(format!("parsing template `{label}`"));
        // A file name may include a file too (`{% include "n.tera" %}.txt`), rendered by the
        // first shard: then that shard holds every file.
        let linked = sources.iter().any(|(_, text)| links(text))
            || template.files.iter().any(|f| links(&f.path));
        let groups = if linked {
            1
        } else {
            limits::workers(sources.len(), 64)
        };
        let chunks: Vec<&[(&str, &str)]> = if sources.is_empty() {
            vec![&[]]
        } else {
            sources.chunks(sources.len().div_ceil(groups)).collect()
        };
        let parsed: Vec<Group<'_>> = if chunks.len() == 1 {
            vec![parse_group(chunks[0], !linked)]
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = chunks
                    .iter()
                    .map(|chunk| s.spawn(|| parse_group(chunk, !linked)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| Group {
                            tera: new_tera(),
                            problems: vec!["a parsing thread panicked".to_string()],
                            parsed: Vec::new(),
                            plain: Vec::new(),
                        })
                    })
                    .collect()
            })
        };
        let mut shards = Vec::with_capacity(parsed.len());
        let mut shard_of = HashMap::new();
        let mut plain = HashMap::with_capacity(sources.len());
        for (i, group) in parsed.into_iter().enumerate() {
            problems.extend(group.problems);
            for (name, file) in group.plain {
                plain.insert(name.to_string(), file);
            }
            for name in group.parsed {
                shard_of.insert(name.to_string(), i);
            }
            shards.push(group.tera);
        }
        (
            Engine {
                shards,
                shard_of,
                plain,
                label,
            },
            problems,
        )
    }

    /// The template's label.
    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    /// Whether `name` parsed.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.shard_of.contains_key(name) || self.plain.contains_key(name)
    }

    /// Renders a Tera text (a default, a computed value, next steps, a path component).
    pub(crate) fn render_str(&self, text: &str, ctx: &Context) -> Result<String, String> {
        let mut out = Limited::default();
        self.shards[0]
            .render_str_to(text, ctx, false, &mut out)
            .map_err(|e| describe_error(&e, true))?;
        String::from_utf8(out.buf).map_err(|_| "renders to invalid UTF-8".to_string())
    }

    /// Evaluates a Tera expression as a condition.
    pub(crate) fn holds(&self, expr: &str, ctx: &Context) -> Result<bool, String> {
        let out = self.render_str(&condition(expr), ctx)?;
        Ok(out == "1")
    }

    /// Renders one `.tera` file; the error reads `label/file:line:col: reason`.
    pub(crate) fn render_file(&self, name: &str, ctx: &Context) -> Result<Vec<u8>, String> {
        let alone;
        let tera = if let Some(plain) = self.plain.get(name) {
            match plain.render(ctx) {
                Ok(Some(out)) => return Ok(out),
                Ok(None) => {}
                Err(_) => return Err(format!("{}/{name}: {}", self.label, too_big())),
            }
            // A name is missing: Tera parses the file alone (it links to nothing) and says so.
            alone = {
                let mut tera = new_tera();
                tera.add_raw_template(name, &plain.text)
                    .map_err(|e| format!("{}/{}", self.label, describe_error(&e, false)))?;
                tera
            };
            &alone
        } else if let Some(&shard) = self.shard_of.get(name) {
            &self.shards[shard]
        } else {
            return Err(format!("{}/{name}: does not parse", self.label));
        };
        let mut out = Limited::default();
        tera.render_to(name, ctx, &mut out)
            .map_err(|e| match e.kind() {
                ErrorKind::SyntaxError(_) | ErrorKind::RenderingError(_) => {
                    format!("{}/{}", self.label, describe_error(&e, false))
                }
                _ => format!("{}/{name}: {}", self.label, describe_error(&e, false)),
            })?;
        Ok(out.buf)
    }
}

/// A group of files parsed into one Tera.
struct Group<'a> {
    tera: Tera,
    problems: Vec<String>,
    /// The files the Tera holds.
    parsed: Vec<&'a str>,
    /// The plain files, read without Tera.
    plain: Vec<(&'a str, Plain)>,
}

/// Parses a group of files into one Tera. When the group fails as a whole, each file is parsed
/// alone to name every file with a syntax error, not just the first; if none has one, the
/// files fail together (an unknown or circular include), and that is said.
fn parse_group<'a>(sources: &[(&'a str, &'a str)], plain_ok: bool) -> Group<'a> {
    let mut plain = Vec::new();
    let mut rest = Vec::new();
    for &(name, text) in sources {
        match plain_ok.then(|| Plain::read(text)).flatten() {
            Some(file) => plain.push((name, file)),
            None => rest.push((name, text)),
        }
    }
    let sources = &rest[..];
    let mut tera = new_tera();
    let Err(set_error) = tera.add_raw_templates(sources.iter().copied()) else {
        return Group {
            tera,
            problems: Vec::new(),
            parsed: sources.iter().map(|(n, _)| *n).collect(),
            plain,
        };
    };
    let mut problems = Vec::new();
    let mut good = Vec::new();
    for (name, text) in sources {
        let mut alone = new_tera();
        let Err(e) = alone.add_raw_template(name, text) else {
            good.push((*name, *text));
            continue;
        };
        match e.kind() {
            ErrorKind::SyntaxError(_) => problems.push(describe_error(&e, false)),
            // Alone, includes of the other files are unknown: not this file's fault.
            ErrorKind::Msg(report) => {
                let own: Vec<String> = reports(report)
                    .into_iter()
                    .filter(|r| !r.contains("Unknown template"))
                    .collect();
                if own.is_empty() {
                    good.push((*name, *text));
                }
                problems.extend(own);
            }
            _ => good.push((*name, *text)),
        }
    }
    if problems.is_empty() {
        problems.push(describe_error(&set_error, false));
        return Group {
            tera: new_tera(),
            problems,
            parsed: Vec::new(),
            plain,
        };
    }
    // An engine of the files that parse, so `check` can still render with them.
    let mut tera = new_tera();
    let mut parsed: Vec<&str> = good.iter().map(|(n, _)| *n).collect();
    if tera.add_raw_templates(good.iter().copied()).is_err() {
        tera = new_tera();
        parsed.clear();
    }
    Group {
        tera,
        problems,
        parsed,
        plain,
    }
}

/// Puts variable values into a Tera context.
pub(crate) fn context_from<'a>(values: impl IntoIterator<Item = (&'a str, &'a Value)>) -> Context {
    let mut ctx = Context::new();
    for (name, value) in values {
        insert(&mut ctx, name, value);
    }
    ctx
}

/// Adds one value to a context.
pub(crate) fn insert(ctx: &mut Context, name: &str, value: &Value) {
    match value {
        Value::Str(s) => ctx.insert(name.to_string(), s),
        Value::Bool(b) => ctx.insert(name.to_string(), b),
        Value::Int(i) => ctx.insert(name.to_string(), i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::source::{Origin, SourceFile};

    fn template(files: &[(&str, &str)]) -> TemplateSource {
        TemplateSource {
            name: "t".into(),
            origin: Origin::Embedded,
            manifest_text: String::new(),
            files: files
                .iter()
                .map(|(p, t)| {
                    SourceFile::new(
                        (*p).to_string(),
                        std::borrow::Cow::Owned(t.as_bytes().to_vec()),
                        false,
                    )
                })
                .collect(),
        }
    }

    /// Real Tera errors, formatted: a Tera update that changes them fails here, not only in
    /// CLI substrings.
    #[test]
    fn tera_errors_become_file_line_col() {
        // (files, the problems `parse` reports)
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
        let cases: &[Case] = &[
            (&[("ok.tera", "{{ x }}")], &[]),
            (
                &[("a.tera", "line\n{{ x "), ("b.tera", "{% if %}")],
                &[
                    "a.tera:2:5: Unexpected end of input",
                    "b.tera:1:7: Found `%}` but expected one of: integer, float, string, bool, \
                     ident, `-`, `not`, `<`, `{`, `[` or `(`",
                ],
            ),
            (
                &[("a.tera", "{% include \"missing.tera\" %}")],
                &["a.tera:1:12: Unknown template `missing.tera`"],
            ),
            (
                &[("bad.tera", "{{ x | nofilter }}")],
                &["bad.tera:1:8: Unknown filter `nofilter`"],
            ),
        ];
        for (files, want) in cases {
            let (_, problems) = Engine::parse(&template(files));
            assert_eq!(problems, *want, "{files:?}");
        }
    }

    #[test]
    fn render_errors_name_the_place() {
        let engine = Engine::new(&template(&[("f.tera", "a\n{{ missing }}")])).unwrap();
        let err = engine.render_file("f.tera", &Context::new()).unwrap_err();
        assert!(err.starts_with("t/f.tera:2:4: "), "{err}");
        assert!(err.contains("missing"), "{err}");
        let err = engine
            .render_str("{{ nope }}", &Context::new())
            .unwrap_err();
        assert!(err.starts_with("1:4: "), "{err}");
        // An include that is not there is reported as Tera's report text: still `line:col`.
        let err = engine
            .render_str("{% include \"nope\" %}", &Context::new())
            .unwrap_err();
        assert_eq!(err, "1:12: Unknown template `nope`");
    }

    /// Renders `text` as the file `name` with Tera alone, as `render_file` reports it.
    fn with_tera(name: &str, text: &str, ctx: &Context) -> Result<Vec<u8>, String> {
        let mut tera = new_tera();
        tera.add_raw_template(name, text)
            .map_err(|e| format!("t/{}", describe_error(&e, false)))?;
        let mut out = Limited::default();
        tera.render_to(name, ctx, &mut out)
            .map_err(|e| format!("t/{}", describe_error(&e, false)))?;
        Ok(out.buf)
    }

    #[test]
    fn plain_files_are_only_text_names_and_raw_blocks() {
        // (text, the pieces as text `"t:..."` and names `"v:..."`, or None: left to Tera)
        let cases: &[(&str, Option<&[&str]>)] = &[
            ("", Some(&[])),
            (
                "no tags at all { } }} %} #}",
                Some(&["t:no tags at all { } }} %} #}"]),
            ),
            ("a{{ x }}b", Some(&["t:a", "v:x", "t:b"])),
            ("{{x}}{{\n\t_y2 \r}}", Some(&["v:x", "v:_y2"])),
            ("{{{ x }}", None),
            ("a{{{ x }}", None),
            ("{ {{ x }}}", Some(&["t:{ ", "v:x", "t:}"])),
            (
                "{% raw %}{{ a }}{% if %}{% endraw %}!",
                Some(&["t:{{ a }}{% if %}", "t:!"]),
            ),
            ("{%raw%}x{%endraw%}", Some(&["t:x"])),
            (
                "{% raw %}{% endrawx %}{% endraw %}",
                Some(&["t:{% endrawx %}"]),
            ),
            ("{% raw %}{% endraw %}", Some(&[])),
            // Whitespace control, other tags, comments, expressions, Tera's own words.
            ("{{- x }}", None),
            ("{{ x -}}", None),
            ("{{ x | upper }}", None),
            ("{{ x.y }}", None),
            ("{{ x() }}", None),
            ("{{ 1 }}", None),
            ("{{ }}", None),
            ("{{ x", None),
            ("{{ x }", None),
            ("{{ true }}", None),
            ("{{ None }}", None),
            ("{{ not }}", None),
            ("{{ __tera_context }}", None),
            ("{{ é }}", None),
            ("{% if x %}{% endif %}", None),
            ("{# a comment #}", None),
            ("{%- raw %}x{% endraw %}", None),
            ("{% raw -%}x{% endraw %}", None),
            ("{% raw %}x{%- endraw %}", None),
            ("{% raw %}x{% endraw -%}", None),
            ("{% raw %}never closed", None),
            ("{% rawx %}", None),
        ];
        for (text, want) in cases {
            let got = Plain::read(text).map(|p| {
                p.pieces
                    .iter()
                    .map(|&(a, b, var)| {
                        format!(
                            "{}:{}",
                            if var { 'v' } else { 't' },
                            &text[a as usize..b as usize]
                        )
                    })
                    .collect::<Vec<_>>()
            });
            let want = want.map(|w| w.iter().map(ToString::to_string).collect::<Vec<_>>());
            assert_eq!(got, want, "{text:?}");
        }
    }

    /// Values of every kind scaffold has, and a name with none (Tera then says so).
    fn plain_context() -> Context {
        let mut ctx = Context::new();
        ctx.insert("x", &"a<b>&\"c\" {{ y }}");
        ctx.insert("n", &-42_i64);
        ctx.insert("b", &true);
        ctx.insert("e", &"");
        ctx
    }

    #[test]
    fn plain_files_render_as_tera_renders_them() {
        let engine = Engine::new(&template(&[
            (
                "p.tera",
                "{{ x }}/{{n}}/{{ b }}/{{ e }}{% raw %}{{ z }}{% endraw %}",
            ),
            ("missing.tera", "line\n  {{ nope }}"),
        ]))
        .unwrap();
        assert_eq!(engine.plain.len(), 2, "both files are plain");
        assert!(engine.has("p.tera") && engine.has("missing.tera"));
        let ctx = plain_context();
        let got = engine.render_file("p.tera", &ctx).unwrap();
        assert_eq!(
            String::from_utf8(got).unwrap(),
            "a<b>&\"c\" {{ y }}/-42/true/{{ z }}"
        );
        // A missing name: Tera's own error, with its place.
        let err = engine.render_file("missing.tera", &ctx).unwrap_err();
        assert_eq!(
            Err(err.clone()),
            with_tera("missing.tera", "line\n  {{ nope }}", &ctx)
        );
        assert!(err.starts_with("t/missing.tera:2:6: "), "{err}");
        // Past the size limit, as Tera's path says it.
        let mut big = Context::new();
        big.insert("x", &"x".repeat(limits::MAX_FILE_BYTES / 2 + 1));
        let engine = Engine::new(&template(&[("big.tera", "{{ x }}{{ x }}")])).unwrap();
        let err = engine.render_file("big.tera", &big).unwrap_err();
        assert_eq!(err, format!("t/big.tera: {}", too_big()));
        // A template whose files link renders every file with Tera.
        let engine = Engine::new(&template(&[
            ("a.tera", "{% include \"b.tera\" %}"),
            ("b.tera", "{{ x }}"),
        ]))
        .unwrap();
        assert!(engine.plain.is_empty());
        assert_eq!(
            engine.render_file("a.tera", &ctx).unwrap(),
            with_tera("b.tera", "{{ x }}", &ctx).unwrap()
        );
    }

    /// How many generated texts were plain with a name in them, rendered without Tera.
    static PLAIN_RENDERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    #[test]
    fn the_plain_property_renders_plain_files() {
        plain_rendering_is_teras();
        let n = PLAIN_RENDERS.load(std::sync::atomic::Ordering::Relaxed);
        assert!(n >= 200, "only {n} generated texts rendered as plain files");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 3000, .. Default::default() })]

        /// Any text the plain reader takes, Tera parses, and both render it alike (a missing
        /// name is left to Tera, which then fails); the fragments sit on the edges of Tera's
        /// lexer.
        #[test]
        fn plain_rendering_is_teras(parts in proptest::collection::vec(proptest::sample::select(vec![
            "{", "}", "{{", "}}", "{%", "%}", "{#", "#}", "-", " ", "\n", "\t", "x", "n", "b", "e",
            "nope", "_", "9", "raw", "endraw", " raw ", " endraw ", "|", "é", "a", "true", "\r",
            "{{ x }}", "{% raw %}", "{% endraw %}", "{{x}}", "{{ n }}", "{{ b }}", "{{ nope }}",
            "\x0b", "\x0c", "+", "none", "loop", "__tera_context", "{%-", "-%}", "{{-", "-}}",
        ]), 0..16)) {
            let text: String = parts.concat();
            let Some(plain) = Plain::read(&text) else { return Ok(()) };
            let parsed = new_tera().add_raw_template("f.tera", &text);
            proptest::prop_assert!(parsed.is_ok(), "plain, but Tera does not parse it: {:?}", text);
            let ctx = plain_context();
            let tera = with_tera("f.tera", &text, &ctx);
            match plain.render(&ctx).unwrap() {
                Some(out) => {
                    if plain.pieces.iter().any(|p| p.2) {
                        PLAIN_RENDERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    proptest::prop_assert_eq!(Ok(out), tera, "{:?}", text);
                }
                None => proptest::prop_assert!(tera.is_err(), "{:?}", text),
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 3000, .. Default::default() })]

        /// A text that `links` says stands alone parses alone: it never names another file
        /// (an include, a parent, an import, a component) that Tera would look for.
        #[test]
        fn a_text_said_to_stand_alone_needs_no_other_file(parts in proptest::collection::vec(proptest::sample::select(vec![
            "{{", "}}", "{%", "%}", "{#", "#}", " ", "\"", "'", "`", "\\", "-", "x", "<", "<b/>",
            "{% raw %}", "{% endraw %}", " raw ", " endraw ", "include \"b\"", "{% include \"b\" %}",
            "extends \"b\"", "import \"b\" as m", "{{ m::f() }}", "{{<b/>}}", "{% if x %}", "{% endif %}",
            "{{ \"{% raw %}\" }}", "{# {% raw %} #}", "\"{% raw %}\"", "{{ '}}' }}",
        ]), 0..14)) {
            let text: String = parts.concat();
            if !links(&text) {
                let alone = new_tera().add_raw_template("f.tera", &text);
                if let Err(e) = alone {
                    let said = describe_error(&e, false);
                    proptest::prop_assert!(
                        !said.contains("Unknown template") && !said.contains("nknown component"),
                        "links said no, Tera looked for another file: {:?}: {}", text, said
                    );
                }
            }
        }
    }

    #[test]
    fn links_between_files_are_found_outside_raw_blocks() {
        for (text, want) in [
            ("plain {{ x }}", false),
            ("{% include \"b\" %}", true),
            ("{%- extends \"b\" %}", true),
            ("{% import \"m\" as m %}", true),
            ("{{<button/>}}", true),
            ("{% component c() %}{% endcomponent c %}", true),
            (
                "{% raw %}{% extends \"base.html\" %}{{<x/>}}{% endraw %} {{ y }}",
                false,
            ),
            ("{% raw %}x{% endraw %}{% include \"b\" %}", true),
            ("{% if included %}{% endif %}", false),
            // Tera's own reading: a raw tag in a string or a comment opens no raw block.
            ("{{ \"{% raw %}\" }}{% include \"b\" %}", true),
            ("{# {% raw %} #}{% include \"b\" %}", true),
            ("{% set x = '{% raw %}' %}{% include \"b\" %}", true),
            ("{{ \"a\\\"}}\" }}{% include \"b\" %}", true),
            ("{# {% include \"b\" %} #}", false),
            ("{{ \"{% include 'b' %}\" }}", false),
            ("{{ x | default(value=\"}}\") }}", false),
            // A component call may stand anywhere in an expression.
            ("{{ 1 + <button/> }}", true),
            ("{% if a < b %}{% endif %}", false),
            // What does not close is not understood: yes.
            ("{# never closed", true),
            ("{% raw %}never closed", true),
            ("{{ \"never closed }}", true),
        ] {
            assert_eq!(links(text), want, "{text}");
        }
    }

    #[test]
    fn independent_files_parse_in_groups_and_render_alike() {
        let files: Vec<(String, String)> = (0..300)
            .map(|i| (format!("f{i:03}.tera"), format!("{i}:{{{{ x }}}}")))
            .collect();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let engine = Engine::new(&template(&refs)).unwrap();
        let mut ctx = Context::new();
        ctx.insert("x", &"v");
        for i in [0, 150, 299] {
            let out = engine.render_file(&format!("f{i:03}.tera"), &ctx).unwrap();
            assert_eq!(out, format!("{i}:v").into_bytes());
        }
        // A file that includes another is parsed with it.
        let engine = Engine::new(&template(&[
            ("a.tera", "[{% include \"b.tera\" %}]"),
            ("b.tera", "{{ x }}"),
        ]))
        .unwrap();
        assert_eq!(engine.shards.len(), 1);
        assert_eq!(engine.render_file("a.tera", &ctx).unwrap(), b"[v]");
    }
}

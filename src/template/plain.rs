//! A template text read by Tera's own lexing rules, without Tera: whether it may depend on
//! other files (an include, a parent, an import, a component), and the plain files (only text,
//! `{{ name }}` and `{% raw %}` blocks) rendered without Tera, to the same bytes. Most files
//! of a big template are plain, and Tera's parser is most of a run's time; the engine's tests
//! hold the two readings together.

use std::borrow::Cow;

use tera::Context;

use crate::util::limits::{self, Limited};

/// Tags that make one template file depend on another (includes, inheritance, imports, and
/// components, which are global): files that use them are parsed into one Tera instance.
const LINKING_TAGS: &[&str] = &["include", "extends", "import", "component", "macro"];

/// Whether a template text may depend on other files: a linking tag, or what may be a
/// component call (`<` and a letter in an expression), read as Tera's lexer reads a text:
/// comments, `{% raw %}` blocks and string literals are skipped. Conservative: when unsure
/// (a tag or comment that does not close), it says yes.
pub(crate) fn links(text: &str) -> bool {
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
pub(crate) struct Plain {
    /// The file's text.
    pub(crate) text: String,
    /// The file in order: a text (`false`) or a variable name (`true`), as byte ranges of `text`.
    pub(crate) pieces: Vec<(u32, u32, bool)>,
}

impl Plain {
    /// Reads `text` as plain, with Tera's own lexing rules: the first `{{`, `{%` or `{#` ends a
    /// text; `{{`, ASCII whitespace, an identifier, ASCII whitespace, `}}` is a substitution;
    /// `{% raw %}` to the first `{% endraw %}` is text. `None` for anything else (other tags,
    /// comments, filters, whitespace control, other expressions), which then goes to Tera.
    pub(crate) fn read(text: &str) -> Option<Plain> {
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
    pub(crate) fn render(&self, ctx: &Context) -> std::io::Result<Option<Vec<u8>>> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}

//! Tera, set up once for scaffold: no autoescaping, scaffold's filters, every `.tera` file of a
//! template parsed (on every core when the files are independent), renders bounded by
//! [`crate::util::limits`], and Tera's errors turned into `file:line:col: reason`. A plain
//! file ([`super::plain`]) is rendered without Tera, to the same bytes (a property test here
//! holds the two together); anything else, and any failure, is Tera's.

use std::collections::HashMap;

use anyhow::{Result, bail};
use tera::{Context, ErrorKind, Tera};

use super::plain::{Plain, links};
use crate::sources::source::{RENDER_SUFFIX, TemplateSource};
use crate::template::values::Value;
use crate::util::limits::{self, Limited};

/// A fresh Tera as scaffold uses it.
pub(crate) fn new_tera() -> Tera {
    let mut tera = Tera::new();
    // Tera escapes `.html` output by default; a project generator must never do that.
    tera.autoescape_on(Vec::<&str>::new());
    crate::template::filters::register(&mut tera);
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

//! Splits a line into words as a POSIX shell would for the simple lines our tests read
//! (variants.txt, the README's examples): spaces and tabs separate, single and double quotes
//! group, and an unquoted ` #` starts a comment. Shared by the unit tests and, through
//! `#[path]`, the integration tests, so the splitter exists once.

/// The words of `line`.
pub(crate) fn shell_words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut word = false;
    let mut prev_blank = true;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '#') if prev_blank => break,
            (None, '\'' | '"') => {
                quote = Some(c);
                word = true;
            }
            (None, ' ' | '\t') => {
                if word {
                    out.push(std::mem::take(&mut cur));
                    word = false;
                }
            }
            (_, c) => {
                cur.push(c);
                word = true;
            }
        }
        prev_blank = quote.is_none() && (c == ' ' || c == '\t');
    }
    if word {
        out.push(cur);
    }
    out
}

#[test]
fn words_split_like_the_shell() {
    for (line, want) in [
        ("a -d x=1", vec!["a", "-d", "x=1"]),
        (
            r#"b --name "My Site" -d 'k=a b'"#,
            vec!["b", "--name", "My Site", "-d", "k=a b"],
        ),
        ("c -d x=''", vec!["c", "-d", "x="]),
        ("new flat x   # a comment", vec!["new", "flat", "x"]),
        ("a#b", vec!["a#b"]),
        ("'# not a comment'", vec!["# not a comment"]),
    ] {
        assert_eq!(shell_words(line), want, "{line}");
    }
}

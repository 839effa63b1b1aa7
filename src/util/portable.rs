//! Output names that would break on other systems: invalid on Windows, or colliding on
//! case-insensitive (macOS, Windows) or normalising file systems.

use std::collections::BTreeMap;

use unicode_normalization::UnicodeNormalization;

const WINDOWS_RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Why a path component cannot exist on Windows, if it cannot.
pub(crate) fn windows_problem(component: &str) -> Option<String> {
    if let Some(c) = component.chars().find(|c| "<>:\"|?*".contains(*c)) {
        return Some(format!("`{c}` is not allowed in Windows file names"));
    }
    if component.ends_with('.') || component.ends_with(' ') {
        return Some("Windows drops a trailing dot or space".to_string());
    }
    let stem = component.split('.').next().unwrap_or("").trim_end();
    if WINDOWS_RESERVED
        .iter()
        .any(|r| r.eq_ignore_ascii_case(stem))
    {
        return Some(format!("`{stem}` is a reserved device name on Windows"));
    }
    None
}

/// Every portability problem among output paths, one line each.
pub(crate) fn problems<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut folded: BTreeMap<String, &str> = BTreeMap::new();
    let mut normal: BTreeMap<String, &str> = BTreeMap::new();
    for path in paths {
        for component in path.split('/') {
            if let Some(why) = windows_problem(component) {
                let line = format!("`{path}`: {why}");
                if !out.contains(&line) {
                    out.push(line);
                }
            }
        }
        let nfc: String = path.nfc().collect();
        if let Some(other) = normal.insert(nfc.clone(), path)
            && other != path
        {
            out.push(format!(
                "`{other}` and `{path}` are the same name after Unicode normalisation"
            ));
        }
        let lower = nfc.to_lowercase();
        if let Some(other) = folded.insert(lower, path)
            && other != path
            && other.nfc().collect::<String>() != nfc
        {
            out.push(format!(
                "`{other}` and `{path}` differ only in case: one overwrites the other on \
                     macOS and Windows"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_names() {
        for (name, bad) in [
            ("app.py", false),
            ("con", true),
            ("CON.txt", true),
            ("console.py", false),
            ("a:b", true),
            ("what?", true),
            ("trailing.", true),
            ("lpt9.log", true),
        ] {
            assert_eq!(windows_problem(name).is_some(), bad, "{name}");
        }
    }

    #[test]
    fn collisions() {
        assert!(problems(["README.md", "readme.md"])[0].contains("differ only in case"));
        assert!(problems(["caf\u{e9}", "cafe\u{301}"])[0].contains("Unicode normalisation"));
        assert!(problems(["a/b.txt", "a/c.txt", "B.txt"]).is_empty());
    }
}

//! The rules every path scaffold writes must pass, whatever produced it: a rendered template
//! path today, a path read from a project's `.scaffold.toml` or a git tree later. One place owns
//! them, so every source of paths is held to the same rules. And the two ways paths on disk
//! are related: a path made absolute and symlink-free (before it exists), and one path made
//! relative to another.

use std::path::{Path, PathBuf};

use crate::util::limits::{MAX_COMPONENT_BYTES, MAX_PATH_BYTES};

/// Version-control metadata directories: a generated project must never contain one (a
/// template could otherwise ship `.git/config` with `core.fsmonitor`, or a hook, and the first
/// `git status` in the new project would run its command).
pub(crate) const VCS_DIRS: &[&str] = &[".git", ".hg", ".svn"];

/// Code points that macOS (HFS+) ignores in file names, so `.g\u{200c}it` is `.git` there
/// (git's own check, CVE-2014-9390).
fn is_ignorable(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}')
}

/// Whether a component names a VCS directory on some system: compared without letter case
/// (macOS, Windows), without trailing dots and spaces (Windows drops them) and without
/// ignorable code points (macOS), without an NTFS stream suffix (`.git::$INDEX_ALLOCATION` is
/// `.git` on Windows), and the NTFS short name `GIT~1`.
pub(crate) fn is_vcs_dir(component: &str) -> bool {
    // Most names are plain ASCII that neither starts with a dot nor holds a `~`: not one.
    if component.is_ascii() && !component.starts_with('.') && !component.contains('~') {
        return false;
    }
    let name = component.split(':').next().unwrap_or(component);
    let folded: String = name
        .chars()
        .filter(|c| !is_ignorable(*c))
        .collect::<String>()
        .trim_end_matches(['.', ' '])
        .to_lowercase();
    VCS_DIRS.contains(&folded.as_str()) || folded == "git~1"
}

/// Checks one path component; the reason is returned for the message.
pub(crate) fn check_component(c: &str) -> Result<(), String> {
    if c.is_empty() {
        return Err("which has an empty component".to_string());
    }
    if c == "." || c == ".." {
        return Err(format!("which has the component `{c}`"));
    }
    if c.contains('/') || c.contains('\\') {
        return Err("which has a path separator inside a component".to_string());
    }
    if let Some(ch) = c.chars().find(|ch| ch.is_control()) {
        return Err(format!("which has the control character {ch:?}"));
    }
    let b = c.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err("which starts with a drive prefix".to_string());
    }
    if c.len() > MAX_COMPONENT_BYTES {
        return Err(format!(
            "which has a component of {} bytes, longer than {MAX_COMPONENT_BYTES} bytes (the most \
             file systems allow)",
            c.len()
        ));
    }
    if is_vcs_dir(c) {
        return Err(format!(
            "which has the component `{}`: version-control metadata ({}) is never generated, \
             since git and the others run commands named there",
            crate::util::text::shown(c),
            VCS_DIRS.join(", ")
        ));
    }
    Ok(())
}

/// Checks a whole relative, `/`-separated path: every component, and its length.
pub(crate) fn check_relative(path: &str) -> Result<(), String> {
    for c in path.split('/') {
        check_component(c)?;
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(format!(
            "which is {} bytes long, longer than the {MAX_PATH_BYTES} bytes a path may have",
            path.len()
        ));
    }
    Ok(())
}

/// Whether a manifest path (a file, or a directory covering everything below it) covers
/// `path`.
pub(crate) fn covers(manifest_path: &str, path: &str) -> bool {
    let dir = manifest_path.trim_end_matches('/');
    path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The absolute, symlink-free form of a path that may not exist yet: its deepest existing
/// ancestor canonicalized, the rest appended.
pub(crate) fn resolve_path(path: &Path) -> PathBuf {
    let absolute = std::env::current_dir().unwrap_or_default().join(path);
    let mut existing = absolute.clone();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(&existing) {
            return rest.into_iter().rev().fold(real, |p, c| p.join(c));
        }
        match (
            existing.file_name().map(ToOwned::to_owned),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => return absolute,
        }
    }
}

/// `to` as a path relative to the directory `from` (both absolute and symlink-free), if they
/// share a root.
pub(crate) fn relative(from: &Path, to: &Path) -> Option<PathBuf> {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    if from.first() != to.first() {
        return None;
    }
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to[common..] {
        out.push(c);
    }
    Some(if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        // (component, accepted, part of the reason)
        let long = "x".repeat(256);
        let cases: &[(&str, bool, &str)] = &[
            ("app.py", true, ""),
            (".gitignore", true, ""),
            (".github", true, ""),
            ("git", true, ""),
            ("", false, "empty"),
            (".", false, "`.`"),
            ("..", false, "`..`"),
            ("a/b", false, "separator"),
            ("a\\b", false, "separator"),
            ("a\u{7}", false, "control"),
            ("C:x", false, "drive"),
            (&long, false, "256 bytes"),
            (".git", false, "version-control"),
            (".GIT", false, "version-control"),
            (".Git.", false, "version-control"),
            (".git ", false, "version-control"),
            (".g\u{200c}it", false, "version-control"),
            ("GIT~1", false, "version-control"),
            (".git::$INDEX_ALLOCATION", false, "version-control"),
            (".Git:stream", false, "version-control"),
            (".hg", false, "version-control"),
            (".SVN", false, "version-control"),
        ];
        for (c, ok, why) in cases {
            match check_component(c) {
                Ok(()) => assert!(ok, "{c:?} was accepted"),
                Err(e) => {
                    assert!(!ok, "{c:?} was refused: {e}");
                    assert!(e.contains(why), "{c:?}: {e}");
                }
            }
        }
    }

    #[test]
    fn whole_paths() {
        assert!(check_relative("a/b/c.txt").is_ok());
        assert!(check_relative("a/.git/config").is_err());
        assert!(check_relative("a//b").is_err());
        let deep = vec!["d".repeat(200); 21].join("/");
        assert!(check_relative(&deep).unwrap_err().contains("bytes long"));
    }

    #[test]
    fn coverage() {
        for (dir, path, want) in [
            ("docs", "docs/a.md", true),
            ("docs/", "docs/a.md", true),
            ("docs", "docs", true),
            ("docs", "docsx/a.md", false),
            ("a.txt", "a.txt", true),
            ("a", "b/a", false),
        ] {
            assert_eq!(covers(dir, path), want, "{dir} {path}");
        }
    }
}

//! A template as files in memory, whatever it was loaded from.

use std::borrow::Cow;
use std::path::PathBuf;

/// Where a template came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into the binary.
    Embedded,
    /// A directory on disk.
    Directory(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Embedded => f.write_str("embedded"),
            Origin::Directory(dir) => write!(f, "{}", dir.display()),
        }
    }
}

/// One file of a template.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the template root, `/`-separated, never empty, never `..`.
    pub path: String,
    /// The file's bytes, exactly as stored.
    pub contents: Cow<'static, [u8]>,
    /// Whether the source file itself is executable (templates on disk only).
    pub executable: bool,
}

/// A template: its manifest text and every other file, sorted by path.
#[derive(Debug, Clone)]
pub struct TemplateSource {
    /// The template's name (its directory name).
    pub name: String,
    /// Where it came from.
    pub origin: Origin,
    /// The text of `template.toml`.
    pub manifest_text: String,
    /// Every file except `template.toml`, sorted by path.
    pub files: Vec<SourceFile>,
}

/// The manifest's file name at a template's root.
pub const MANIFEST_FILE: &str = "template.toml";

/// The suffix that marks a file for rendering; it is removed on output.
pub const RENDER_SUFFIX: &str = ".tera";

impl TemplateSource {
    /// Whether `path` names a file of the template, or a directory holding some.
    pub fn covers(&self, path: &str) -> bool {
        let dir = path.trim_end_matches('/');
        self.files
            .iter()
            .any(|f| f.path == dir || f.path.starts_with(&format!("{dir}/")))
    }

    /// A label for messages: the name, and the directory for templates on disk.
    pub fn label(&self) -> String {
        match &self.origin {
            Origin::Embedded => self.name.clone(),
            Origin::Directory(dir) => dir.display().to_string(),
        }
    }
}

//! A template as files in memory, whatever source it was read from: its files, its manifest's
//! text, where it came from, and what it is exactly (its tree id). Every source gives one.

use std::borrow::Cow;
use std::path::PathBuf;

use anyhow::{Result, anyhow};

use crate::util::error::usage;
use crate::util::limits::{MAX_TEMPLATE_BYTES, MAX_TEMPLATE_FILES};
use crate::util::text::Shown as _;

/// Where a git template came from, as recorded and shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitOrigin {
    /// The URL without credentials, or the local repository's path.
    pub(crate) location: String,
    /// Whether `location` is a local repository read in place.
    pub(crate) local: bool,
    /// The ref asked for (`--ref`), if one was.
    pub(crate) reference: Option<String>,
    /// The ref used: the one asked for, or the one the default rule chose.
    pub(crate) resolved: String,
    /// The full commit id.
    pub(crate) commit: String,
    /// The template's directory in the repository (empty: the root).
    pub(crate) subdir: String,
}

/// Where a template came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Compiled into the binary.
    Embedded,
    /// A directory on disk.
    Directory(PathBuf),
    /// A commit of a git repository.
    Git(GitOrigin),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Embedded => f.write_str("embedded"),
            Origin::Directory(dir) => write!(f, "{}", dir.shown()),
            Origin::Git(g) => write!(f, "{} at {} ({})", g.location, g.resolved, &g.commit[..7]),
        }
    }
}

/// One file of a template.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    /// Path relative to the template root, `/`-separated, never empty, never `..`.
    pub(crate) path: String,
    /// The file's bytes, exactly as stored.
    pub(crate) contents: Cow<'static, [u8]>,
    /// Whether the source file itself is executable (templates on disk only).
    pub(crate) executable: bool,
    /// The git blob id of `contents`, once computed (templates on disk: by the thread that
    /// read the file, while its bytes are in the cache).
    pub(crate) blob: std::sync::OnceLock<String>,
}

impl SourceFile {
    /// A file whose blob id is not computed yet.
    pub(crate) fn new(path: String, contents: Cow<'static, [u8]>, executable: bool) -> Self {
        SourceFile {
            path,
            contents,
            executable,
            blob: std::sync::OnceLock::new(),
        }
    }

    /// The git blob id of the contents.
    pub(crate) fn blob_id(&self) -> &str {
        self.blob
            .get_or_init(|| crate::util::hash::blob(&self.contents))
    }
}

/// A template: its manifest text and every other file, sorted by path.
#[derive(Debug, Clone)]
pub(crate) struct TemplateSource {
    /// The template's name (its directory name).
    pub(crate) name: String,
    /// Where it came from.
    pub(crate) origin: Origin,
    /// The text of `template.toml`.
    pub(crate) manifest_text: String,
    /// Every file except `template.toml`, sorted by path.
    pub(crate) files: Vec<SourceFile>,
}

/// The manifest's file name at a template's root.
pub(crate) const MANIFEST_FILE: &str = "template.toml";

/// The suffix that marks a file for rendering; it is removed on output.
pub(crate) const RENDER_SUFFIX: &str = ".tera";

impl TemplateSource {
    /// Whether `path` names a file of the template, or a directory holding some.
    pub(crate) fn covers(&self, path: &str) -> bool {
        self.files
            .iter()
            .any(|f| crate::util::paths::covers(path, &f.path))
    }

    /// What the template is, exactly: the git tree id of its files with `template.toml`.
    pub(crate) fn id(&self) -> Result<String> {
        let mut entries: Vec<crate::util::hash::Entry<'_>> = self
            .files
            .iter()
            .map(|f| crate::util::hash::Entry {
                path: &f.path,
                executable: f.executable,
                contents: &f.contents,
                id: Some(f.blob_id()),
            })
            .collect();
        entries.push(crate::util::hash::Entry {
            path: MANIFEST_FILE,
            executable: false,
            contents: self.manifest_text.as_bytes(),
            id: None,
        });
        crate::util::hash::tree_id(&entries)
    }

    /// A label for messages: the name, and the directory for templates on disk.
    pub(crate) fn label(&self) -> String {
        match &self.origin {
            Origin::Embedded => self.name.clone(),
            Origin::Directory(dir) => dir.display().to_string(),
            Origin::Git(g) => g.location.clone(),
        }
    }
}

/// A template from the files of a git tree (`template.toml` among them).
pub(crate) fn from_tree(
    name: &str,
    origin: Origin,
    files: Vec<crate::git::tree::TreeFile>,
) -> Result<TemplateSource> {
    let mut manifest_text = None;
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        if f.path == MANIFEST_FILE {
            manifest_text = Some(
                String::from_utf8(f.contents)
                    .map_err(|_| anyhow!("`{MANIFEST_FILE}` is not valid UTF-8"))?,
            );
        } else {
            out.push(SourceFile::new(
                f.path,
                Cow::Owned(f.contents),
                f.executable,
            ));
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(TemplateSource {
        name: name.to_string(),
        origin,
        manifest_text: manifest_text
            .ok_or_else(|| usage!("there is no `{MANIFEST_FILE}` there"))?,
        files: out,
    })
}

/// The limits a template read from git is held to, as one read from a directory.
pub(crate) fn tree_limits() -> crate::git::tree::TreeLimits {
    crate::git::tree::TreeLimits {
        files: MAX_TEMPLATE_FILES,
        file_bytes: MAX_TEMPLATE_BYTES,
        total_bytes: MAX_TEMPLATE_BYTES,
    }
}

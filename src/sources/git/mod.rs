//! Templates from git repositories: a location (a URL, or a local repository's path) at a ref
//! (`--ref`, else the highest semver tag, else the default branch), or at a recorded commit.
//! A remote is fetched into the cache of bare mirrors by the hardened `git` program, the only
//! process scaffold runs; everything else is read in process with gix ([`crate::git`]): a local
//! repository is read in place from its object database, with no working copy and no checkout.

pub(crate) mod cache;
pub(crate) mod process;
pub(crate) mod refs;

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};

use self::cache::{cache_dir, cache_key, check_entry, mirror};
use self::refs::{check_ref, check_url, highest_tag, url_kind, without_credentials};
use super::source::{GitOrigin, Origin, TemplateSource, from_tree, tree_limits};
use crate::util::error::usage;

/// How a git template was asked for, besides its location.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    /// `--ref`: a tag, branch or commit.
    pub(crate) reference: Option<String>,
    /// `--subdir`: the template's directory inside the repository.
    pub(crate) subdir: Option<String>,
    /// `--offline`: use the cache only.
    pub(crate) offline: bool,
    /// `--pre`: pre-release tags count for the default rule.
    pub(crate) pre: bool,
    /// `-q`: do not name the source and commit on stderr.
    pub(crate) quiet: bool,
}

/// The name a template read from git goes by: the one its manifest declares, when it is a
/// plain name; else its directory's (or the repository's) name.
fn declared_name(files: &[crate::git::tree::TreeFile], fallback: &str) -> String {
    files
        .iter()
        .find(|f| f.path == super::source::MANIFEST_FILE)
        .and_then(|f| std::str::from_utf8(&f.contents).ok())
        .and_then(|t| t.parse::<toml::Table>().ok())
        .and_then(|t| t.get("name").and_then(|n| n.as_str()).map(str::to_string))
        .filter(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
        .unwrap_or_else(|| fallback.to_string())
}

/// Reads the template at `location` (a URL, or a local repository's path): resolves the ref,
/// reads the tree at that commit.
pub(crate) fn load(location: &str, spec: &Options) -> Result<TemplateSource> {
    let local = url_kind(location).is_none();
    if let Some(r) = &spec.reference {
        check_ref(r)?;
    }
    let subdir = spec
        .subdir
        .as_deref()
        .map(|s| s.trim_matches('/').to_string())
        .unwrap_or_default();
    if !subdir.is_empty() {
        crate::util::paths::check_relative(&subdir).map_err(|why| {
            usage!(
                "--subdir `{}`: {}",
                crate::util::text::shown(&subdir),
                why.trim_start_matches("which ")
            )
        })?;
    }
    let (repo_dir, location) = if local {
        if location.contains("::") || location.starts_with('-') {
            check_url(location)?;
        }
        (PathBuf::from(location), location.to_string())
    } else {
        check_url(location)?;
        (
            mirror(location, spec.offline)?,
            without_credentials(location),
        )
    };
    let repo = crate::git::tree::open_template_repo(&repo_dir)
        .map_err(|e| usage!("`{}`: {e:#}", crate::util::text::shown_whole(&location)))?
        .named(&location);
    let resolved = match &spec.reference {
        Some(r) => r.clone(),
        None => match highest_tag(&repo.tags()?, spec.pre) {
            Some(tag) => tag,
            None => repo
                .default_branch()
                .filter(|b| check_ref(b).is_ok())
                .ok_or_else(|| {
                    anyhow!(
                        "`{location}` has no version tag and no default branch; give one with --ref"
                    )
                })?,
        },
    };
    let commit = repo.resolve(&resolved).map_err(|e| usage!("{e:#}"))?.commit;
    if !spec.quiet {
        crate::util::term::err(format!(
            "template {} at {} ({})",
            crate::util::text::shown(&location),
            crate::util::text::shown(&resolved),
            &commit[..7]
        ));
    }
    if !repo.has_template(&commit, &subdir)? {
        let dirs = repo.template_dirs(&commit)?;
        return Err(no_template(&location, &resolved, &subdir, &dirs));
    }
    let files = repo.read_tree(
        &commit,
        (!subdir.is_empty()).then_some(subdir.as_str()),
        &tree_limits(),
    )?;
    let fallback = subdir
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .map_or_else(
            || {
                location
                    .trim_end_matches('/')
                    .rsplit(['/', ':'])
                    .next()
                    .unwrap_or("template")
                    .trim_end_matches(".git")
                    .to_string()
            },
            str::to_string,
        );
    let name = declared_name(&files, &fallback);
    let origin = Origin::Git(GitOrigin {
        location,
        local,
        reference: spec.reference.clone(),
        resolved,
        commit,
        subdir,
    });
    from_tree(&name, origin, files)
}

/// The error for a repository with no template where it was asked for: the templates it
/// holds, and how to pick one.
fn no_template(location: &str, resolved: &str, subdir: &str, dirs: &[String]) -> anyhow::Error {
    let place = format!(
        "`{}` at {}",
        crate::util::text::shown_whole(location),
        crate::util::text::shown(resolved)
    );
    let here = if subdir.is_empty() {
        "at its top".to_owned()
    } else {
        format!("in `{}`", crate::util::text::shown(subdir))
    };
    let shown: Vec<String> = dirs
        .iter()
        .filter(|d| !d.is_empty())
        .map(|d| crate::util::text::shown(d))
        .collect();
    let top = if dirs.iter().any(String::is_empty) {
        " (and one at its top: leave --subdir out)"
    } else {
        ""
    };
    match shown.first() {
        None if top.is_empty() => {
            usage!("{place} has no `template.toml` {here}, nor anywhere else: it holds no template")
        }
        None => usage!(
            "{place} has no `template.toml` {here}; it has one at its top: leave --subdir out"
        ),
        Some(first) => usage!(
            "{place} has no `template.toml` {here}; the templates in it are {}{top}: choose one \
             with --subdir (for example `--subdir {first}`)",
            crate::util::text::ticked(shown.iter().map(String::as_str))
        ),
    }
}

/// The template a git origin names, at another commit (the recorded one, for a base): from
/// the local repository, or from the cache when it holds the commit, else fetched first
/// (unless `offline`). `url` is the URL to fetch with (the recorded one has no credentials).
pub(crate) fn at_commit(
    origin: &GitOrigin,
    commit: &str,
    url: &str,
    offline: bool,
) -> Result<TemplateSource> {
    let subdir = (!origin.subdir.is_empty()).then_some(origin.subdir.as_str());
    let read = |repo_dir: &Path| -> Result<TemplateSource> {
        let repo = crate::git::tree::open_template_repo(repo_dir)?.named(&origin.location);
        let files = repo.read_tree(commit, subdir, &tree_limits())?;
        let name = declared_name(&files, "template");
        let mut o = origin.clone();
        o.commit = commit.to_string();
        from_tree(&name, Origin::Git(o), files)
    };
    if origin.local {
        return read(Path::new(&origin.location));
    }
    check_url(url)?;
    let cached = cache_dir()?.join(format!("{}.git", cache_key(url)?));
    if std::fs::symlink_metadata(&cached).is_ok() {
        match check_entry(&cached) {
            Ok(()) => {
                if let Ok(source) = read(&cached) {
                    return Ok(source);
                }
            }
            // Offline (`status`, `diff`), an entry scaffold will not read is named, with why.
            Err(e) if offline => {
                return Err(e.context(format!(
                    "the cache entry of `{}` cannot be used (`scaffold cache clean` removes it)",
                    without_credentials(url)
                )));
            }
            Err(_) => {}
        }
    }
    if offline {
        bail!(
            "commit {} of `{}` is not in the cache (`scaffold update` fetches it, unless \
             --offline)",
            &commit[..commit.len().min(12)],
            without_credentials(url)
        );
    }
    read(&mirror(url, false)?)
}

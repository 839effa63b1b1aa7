//! `scaffold cache`: the cache of git repositories fetched for templates, listed or emptied.

use anyhow::{Result, bail};
use serde_json::json;

use super::args::{CacheAction, CacheArgs};
use crate::sources::git::cache;
use crate::util::term;

/// `scaffold cache list` and `scaffold cache clean`.
pub(crate) fn exec(args: &CacheArgs) -> Result<()> {
    match &args.action {
        CacheAction::List { json } => {
            let entries = cache::cache_entries()?;
            print_list(&cache::cache_dir()?, &entries, *json);
        }
        CacheAction::Clean { url } => {
            let gone = cache::clean(url.as_deref())?;
            if gone == 0
                && let Some(u) = url
            {
                bail!(
                    "`{}` is not in the cache (see `scaffold cache list`)",
                    crate::util::text::shown(&crate::sources::git::refs::without_credentials(u))
                );
            }
            term::out(format!(
                "Removed {gone} cached repositor{}.",
                if gone == 1 { "y" } else { "ies" }
            ));
        }
    }
    Ok(())
}

/// `scaffold cache list`: each cached repository's URL, size and directory.
fn print_list(cache: &std::path::Path, entries: &[(std::path::PathBuf, String)], as_json: bool) {
    let size = |dir: &std::path::Path| -> u64 {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len())
            .sum()
    };
    if as_json {
        term::out_json(&json!({
            "cache": cache.display().to_string(),
            "repositories": entries
                .iter()
                .map(|(dir, url)| json!({"url": url, "path": dir.display().to_string(), "bytes": size(dir)}))
                .collect::<Vec<_>>(),
        }));
        return;
    }
    if entries.is_empty() {
        term::out(format!(
            "The cache `{}` holds no repositories.",
            cache.display()
        ));
        return;
    }
    for (dir, url) in entries {
        term::out(format!(
            "{}  {}  {}",
            crate::util::text::shown(url),
            crate::util::text::size(size(dir)),
            dir.display()
        ));
    }
}

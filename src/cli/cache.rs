//! `scaffold cache`: the cache of git repositories fetched for templates, listed or emptied.

use anyhow::{Result, bail};
use serde_json::json;

use super::args::{CacheAction, CacheArgs};
use crate::sources::git::cache;
use crate::util::term;
use crate::util::text::Shown as _;

/// `scaffold cache list` and `scaffold cache clean`.
pub(crate) fn exec(args: &CacheArgs) -> Result<()> {
    match &args.action {
        CacheAction::List { json } => {
            crate::util::limits::start_for(crate::util::limits::Budget::Reading);
            let entries = cache::cache_entries()?;
            crate::util::limits::finish();
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

/// `scaffold cache list`: each cached repository's URL, size and directory, and for an entry
/// scaffold would not use as it is (a symlink, something foreign in it), why.
fn print_list(cache: &std::path::Path, entries: &[cache::Entry], as_json: bool) {
    if as_json {
        term::out_json(&json!({
            "cache": cache.display().to_string(),
            "repositories": entries
                .iter()
                .map(|e| json!({
                    "url": e.url,
                    "path": e.dir.display().to_string(),
                    "bytes": e.bytes,
                    "not_used": e.not_used,
                }))
                .collect::<Vec<_>>(),
        }));
        return;
    }
    if entries.is_empty() {
        term::out(format!(
            "The cache `{}` holds no repositories.",
            cache.shown()
        ));
        return;
    }
    for e in entries {
        let note = e
            .not_used
            .as_ref()
            .map(|why| format!("  (not used: {why}; the next fetch makes it again)"))
            .unwrap_or_default();
        term::out(format!(
            "{}  {}  {}{note}",
            crate::util::text::shown(&e.url),
            crate::util::text::size(e.bytes),
            e.dir.shown()
        ));
    }
}

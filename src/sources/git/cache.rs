//! The cache of bare mirrors of remote template repositories: one entry per URL (without its
//! credentials), made in a temporary directory and renamed into place, locked while it is
//! filled, fetched again when used, listed and cleaned by `scaffold cache`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};

use super::process::{git, run};
use super::refs::{check_ref, without_credentials};

/// The cache of bare mirrors: `SCAFFOLD_CACHE_DIR`, else `$XDG_CACHE_HOME/scaffold/git`, else
/// `~/.cache/scaffold/git`.
pub(crate) fn cache_dir() -> Result<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = var("SCAFFOLD_CACHE_DIR") {
        return Ok(d);
    }
    let base = var("XDG_CACHE_HOME")
        .or_else(|| var("HOME").map(|h| h.join(".cache")))
        .ok_or_else(|| anyhow!("no cache directory: set SCAFFOLD_CACHE_DIR or HOME"))?;
    Ok(base.join("scaffold").join("git"))
}

/// The cache entry of a URL: a hash of the URL without credentials.
pub(crate) fn cache_key(url: &str) -> Result<String> {
    crate::util::hash::text_id("scaffold-url", &without_credentials(url))
}

/// A lock on one cache entry, so that two runs do not fill it at once. Held until dropped.
struct Lock(PathBuf);

impl Lock {
    fn take(path: PathBuf) -> Result<Lock> {
        let start = std::time::Instant::now();
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    use std::io::Write as _;
                    let _ = writeln!(f, "pid {}", std::process::id());
                    return Ok(Lock(path));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    // A lock whose run is gone is stale.
                    let pid = std::fs::read_to_string(&path).ok().and_then(|t| {
                        t.strip_prefix("pid ")
                            .and_then(|p| p.trim().parse::<u32>().ok())
                    });
                    if pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists())
                        && Path::new("/proc/self").exists()
                    {
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    if start.elapsed() > std::time::Duration::from_secs(300) {
                        bail!(
                            "the cache entry `{}` stays locked by another run",
                            path.display()
                        );
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot lock `{}`", path.display()));
                }
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Whether a cache entry is a repository gix can read.
pub(crate) fn usable(mirror: &Path) -> bool {
    crate::git::tree::open_template_repo(mirror).is_ok_and(|r| r.tags().is_ok())
}

/// The process id in a cache leftover's name (`KEY.tmp-PID`), when that process is gone.
fn abandoned(name: &str) -> bool {
    name.rsplit_once(".tmp-")
        .and_then(|(_, pid)| pid.parse::<u32>().ok())
        .is_some_and(|pid| {
            Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists()
        })
}

/// Removes the temporary entries of runs that are gone (a killed clone), for `key` or all.
fn sweep(cache: &Path, key: Option<&str>) {
    let Ok(read) = std::fs::read_dir(cache) else {
        return;
    };
    for e in read.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if key.is_none_or(|k| name.starts_with(&format!("{k}.tmp-"))) && abandoned(&name) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Fetches every ref of `url` into the bare repository `dir` (pruning the ones gone), and
/// points its `HEAD` at the remote's default branch.
fn fetch_into(dir: &Path, url: &str) -> Result<()> {
    let mut cmd = git(Some(url));
    cmd.arg("--git-dir").arg(dir).args([
        "fetch",
        "--quiet",
        "--prune",
        "--prune-tags",
        "--no-recurse-submodules",
        "origin",
    ]);
    run(cmd, url, "fetch")?;
    let mut cmd = git(Some(url));
    cmd.arg("--git-dir")
        .arg(dir)
        .args(["ls-remote", "--symref", "origin", "HEAD"]);
    let listed = run(cmd, url, "fetch")?;
    let head = listed.lines().find_map(|l| {
        l.strip_prefix("ref: refs/heads/")
            .and_then(|r| r.strip_suffix("\tHEAD"))
            .filter(|b| check_ref(b).is_ok())
    });
    if let Some(branch) = head {
        let mut cmd = git(None);
        cmd.arg("--git-dir")
            .arg(dir)
            .args(["symbolic-ref", "HEAD"])
            .arg(format!("refs/heads/{branch}"));
        run(cmd, url, "record the default branch of")?;
    }
    Ok(())
}

/// The bare mirror of `url` in the cache, made (in a temporary directory beside it, then
/// renamed into place) or brought up to date, or with `offline` as it is. A corrupt entry is
/// made again. The entry's configuration holds the URL without credentials, for `cache list`.
pub(crate) fn mirror(url: &str, offline: bool) -> Result<PathBuf> {
    let cache = cache_dir()?;
    let key = cache_key(url)?;
    let dir = cache.join(format!("{key}.git"));
    if offline {
        if usable(&dir) {
            return Ok(dir);
        }
        bail!(
            "`{}` is not in the cache (`{}`); run once without --offline to fetch it",
            without_credentials(url),
            cache.display()
        );
    }
    std::fs::create_dir_all(&cache)
        .with_context(|| format!("cannot create the cache `{}`", cache.display()))?;
    let _lock = Lock::take(cache.join(format!("{key}.lock")))?;
    sweep(&cache, Some(&key));
    if dir.exists() && !usable(&dir) {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot remove the broken cache entry `{}`", dir.display()))?;
    }
    if dir.exists() {
        fetch_into(&dir, url)?;
        return Ok(dir);
    }
    let temp = cache.join(format!("{key}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&temp);
    let made = (|| -> Result<()> {
        let mut cmd = git(None);
        cmd.args(["init", "--bare", "--quiet", "--template="])
            .arg(&temp);
        run(cmd, url, "make a cache entry for")?;
        for (key, value) in [
            ("remote.origin.fetch", "+refs/*:refs/*".to_string()),
            ("scaffold.url", without_credentials(url)),
        ] {
            let mut cmd = git(None);
            cmd.arg("--git-dir")
                .arg(&temp)
                .args(["config", key])
                .arg(value);
            run(cmd, url, "make a cache entry for")?;
        }
        fetch_into(&temp, url)
    })();
    if let Err(e) = made {
        let _ = std::fs::remove_dir_all(&temp);
        return Err(e);
    }
    std::fs::rename(&temp, &dir)
        .with_context(|| format!("cannot move the new cache entry to `{}`", dir.display()))?;
    Ok(dir)
}

/// Deletes cache entries: all of them, or the one of `url`. Returns how many went.
pub(crate) fn clean(url: Option<&str>) -> Result<usize> {
    let cache = cache_dir()?;
    if url.is_none() {
        sweep(&cache, None);
    }
    let mut gone = 0;
    for (dir, recorded) in cache_entries()? {
        if let Some(u) = url
            && dir.file_name() != Some(std::ffi::OsStr::new(&format!("{}.git", cache_key(u)?)))
            && recorded != without_credentials(u)
        {
            continue;
        }
        let key = dir
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _lock = Lock::take(cache.join(format!("{key}.lock")))?;
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot remove `{}`", dir.display()))?;
        gone += 1;
    }
    Ok(gone)
}

/// Every cache entry: its directory and the URL it mirrors.
pub(crate) fn cache_entries() -> Result<Vec<(PathBuf, String)>> {
    let cache = cache_dir()?;
    let Ok(read) = std::fs::read_dir(&cache) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<(PathBuf, String)> = read
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "git"))
        .map(|p| {
            let url = std::fs::read_to_string(p.join("config"))
                .ok()
                .and_then(|c| {
                    c.lines()
                        .find_map(|l| l.trim().strip_prefix("url = ").map(str::to_string))
                })
                .unwrap_or_else(|| "?".to_string());
            (p, url)
        })
        .collect();
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_never_kept() {
        for (url, want) in [
            (
                "https://user:token@git.example.com/a/t.git",
                "https://git.example.com/a/t.git",
            ),
            (
                "https://token@git.example.com/t",
                "https://git.example.com/t",
            ),
            (
                "https://git.example.com/t.git",
                "https://git.example.com/t.git",
            ),
            ("ssh://git@host:22/t.git", "ssh://git@host:22/t.git"),
            ("ssh://git:secret@host/t.git", "ssh://git@host/t.git"),
            ("file:///srv/t.git", "file:///srv/t.git"),
            ("git@host:t.git", "git@host:t.git"),
        ] {
            assert_eq!(without_credentials(url), want, "{url}");
        }
        assert_eq!(
            cache_key("https://user:token@h/t.git").unwrap(),
            cache_key("https://h/t.git").unwrap()
        );
    }
}

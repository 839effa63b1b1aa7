//! The cache of bare mirrors of remote template repositories: one entry per URL (without its
//! credentials), made in a temporary directory and renamed into place, locked while it is
//! filled, fetched again when used, listed and cleaned by `scaffold cache`.
//!
//! A cache may be shared between users or restored in CI: its entries are untrusted. Scaffold
//! owns each entry's configuration (it writes it before every fetch; nothing else in it is
//! ever read by git), and an entry that is a symlink, or holds anything scaffold never puts
//! there (`commondir`, `objects/info/alternates`, hooks, ...), or anything anywhere in it that
//! is neither a folder nor a regular file, is not used: it is made again, or with `--offline`
//! refused. git writes nothing in place there (no `FETCH_HEAD`; the rest under new names,
//! renamed), and each step after the check sees that the entry is still the folder checked.
//! Nothing is followed through a link, not even by `cache list`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};

use super::process::{git, git_timeout, run};
use super::refs::{check_ref, without_credentials};
use crate::util::text::Shown as _;

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
    /// Takes the lock, waiting for another run that holds it as long as a git process may run
    /// ([`git_timeout`]), a wait that is not the template's time; a lock whose run is gone is
    /// stale and taken over.
    fn take(path: PathBuf, entry: &Path) -> Result<Lock> {
        crate::util::limits::waiting(|| Lock::wait_for(path, entry))
    }

    fn wait_for(path: PathBuf, entry: &Path) -> Result<Lock> {
        let (start, limit) = (std::time::Instant::now(), git_timeout());
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
                    let pid = crate::util::read::read_regular(&path, |len| {
                        if len > 64 {
                            bail!("not a lock");
                        }
                        Ok(())
                    })
                    .ok()
                    .and_then(|(bytes, _)| {
                        String::from_utf8_lossy(&bytes)
                            .strip_prefix("pid ")
                            .and_then(|p| p.trim().parse::<u32>().ok())
                    });
                    if pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists())
                        && Path::new("/proc/self").exists()
                    {
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    if start.elapsed() > limit {
                        bail!(
                            "the cache entry `{}` has been locked by another run{} for more than \
                             {} s (SCAFFOLD_GIT_TIMEOUT), the longest a fetch may take; try again \
                             once it has finished, or remove `{}` if no scaffold is running",
                            entry.shown(),
                            pid.map(|p| format!(" (process {p})")).unwrap_or_default(),
                            limit.as_secs(),
                            path.shown()
                        );
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot lock `{}`", path.shown()));
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

/// What a bare mirror made by scaffold holds at its top: all `git init --bare --template=`
/// and `git fetch` write there (`FETCH_HEAD`: only scaffold before it passed
/// `--no-write-fetch-head`), and whether each is a directory.
const ENTRY_NAMES: &[(&str, bool)] = &[
    ("HEAD", false),
    ("config", false),
    ("objects", true),
    ("refs", true),
    ("packed-refs", false),
    ("FETCH_HEAD", false),
    ("shallow", false),
];

/// The most entries a cache entry may hold (files and folders, objects included): a larger one
/// is not looked through, and made again.
const MAX_ENTRY_ENTRIES: usize = 1_000_000;

/// Why `entry` is not a cache entry as scaffold makes them, if it is not: a symlink or not a
/// directory, or something in it scaffold never puts there (a configuration of git's that
/// points elsewhere, alternates, hooks, a lock a killed git left), or anything anywhere in it
/// that is neither a folder nor a regular file where git would write (a symlink, which git
/// would write through, a FIFO it would wait on, a device).
fn foreign(entry: &Path) -> Result<Option<String>> {
    let meta = match std::fs::symlink_metadata(entry) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", entry.shown())),
    };
    if !meta.is_dir() {
        let why = crate::util::read::refusal(meta.file_type()).unwrap_or("is a file");
        return Ok(Some(format!(
            "`{}` {why}, not a cache entry scaffold made",
            entry.shown()
        )));
    }
    let listed =
        std::fs::read_dir(entry).with_context(|| format!("cannot read `{}`", entry.shown()))?;
    for e in listed.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some((_, dir)) = ENTRY_NAMES.iter().find(|(n, _)| *n == name) else {
            return Ok(Some(format!(
                "the cache entry `{}` holds `{name}`, which scaffold never puts there",
                entry.shown()
            )));
        };
        let kind = e.file_type().ok();
        if !kind.is_some_and(|k| if *dir { k.is_dir() } else { k.is_file() }) {
            let why = kind.map_or("cannot be looked at", |k| {
                crate::util::read::refusal(k).unwrap_or("is a file, not a folder")
            });
            return Ok(Some(format!(
                "`{name}` in the cache entry `{}` {why}",
                entry.shown()
            )));
        }
    }
    for name in ["alternates", "http-alternates"] {
        let at = entry.join("objects/info").join(name);
        if std::fs::symlink_metadata(&at).is_ok() {
            return Ok(Some(format!(
                "the cache entry `{}` holds `objects/info/{name}`, which scaffold never puts there",
                entry.shown()
            )));
        }
    }
    let mut seen = 0;
    for e in walkdir::WalkDir::new(entry)
        .follow_links(false)
        .follow_root_links(false)
        .min_depth(1)
    {
        let e = e.with_context(|| format!("cannot read `{}`", entry.shown()))?;
        seen += 1;
        if seen > MAX_ENTRY_ENTRIES {
            return Ok(Some(format!(
                "the cache entry `{}` holds more than {MAX_ENTRY_ENTRIES} files",
                entry.shown()
            )));
        }
        // A lock a killed git left (a live one's run holds the entry's lock): every later fetch
        // would fail on it.
        if e.file_type().is_file() && e.file_name().as_encoded_bytes().ends_with(b".lock") {
            return Ok(Some(format!(
                "the cache entry `{}` holds `{}`, a lock a git that was stopped left",
                entry.shown(),
                crate::util::text::path(e.path().strip_prefix(entry).unwrap_or(e.path()))
            )));
        }
        if let Some(why) =
            crate::util::read::refusal(e.file_type()).filter(|_| !e.file_type().is_dir())
        {
            return Ok(Some(format!(
                "`{}` in the cache entry `{}` {why}; git would write through it",
                crate::util::text::path(e.path().strip_prefix(entry).unwrap_or(e.path())),
                entry.shown()
            )));
        }
    }
    Ok(None)
}

/// Checks a cache entry before it is read: made as scaffold makes them ([`foreign`]), its
/// files as gix reads them ([`crate::git::files`]), a repository with tags gix can list.
pub(crate) fn check_entry(entry: &Path) -> Result<()> {
    if let Some(why) = foreign(entry)? {
        bail!("{why}");
    }
    crate::git::tree::open_template_repo(entry)?.tags()?;
    Ok(())
}

/// A value for git's configuration file: in double quotes, `\` and `"` escaped (a URL has
/// no line break: [`super::refs::check_url`]).
fn config_value(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The configuration value a line `key = value` of a file [`write_config`] wrote gives, quoted
/// or (as `git config` once wrote it) plain.
fn config_line_value(line: &str, key: &str) -> Option<String> {
    let value = line
        .trim()
        .strip_prefix(key)?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    let Some(quoted) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return Some(value.to_string());
    };
    let mut out = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next()? } else { c });
    }
    Some(out)
}

/// A cache entry's folder as it was checked: its (device, inode), so that each step after
/// the check (its configuration written, each git process) sees that the folder there is
/// still the one checked, not a symlink or another folder swapped in since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Checked((u64, u64));

impl Checked {
    /// The folder at `dir` (a folder, not a link) as it is now.
    fn now(dir: &Path) -> Result<Checked> {
        let meta = std::fs::symlink_metadata(dir)
            .with_context(|| format!("cannot read `{}`", dir.shown()))?;
        if !meta.is_dir() {
            bail!(
                "the cache entry `{}` changed while it was in use (it is no longer a folder); \
                 try again",
                dir.shown()
            );
        }
        #[cfg(unix)]
        let id = {
            use std::os::unix::fs::MetadataExt as _;
            (meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let id = (0, 0);
        Ok(Checked(id))
    }

    /// Fails, naming the entry, unless the folder at `dir` is still the one checked.
    fn still(self, dir: &Path) -> Result<()> {
        if Checked::now(dir)? != self {
            bail!(
                "the cache entry `{}` changed while it was in use (another folder is there \
                 now); try again",
                dir.shown()
            );
        }
        Ok(())
    }
}

/// Writes the entry's whole configuration, replacing whatever is there (a symlink included,
/// which is replaced, never followed): a bare repository whose `origin` fetches every ref, and
/// the URL it mirrors, without credentials, for `cache list`. Nothing else: no include, no
/// program, no transport setting. Written in the folder that was checked, opened without
/// following a link, never through one swapped in since.
fn write_config(entry: &Path, checked: Checked, url: &str) -> Result<()> {
    let text = format!(
        "[core]\n\trepositoryformatversion = 0\n\tbare = true\n\
         [remote \"origin\"]\n\tfetch = +refs/*:refs/*\n\
         [scaffold]\n\turl = {}\n",
        config_value(&without_credentials(url))
    );
    let temp = format!("config.scaffold-{}", std::process::id());
    let cannot = || format!("cannot write `{}`", entry.join("config").shown());
    #[cfg(unix)]
    {
        use rustix::fs::{AtFlags, Mode, OFlags};
        use std::io::Write as _;
        let dir = rustix::fs::open(
            entry,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(std::io::Error::from)
        .with_context(cannot)?;
        let st = rustix::fs::fstat(&dir)
            .map_err(std::io::Error::from)
            .with_context(cannot)?;
        #[allow(
            clippy::useless_conversion,
            reason = "the types differ between systems"
        )]
        let id = (u64::from(st.st_dev), u64::from(st.st_ino));
        if Checked(id) != checked {
            return checked.still(entry);
        }
        let _ = rustix::fs::unlinkat(&dir, temp.as_str(), AtFlags::empty());
        let written = (|| -> std::io::Result<()> {
            let fd = rustix::fs::openat(
                &dir,
                temp.as_str(),
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o644),
            )?;
            std::fs::File::from(fd).write_all(text.as_bytes())?;
            rustix::fs::renameat(&dir, temp.as_str(), &dir, "config")?;
            Ok(())
        })();
        if written.is_err() {
            let _ = rustix::fs::unlinkat(&dir, temp.as_str(), AtFlags::empty());
        }
        written.with_context(cannot)
    }
    #[cfg(not(unix))]
    {
        checked.still(entry)?;
        let temp = entry.join(temp);
        let _ = std::fs::remove_file(&temp);
        let written = (|| -> Result<()> {
            use std::io::Write as _;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)?;
            file.write_all(text.as_bytes())?;
            std::fs::rename(&temp, entry.join("config"))?;
            Ok(())
        })()
        .with_context(cannot);
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written
    }
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
            remove(&e.path());
        }
    }
}

/// Removes a cache entry, or what stands in its place: a symlink or a file is removed itself
/// (never what it points at), a directory with everything in it.
fn remove(path: &Path) {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            let _ = std::fs::remove_dir_all(path);
        }
        Ok(_) => {
            let _ = std::fs::remove_file(path);
        }
        Err(_) => {}
    }
}

/// Fetches every ref of `url` into the bare repository `dir` (pruning the ones gone), and
/// points its `HEAD` at the remote's default branch.
/// No `FETCH_HEAD` is written (git opens it with `fopen`, following a link, waiting on a FIFO;
/// scaffold never reads it); everything else git writes in a bare repository (refs, objects,
/// `packed-refs`, `HEAD`) it writes under a new name and renames into place. Before each git
/// process, the folder is checked to be the one that was checked ([`Checked`]).
fn fetch_into(dir: &Path, checked: Checked, url: &str) -> Result<()> {
    checked.still(dir)?;
    let mut cmd = git(Some(url));
    cmd.arg("--git-dir").arg(dir).args([
        "fetch",
        "--quiet",
        "--prune",
        "--prune-tags",
        "--no-recurse-submodules",
        "--no-write-fetch-head",
        "origin",
    ]);
    run(cmd, url, "fetch")?;
    checked.still(dir)?;
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
        checked.still(dir)?;
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
/// renamed into place) or brought up to date, or with `offline` as it is. An entry that is not
/// as scaffold makes them (a symlink, a configuration pointing elsewhere, anything unexpected
/// in it) or that gix cannot read is made again; with `offline` it is refused. Its
/// configuration is written by scaffold before every fetch.
pub(crate) fn mirror(url: &str, offline: bool) -> Result<PathBuf> {
    let cache = cache_dir()?;
    let key = cache_key(url)?;
    let dir = cache.join(format!("{key}.git"));
    if offline {
        return match check_entry(&dir) {
            Ok(()) => Ok(dir),
            Err(e) if std::fs::symlink_metadata(&dir).is_ok() => Err(e.context(format!(
                "the cache entry of `{}` cannot be used (`scaffold cache clean` removes it)",
                without_credentials(url)
            ))),
            Err(_) => bail!(
                "`{}` is not in the cache (`{}`); run once without --offline to fetch it",
                without_credentials(url),
                cache.shown()
            ),
        };
    }
    std::fs::create_dir_all(&cache)
        .with_context(|| format!("cannot create the cache `{}`", cache.shown()))?;
    let _lock = Lock::take(cache.join(format!("{key}.lock")), &dir)?;
    sweep(&cache, Some(&key));
    if std::fs::symlink_metadata(&dir).is_ok() {
        // Its identity first, then the check: every later step sees that the folder it works
        // in is the one checked.
        match Checked::now(&dir) {
            Ok(checked) if check_entry(&dir).is_ok() => {
                write_config(&dir, checked, url)?;
                fetch_into(&dir, checked, url)?;
                return Ok(dir);
            }
            _ => {
                remove(&dir);
                if std::fs::symlink_metadata(&dir).is_ok() {
                    bail!("cannot remove the broken cache entry `{}`", dir.shown());
                }
            }
        }
    }
    let temp = cache.join(format!("{key}.tmp-{}", std::process::id()));
    remove(&temp);
    let made = (|| -> Result<()> {
        let mut cmd = git(None);
        cmd.args(["init", "--bare", "--quiet", "--template="])
            .arg(&temp);
        run(cmd, url, "make a cache entry for")?;
        let checked = Checked::now(&temp)?;
        write_config(&temp, checked, url)?;
        fetch_into(&temp, checked, url)
    })();
    if let Err(e) = made {
        remove(&temp);
        return Err(e);
    }
    std::fs::rename(&temp, &dir)
        .with_context(|| format!("cannot move the new cache entry to `{}`", dir.shown()))?;
    Ok(dir)
}

/// Deletes cache entries: all of them, or the one of `url`. Returns how many went. An entry
/// that is a symlink goes itself, never what it points at.
pub(crate) fn clean(url: Option<&str>) -> Result<usize> {
    let cache = cache_dir()?;
    if url.is_none() {
        sweep(&cache, None);
    }
    let mut gone = 0;
    for entry in cache_entries()? {
        if let Some(u) = url
            && entry.dir.file_name()
                != Some(std::ffi::OsStr::new(&format!("{}.git", cache_key(u)?)))
            && entry.url != without_credentials(u)
        {
            continue;
        }
        let key = entry
            .dir
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _lock = Lock::take(cache.join(format!("{key}.lock")), &entry.dir)?;
        remove(&entry.dir);
        if std::fs::symlink_metadata(&entry.dir).is_ok() {
            bail!("cannot remove `{}`", entry.dir.shown());
        }
        gone += 1;
    }
    Ok(gone)
}

/// One cache entry, as `cache list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Its directory (or whatever stands there).
    pub(crate) dir: PathBuf,
    /// The URL it mirrors, as scaffold recorded it; `?` when that cannot be read.
    pub(crate) url: String,
    /// The bytes of its files, links not followed (0 for a link).
    pub(crate) bytes: u64,
    /// Why scaffold would not use it as it is, if it would not (a symlink, something foreign
    /// in it): the next fetch makes it again.
    pub(crate) not_used: Option<String>,
}

/// Every cache entry, sorted: its directory, the URL it mirrors, its size. Nothing is
/// followed through a link: an entry that is a symlink (to `/`, say) is listed as one.
pub(crate) fn cache_entries() -> Result<Vec<Entry>> {
    let cache = cache_dir()?;
    let Ok(read) = std::fs::read_dir(&cache) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for e in read.flatten() {
        let dir = e.path();
        if dir.extension().is_none_or(|x| x != "git") {
            continue;
        }
        crate::util::limits::stage(format!("reading the cache entry `{}`", dir.shown()));
        let not_used = foreign(&dir).unwrap_or_else(|e| Some(format!("{e:#}")));
        let linked = e.file_type().map_or(true, |t| !t.is_dir());
        let url = if linked {
            None
        } else {
            crate::util::read::read_regular(&dir.join("config"), |len| {
                if len > 64 * 1024 {
                    bail!("not scaffold's");
                }
                Ok(())
            })
            .ok()
            .and_then(|(bytes, _)| {
                String::from_utf8_lossy(&bytes)
                    .lines()
                    .find_map(|l| config_line_value(l, "url"))
            })
        };
        let bytes = if linked {
            0
        } else {
            walkdir::WalkDir::new(&dir)
                .follow_links(false)
                .follow_root_links(false)
                .into_iter()
                .flatten()
                .filter(|e| e.file_type().is_file())
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        };
        out.push(Entry {
            dir,
            url: url.unwrap_or_else(|| "?".to_string()),
            bytes,
            not_used,
        });
    }
    out.sort_by(|a, b| a.dir.cmp(&b.dir));
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

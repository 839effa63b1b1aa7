//! Templates from git repositories: which TEMPLATE arguments are git sources, the ref rule
//! (`--ref`, else the highest semver tag, else the default branch), a cache of bare mirrors
//! for remote URLs, and the one place that runs the `git` program (network fetches only),
//! hardened so that nothing in a repository, a URL, a ref or the environment can make it run
//! anything else. Everything else is read in process with gix ([`crate::git`]): a local
//! repository is read in place from its object database, with no working copy and no checkout.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, anyhow, bail};

use crate::source::{GitOrigin, Origin, TemplateSource};

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
}

/// Whether a TEMPLATE argument is a git source: a URL, or any location given with `--ref`.
pub(crate) fn is_git(arg: &str, reference: Option<&str>) -> bool {
    crate::registry::url_kind(arg).is_some() || reference.is_some()
}

/// A URL without its credentials: no `user:password@` or `token@` (an ssh URL keeps its
/// user name, which is not a secret, and loses only a password). Never shown, recorded or
/// hashed with them.
pub(crate) fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, None), |(a, p)| (a, Some(p)));
    let host = match authority.rsplit_once('@') {
        None => authority.to_string(),
        Some((user, host)) if scheme.eq_ignore_ascii_case("ssh") => {
            let user = user.split_once(':').map_or(user, |(u, _)| u);
            format!("{user}@{host}")
        }
        Some((_, host)) => host.to_string(),
    };
    match path {
        Some(p) => format!("{scheme}://{host}/{p}"),
        None => format!("{scheme}://{host}"),
    }
}

/// Refuses, before any process starts, a URL that is not a plain https, ssh, git or file
/// URL or an scp-like `user@host:path`: no option look-alike, no `ext::` or other transport,
/// no control character or space.
pub(crate) fn check_url(url: &str) -> Result<()> {
    let shown = crate::text::shown(&without_credentials(url));
    if url.starts_with('-') {
        return Err(crate::usage!("`{shown}`: a URL may not start with `-`"));
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(crate::usage!(
            "`{shown}`: a URL may not hold spaces or control characters"
        ));
    }
    if let Some((_, rest)) = url.split_once("://")
        && let authority = rest.split('/').next().unwrap_or(rest)
        && authority
            .rsplit_once('@')
            .map_or(authority, |(_, h)| h)
            .starts_with('-')
    {
        return Err(crate::usage!("`{shown}`: a host may not start with `-`"));
    }
    if url.contains("::") {
        return Err(crate::usage!(
            "`{shown}`: git's `transport::address` syntax (`ext::` and the like) runs programs; \
             only https, ssh, git and file URLs are taken"
        ));
    }
    match crate::registry::url_kind(url) {
        Some("https" | "ssh" | "git" | "file") => Ok(()),
        Some("http") => Err(crate::usage!(
            "`{shown}`: plain http is not taken (anyone on the way could change the template); \
             use https"
        )),
        Some(other) => Err(crate::usage!("`{shown}`: `{other}` URLs are not taken")),
        None => Err(crate::usage!("`{shown}` is not a git URL")),
    }
}

/// Refuses a ref that git could read as an option, or that holds odd characters.
pub(crate) fn check_ref(reference: &str) -> Result<()> {
    let shown = crate::text::shown(reference);
    if reference.is_empty() || reference.starts_with('-') {
        return Err(crate::usage!(
            "--ref `{shown}`: a ref may not be empty or start with `-`"
        ));
    }
    if reference
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(c))
        || reference.contains("..")
    {
        return Err(crate::usage!(
            "--ref `{shown}` is not a tag, branch or commit name"
        ));
    }
    Ok(())
}

/// A semver version: `[v]MAJOR.MINOR.PATCH[-PRE][+BUILD]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Semver {
    core: [u64; 3],
    pre: Vec<String>,
}

fn semver(tag: &str) -> Option<Semver> {
    let t = tag.strip_prefix('v').unwrap_or(tag);
    let t = t.split_once('+').map_or(t, |(v, _)| v);
    let (core, pre) = t.split_once('-').map_or((t, None), |(c, p)| (c, Some(p)));
    let mut parts = core.split('.');
    let mut n = [0u64; 3];
    for slot in &mut n {
        let p = parts.next()?;
        if p.is_empty() || (p.len() > 1 && p.starts_with('0')) {
            return None;
        }
        *slot = p.parse().ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    let pre = match pre {
        None => Vec::new(),
        Some(p) if !p.is_empty() && p.split('.').all(|i| !i.is_empty()) => {
            p.split('.').map(str::to_string).collect()
        }
        Some(_) => return None,
    };
    Some(Semver { core: n, pre })
}

impl Ord for Semver {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self.core.cmp(&other.core) {
            Equal => {}
            o => return o,
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => return Equal,
            (true, false) => return Greater,
            (false, true) => return Less,
            _ => {}
        }
        for (a, b) in self.pre.iter().zip(&other.pre) {
            let o = match (a.parse::<u64>(), b.parse::<u64>()) {
                (Ok(x), Ok(y)) => x.cmp(&y),
                (Ok(_), Err(_)) => Less,
                (Err(_), Ok(_)) => Greater,
                (Err(_), Err(_)) => a.cmp(b),
            };
            if o != Equal {
                return o;
            }
        }
        self.pre.len().cmp(&other.pre.len())
    }
}

impl PartialOrd for Semver {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The tag the default rule picks: the highest semver tag (pre-releases only with `pre`).
fn highest_tag(tags: &[String], pre: bool) -> Option<String> {
    tags.iter()
        .filter_map(|t| semver(t).map(|v| (v, t)))
        .filter(|(v, _)| pre || v.pre.is_empty())
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, t)| t.clone())
}

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
    crate::hash::text_id("scaffold-url", &without_credentials(url))
}

/// Environment variables of git's that are kept for the `git` program: how to reach the
/// network (ssh, TLS). Every other `GIT_*` variable is removed: scaffold may itself run inside
/// a git hook, where they point at another repository or carry configuration.
const KEPT_GIT_VARS: &[&str] = &[
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_SSH_VARIANT",
    "GIT_SSL_CAINFO",
    "GIT_SSL_CAPATH",
    "GIT_ASKPASS",
];

/// The `git` program, hardened: only these transports, no hooks, no fsmonitor, no submodules,
/// objects checked as they arrive, no prompt, and none of the caller's `GIT_*` variables.
fn git() -> Command {
    let mut cmd = Command::new("git");
    for (key, _) in std::env::vars_os() {
        if let Some(k) = key.to_str()
            && k.starts_with("GIT_")
            && !KEPT_GIT_VARS.contains(&k)
        {
            cmd.env_remove(k);
        }
    }
    cmd.env("GIT_TERMINAL_PROMPT", "0");
    for c in [
        "protocol.allow=never",
        "protocol.https.allow=always",
        "protocol.ssh.allow=always",
        "protocol.git.allow=always",
        "protocol.file.allow=always",
        "core.hooksPath=/dev/null",
        "core.fsmonitor=false",
        "submodule.recurse=false",
        "transfer.fsckObjects=true",
        "core.askPass=",
    ] {
        cmd.arg("-c").arg(c);
    }
    cmd
}

/// Runs a hardened git command; a failure is one sentence with git's last words, the URL
/// always without its credentials.
fn run(mut cmd: Command, url: &str, what: &str) -> Result<()> {
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "git is needed to fetch `{}`, and it is not installed (or not on PATH); embedded \
             templates, template directories and local repositories work without it",
            without_credentials(url)
        ),
        Err(e) => return Err(e).context("cannot run git"),
    };
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr).replace(url, &without_credentials(url));
    let last = stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("git failed");
    bail!(
        "cannot {what} `{}`: {}",
        without_credentials(url),
        crate::text::shown(last.trim_start_matches("fatal: "))
    )
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
fn usable(mirror: &Path) -> bool {
    crate::git::open_template_repo(mirror).is_ok_and(|r| r.tags().is_ok())
}

/// The bare mirror of `url` in the cache, made (atomically: cloned beside it, then renamed
/// into place) or brought up to date, or with `offline` as it is. A corrupt entry is made
/// again.
fn mirror(url: &str, offline: bool) -> Result<PathBuf> {
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
    if dir.exists() && !usable(&dir) {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot remove the broken cache entry `{}`", dir.display()))?;
    }
    if dir.exists() {
        let mut cmd = git();
        cmd.arg("--git-dir")
            .arg(&dir)
            .args([
                "fetch",
                "--quiet",
                "--prune",
                "--prune-tags",
                "--no-recurse-submodules",
                "--",
            ])
            .arg(url)
            .arg("+refs/*:refs/*");
        run(cmd, url, "fetch")?;
        return Ok(dir);
    }
    let temp = cache.join(format!("{key}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&temp);
    let mut cmd = git();
    cmd.args(["clone", "--mirror", "--quiet", "--no-hardlinks", "--"])
        .arg(url)
        .arg(&temp);
    if let Err(e) = run(cmd, url, "fetch") {
        let _ = std::fs::remove_dir_all(&temp);
        return Err(e);
    }
    // The clone recorded the URL it was given; keep only the credential-free one on disk.
    let mut cmd = git();
    cmd.arg("--git-dir")
        .arg(&temp)
        .args(["config", "remote.origin.url"])
        .arg(without_credentials(url));
    run(cmd, url, "record")?;
    std::fs::rename(&temp, &dir)
        .with_context(|| format!("cannot move the new cache entry to `{}`", dir.display()))?;
    Ok(dir)
}

/// The name a template read from git goes by: the one its manifest declares, when it is a
/// plain name; else its directory's (or the repository's) name.
fn declared_name(files: &[crate::git::TreeFile], fallback: &str) -> String {
    files
        .iter()
        .find(|f| f.path == crate::source::MANIFEST_FILE)
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
    let local = crate::registry::url_kind(location).is_none();
    if let Some(r) = &spec.reference {
        check_ref(r)?;
    }
    let subdir = spec
        .subdir
        .as_deref()
        .map(|s| s.trim_matches('/').to_string())
        .unwrap_or_default();
    if !subdir.is_empty() {
        crate::paths::check_relative(&subdir).map_err(|why| {
            crate::usage!(
                "--subdir `{}`: {}",
                crate::text::shown(&subdir),
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
    let repo = crate::git::open_template_repo(&repo_dir)
        .map_err(|e| crate::usage!("`{}`: {e:#}", crate::text::shown(&location)))?;
    let resolved = match &spec.reference {
        Some(r) => r.clone(),
        None => match highest_tag(&repo.tags()?, spec.pre) {
            Some(tag) => tag,
            None => repo.default_branch().ok_or_else(|| {
                anyhow!(
                    "`{location}` has no version tag and no default branch; give one with --ref"
                )
            })?,
        },
    };
    let commit = repo
        .resolve(&resolved)
        .map_err(|e| crate::usage!("`{location}`: {e:#}"))?
        .commit;
    crate::term::err(format!(
        "template {} at {} ({})",
        crate::text::shown(&location),
        crate::text::shown(&resolved),
        &commit[..7]
    ));
    let files = repo.read_tree(
        &commit,
        (!subdir.is_empty()).then_some(subdir.as_str()),
        &crate::source::tree_limits(),
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
    crate::source::from_tree(&name, origin, files)
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
        let repo = crate::git::open_template_repo(repo_dir)?;
        let files = repo.read_tree(commit, subdir, &crate::source::tree_limits())?;
        let name = declared_name(&files, "template");
        let mut o = origin.clone();
        o.commit = commit.to_string();
        crate::source::from_tree(&name, Origin::Git(o), files)
    };
    if origin.local {
        return read(Path::new(&origin.location));
    }
    check_url(url)?;
    let cached = cache_dir()?.join(format!("{}.git", cache_key(url)?));
    if usable(&cached)
        && let Ok(source) = read(&cached)
    {
        return Ok(source);
    }
    if offline {
        bail!(
            "commit {} of `{}` is not in the cache; run without --offline to fetch it",
            &commit[..commit.len().min(12)],
            without_credentials(url)
        );
    }
    read(&mirror(url, false)?)
}

/// Deletes cache entries: all of them, or the one of `url`. Returns how many went.
pub(crate) fn clean(url: Option<&str>) -> Result<usize> {
    let cache = cache_dir()?;
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

    #[test]
    fn urls_and_refs_that_could_run_something_are_refused() {
        for url in [
            "--upload-pack=touch x",
            "-oProxyCommand=x",
            "ext::sh -c touch% x",
            "https://h/t.git ext::x",
            "fd::17",
            "http://h/t.git",
            "https://h/t\n.git",
            "ssh://-oProxyCommand=x/t.git",
            "ssh://user@-oProxyCommand=x/t.git",
        ] {
            assert!(check_url(url).is_err(), "{url}");
        }
        for url in [
            "https://h/t.git",
            "ssh://git@h/t.git",
            "git://h/t",
            "file:///srv/t.git",
            "git@h:a/t.git",
        ] {
            check_url(url).unwrap();
        }
        for r in ["--output=x", "-x", "", "a..b", "a b", "HEAD~1", "x:y"] {
            assert!(check_ref(r).is_err(), "{r:?}");
        }
        for r in ["v1.2.0", "main", "feature/x", "0123abc"] {
            check_ref(r).unwrap();
        }
    }

    #[test]
    fn the_default_rule_takes_the_highest_semver_tag() {
        let tags: Vec<String> = [
            "v1.2.0",
            "v1.10.0",
            "v1.9.9",
            "v2.0.0-rc.1",
            "latest",
            "1.10.0-alpha",
            "v01.2.3",
        ]
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
        assert_eq!(highest_tag(&tags, false).as_deref(), Some("v1.10.0"));
        assert_eq!(highest_tag(&tags, true).as_deref(), Some("v2.0.0-rc.1"));
        assert_eq!(highest_tag(&["latest".to_string()], false), None);
        let mut v: Vec<Semver> = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ]
        .iter()
        .map(|s| semver(s).unwrap())
        .collect();
        let sorted = v.clone();
        v.reverse();
        v.sort();
        assert_eq!(v, sorted, "semver.org's own precedence example");
    }
}

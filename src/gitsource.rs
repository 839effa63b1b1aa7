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
    let shown = crate::util::text::shown(&without_credentials(url));
    if url.starts_with('-') {
        return Err(usage!("`{shown}`: a URL may not start with `-`"));
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(usage!(
            "`{shown}`: a URL may not hold spaces or control characters"
        ));
    }
    if let Some((scheme, rest)) = url.split_once("://") {
        if scheme.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(usage!(
                "`{shown}`: write the scheme in lower case (git refuses `{scheme}`)"
            ));
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (user, host) = authority.rsplit_once('@').unwrap_or(("", authority));
        let host = host.trim_start_matches('[');
        if host.starts_with('-') || user.starts_with('-') {
            return Err(usage!("`{shown}`: a host or user may not start with `-`"));
        }
        if host.contains('%') {
            return Err(usage!("`{shown}`: a host may not be percent-encoded"));
        }
        if scheme != "file" && path.contains('@') {
            // Most likely a password holding `/`, which ends the host part early: not shown.
            return Err(usage!(
                "a `{scheme}` URL has an `@` after its host; percent-encode a `/` in a password \
                 (`%2F`)"
            ));
        }
    }
    if url.contains("::") {
        return Err(usage!(
            "`{shown}`: git's `transport::address` syntax (`ext::` and the like) runs programs; \
             only https, ssh, git and file URLs are taken"
        ));
    }
    match crate::registry::url_kind(url) {
        Some("https" | "ssh" | "git" | "file") => Ok(()),
        Some("http") => Err(usage!(
            "`{shown}`: plain http is not taken (anyone on the way could change the template); \
             use https"
        )),
        Some(other) => Err(usage!("`{shown}`: `{other}` URLs are not taken")),
        None => Err(usage!("`{shown}` is not a git URL")),
    }
}

/// Refuses a ref that git could read as an option, or that holds odd characters.
pub(crate) fn check_ref(reference: &str) -> Result<()> {
    let shown = crate::util::text::shown(reference);
    if reference.is_empty() || reference.starts_with('-') {
        return Err(usage!(
            "--ref `{shown}`: a ref may not be empty or start with `-`"
        ));
    }
    if reference
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(c))
        || reference.contains("..")
    {
        return Err(usage!(
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
        .filter(|t| check_ref(t).is_ok())
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
    crate::util::hash::text_id("scaffold-url", &without_credentials(url))
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

/// The longest a git process may run, `SCAFFOLD_GIT_TIMEOUT` seconds, else 600 (a server that
/// accepts and never answers must not hang scaffold); transfers slower than 1 KB/s for a
/// minute end earlier.
fn git_timeout() -> std::time::Duration {
    let secs = std::env::var("SCAFFOLD_GIT_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(600);
    std::time::Duration::from_secs(secs)
}

/// The `git` program, hardened: only these transports, no hooks, no fsmonitor, no submodules,
/// objects checked as they arrive, no prompt, and none of the caller's `GIT_*` variables. With
/// `url`, the remote `origin` is that URL, passed in the environment (which only this user can
/// read), never in the arguments or a file: a token in it stays out of `ps` and the cache.
fn git(url: Option<&str>) -> Command {
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
    if let Some(url) = url {
        cmd.env("GIT_CONFIG_COUNT", "1")
            .env("GIT_CONFIG_KEY_0", "remote.origin.url")
            .env("GIT_CONFIG_VALUE_0", url);
    }
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
        "http.lowSpeedLimit=1000",
        "http.lowSpeedTime=60",
    ] {
        cmd.arg("-c").arg(c);
    }
    cmd.stdin(std::process::Stdio::null());
    cmd
}

/// `text` with `url`'s credentials taken out, wherever git quoted them.
fn redact(text: &str, url: &str) -> String {
    let mut out = text.replace(url, &without_credentials(url));
    if let Some((_, rest)) = url.split_once("://")
        && let Some((userinfo, _)) = rest.split('/').next().and_then(|a| a.rsplit_once('@'))
        && !userinfo.is_empty()
    {
        out = out.replace(userinfo, "***");
        if let Some((_, password)) = userinfo.split_once(':')
            && !password.is_empty()
        {
            out = out.replace(password, "***");
        }
    }
    out
}

/// Runs a hardened git command within [`git_timeout`] and returns its stdout; a failure is one
/// sentence with git's own reason, the URL always without its credentials.
fn run(mut cmd: Command, url: &str, what: &str) -> Result<String> {
    use std::io::Read as _;
    let mut child = match cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "git is needed to fetch `{}`, and it is not installed (or not on PATH); embedded \
             templates, template directories and local repositories work without it",
            without_credentials(url)
        ),
        Err(e) => return Err(e).context("cannot run git"),
    };
    // Both pipes are drained while git runs, so a full pipe cannot stall it; at most 1 MiB of
    // each is kept.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            if let Some(p) = pipe {
                let _ = p.take(1 << 20).read_to_end(&mut kept);
            }
            kept
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let (start, timeout) = (std::time::Instant::now(), git_timeout());
    let status = loop {
        if let Some(status) = child.try_wait().context("cannot wait for git")? {
            break Some(status);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let Some(status) = status else {
        bail!(
            "cannot {what} `{}`: git took longer than {} s (SCAFFOLD_GIT_TIMEOUT)",
            without_credentials(url),
            timeout.as_secs()
        );
    };
    if status.success() {
        return Ok(String::from_utf8_lossy(&stdout).into_owned());
    }
    let stderr = redact(&String::from_utf8_lossy(&stderr), url);
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let reason = lines
        .iter()
        .find(|l| l.starts_with("fatal:"))
        .or_else(|| lines.last())
        .map_or("git failed", |l| l.trim_start_matches("fatal: "));
    bail!(
        "cannot {what} `{}`: {}",
        without_credentials(url),
        crate::util::text::shown(reason)
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

/// The name a template read from git goes by: the one its manifest declares, when it is a
/// plain name; else its directory's (or the repository's) name.
fn declared_name(files: &[crate::git::tree::TreeFile], fallback: &str) -> String {
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
        .map_err(|e| usage!("`{}`: {e:#}", crate::util::text::shown(&location)))?;
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
    let commit = repo
        .resolve(&resolved)
        .map_err(|e| usage!("`{location}`: {e:#}"))?
        .commit;
    if !spec.quiet {
        crate::util::term::err(format!(
            "template {} at {} ({})",
            crate::util::text::shown(&location),
            crate::util::text::shown(&resolved),
            &commit[..7]
        ));
    }
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
        let repo = crate::git::tree::open_template_repo(repo_dir)?;
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
            "commit {} of `{}` is not in the cache (`scaffold update` fetches it, unless \
             --offline)",
            &commit[..commit.len().min(12)],
            without_credentials(url)
        );
    }
    read(&mirror(url, false)?)
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

    #[test]
    fn credentials_are_taken_out_of_gits_messages() {
        let url = "https://user:s3cr3t@h.example/t.git";
        for (said, want) in [
            (
                format!("fatal: unable to access '{url}/': 401"),
                "fatal: unable to access 'https://h.example/t.git/': 401",
            ),
            (
                "fatal: unable to look up user:s3cr3t@h.example".to_string(),
                "fatal: unable to look up ***@h.example",
            ),
            (
                "password s3cr3t rejected".to_string(),
                "password *** rejected",
            ),
        ] {
            assert_eq!(redact(&said, url), want);
        }
        assert_eq!(
            redact("nothing to hide", "https://h/t.git"),
            "nothing to hide"
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
            "ssh://[-oProxyCommand=x]/y",
            "ssh://u@[-oProxyCommand=x]:22/y",
            "ssh://-ou@host/y",
            "ssh://%2doProxyCommand=x/y",
            "FILE:///srv/t.git",
            "https://user:se/cret@h/t.git",
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
        // A name git took that scaffold would not accept back as a ref is never chosen.
        let odd = ["v9.9.9+\u{a0}x".to_string(), "v1.0.0".to_string()];
        assert_eq!(highest_tag(&odd, false).as_deref(), Some("v1.0.0"));
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

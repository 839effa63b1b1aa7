//! The `git` program, the only process scaffold runs, and only to fetch: hardened so that
//! nothing in a repository, a URL, a ref or the environment can make it run anything else,
//! bounded in time (a bound of its own, not the template's: a process past it is stopped with
//! every process it started), its messages without credentials.

use std::process::Command;

use anyhow::{Context as _, Result, bail};

use super::refs::without_credentials;

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
/// minute end earlier. Waiting for another run's lock on a cache entry is bounded the same.
pub(crate) fn git_timeout() -> std::time::Duration {
    let secs = std::env::var("SCAFFOLD_GIT_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(600);
    std::time::Duration::from_secs(secs)
}

/// The `git` program, hardened: only these transports, no hooks, no fsmonitor, no submodules,
/// objects checked as they arrive, no prompt, no program of the remote's own
/// (`remote.origin.uploadpack` is git's), nothing left running in the background (no automatic
/// gc or maintenance), and none of the caller's `GIT_*` variables. The repository's own
/// configuration is the cache entry's, which scaffold writes ([`super::cache`]). With `url`,
/// the remote `origin` is that URL, passed in the environment (which only this user can
/// read), never in the arguments or a file: a token in it stays out of `ps` and the cache.
pub(crate) fn git(url: Option<&str>) -> Command {
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
        "remote.origin.uploadpack=git-upload-pack",
        "gc.auto=0",
        "maintenance.auto=false",
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

/// Runs a hardened git command within [`git_timeout`] (time not charged to the template) and
/// returns its stdout; a failure is one sentence with git's own reason, the URL always without
/// its credentials. Past the time limit, git is stopped with every process it started.
pub(crate) fn run(cmd: Command, url: &str, what: &str) -> Result<String> {
    crate::util::limits::waiting(|| run_bounded(cmd, url, what))
}

fn run_bounded(mut cmd: Command, url: &str, what: &str) -> Result<String> {
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
    // each is kept, the rest read and dropped.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        let (sent, kept) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.by_ref().take(1 << 20).read_to_end(&mut kept);
                let _ = std::io::copy(&mut p, &mut std::io::sink());
            }
            let _ = sent.send(kept);
        });
        kept
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
            end_all(&mut child);
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    // A process git started that could not be ended (it left git's tree) may hold the pipes
    // open: what it has not written within a few seconds is not waited for.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let collect = |kept: std::sync::mpsc::Receiver<Vec<u8>>| {
        kept.recv_timeout(until.saturating_duration_since(std::time::Instant::now()))
            .unwrap_or_default()
    };
    let stdout = collect(out);
    let stderr = collect(err);
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
    // Whole: a reason cut mid-word ("does not appear to be a git ...") says nothing.
    bail!(
        "cannot {what} `{}`: {}",
        without_credentials(url),
        crate::util::text::shown_whole(reason)
    )
}

/// Ends `child` and every process it started (`git fetch` runs `git-remote-https`, `ssh`,
/// `index-pack`, `upload-pack`...; those would go on, and write into a cache entry being
/// removed). They stay in scaffold's process group, so that Ctrl-C at a terminal ends them
/// with scaffold; here each is stopped first, so that none can start another or be missed
/// when its parent goes, then all are killed. Where `/proc` cannot list them, the child alone.
fn end_all(child: &mut std::process::Child) {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Pid, Signal, kill_process};
        let signal = |pid: u32, sig: Signal| {
            if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
                let _ = kill_process(pid, sig);
            }
        };
        let mut stopped: Vec<u32> = Vec::new();
        for _ in 0..100 {
            let tree = descendants(child.id());
            let new: Vec<u32> = tree.into_iter().filter(|p| !stopped.contains(p)).collect();
            if new.is_empty() {
                break;
            }
            for pid in new {
                signal(pid, Signal::STOP);
                stopped.push(pid);
            }
        }
        for pid in stopped {
            signal(pid, Signal::KILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// `root` and every process below it, from each process's parent in `/proc/PID/stat`.
#[cfg(target_os = "linux")]
fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of: Vec<(u32, u32)> = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        // `PID (COMMAND) STATE PPID ...`: the command may hold spaces and parentheses.
        let parent = std::fs::read_to_string(e.path().join("stat"))
            .ok()
            .and_then(|stat| {
                let (_, rest) = stat.rsplit_once(')')?;
                rest.split_whitespace().nth(1)?.parse::<u32>().ok()
            });
        if let Some(parent) = parent {
            parent_of.push((pid, parent));
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let at = tree[i];
        tree.extend(
            parent_of
                .iter()
                .filter(|(pid, ppid)| *ppid == at && !tree.contains(pid))
                .map(|(pid, _)| *pid)
                .collect::<Vec<_>>(),
        );
        i += 1;
    }
    tree
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

//! What a git location and ref may be, checked before any process sees them: which TEMPLATE
//! arguments are git sources, URLs (only plain https, ssh, git and file; credentials never
//! kept), refs that git could not read as an option, and the default rule: the highest semver
//! tag.

use anyhow::Result;

use crate::util::error::usage;

/// Whether a TEMPLATE argument is a git source: a URL, or any location given with `--ref`.
pub(crate) fn is_git(arg: &str, reference: Option<&str>) -> bool {
    url_kind(arg).is_some() || reference.is_some()
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
/// URL or an scp-like `user@host:path`: no option look-alike (the URL, its user, its host, in
/// the scp-like form too, or a port that is not a number), no `ext::` or other transport, no
/// control character or space.
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
        let (user, host_port) = authority.rsplit_once('@').unwrap_or(("", authority));
        // `[v6]:port` or `host:port`: git hands the port to ssh, where `-p -oX` is an option.
        let (host, port) = match host_port.strip_prefix('[') {
            Some(bracketed) => match bracketed.split_once(']') {
                Some((host, rest)) => (host, rest.strip_prefix(':').unwrap_or(rest)),
                None => (bracketed, ""),
            },
            None => host_port.split_once(':').unwrap_or((host_port, "")),
        };
        if host.starts_with('-') || user.starts_with('-') {
            return Err(usage!("`{shown}`: a host or user may not start with `-`"));
        }
        if host.contains('%') {
            return Err(usage!("`{shown}`: a host may not be percent-encoded"));
        }
        if !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(usage!("`{shown}`: a port must be a number"));
        }
        if scheme != "file" && path.contains('@') {
            // Most likely a password holding `/`, which ends the host part early: not shown.
            return Err(usage!(
                "a `{scheme}` URL has an `@` after its host; percent-encode a `/` in a password \
                 (`%2F`)"
            ));
        }
    }
    // scp-like `user@host:path`: the host goes to ssh as an argument of its own.
    if !url.contains("://")
        && let Some((user, host)) = url.split_once(':').and_then(|(uh, _)| uh.split_once('@'))
        && (user.starts_with('-') || host.starts_with('-'))
    {
        return Err(usage!("`{shown}`: a host or user may not start with `-`"));
    }
    if url.contains("::") {
        return Err(usage!(
            "`{shown}`: git's `transport::address` syntax (`ext::` and the like) runs programs; \
             only https, ssh, git and file URLs are taken"
        ));
    }
    match url_kind(url) {
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
pub(crate) fn highest_tag(tags: &[String], pre: bool) -> Option<String> {
    tags.iter()
        .filter(|t| check_ref(t).is_ok())
        .filter_map(|t| semver(t).map(|v| (v, t)))
        .filter(|(v, _)| pre || v.pre.is_empty())
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, t)| t.clone())
}

/// The kind of URL a TEMPLATE argument is, if it is one: `https`, `ssh`, `git`, `file`, or
/// `scp-like` for `user@host:path`.
pub(crate) fn url_kind(arg: &str) -> Option<&'static str> {
    for (prefix, kind) in [
        ("https://", "https"),
        ("http://", "http"),
        ("ssh://", "ssh"),
        ("git://", "git"),
        ("file://", "file"),
        ("git+", "git"),
    ] {
        if arg
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        {
            return Some(kind);
        }
    }
    // `user@host:path` (scp-like ssh), but not a local path that holds `@` and `:`.
    let (user_host, _) = arg.split_once(':')?;
    let (user, host) = user_host.split_once('@')?;
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    (plain(user) && plain(host)).then_some("ssh")
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "git@-Fevilcfg:repo.git",
            "-git@h:repo.git",
            "ssh://host:-oProxyCommand=x/r",
            "ssh://host:22x/r",
            "ssh://[2001:db8:0:0:0:0:0:1]:-p/r",
        ] {
            assert!(check_url(url).is_err(), "{url}");
        }
        for url in [
            "https://h/t.git",
            "ssh://git@h/t.git",
            "git://h/t",
            "file:///srv/t.git",
            "git@h:a/t.git",
            "ssh://git@h:2222/t.git",
            "ssh://git@[2001:db8:0:0:0:0:0:1]:22/t.git",
            "ssh://h:/t.git",
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

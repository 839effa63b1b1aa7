//! What gix reads in a repository, checked before it opens one: `.git` (a directory, or a
//! `gitdir:` file), `HEAD`, `config` (gix always reads a repository's own configuration),
//! `commondir`, `packed-refs`, every loose ref, the object directory (loose objects, packs and
//! their indexes, `info/alternates` and the object directories it names). Each must be a
//! regular file (not a symlink, FIFO, socket or device, which could make a read block for
//! ever or never end) within a size for what it is: one error names the file and the rule.
//!
//! A repository is named by a location (a path given, recorded, or in the cache): that path may
//! itself lead through symlinks, as any path a user gives; nothing below it is followed.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};

use crate::util::read::{read_regular, refusal};
use crate::util::text::Shown as _;

/// `HEAD`, a loose ref, `.git`, `commondir`, `gitdir`, `info/alternates`: a line or a few.
const SMALL_FILE_BYTES: u64 = 64 * 1024;
/// A repository's `config` (gix reads it whole).
const CONFIG_BYTES: u64 = 4 * 1024 * 1024;
/// `packed-refs` (some 2 million refs) and `shallow`.
const LIST_BYTES: u64 = 256 * 1024 * 1024;
/// Packs, their indexes and loose objects are mapped, never read whole: any size.
const MAPPED: u64 = u64::MAX;
/// The most object directories followed through `info/alternates`, and how deep.
const MAX_ALTERNATES: usize = 16;
const MAX_ALTERNATE_DEPTH: usize = 5;
/// The deepest nesting of `refs/`.
const MAX_REF_DEPTH: usize = 64;

/// The path gix is to open, as it is, once every file it reads there has been checked:
/// `path/.git` when there is one (a directory, or a `gitdir:` file), else `path` itself (a
/// bare repository, or a `.git` directory).
pub(crate) fn checked(path: &Path) -> Result<PathBuf> {
    let dot_git = path.join(".git");
    let candidate = if path.file_name() != Some(std::ffi::OsStr::new(".git"))
        && std::fs::symlink_metadata(&dot_git).is_ok()
    {
        dot_git
    } else {
        path.to_path_buf()
    };
    let meta = if candidate == path {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(&candidate)
    }
    .map_err(|e| anyhow!("`{}` is not a git repository ({e})", path.shown()))?;
    let git_dir = if meta.is_dir() {
        candidate.clone()
    } else if meta.is_file() {
        // A linked work tree or a submodule: `gitdir: PATH`, relative to the file.
        let text = small_text(&candidate)?;
        let to = text
            .trim_end()
            .strip_prefix("gitdir: ")
            .filter(|p| !p.is_empty() && !p.contains('\n'))
            .ok_or_else(|| anyhow!("`{}` is not a `gitdir: PATH` file", candidate.shown()))?;
        let git_dir = candidate.parent().unwrap_or(Path::new(".")).join(to);
        directory(&git_dir, "the git directory it names")?;
        git_dir
    } else {
        bail!("`{}` {}", candidate.shown(), why_not(&meta));
    };
    git_directory(&git_dir)?;
    Ok(candidate)
}

/// Why a file is refused, for metadata that is not a regular file.
fn why_not(meta: &std::fs::Metadata) -> String {
    format!(
        "{}; scaffold reads only regular files in a git repository",
        refusal(meta.file_type()).unwrap_or("is not a regular file")
    )
}

/// Checks one file gix may read: missing, or a regular file of at most `max` bytes.
fn file(path: &Path, max: u64) -> Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => bail!("cannot read `{}`: {e}", path.shown()),
    };
    if !meta.is_file() {
        bail!("`{}` {}", path.shown(), why_not(&meta));
    }
    if meta.len() > max {
        bail!(
            "`{}` has {} bytes, more than the limit of {} for this file of a git repository",
            path.shown(),
            meta.len(),
            crate::util::text::size(max)
        );
    }
    Ok(())
}

/// A directory gix lists or enters: a real directory, not a link to one.
fn real_directory(path: &Path) -> Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(true),
        Ok(meta) => bail!("`{}` {}", path.shown(), why_not(&meta)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => bail!("cannot read `{}`: {e}", path.shown()),
    }
}

/// A directory a file of the repository names (reached as a location, links and all).
fn directory(path: &Path, what: &str) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => bail!("`{}`, {what}, is not a directory", path.shown()),
        Err(e) => bail!("cannot read `{}`, {what}: {e}", path.shown()),
    }
}

/// A small file's text, read as a regular file within [`SMALL_FILE_BYTES`].
fn small_text(path: &Path) -> Result<String> {
    let (bytes, _) = read_regular(path, |len| {
        if len > SMALL_FILE_BYTES {
            bail!(
                "`{}` has {len} bytes, more than the limit of {} for this file of a git \
                 repository",
                path.shown(),
                crate::util::text::size(SMALL_FILE_BYTES)
            );
        }
        Ok(())
    })?;
    String::from_utf8(bytes).map_err(|_| anyhow!("`{}` is not UTF-8 text", path.shown()))
}

/// Every file gix reads in a git directory (and in its common directory, for a linked work
/// tree).
fn git_directory(git_dir: &Path) -> Result<()> {
    for (name, max) in [
        ("HEAD", SMALL_FILE_BYTES),
        ("config", CONFIG_BYTES),
        ("config.worktree", CONFIG_BYTES),
        ("commondir", SMALL_FILE_BYTES),
        ("gitdir", SMALL_FILE_BYTES),
        ("packed-refs", LIST_BYTES),
        ("shallow", LIST_BYTES),
    ] {
        file(&git_dir.join(name), max)?;
    }
    let common = if git_dir.join("commondir").exists() {
        let common = git_dir.join(small_text(&git_dir.join("commondir"))?.trim_end());
        directory(&common, "the common directory `commondir` names")?;
        for (name, max) in [
            ("config", CONFIG_BYTES),
            ("packed-refs", LIST_BYTES),
            ("shallow", LIST_BYTES),
        ] {
            file(&common.join(name), max)?;
        }
        refs(&common.join("refs"))?;
        common
    } else {
        git_dir.to_path_buf()
    };
    refs(&git_dir.join("refs"))?;
    let objects = common.join("objects");
    if real_directory(&objects)? {
        let mut seen = Vec::new();
        object_directory(&objects, &objects, 0, &mut seen)?;
    }
    Ok(())
}

/// Every loose ref below `refs/`: regular files, in real directories.
fn refs(dir: &Path) -> Result<()> {
    if !real_directory(dir)? {
        return Ok(());
    }
    let mut pending = vec![(dir.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = pending.pop() {
        if depth > MAX_REF_DEPTH {
            bail!(
                "`{}` is nested deeper than {MAX_REF_DEPTH} directories",
                dir.shown()
            );
        }
        for entry in entries(&dir)? {
            let meta = std::fs::symlink_metadata(&entry)
                .map_err(|e| anyhow!("cannot read `{}`: {e}", entry.shown()))?;
            if meta.is_dir() {
                pending.push((entry, depth + 1));
            } else {
                file(&entry, SMALL_FILE_BYTES)?;
            }
        }
    }
    Ok(())
}

fn entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let read = std::fs::read_dir(dir).map_err(|e| anyhow!("cannot read `{}`: {e}", dir.shown()))?;
    let mut out = Vec::new();
    for entry in read {
        out.push(
            entry
                .map_err(|e| anyhow!("cannot read `{}`: {e}", dir.shown()))?
                .path(),
        );
    }
    Ok(out)
}

/// An object directory: loose objects (`xx/...`), packs, `info/alternates` and the object
/// directories it names (as gix does, relative to the repository's own `objects`).
fn object_directory(
    dir: &Path,
    primary: &Path,
    depth: usize,
    seen: &mut Vec<PathBuf>,
) -> Result<()> {
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if seen.contains(&canonical) {
        return Ok(());
    }
    seen.push(canonical);
    if seen.len() > MAX_ALTERNATES {
        bail!(
            "`{}`: more than {MAX_ALTERNATES} object directories through `info/alternates`",
            primary.shown()
        );
    }
    for entry in entries(dir)? {
        let name = entry
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let loose = name.len() == 2 && name.bytes().all(|b| b.is_ascii_hexdigit());
        if loose || name == "pack" {
            if real_directory(&entry)? {
                for f in entries(&entry)? {
                    file(&f, MAPPED)?;
                }
            }
        } else if name == "info" && real_directory(&entry)? {
            for (name, max) in [("commit-graph", MAPPED), ("packs", LIST_BYTES)] {
                file(&entry.join(name), max)?;
            }
            let graphs = entry.join("commit-graphs");
            if real_directory(&graphs)? {
                for f in entries(&graphs)? {
                    file(&f, MAPPED)?;
                }
            }
            let alternates = entry.join("alternates");
            if std::fs::symlink_metadata(&alternates).is_ok() {
                let text = small_text(&alternates)?;
                if depth + 1 > MAX_ALTERNATE_DEPTH {
                    bail!(
                        "`{}`: alternates nested deeper than {MAX_ALTERNATE_DEPTH}",
                        alternates.shown()
                    );
                }
                let listed = gix::odb::alternate::parse(text.as_bytes())
                    .map_err(|e| anyhow!("`{}`: {e}", alternates.shown()))?;
                for other in listed {
                    let other = primary.join(other);
                    directory(&other, "an object directory `info/alternates` names")?;
                    object_directory(&other, primary, depth + 1, seen)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::testing::*;

    /// Each file gix would read, made a FIFO, a symlink to a device, or too large: refused,
    /// naming it, without blocking. The fixture as it is passes, by every path it is opened by.
    #[cfg(unix)]
    #[test]
    fn every_file_gix_reads_is_a_regular_file_within_its_size() {
        let f = fixture();
        git(&f.work, &["pack-refs", "--all"]);
        git(&f.work, &["tag", "loose"]);
        git(&f.work, &["repack", "-q", "-a", "-d"]);
        for path in [f.work.clone(), f.work.join(".git"), f.bare()] {
            checked(&path).unwrap_or_else(|e| panic!("{path:?}: {e:#}"));
        }
        let git_dir = f.work.join(".git");
        let pack = std::fs::read_dir(git_dir.join("objects/pack"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "idx"))
            .unwrap();
        let pack = pack.strip_prefix(&git_dir).unwrap().display().to_string();
        for name in [
            "config",
            "HEAD",
            "packed-refs",
            "refs/tags/loose",
            "objects/info/alternates",
            "commondir",
            pack.as_str(),
        ] {
            let at = git_dir.join(name);
            let saved = std::fs::read(&at).ok();
            for (harm, rule) in [
                ("fifo", "not a regular file"),
                ("link", "is a symlink"),
                ("huge", "more than the limit"),
            ] {
                if harm == "huge" && name.starts_with("objects/pack/") {
                    continue;
                }
                let _ = std::fs::remove_file(&at);
                match harm {
                    "fifo" => assert!(
                        std::process::Command::new("mkfifo")
                            .arg(&at)
                            .status()
                            .unwrap()
                            .success()
                    ),
                    "link" => std::os::unix::fs::symlink("/dev/zero", &at).unwrap(),
                    _ => std::fs::File::create(&at)
                        .unwrap()
                        .set_len(300 << 20)
                        .unwrap(),
                }
                let err = format!("{:#}", checked(&f.work).unwrap_err());
                assert!(
                    err.contains(&format!("{}`", at.display())) && err.contains(rule),
                    "{name} {harm}: {err}"
                );
            }
            let _ = std::fs::remove_file(&at);
            if let Some(bytes) = saved {
                std::fs::write(&at, bytes).unwrap();
            }
        }
        checked(&f.work).unwrap();
        // `.git` itself a link, and alternates that lead elsewhere: checked there too.
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(&git_dir, elsewhere.path().join(".git")).unwrap();
        let err = format!("{:#}", checked(elsewhere.path()).unwrap_err());
        assert!(err.contains("is a symlink"), "{err}");
        let objects = elsewhere.path().join("objects");
        std::fs::create_dir_all(objects.join("pack")).unwrap();
        assert!(
            std::process::Command::new("mkfifo")
                .arg(objects.join("pack/x.idx"))
                .status()
                .unwrap()
                .success()
        );
        std::fs::write(
            git_dir.join("objects/info/alternates"),
            format!("{}\n", objects.display()),
        )
        .unwrap();
        let err = format!("{:#}", checked(&f.work).unwrap_err());
        assert!(
            err.contains("x.idx`") && err.contains("not a regular file"),
            "{err}"
        );
    }
}

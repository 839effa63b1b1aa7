//! Reading one file within a bound, never through a symlink: a regular file opened without
//! following one and measured on its open descriptor before anything is read, a small file
//! given on the command line, and what a file's metadata says (executable, or not a regular
//! file at all).

use std::path::Path;

use crate::util::text::Shown as _;
use anyhow::{Context as _, Result, bail};

/// A regular file's bytes and whether it is executable, opened without following a symlink
/// and measured on the open descriptor; `admit` sees its length before anything is read.
pub(crate) fn read_regular(
    full: &Path,
    admit: impl Fn(u64) -> Result<()>,
) -> Result<(Vec<u8>, bool)> {
    use std::io::Read as _;
    let cannot = || format!("cannot read `{}`", full.shown());
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = match options.open(full) {
        Ok(file) => file,
        Err(e) => {
            // Replaced since the walk by something that is not a file (a symlink gives
            // ELOOP, a socket ENXIO): say what it is, not the system's words for it.
            if let Ok(meta) = std::fs::symlink_metadata(full)
                && let Some(why) = refusal(meta.file_type())
            {
                bail!(
                    "`{}` {why}; scaffold reads only regular files",
                    full.shown()
                );
            }
            return Err(e).with_context(cannot);
        }
    };
    let meta = file.metadata().with_context(cannot)?;
    if !meta.is_file() {
        bail!(
            "`{}` {}; scaffold reads only regular files",
            full.shown(),
            refusal(meta.file_type()).unwrap_or("is not a regular file")
        );
    }
    let len = meta.len();
    admit(len)?;
    // One byte more than the size asked for: a read that returns no more than the size, and
    // all of it, is the whole file without a second read to see the end.
    let want = usize::try_from(len)
        .ok()
        .and_then(|n| n.checked_add(1))
        .with_context(cannot)?;
    let mut contents = vec![0; want];
    let mut got = 0;
    let mut file = file;
    while got < want {
        match file.read(&mut contents[got..]) {
            Ok(0) => break,
            Ok(n) => {
                got += n;
                if got as u64 == len {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e).with_context(cannot),
        }
    }
    contents.truncate(got);
    if contents.len() as u64 != len {
        bail!("`{}` changed while it was being read", full.shown());
    }
    Ok((contents, is_executable(&meta)))
}

/// Reads a small file given on the command line (`--data-file`), as the regular file it must
/// be: opened without following a symlink at its name (one in the folders above is the
/// user's), a FIFO or device refused without blocking on it, larger than `max` bytes refused
/// before anything is read. The messages read after the file's name (`it is ...`).
pub(crate) fn read_small(path: &Path, max: u64) -> Result<String> {
    use std::io::Read as _;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) => {
            if let Ok(meta) = std::fs::symlink_metadata(path)
                && let Some(why) = refusal(meta.file_type())
            {
                bail!("it {why}; scaffold reads only a regular file here");
            }
            return Err(e).context("cannot open it");
        }
    };
    let meta = file.metadata().context("cannot open it")?;
    if let Some(why) = refusal(meta.file_type()) {
        bail!("it {why}; scaffold reads only a regular file here");
    }
    if meta.len() > max {
        bail!("it is larger than {} KiB", max / 1024);
    }
    let mut text = String::new();
    file.take(max + 1)
        .read_to_string(&mut text)
        .context("cannot read it as UTF-8 text")?;
    if text.len() as u64 > max {
        bail!("it is larger than {} KiB", max / 1024);
    }
    Ok(text)
}

/// Why a directory entry is not read, if it is not a regular file (never opened).
pub(crate) fn refusal(ft: std::fs::FileType) -> Option<&'static str> {
    if ft.is_symlink() {
        Some("is a symlink")
    } else if ft.is_file() {
        None
    } else if ft.is_dir() {
        Some("is a directory")
    } else {
        Some("is not a regular file (a FIFO, socket or device)")
    }
}

/// Whether file metadata has an executable bit (never, off Unix).
pub(crate) fn is_executable(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Opening is where a file swapped in after the walk is caught: a symlink is refused
    /// (never followed), a FIFO is refused without blocking, and the size is seen before
    /// anything is read.
    #[cfg(unix)]
    #[test]
    fn files_are_read_only_as_the_regular_files_they_are() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| dir.path().join(name);
        std::fs::write(at("plain"), "four").unwrap();
        std::fs::write(at("tool"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(at("tool"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(dir.path().join("secret"), "outside").unwrap();
        std::os::unix::fs::symlink(at("secret"), at("link")).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(at("fifo"))
            .status();
        assert!(made.unwrap().success(), "mkfifo");
        let admit_all = |_: u64| Ok(());
        for (name, want) in [
            ("plain", Ok((b"four".to_vec(), false))),
            ("tool", Ok((b"#!/bin/sh\n".to_vec(), true))),
            (
                "link",
                Err("is a symlink; scaffold reads only regular files"),
            ),
            ("fifo", Err("is not a regular file")),
            ("missing", Err("cannot read")),
        ] {
            let got = read_regular(&at(name), admit_all).map_err(|e| format!("{e:#}"));
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{name}"),
                (Err(got), Err(want)) => assert!(got.contains(want), "{name}: {got}"),
                (got, _) => panic!("{name}: {got:?}"),
            }
        }
        let seen = std::cell::Cell::new(0);
        let refused = read_regular(&at("plain"), |len| {
            seen.set(len);
            bail!("too big")
        });
        assert_eq!(seen.get(), 4);
        assert_eq!(refused.unwrap_err().to_string(), "too big");
    }
}

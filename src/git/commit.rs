//! `new --git`: the user's identity from their git configuration, and a new repository whose
//! one commit holds exactly the generated files. The only thing scaffold ever writes with git.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::objs::tree::EntryKind;

use super::repo::{check_path, isolated_with};

/// Who makes the first commit: `user.name` and `user.email` (or `author.*` / `committer.*`)
/// from the user's git configuration.
struct Identity {
    author_name: String,
    author_email: String,
    committer_name: String,
    committer_email: String,
    default_branch: Option<String>,
}

/// The user's global git configuration: the system file (`/etc/gitconfig`; not on Windows,
/// where finding it means running git), `$XDG_CONFIG_HOME/git/config` (or
/// `~/.config/git/config`) and `~/.gitconfig`, with `include` and `includeIf` followed as
/// for a repository at `git_dir`. Environment variables other than `HOME`, `XDG_CONFIG_HOME`
/// and `GIT_CONFIG_NOSYSTEM` (git's own switch to leave the system file out) are ignored,
/// the other `GIT_CONFIG_*` included.
fn user_config(git_dir: &Path) -> Result<gix::config::File> {
    use gix::config::Source;
    use gix::config::file::{includes, init};

    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from);
    let mut env = |name: &str| match name {
        "HOME" | "XDG_CONFIG_HOME" => std::env::var_os(name).filter(|v| !v.is_empty()),
        _ => None,
    };
    let mut files = Vec::new();
    let no_system = std::env::var_os("GIT_CONFIG_NOSYSTEM")
        .and_then(|v| v.into_string().ok())
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"));
    if !cfg!(windows) && !no_system {
        files.push((Source::System, Some(PathBuf::from("/etc/gitconfig"))));
    }
    for source in [Source::Git, Source::User] {
        files.push((source, source.storage_location(&mut env)));
    }
    let metas = files.into_iter().filter_map(|(source, path)| {
        Some(gix::config::file::Metadata {
            path: Some(path?),
            source,
            level: 0,
            trust: gix::sec::Trust::Full,
        })
    });
    let options = init::Options {
        includes: includes::Options {
            err_on_missing_config_path: false,
            ..includes::Options::follow(
                gix::config::path::interpolate::Context {
                    git_install_dir: None,
                    home_dir: home.as_deref(),
                    home_for_user: None,
                },
                includes::conditional::Context {
                    git_dir: Some(git_dir),
                    branch_name: None,
                },
            )
        },
        lossy: true,
        ignore_io_errors: false,
    };
    let mut buf = Vec::new();
    let file = gix::config::File::from_paths_metadata_buf(
        &mut metas.into_iter(),
        &mut buf,
        false,
        options,
    )
    .context("cannot read your git configuration")?;
    Ok(file.unwrap_or_default())
}

fn identity(git_dir: &Path) -> Result<Identity> {
    let config = user_config(git_dir)?;
    let value = |key: &str| -> Result<Option<String>> {
        let Some(value) = config.string(key) else {
            return Ok(None);
        };
        let value = value
            .to_str()
            .map_err(|_| anyhow!("`{key}` in your git configuration is not UTF-8"))?
            .trim()
            .to_owned();
        if value.contains(['<', '>', '\n', '\0']) {
            bail!("`{key}` in your git configuration contains `<`, `>` or a line break");
        }
        Ok((!value.is_empty()).then_some(value))
    };
    let user_name = value("user.name")?;
    let user_email = value("user.email")?;
    let missing: Vec<&str> = [("user.name", &user_name), ("user.email", &user_email)]
        .into_iter()
        .filter(|(_, v)| v.is_none())
        .map(|(key, _)| key)
        .collect();
    let author_name = value("author.name")?.or(user_name.clone());
    let author_email = value("author.email")?.or(user_email.clone());
    let committer_name = value("committer.name")?.or(user_name);
    let committer_email = value("committer.email")?.or(user_email);
    let (Some(author_name), Some(author_email), Some(committer_name), Some(committer_email)) =
        (author_name, author_email, committer_name, committer_email)
    else {
        bail!(
            "git does not know who you are ({} not set) for the first commit: run \
             `git config --global user.name \"Your Name\"` and \
             `git config --global user.email you@example.com`",
            missing.join(" and ")
        );
    };
    Ok(Identity {
        author_name,
        author_email,
        committer_name,
        committer_email,
        default_branch: value("init.defaultBranch")?,
    })
}

/// Fails, saying what is missing, when the user's git configuration has no identity to commit
/// a new repository at `dir` with (checked before anything is written).
pub(crate) fn check_identity(dir: &Path) -> Result<()> {
    identity(
        &std::path::absolute(dir)
            .unwrap_or_else(|_| dir.to_path_buf())
            .join(".git"),
    )
    .map(|_| ())
}

/// Creates a git repository in `dir`, which holds exactly `files` (paths relative to `dir`
/// with `/`, and whether each is executable), and commits them in one commit with `message`,
/// as the user (`user.name`, `user.email` from the git configuration). Writes an index that
/// matches the files, so that `git status` is clean. Runs no hook, signs nothing, needs no
/// git installed. The branch is the user's `init.defaultBranch`, else `main`.
///
/// Fails before creating anything when git has no identity for the user; on any later failure
/// the new `.git` is removed again. Returns the commit id.
pub(crate) fn init_commit(dir: &Path, files: &[(String, bool)], message: &str) -> Result<String> {
    let dot_git = dir.join(".git");
    if dot_git.symlink_metadata().is_ok() {
        bail!("`{}` already exists", dot_git.display());
    }
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot read `{}`", dir.display()))?;
    for (path, _) in files {
        check_path(path).map_err(|why| anyhow!("cannot commit `{path}`: the path {why}"))?;
    }
    let identity = identity(&dir.join(".git"))?;
    match init_and_commit(&dir, files, message, &identity) {
        Ok(id) => Ok(id),
        Err(err) => {
            let _ = std::fs::remove_dir_all(dir.join(".git"));
            Err(err)
        }
    }
}

fn init_and_commit(
    dir: &Path,
    files: &[(String, bool)],
    message: &str,
    identity: &Identity,
) -> Result<String> {
    let branch = identity.default_branch.as_deref().unwrap_or("main");
    let options = isolated_with(&[format!("init.defaultBranch={branch}")]);
    let repo = gix::ThreadSafeRepository::init_opts(
        dir,
        gix::create::Kind::WithWorktree,
        gix::create::Options::default(),
        options,
    )
    .with_context(|| format!("cannot create a git repository in `{}`", dir.display()))?
    .to_thread_local();

    let mut editor = repo.edit_tree(ObjectId::empty_tree(gix::hash::Kind::Sha1))?;
    for (path, executable) in files {
        let on_disk = dir.join(path);
        let meta = on_disk
            .symlink_metadata()
            .with_context(|| format!("cannot read `{}`", on_disk.display()))?;
        if !meta.is_file() {
            bail!("`{}` is not a regular file", on_disk.display());
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if (meta.permissions().mode() & 0o111 != 0) != *executable {
                bail!(
                    "`{}` is {}executable on disk but {}in the list to commit",
                    on_disk.display(),
                    if *executable { "not " } else { "" },
                    if *executable {
                        "executable "
                    } else {
                        "not executable "
                    }
                );
            }
        }
        let bytes = std::fs::read(&on_disk)
            .with_context(|| format!("cannot read `{}`", on_disk.display()))?;
        let blob = repo.write_blob(&bytes)?.detach();
        let kind = if *executable {
            EntryKind::BlobExecutable
        } else {
            EntryKind::Blob
        };
        editor
            .upsert(path.as_str(), kind, blob)
            .with_context(|| format!("cannot add `{path}` to the commit"))?;
    }
    let tree = editor
        .write()
        .context("cannot write the commit's tree")?
        .detach();

    let time = gix::date::Time::now_local_or_utc();
    let author = gix::actor::Signature {
        name: identity.author_name.as_str().into(),
        email: identity.author_email.as_str().into(),
        time,
    };
    let committer = gix::actor::Signature {
        name: identity.committer_name.as_str().into(),
        email: identity.committer_email.as_str().into(),
        time,
    };
    let (mut committer_time, mut author_time) = (
        gix::date::parse::TimeBuf::default(),
        gix::date::parse::TimeBuf::default(),
    );
    let commit = repo
        .commit_as(
            committer.to_ref(&mut committer_time),
            author.to_ref(&mut author_time),
            "HEAD",
            message,
            tree,
            Vec::<ObjectId>::new(),
        )
        .context("cannot write the first commit")?
        .detach();

    // The index, with each file's stat data so that git sees the work tree as clean.
    let mut index = repo.index_from_tree(&tree)?;
    let (entries, paths) = index.entries_mut_and_pathbacking();
    for entry in entries.iter_mut() {
        let path = entry.path_in(paths).to_str_lossy().into_owned();
        let meta = gix::index::fs::Metadata::from_path_no_follow(&dir.join(&path))
            .with_context(|| format!("cannot read `{path}`"))?;
        entry.stat = gix::index::entry::Stat::from_fs(&meta)
            .with_context(|| format!("cannot read the times of `{path}`"))?;
    }
    index
        .write(gix::index::write::Options::default())
        .context("cannot write the git index")?;
    Ok(commit.to_string())
}

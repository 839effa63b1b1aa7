//! `new --git`: the user's identity from their git configuration, and a new repository whose
//! one commit holds exactly the generated files. The only thing scaffold ever writes with git.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::objs::tree::EntryKind;

use super::repo::{check_path, isolated_with};
use crate::util::text::Shown as _;

/// Who makes the first commit, and when, as git decides it: `GIT_AUTHOR_NAME`,
/// `GIT_AUTHOR_EMAIL` and `GIT_AUTHOR_DATE` (and `GIT_COMMITTER_*`) from the environment, else
/// `author.*` (`committer.*`), else `user.name` and `user.email` from the user's git
/// configuration, else for the email `EMAIL`; the time is now unless a date is given.
struct Identity {
    author_name: String,
    author_email: String,
    author_date: Option<gix::date::Time>,
    committer_name: String,
    committer_email: String,
    committer_date: Option<gix::date::Time>,
    default_branch: Option<String>,
}

/// A non-empty environment variable, as text.
fn var(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// The user's global git configuration, found as git finds it: the system file
/// (`GIT_CONFIG_SYSTEM`, else `/etc/gitconfig`; none with `GIT_CONFIG_NOSYSTEM`, nor on
/// Windows, where finding it means running git), then `GIT_CONFIG_GLOBAL` when it is set (CI
/// sets it; `/dev/null` for none), else `$XDG_CONFIG_HOME/git/config` (or
/// `~/.config/git/config`) and `~/.gitconfig`, with `include` and `includeIf` followed as for
/// a repository at `git_dir`. No other environment variable counts: not `GIT_DIR`, nor the
/// `GIT_CONFIG_COUNT`/`GIT_CONFIG_PARAMETERS` settings a git that runs scaffold in a hook
/// passes on.
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
        let system =
            var("GIT_CONFIG_SYSTEM").map_or_else(|| "/etc/gitconfig".into(), PathBuf::from);
        files.push((Source::System, Some(system)));
    }
    match var("GIT_CONFIG_GLOBAL") {
        Some(global) => files.push((Source::User, Some(PathBuf::from(global)))),
        None => {
            for source in [Source::Git, Source::User] {
                files.push((source, source.storage_location(&mut env)));
            }
        }
    }
    // `/dev/null` names no file: nothing to read there.
    files.retain(|(_, path)| path.as_deref() != Some(Path::new("/dev/null")));
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

/// A name or email checked as git would write it into a commit.
fn checked(value: &str, what: &str) -> Result<Option<String>> {
    let value = value.trim();
    if value.contains(['<', '>', '\n', '\0']) {
        bail!("{what} contains `<`, `>` or a line break");
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

/// `GIT_AUTHOR_NAME` and the like, checked.
fn from_env(name: &str) -> Result<Option<String>> {
    match var(name) {
        None => Ok(None),
        Some(v) => {
            let v = v
                .into_string()
                .map_err(|_| anyhow!("`{name}` is not UTF-8"))?;
            checked(&v, &format!("`{name}`"))
        }
    }
}

/// `GIT_AUTHOR_DATE` or `GIT_COMMITTER_DATE`, in any format git reads.
fn date_from_env(name: &str) -> Result<Option<gix::date::Time>> {
    let Some(text) = from_env(name)? else {
        return Ok(None);
    };
    gix::date::parse(&text, None)
        .map(Some)
        .map_err(|_| anyhow!("`{name}` (`{text}`) is not a date git reads"))
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
            .to_owned();
        checked(&value, &format!("`{key}` in your git configuration"))
    };
    let user_name = value("user.name")?;
    let user_email = value("user.email")?.or(from_env("EMAIL")?);
    let author_name = from_env("GIT_AUTHOR_NAME")?
        .or(value("author.name")?)
        .or(user_name.clone());
    let author_email = from_env("GIT_AUTHOR_EMAIL")?
        .or(value("author.email")?)
        .or(user_email.clone());
    let committer_name = from_env("GIT_COMMITTER_NAME")?
        .or(value("committer.name")?)
        .or(user_name.clone());
    let committer_email = from_env("GIT_COMMITTER_EMAIL")?
        .or(value("committer.email")?)
        .or(user_email.clone());
    let (Some(author_name), Some(author_email), Some(committer_name), Some(committer_email)) =
        (author_name, author_email, committer_name, committer_email)
    else {
        let missing: Vec<&str> = [("user.name", &user_name), ("user.email", &user_email)]
            .into_iter()
            .filter(|(_, v)| v.is_none())
            .map(|(key, _)| key)
            .collect();
        bail!(
            "git does not know who you are ({} not set) for the first commit: run \
             `git config --global user.name \"Your Name\"` and \
             `git config --global user.email you@example.com` (or set GIT_AUTHOR_NAME, \
             GIT_AUTHOR_EMAIL, GIT_COMMITTER_NAME and GIT_COMMITTER_EMAIL)",
            missing.join(" and ")
        );
    };
    Ok(Identity {
        author_name,
        author_email,
        author_date: date_from_env("GIT_AUTHOR_DATE")?,
        committer_name,
        committer_email,
        committer_date: date_from_env("GIT_COMMITTER_DATE")?,
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
        bail!("`{}` already exists", dot_git.shown());
    }
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot read `{}`", dir.shown()))?;
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
    .with_context(|| format!("cannot create a git repository in `{}`", dir.shown()))?
    .to_thread_local();

    let mut editor = repo.edit_tree(ObjectId::empty_tree(gix::hash::Kind::Sha1))?;
    for (path, executable) in files {
        let on_disk = dir.join(path);
        let meta = on_disk
            .symlink_metadata()
            .with_context(|| format!("cannot read `{}`", on_disk.shown()))?;
        if !meta.is_file() {
            bail!("`{}` is not a regular file", on_disk.shown());
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if (meta.permissions().mode() & 0o111 != 0) != *executable {
                bail!(
                    "`{}` is {}executable on disk but {}in the list to commit",
                    on_disk.shown(),
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
            .with_context(|| format!("cannot read `{}`", on_disk.shown()))?;
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
        time: identity.author_date.unwrap_or(time),
    };
    let committer = gix::actor::Signature {
        name: identity.committer_name.as_str().into(),
        email: identity.committer_email.as_str().into(),
        time: identity.committer_date.unwrap_or(time),
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

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;
    use crate::git::blobs::find_blob;
    use crate::git::repo::work_tree_of;
    use crate::git::testing::*;
    use crate::git::tree::{TEST_LIMITS as LIMITS, open_template_repo};

    #[test]
    fn git_environment_variables_are_ignored() {
        const TEST: &str = "git_environment_variables_are_ignored";
        if let Some(root) = child_root(TEST) {
            // The child, with the variables below set as a git hook would have them.
            let work = root.join("tpl");
            let (c1, c2) = (
                git(&work, &["rev-parse", "v1.0.0"]),
                git(&work, &["rev-parse", "main"]),
            );
            assert_eq!(
                work_tree_of(&work.join("app")),
                Some(work.canonicalize().unwrap())
            );
            let repo = open_template_repo(&work).unwrap();
            assert_eq!(repo.resolve("main").unwrap().commit, c2);
            assert_eq!(repo.read_tree(&c1, None, &LIMITS).unwrap().len(), 3);
            assert!(
                find_blob(&work, &blob_id(b"other\n"), 100)
                    .unwrap()
                    .is_none()
            );
            assert!(find_blob(&work, &blob_id(b"new\n"), 100).unwrap().is_some());
            let dest = root.join("new-project");
            init_commit(&dest, &[("a.txt".into(), false)], "Initial commit").unwrap();
            return;
        }
        let f = fixture();
        let root = f.work.parent().unwrap();
        let other = root.join("other");
        std::fs::create_dir(&other).unwrap();
        git(&other, &["init", "-q"]);
        write(&other.join("o.txt"), b"other\n");
        git(&other, &["add", "-A"]);
        git(&other, &["commit", "-q", "-m", "other"]);
        let home = root.join("home");
        write(
            &home.join(".gitconfig"),
            b"[user]\n\tname = Config Name\n\temail = config@example.com\n",
        );
        let dest = root.join("new-project");
        write(&dest.join("a.txt"), b"a\n");
        let other_git = other.join(".git");
        let marker = root.join("marker");
        let evil = format!("'core.fsmonitor'='touch {}'", marker.display());
        let env: Vec<(&str, &OsStr)> = vec![
            ("HOME", home.as_os_str()),
            ("GIT_DIR", other_git.as_os_str()),
            ("GIT_WORK_TREE", other.as_os_str()),
            ("GIT_INDEX_FILE", OsStr::new("/nonexistent/index")),
            ("GIT_OBJECT_DIRECTORY", OsStr::new("/nonexistent/objects")),
            ("GIT_COMMON_DIR", other_git.as_os_str()),
            ("GIT_CEILING_DIRECTORIES", OsStr::new("/")),
            ("GIT_CONFIG_PARAMETERS", OsStr::new(&evil)),
            ("GIT_CONFIG_COUNT", OsStr::new("1")),
            ("GIT_CONFIG_KEY_0", OsStr::new("user.name")),
            ("GIT_CONFIG_VALUE_0", OsStr::new("Env Name")),
            // (GIT_CONFIG_GLOBAL and GIT_AUTHOR_* / GIT_COMMITTER_* count, as for git: see
            // the integration test `project::new_git_takes_the_identity_git_would`.)
            ("GIT_NAMESPACE", OsStr::new("elsewhere")),
        ];
        run_child(module_path!(), TEST, root, &env);
        assert!(!marker.exists());
        assert!(dest.join(".git/HEAD").is_file());
        let signature = |field: &str| git(&dest, &["log", "-1", &format!("--format={field}")]);
        assert_eq!(signature("%an <%ae>"), "Config Name <config@example.com>");
        assert_eq!(signature("%cn <%ce>"), "Config Name <config@example.com>");
        assert_eq!(git(&other, &["rev-list", "--count", "HEAD"]), "1");
        assert_eq!(git(&other, &["status", "--porcelain"]), "");
    }

    fn project(root: &Path) -> PathBuf {
        let dest = root.join("my-project");
        write(&dest.join("README.md"), b"# my project\n");
        write(&dest.join("src/app.py"), b"print('app')\r\n");
        write(&dest.join("run.sh"), b"#!/bin/sh\n");
        #[cfg(unix)]
        make_executable(&dest.join("run.sh"));
        dest
    }

    fn project_files() -> Vec<(String, bool)> {
        vec![
            ("README.md".into(), false),
            ("run.sh".into(), cfg!(unix)),
            ("src/app.py".into(), false),
        ]
    }

    #[cfg(unix)]
    #[test]
    // One scenario in a child process, checked from every side: splitting it would only
    // repeat the set-up.
    #[allow(clippy::too_many_lines)]
    fn init_commit_commits_as_the_user_without_running_anything() {
        const TEST: &str = "init_commit_commits_as_the_user_without_running_anything";
        if let Some(root) = child_root(TEST) {
            // No git on PATH here: gix does it all.
            let commit = init_commit(
                &root.join("my-project"),
                &project_files(),
                "Initial commit (scaffold test)",
            )
            .unwrap();
            assert_eq!(commit.len(), 40);
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let home = root.join("home");
        let marker = root.join("marker");
        let script = root.join("evil.sh");
        write(
            &script,
            format!("#!/bin/sh\necho \"$0\" >> '{}'\n", marker.display()).as_bytes(),
        );
        make_executable(&script);
        let hooks = root.join("hooks");
        let template_dir = root.join("git-template");
        for hook in [
            "pre-commit",
            "commit-msg",
            "post-commit",
            "reference-transaction",
            "post-index-change",
        ] {
            for dir in [&hooks, &template_dir.join("hooks")] {
                write(&dir.join(hook), &std::fs::read(&script).unwrap());
                make_executable(&dir.join(hook));
            }
        }
        // The identity comes from an included file, as many people keep it; the rest of the
        // configuration would run programs if anything here ran git.
        write(
            &home.join("work.inc"),
            b"[user]\n\temail = me@work.example\n",
        );
        write(
            &home.join(".gitconfig"),
            format!(
                "[user]\n\tname = Jane Doe\n\temail = jane@example.com\n[includeIf \"gitdir:{}/\"]\n\tpath = work.inc\n\
                 [init]\n\tdefaultBranch = trunk\n\ttemplateDir = {}\n[core]\n\thooksPath = {}\n\tfsmonitor = {}\n\
                 [commit]\n\tgpgSign = true\n[gpg]\n\tprogram = {}\n",
                root.display(),
                template_dir.display(),
                hooks.display(),
                script.display(),
                script.display()
            )
            .as_bytes(),
        );
        let dest = project(&root);
        run_child(
            module_path!(),
            TEST,
            &root,
            &[("HOME", home.as_os_str()), ("PATH", OsStr::new(""))],
        );
        assert!(
            !marker.exists(),
            "a program ran: {}",
            std::fs::read_to_string(&marker).unwrap_or_default()
        );
        let git_here = |args: &[&str]| {
            let mut cmd = git_cmd(&dest);
            cmd.env("HOME", &home)
                .env_remove("GIT_CONFIG_GLOBAL")
                .env("GIT_CONFIG_NOSYSTEM", "1");
            cmd.args([
                "-c",
                "core.fsmonitor=false",
                "-c",
                "core.hooksPath=/dev/null",
            ])
            .args(args);
            run(cmd, None)
        };
        assert_eq!(
            git_here(&["status", "--porcelain", "--untracked-files=all"]),
            ""
        );
        assert_eq!(
            git_here(&["log", "--format=%an <%ae>|%cn <%ce>|%s|%P"]),
            "Jane Doe <me@work.example>|Jane Doe <me@work.example>|Initial commit (scaffold test)|"
        );
        assert_eq!(git_here(&["symbolic-ref", "HEAD"]), "refs/heads/trunk");
        assert_eq!(
            git_here(&["ls-tree", "-r", "--format=%(objectmode) %(path)", "HEAD"]),
            "100644 README.md\n100755 run.sh\n100644 src/app.py"
        );
        assert!(
            !git_here(&["cat-file", "commit", "HEAD"]).contains("gpgsig"),
            "the commit is signed"
        );
        assert_eq!(git_here(&["show", "HEAD:src/app.py"]), "print('app')");
        assert_eq!(
            std::fs::read(dest.join("src/app.py")).unwrap(),
            b"print('app')\r\n"
        );
        assert!(
            !dest.join(".git/hooks/post-commit").exists(),
            "init.templateDir was used"
        );
        git_here(&["fsck", "--strict"]);
    }

    #[test]
    fn init_commit_without_identity_fails_clearly_and_leaves_nothing() {
        const TEST: &str = "init_commit_without_identity_fails_clearly_and_leaves_nothing";
        if let Some(root) = child_root(TEST) {
            let (home, dest) = (root.join("home"), root.join("my-project"));
            let only_name = format!(
                "{:#}",
                init_commit(&dest, &project_files(), "Initial commit").unwrap_err()
            );
            assert!(only_name.contains("(user.email not set)"), "{only_name}");
            assert!(!dest.join(".git").exists());
            std::fs::remove_file(home.join(".gitconfig")).unwrap();
            let none = format!(
                "{:#}",
                init_commit(&dest, &project_files(), "Initial commit").unwrap_err()
            );
            assert!(!dest.join(".git").exists());
            assert!(
                none.contains("(user.name and user.email not set)")
                    && none.contains("git config --global user.name"),
                "{none}"
            );
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        write(&home.join(".gitconfig"), b"[user]\n\tname = Only A Name\n");
        let dest = project(tmp.path());
        run_child(
            module_path!(),
            TEST,
            tmp.path(),
            &[
                ("HOME", home.as_os_str()),
                ("PATH", OsStr::new("")),
                // A machine-wide identity in /etc/gitconfig would be git's identity too.
                ("GIT_CONFIG_NOSYSTEM", OsStr::new("1")),
            ],
        );
        let left: Vec<_> = walkdir::WalkDir::new(&dest)
            .into_iter()
            .map(|e| e.unwrap().into_path())
            .collect();
        assert_eq!(
            left.len(),
            5,
            "only the project's own files and directories: {left:?}"
        );
    }

    #[test]
    fn init_commit_refuses_an_existing_repository_and_bad_lists() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = project(tmp.path());
        std::fs::create_dir(dest.join(".git")).unwrap();
        let err = init_commit(&dest, &project_files(), "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains(".git` already exists"), "{err}");
        std::fs::remove_dir(dest.join(".git")).unwrap();
        for bad in ["../outside", ".git/config", "a\\b"] {
            let err = init_commit(&dest, &[(bad.into(), false)], "x")
                .unwrap_err()
                .to_string();
            assert!(err.contains(&format!("cannot commit `{bad}`")), "{err}");
            assert!(!dest.join(".git").exists());
        }
    }
}

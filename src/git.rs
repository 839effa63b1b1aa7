//! Local git repositories, read and written in process with gitoxide (`gix`), never with the
//! git command.
//!
//! Nothing here can make a repository run a program: repositories are opened with isolated
//! configuration (only the repository's own file is read, no system or user configuration,
//! no environment variables, so `GIT_DIR`, `GIT_WORK_TREE`, `GIT_CONFIG_PARAMETERS` and the
//! rest are ignored even when scaffold runs inside a git hook), objects are read straight from
//! the object database (no checkout, no filters, no hooks, no fsmonitor), and the only thing
//! ever written is the new repository of [`init_commit`]. A template's tree is accepted only
//! as regular files: [`TemplateRepo::read_tree`] refuses symbolic links, submodules, `.git`
//! in any disguise and names that could leave the destination, within size limits.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use gix::bstr::ByteSlice;
use gix::objs::tree::EntryKind;
use gix::{ObjectId, Repository};

/// The most levels of annotated tags pointing at annotated tags that are followed.
const MAX_TAG_CHAIN: usize = 16;

/// The deepest directory nesting accepted in a template tree.
const MAX_TREE_DEPTH: usize = 64;

/// The largest commit, tag or tree object read (a tree of this size lists some 100,000
/// entries): a hostile repository must not make scaffold load a gigabyte to look at it.
const MAX_OBJECT_BYTES: u64 = 8 * 1024 * 1024;

/// Options that read nothing but the repository's own configuration file, no environment
/// variable, and do not honour `refs/replace/` (which would let a repository show other
/// content under a commit id than the id's own); `extra` are more `key=value` overrides.
fn isolated_with(extra: &[String]) -> gix::open::Options {
    let overrides = extra
        .iter()
        .cloned()
        .chain(["core.useReplaceRefs=false".to_owned()]);
    gix::open::Options::isolated().config_overrides(overrides)
}

fn isolated() -> gix::open::Options {
    isolated_with(&[])
}

/// The repository containing `dir` (itself or a parent), found as git finds it but without
/// looking at the environment (`GIT_DIR`, `GIT_CEILING_DIRECTORIES`, ...).
fn discover(dir: &Path) -> Result<Repository> {
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot read `{}`", dir.display()))?;
    let options = gix::discover::upwards::Options::default();
    let trust = gix::sec::trust::Mapping {
        full: isolated(),
        reduced: isolated(),
    };
    let repo = gix::ThreadSafeRepository::discover_opts(&dir, options, trust)
        .with_context(|| format!("`{}` is not inside a git repository", dir.display()))?;
    Ok(repo.to_thread_local())
}

/// The root of the git work tree that contains `dir` (searching upward), if there is one.
/// A bare repository, or a `.git` directory, has no work tree.
pub(crate) fn work_tree_of(dir: &Path) -> Option<PathBuf> {
    let repo = discover(dir).ok()?;
    let root = repo.workdir()?.canonicalize().ok()?;
    let dir = dir.canonicalize().ok()?;
    // `core.worktree` may put the work tree elsewhere; and inside `.git` is not in it.
    let git_dir = repo.git_dir().canonicalize().ok()?;
    (dir.starts_with(&root) && !dir.starts_with(&git_dir)).then_some(root)
}

fn parse_id(id: &str) -> Result<ObjectId> {
    if id.len() != 40 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("`{id}` is not a full object id (40 hex digits)");
    }
    ObjectId::from_hex(id.as_bytes()).map_err(|e| anyhow!("`{id}` is not an object id: {e}"))
}

/// The blob `blob_id` from the object database of the repository that contains `repo_dir`
/// (searching upward), or `None` when the repository does not have it. Fails when there is
/// no repository, when the object is not a blob, or when it is larger than `max_bytes`.
pub(crate) fn find_blob(repo_dir: &Path, blob_id: &str, max_bytes: u64) -> Result<Option<Vec<u8>>> {
    let id = parse_id(blob_id)?;
    let repo = discover(repo_dir)?;
    let place = || format!("object `{blob_id}` in `{}`", repo.git_dir().display());
    let Some(header) = repo.try_find_header(id).with_context(place)? else {
        return Ok(None);
    };
    if header.kind() != gix::object::Kind::Blob {
        bail!("{} is a {}, not a blob", place(), header.kind());
    }
    if header.size() > max_bytes {
        bail!(
            "{} has {} bytes, more than the limit of {max_bytes}",
            place(),
            header.size()
        );
    }
    let object = repo.find_object(id).with_context(place)?;
    if object.data.len() as u64 > max_bytes {
        bail!("{} has more than {max_bytes} bytes", place());
    }
    Ok(Some(object.detach().data))
}

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

/// Checks one path component of a tree entry or of a path given to this module, by the rules
/// every path scaffold writes must pass ([`crate::util::paths`]): not empty, `.` or `..`, no
/// separator or control character, no version-control directory in any disguise.
fn check_component(component: &[u8]) -> Result<(), String> {
    let name =
        std::str::from_utf8(component).map_err(|_| "has a name that is not UTF-8".to_string())?;
    crate::util::paths::check_component(name)
        .map_err(|why| why.trim_start_matches("which ").to_string())
}

/// Checks a relative path given as text (`a/b/c`), component by component.
fn check_path(path: &str) -> Result<(), String> {
    path.split('/')
        .try_for_each(|c| check_component(c.as_bytes()))
}

/// Creates a git repository in `dir`, which holds exactly `files` (paths relative to `dir`
/// with `/`, and whether each is executable), and commits them in one commit with `message`,
/// as the user (`user.name`, `user.email` from the git configuration). Writes an index that
/// matches the files, so that `git status` is clean. Runs no hook, signs nothing, needs no
/// git installed. The branch is the user's `init.defaultBranch`, else `main`.
///
/// Fails before creating anything when git has no identity for the user; on any later failure
/// the new `.git` is removed again. Returns the commit id.
/// The blob ids that the last commit (`HEAD`) of the git work tree containing `dir` holds for
/// these paths (relative to `dir`): `None` when `dir` is not in a work tree; a path missing
/// from the map is not in the commit. Used to tell whether a file has uncommitted changes.
pub(crate) fn committed_blobs(
    dir: &Path,
    paths: &[String],
) -> Result<Option<std::collections::HashMap<String, String>>> {
    let Ok(repo) = discover(dir) else {
        return Ok(None);
    };
    let Some(root) = repo.workdir().and_then(|w| w.canonicalize().ok()) else {
        return Ok(None);
    };
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot read `{}`", dir.display()))?;
    let Ok(prefix) = dir.strip_prefix(&root) else {
        return Ok(None);
    };
    let prefix: Vec<String> = prefix
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let mut out = std::collections::HashMap::new();
    let Ok(commit) = repo.head_commit() else {
        // A repository without a commit yet: nothing is committed.
        return Ok(Some(out));
    };
    let tree = commit
        .tree()
        .with_context(|| format!("cannot read the last commit of `{}`", root.display()))?;
    for path in paths {
        let full: Vec<&str> = prefix
            .iter()
            .map(String::as_str)
            .chain(path.split('/'))
            .collect();
        if let Ok(Some(entry)) = tree.lookup_entry(full)
            && entry.mode().is_blob()
        {
            out.insert(path.clone(), entry.object_id().to_hex().to_string());
        }
    }
    Ok(Some(out))
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

/// A local template repository (bare or with a work tree), opened in place: its objects are
/// read straight from its object database, nothing is checked out, and nothing of its
/// configuration or the environment can make a program run.
pub(crate) struct TemplateRepo {
    repo: Repository,
    path: PathBuf,
}

/// What kind of name a [`TemplateRepo::resolve`] resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefKind {
    /// A lightweight tag (`refs/tags/...` pointing straight at a commit).
    Tag,
    /// An annotated tag (a tag object, peeled to its commit).
    AnnotatedTag,
    /// A branch (`refs/heads/...`, or a remote-tracking `refs/remotes/...`).
    Branch,
    /// A commit id, full or abbreviated.
    Commit,
}

/// A revision resolved to a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// The full commit id, 40 hex digits.
    pub(crate) commit: String,
    /// What the revision named.
    pub(crate) kind: RefKind,
}

/// Bounds on what [`TemplateRepo::read_tree`] accepts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TreeLimits {
    /// The most files (and, separately, the most directories).
    pub(crate) files: usize,
    /// The most bytes one file may hold.
    pub(crate) file_bytes: u64,
    /// The most bytes all files together may hold.
    pub(crate) total_bytes: u64,
}

/// One regular file of a template tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TreeFile {
    /// The path relative to the tree (or the subdirectory), components joined with `/`.
    pub(crate) path: String,
    /// Mode 100755 rather than 100644.
    pub(crate) executable: bool,
    /// The blob's bytes, exactly as committed (no filters, no line-ending conversion).
    pub(crate) contents: Vec<u8>,
}

/// Opens the local repository at `path` (a work tree or a `.git` directory, or a bare
/// repository) in place, with isolated configuration. `path` must be the repository itself,
/// not a directory inside it.
pub(crate) fn open_template_repo(path: &Path) -> Result<TemplateRepo> {
    let repo = gix::open_opts(path, isolated())
        .with_context(|| format!("`{}` is not a git repository", path.display()))?;
    Ok(TemplateRepo {
        repo,
        path: path.to_path_buf(),
    })
}

impl TemplateRepo {
    fn place(&self) -> String {
        format!("the git repository `{}`", self.path.display())
    }

    /// The commit `rev` names: a tag (lightweight or annotated), a branch, or a full or
    /// abbreviated (at least 4 hex digits) commit id, looked up in git's order: a full id,
    /// then `refs/...` as given, `refs/tags/<rev>`, `refs/heads/<rev>`, `refs/remotes/<rev>`,
    /// then an abbreviated id. A rev starting with `-` is refused.
    pub(crate) fn resolve(&self, rev: &str) -> Result<Resolved> {
        if rev.is_empty() || rev.starts_with('-') {
            bail!("`{rev}` is not a valid revision");
        }
        if rev.len() == 40
            && rev.bytes().all(|b| b.is_ascii_hexdigit())
            && let Ok(id) = parse_id(rev)
            && self.repo.try_find_header(id)?.is_some()
        {
            let commit = self.peel_to_commit(id, rev)?;
            return Ok(Resolved {
                commit: commit.to_string(),
                kind: RefKind::Commit,
            });
        }
        let candidates: Vec<String> = if rev.starts_with("refs/") {
            vec![rev.to_owned()]
        } else {
            ["refs/tags/", "refs/heads/", "refs/remotes/"]
                .iter()
                .map(|prefix| format!("{prefix}{rev}"))
                .collect()
        };
        for name in candidates {
            let Ok(full_name) = gix::refs::FullName::try_from(name.as_str()) else {
                continue;
            };
            let Some(mut reference) = self
                .repo
                .try_find_reference(&full_name)
                .with_context(|| format!("cannot read `{name}` in {}", self.place()))?
            else {
                continue;
            };
            let kind = if name.starts_with("refs/tags/") {
                RefKind::Tag
            } else if name.starts_with("refs/heads/") || name.starts_with("refs/remotes/") {
                RefKind::Branch
            } else {
                bail!("`{rev}` in {} is neither a tag nor a branch", self.place());
            };
            let target = reference
                .follow_to_object()
                .with_context(|| format!("cannot follow `{name}` in {}", self.place()))?
                .detach();
            let is_tag_object = self.repo.find_header(target)?.kind() == gix::object::Kind::Tag;
            let commit = self.peel_to_commit(target, rev)?;
            let kind = match kind {
                RefKind::Tag if is_tag_object => RefKind::AnnotatedTag,
                kind => kind,
            };
            return Ok(Resolved {
                commit: commit.to_string(),
                kind,
            });
        }
        if (4..40).contains(&rev.len()) && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            let prefix = gix::hash::Prefix::from_hex(rev).map_err(|e| anyhow!("`{rev}`: {e}"))?;
            let mut found = HashSet::new();
            self.repo
                .objects
                .lookup_prefix(prefix, Some(&mut found))
                .with_context(|| format!("cannot look up `{rev}` in {}", self.place()))?;
            let mut commits = Vec::new();
            for id in found {
                if self.repo.find_header(id)?.kind() == gix::object::Kind::Commit {
                    commits.push(id);
                }
            }
            match commits.as_slice() {
                [id] => {
                    return Ok(Resolved {
                        commit: id.to_string(),
                        kind: RefKind::Commit,
                    });
                }
                [] => {}
                _ => bail!(
                    "`{rev}` is ambiguous in {}: several commits start with it",
                    self.place()
                ),
            }
        }
        bail!("{} has no tag, branch or commit `{rev}`", self.place())
    }

    /// The commit, tag or tree `id`, read only when it is at most [`MAX_OBJECT_BYTES`].
    fn find_bounded(&self, id: ObjectId, what: &str) -> Result<gix::Object<'_>> {
        let header = self
            .repo
            .find_header(id)
            .with_context(|| format!("{} has no {what}", self.place()))?;
        if header.size() > MAX_OBJECT_BYTES {
            bail!(
                "{what} in {} is a {} of {} bytes, too large to read",
                self.place(),
                header.kind(),
                header.size()
            );
        }
        self.repo
            .find_object(id)
            .with_context(|| format!("cannot read {what} in {}", self.place()))
    }

    /// Follows annotated tags from `id` to the commit they name.
    fn peel_to_commit(&self, mut id: ObjectId, rev: &str) -> Result<ObjectId> {
        for _ in 0..MAX_TAG_CHAIN {
            let object = self.find_bounded(id, &format!("`{rev}`"))?;
            match object.kind {
                gix::object::Kind::Commit => return Ok(id),
                gix::object::Kind::Tag => {
                    id = object
                        .into_tag()
                        .target_id()
                        .with_context(|| {
                            format!("cannot read the tag `{rev}` in {}", self.place())
                        })?
                        .detach();
                }
                kind => bail!("`{rev}` in {} names a {kind}, not a commit", self.place()),
            }
        }
        bail!(
            "`{rev}` in {}: tags nested deeper than {MAX_TAG_CHAIN}",
            self.place()
        )
    }

    /// The repository's tag names (without `refs/tags/`), sorted; names that are not UTF-8
    /// are left out.
    pub(crate) fn tags(&self) -> Result<Vec<String>> {
        let context = || format!("cannot list the tags of {}", self.place());
        let platform = self.repo.references().with_context(context)?;
        let mut tags = Vec::new();
        for reference in platform.tags().with_context(context)? {
            let reference = reference
                .map_err(|e| anyhow!("{e}"))
                .with_context(context)?;
            if let Ok(name) = reference.name().shorten().to_str() {
                tags.push(name.to_owned());
            }
        }
        tags.sort();
        Ok(tags)
    }

    /// The commit `HEAD` names, if there is one.
    pub(crate) fn head_commit(&self) -> Option<String> {
        let id = self.repo.head_id().ok()?;
        let commit = self.peel_to_commit(id.detach(), "HEAD").ok()?;
        Some(commit.to_hex().to_string())
    }

    /// The branch `HEAD` points at (the default branch of a bare or mirror repository, the
    /// checked-out branch of a work tree), if it exists.
    pub(crate) fn default_branch(&self) -> Option<String> {
        let name = self.repo.head_name().ok()??;
        let short = name
            .as_bstr()
            .strip_prefix(b"refs/heads/")?
            .to_str()
            .ok()?
            .to_owned();
        self.repo.try_find_reference(&name).ok()??;
        Some(short)
    }

    /// The tree of the directory `subdir` of `root` (the commit's own tree when there is none).
    fn subdir_tree(&self, commit: &str, root: ObjectId, subdir: Option<&str>) -> Result<ObjectId> {
        let Some(subdir) = subdir
            .map(|s| s.trim_matches('/'))
            .filter(|s| !s.is_empty())
        else {
            return Ok(root);
        };
        check_path(subdir).map_err(|why| anyhow!("the subdirectory `{subdir}` {why}"))?;
        let mut tree = root;
        for name in subdir.split('/') {
            let entries = self.tree_entries(tree, subdir)?;
            let Some((mode, child)) = entries
                .into_iter()
                .find(|(_, n, _)| n == name.as_bytes())
                .map(|(m, _, id)| (m, id))
            else {
                bail!(
                    "commit `{commit}` in {} has no directory `{subdir}`",
                    self.place()
                );
            };
            if mode.kind() != EntryKind::Tree {
                bail!(
                    "`{subdir}` in commit `{commit}` of {} is not a directory",
                    self.place()
                );
            }
            tree = child;
        }
        Ok(tree)
    }

    /// The bytes of the blob `id`, within the per-file limit and, counted into `total`, the
    /// per-template one; `refuse` words the error for the entry.
    fn bounded_blob(
        &self,
        id: ObjectId,
        limits: &TreeLimits,
        total: &mut u64,
        refuse: &dyn Fn(&str) -> anyhow::Error,
    ) -> Result<Vec<u8>> {
        let header = self
            .repo
            .find_header(id)
            .map_err(|e| refuse(&format!("cannot be read: {e}")))?;
        if header.kind() != gix::object::Kind::Blob {
            return Err(refuse(&format!("is a {}, not a file", header.kind())));
        }
        let size = header.size();
        if size > limits.file_bytes {
            return Err(refuse(&format!(
                "has {size} bytes, more than the limit of {}",
                limits.file_bytes
            )));
        }
        *total = total.saturating_add(size);
        if *total > limits.total_bytes {
            return Err(refuse(&format!(
                "brings the template past the limit of {} bytes in all",
                limits.total_bytes
            )));
        }
        let blob = self
            .repo
            .find_object(id)
            .map_err(|e| refuse(&format!("cannot be read: {e}")))?
            .detach();
        if blob.data.len() as u64 != size {
            return Err(refuse("is damaged (its size does not match)"));
        }
        Ok(blob.data)
    }

    /// Every file of the tree of `commit` (a full commit id, as [`resolve`](Self::resolve)
    /// returns it), or of its directory `subdir`, with paths relative to that directory.
    ///
    /// Accepts only regular files (modes 100644 and 100755) and directories; fails, naming
    /// the entry, on a symbolic link, a submodule, any other mode, a `.git` component in any
    /// disguise, a name that is not UTF-8 or fails [`check_component`], the same path twice,
    /// and on more files, directories or bytes than `limits` allow. Case and Unicode
    /// collisions and Windows-only problems are left to the caller's path rules.
    pub(crate) fn read_tree(
        &self,
        commit: &str,
        subdir: Option<&str>,
        limits: &TreeLimits,
    ) -> Result<Vec<TreeFile>> {
        let id = parse_id(commit)?;
        let object = self.find_bounded(id, &format!("commit `{commit}`"))?;
        if object.kind != gix::object::Kind::Commit {
            bail!(
                "`{commit}` in {} is a {}, not a commit",
                self.place(),
                object.kind
            );
        }
        let root = object
            .into_commit()
            .tree_id()
            .with_context(|| format!("cannot read commit `{commit}` in {}", self.place()))?
            .detach();
        let tree = self.subdir_tree(commit, root, subdir)?;

        let mut files = Vec::new();
        let mut seen = HashSet::new();
        let (mut directories, mut total) = (0usize, 0u64);
        let mut pending = vec![(tree, String::new(), 0usize)];
        while let Some((tree, prefix, depth)) = pending.pop() {
            for (mode, name, id) in self.tree_entries(tree, &prefix)? {
                let shown = format!("{prefix}{}", name.as_bstr());
                let refuse =
                    |why: &str| anyhow!("the template's `{shown}` {why} (in {})", self.place());
                let name = std::str::from_utf8(&name)
                    .map_err(|_| refuse("has a name that is not UTF-8"))?;
                check_component(name.as_bytes()).map_err(|why| refuse(&why))?;
                let path = format!("{prefix}{name}");
                if !seen.insert(path.clone()) {
                    return Err(refuse("appears twice in its directory"));
                }
                let executable = match (mode.kind(), mode.value()) {
                    (EntryKind::Tree, _) => {
                        directories += 1;
                        if directories > limits.files {
                            return Err(refuse(&format!(
                                "is past the limit of {} directories",
                                limits.files
                            )));
                        }
                        if depth + 1 > MAX_TREE_DEPTH {
                            return Err(refuse(&format!(
                                "is nested deeper than {MAX_TREE_DEPTH} directories"
                            )));
                        }
                        pending.push((id, format!("{path}/"), depth + 1));
                        continue;
                    }
                    (EntryKind::Blob, 0o100644) => false,
                    (EntryKind::BlobExecutable, 0o100755) => true,
                    (EntryKind::Link, _) => {
                        return Err(refuse(
                            "is a symbolic link; templates may hold only regular files",
                        ));
                    }
                    (EntryKind::Commit, _) => {
                        return Err(refuse(
                            "is a submodule; templates may hold only regular files",
                        ));
                    }
                    (_, mode) => return Err(refuse(&format!("has the unsupported mode {mode:o}"))),
                };
                if files.len() >= limits.files {
                    return Err(refuse(&format!(
                        "is past the limit of {} files",
                        limits.files
                    )));
                }
                let contents = self.bounded_blob(id, limits, &mut total, &refuse)?;
                files.push(TreeFile {
                    path,
                    executable,
                    contents,
                });
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// The entries of one tree object: mode, name, id.
    fn tree_entries(
        &self,
        id: ObjectId,
        at: &str,
    ) -> Result<Vec<(gix::objs::tree::EntryMode, Vec<u8>, ObjectId)>> {
        let shown = if at.is_empty() {
            "the top directory".to_owned()
        } else {
            format!("`{at}`")
        };
        let object = self.find_bounded(id, &shown)?;
        if object.kind != gix::object::Kind::Tree {
            bail!(
                "{shown} in {} is a {}, not a directory",
                self.place(),
                object.kind
            );
        }
        let tree = object.into_tree();
        let decoded = tree
            .decode()
            .with_context(|| format!("{shown} in {} is damaged", self.place()))?;
        Ok(decoded
            .entries
            .iter()
            .map(|e| (e.mode, e.filename.to_vec(), e.oid.to_owned()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::io::Write;
    use std::process::{Command, Stdio};

    // ---- test set-up with the git CLI (the module itself never runs git) ----

    /// A git command with no configuration but the repository's own and a test identity.
    fn git_cmd(dir: &Path) -> Command {
        let mut cmd = Command::new("git");
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("GIT_") {
                cmd.env_remove(name);
            }
        }
        cmd.current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
            .args([
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
            ]);
        cmd
    }

    fn run(mut cmd: Command, stdin: Option<&[u8]>) -> String {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("`git` must be installed for these tests (CI installs it)");
        if let Some(input) = stdin {
            child.stdin.take().unwrap().write_all(input).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
    }

    fn git(dir: &Path, args: &[&str]) -> String {
        let mut cmd = git_cmd(dir);
        cmd.args(args);
        run(cmd, None)
    }

    fn git_in(dir: &Path, args: &[&str], stdin: &[u8]) -> String {
        let mut cmd = git_cmd(dir);
        cmd.args(args);
        run(cmd, Some(stdin))
    }

    fn write(path: &Path, contents: &[u8]) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    #[cfg(unix)]
    fn make_executable(path: &Path) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// A work tree repository with two commits, tags and branches:
    /// c1 = {README.md, app/main.py (exec), app/data.txt (CRLF)}, tagged `v1.0.0` (lightweight);
    /// c2 = c1 + app/new.txt, tagged `v1.1.0` (annotated), on `main`; branch `old` at c1.
    struct Fixture {
        _tmp: tempfile::TempDir,
        work: PathBuf,
        c1: String,
        c2: String,
    }

    fn fixture() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("tpl");
        std::fs::create_dir(&work).unwrap();
        git(&work, &["init", "-q"]);
        write(&work.join("README.md"), b"# template\n");
        write(&work.join("app/main.py"), b"print('hi')\n");
        #[cfg(unix)]
        make_executable(&work.join("app/main.py"));
        write(&work.join("app/data.txt"), b"a\r\nb\r\n");
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", "one"]);
        let c1 = git(&work, &["rev-parse", "HEAD"]);
        git(&work, &["tag", "v1.0.0"]);
        git(&work, &["branch", "old"]);
        write(&work.join("app/new.txt"), b"new\n");
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", "two"]);
        let c2 = git(&work, &["rev-parse", "HEAD"]);
        git(&work, &["tag", "-a", "v1.1.0", "-m", "release 1.1.0"]);
        Fixture {
            _tmp: tmp,
            work,
            c1,
            c2,
        }
    }

    impl Fixture {
        fn bare(&self) -> PathBuf {
            let bare = self.work.parent().unwrap().join("tpl.git");
            if !bare.exists() {
                let (from, to) = (self.work.to_str().unwrap(), bare.to_str().unwrap());
                git(
                    self.work.parent().unwrap(),
                    &["clone", "-q", "--bare", from, to],
                );
            }
            bare
        }
    }

    const LIMITS: TreeLimits = TreeLimits {
        files: 100,
        file_bytes: 1 << 20,
        total_bytes: 1 << 22,
    };

    /// A tree object made of raw entries `(mode, name, id)`, written without any of git's
    /// checks, and a commit of it; returns the commit id.
    fn hostile_commit(repo: &Path, entries: &[(&str, &[u8], &str)]) -> String {
        let mut tree = Vec::new();
        for (mode, name, id) in entries {
            tree.extend_from_slice(mode.as_bytes());
            tree.push(b' ');
            tree.extend_from_slice(name);
            tree.push(0);
            tree.extend_from_slice(ObjectId::from_hex(id.as_bytes()).unwrap().as_bytes());
        }
        let tree_id = git_in(
            repo,
            &["hash-object", "-w", "-t", "tree", "--literally", "--stdin"],
            &tree,
        );
        git(repo, &["commit-tree", &tree_id, "-m", "hostile"])
    }

    const CHILD: &str = "SCAFFOLD_GIT_TEST_CHILD";
    const CHILD_ROOT: &str = "SCAFFOLD_GIT_TEST_ROOT";

    /// In the child process of `test` (see [`run_child`]), the directory the parent prepared.
    fn child_root(test: &str) -> Option<PathBuf> {
        if std::env::var_os(CHILD).is_some_and(|v| v == test) {
            return std::env::var_os(CHILD_ROOT).map(PathBuf::from);
        }
        None
    }

    /// Runs `test` again in a child process with exactly `env` (plus `PATH`, unless given),
    /// working in `root`: tests that need their own `HOME` or `GIT_*` variables must not set
    /// them in this process, whose environment all tests share. Fails if the child fails.
    fn run_child(test: &str, root: &Path, env: &[(&str, &OsStr)]) {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            &format!("git::tests::{test}"),
            "--nocapture",
            "--test-threads=1",
        ])
        .env_clear()
        .env(CHILD, test)
        .env(CHILD_ROOT, root);
        if !env.iter().any(|(k, _)| *k == "PATH") {
            cmd.env("PATH", std::env::var_os("PATH").unwrap_or_default());
        }
        for (key, value) in env {
            cmd.env(key, value);
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "child run of {test} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // ---- blob_id ----

    fn blob_id(bytes: &[u8]) -> String {
        crate::util::hash::blob_id(bytes).unwrap()
    }

    #[test]
    fn blob_ids_are_gits() {
        assert_eq!(blob_id(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
        // (crate::util::hash computes them; here they are compared with git's own.)
        let tmp = tempfile::tempdir().unwrap();
        for bytes in [
            &b"hello\n"[..],
            b"a\r\nb",
            b"\0\x01\xff binary",
            &vec![b'x'; 100_000],
        ] {
            assert_eq!(
                blob_id(bytes),
                git_in(tmp.path(), &["hash-object", "--stdin"], bytes)
            );
        }
    }

    // ---- resolve, tags, default_branch ----

    #[test]
    fn resolves_every_kind_of_revision() {
        let f = fixture();
        for path in [f.work.clone(), f.work.join(".git"), f.bare()] {
            let repo = open_template_repo(&path).unwrap();
            let resolve = |rev: &str| repo.resolve(rev).unwrap_or_else(|e| panic!("{rev}: {e:#}"));
            let expect = |commit: &str, kind| Resolved {
                commit: commit.to_owned(),
                kind,
            };
            assert_eq!(resolve("v1.0.0"), expect(&f.c1, RefKind::Tag), "{path:?}");
            assert_eq!(resolve("v1.1.0"), expect(&f.c2, RefKind::AnnotatedTag));
            assert_eq!(
                resolve("refs/tags/v1.1.0"),
                expect(&f.c2, RefKind::AnnotatedTag)
            );
            assert_eq!(resolve("main"), expect(&f.c2, RefKind::Branch));
            assert_eq!(resolve("old"), expect(&f.c1, RefKind::Branch));
            assert_eq!(resolve("refs/heads/old"), expect(&f.c1, RefKind::Branch));
            assert_eq!(resolve(&f.c1), expect(&f.c1, RefKind::Commit));
            assert_eq!(resolve(&f.c2[..7]), expect(&f.c2, RefKind::Commit));
            assert_eq!(resolve(&f.c1[..4]).commit, f.c1);
            // The annotated tag's own object id peels to its commit.
            let tag_object = git(&f.work, &["rev-parse", "v1.1.0"]);
            assert_ne!(tag_object, f.c2);
            assert_eq!(resolve(&tag_object), expect(&f.c2, RefKind::Commit));

            for bad in [
                "-v1.0.0",
                "--upload-pack=touch x",
                "",
                "nope",
                "v1..0",
                "HEAD@{0}",
                "main~1",
            ] {
                let err = repo.resolve(bad).unwrap_err().to_string();
                assert!(
                    err.contains(&format!("`{bad}`")) && err.contains("not a valid revision")
                        || err.contains("has no tag"),
                    "{bad}: {err}"
                );
            }
            assert_eq!(repo.tags().unwrap(), ["v1.0.0", "v1.1.0"]);
            assert_eq!(repo.default_branch().as_deref(), Some("main"));
        }
    }

    #[test]
    fn a_tag_of_a_tree_is_not_a_commit() {
        let f = fixture();
        git(
            &f.work,
            &["tag", "-a", "tree-tag", "-m", "x", "HEAD^{tree}"],
        );
        let repo = open_template_repo(&f.work).unwrap();
        let err = repo.resolve("tree-tag").unwrap_err().to_string();
        assert!(err.contains("names a tree, not a commit"), "{err}");
    }

    #[test]
    fn default_branch_follows_head_and_is_none_when_detached() {
        let f = fixture();
        git(&f.work, &["checkout", "-q", "old"]);
        assert_eq!(
            open_template_repo(&f.work)
                .unwrap()
                .default_branch()
                .as_deref(),
            Some("old")
        );
        git(&f.work, &["checkout", "-q", "--detach", "main"]);
        assert_eq!(open_template_repo(&f.work).unwrap().default_branch(), None);
    }

    #[test]
    fn replace_refs_do_not_change_what_a_commit_holds() {
        let f = fixture();
        git(&f.work, &["replace", &f.c1, &f.c2]);
        assert_eq!(
            git(&f.work, &["ls-tree", "-r", "--name-only", &f.c1])
                .lines()
                .count(),
            4,
            "git honours the replacement"
        );
        let repo = open_template_repo(&f.work).unwrap();
        let files = repo.read_tree(&f.c1, None, &LIMITS).unwrap();
        assert_eq!(files.len(), 3, "{files:?}");
    }

    // ---- read_tree ----

    #[test]
    fn reads_a_tree_and_a_subdirectory_exactly() {
        let f = fixture();
        // Attributes that would convert line endings on checkout must not matter.
        write(&f.work.join(".gitattributes"), b"* text eol=lf\n");
        git(&f.work, &["add", ".gitattributes"]);
        git(&f.work, &["commit", "-q", "-m", "attributes"]);
        let head = git(&f.work, &["rev-parse", "HEAD"]);
        let repo = open_template_repo(&f.bare()).unwrap();

        let files = repo.read_tree(&f.c1, None, &LIMITS).unwrap();
        let summary: Vec<(&str, bool, &[u8])> = files
            .iter()
            .map(|f| (f.path.as_str(), f.executable, f.contents.as_slice()))
            .collect();
        assert_eq!(
            summary,
            [
                ("README.md", false, &b"# template\n"[..]),
                ("app/data.txt", false, b"a\r\nb\r\n"),
                ("app/main.py", cfg!(unix), b"print('hi')\n"),
            ]
        );
        let repo = open_template_repo(&f.work).unwrap();
        let files = repo.read_tree(&head, Some("app"), &LIMITS).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["data.txt", "main.py", "new.txt"]);
        assert_eq!(files[0].contents, b"a\r\nb\r\n");
        assert_eq!(
            repo.read_tree(&head, Some("/app/"), &LIMITS).unwrap(),
            files
        );

        for (subdir, message) in [
            ("nope", "has no directory `nope`"),
            ("README.md", "`README.md` in commit"),
            ("app/../app", "has the component `..`"),
            ("app/.git", "version-control"),
        ] {
            let err = repo
                .read_tree(&head, Some(subdir), &LIMITS)
                .unwrap_err()
                .to_string();
            assert!(err.contains(message), "{subdir}: {err}");
        }
        let err = repo
            .read_tree(&head[..7], None, &LIMITS)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a full object id"), "{err}");
        let tree = git(&f.work, &["rev-parse", "HEAD^{tree}"]);
        let err = repo
            .read_tree(&tree, None, &LIMITS)
            .unwrap_err()
            .to_string();
        assert!(err.contains("is a tree, not a commit"), "{err}");
    }

    fn read_err(repo_dir: &Path, commit: &str, limits: &TreeLimits) -> String {
        let repo = open_template_repo(repo_dir).unwrap();
        format!("{:#}", repo.read_tree(commit, None, limits).unwrap_err())
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_committed_symlink() {
        let f = fixture();
        std::os::unix::fs::symlink("/etc/passwd", f.work.join("app/link")).unwrap();
        git(&f.work, &["add", "-A"]);
        git(&f.work, &["commit", "-q", "-m", "link"]);
        let err = read_err(&f.work, &git(&f.work, &["rev-parse", "HEAD"]), &LIMITS);
        assert!(err.contains("`app/link` is a symbolic link"), "{err}");
    }

    #[test]
    fn refuses_a_submodule() {
        let f = fixture();
        git(
            &f.work,
            &[
                "update-index",
                "--add",
                "--cacheinfo",
                &format!("160000,{},vendor/lib", f.c1),
            ],
        );
        git(&f.work, &["commit", "-q", "-m", "submodule"]);
        let err = read_err(&f.work, &git(&f.work, &["rev-parse", "HEAD"]), &LIMITS);
        assert!(err.contains("`vendor/lib` is a submodule"), "{err}");
    }

    #[test]
    fn refuses_dot_git_and_escaping_names() {
        let f = fixture();
        let blob = git_in(&f.work, &["hash-object", "-w", "--stdin"], b"x\n");
        // `git mktree` accepts these two names as they are.
        let x = git_in(
            &f.work,
            &["mktree"],
            format!("100644 blob {blob}\tx\n").as_bytes(),
        );
        let dot_git = git_in(
            &f.work,
            &["mktree"],
            format!("040000 tree {x}\t.GIT\n").as_bytes(),
        );
        let dot_dot = git_in(
            &f.work,
            &["mktree"],
            format!("100644 blob {blob}\t..\n").as_bytes(),
        );
        for (tree, shown) in [(dot_git, "`.GIT`"), (dot_dot, "`..`")] {
            let commit = git(&f.work, &["commit-tree", &tree, "-m", "hostile"]);
            let err = read_err(&f.work, &commit, &LIMITS);
            assert!(
                err.contains(shown)
                    && (err.contains("version-control") || err.contains("the component `..`")),
                "{err}"
            );
        }
        // The rest need a tree git would not write itself.
        for (mode, name, why) in [
            ("100644", &b"."[..], "the component `.`"),
            ("100644", b"", "empty component"),
            ("100644", b"a\\..\\b", "path separator"),
            ("100644", b"a/b", "path separator"),
            ("100644", b"bell\x07", "control character"),
            ("100644", b"\xff", "not UTF-8"),
            ("100644", b".git", "version-control"),
            ("100644", b".Git. ", "version-control"),
            ("100644", b"GIT~1", "version-control"),
            ("100644", ".g\u{200c}it".as_bytes(), "version-control"),
            ("100664", b"old-mode", "unsupported mode 100664"),
            ("100600", b"private", "unsupported mode 100600"),
        ] {
            let commit = hostile_commit(&f.work, &[(mode, name, &blob)]);
            let err = read_err(&f.work, &commit, &LIMITS);
            assert!(err.contains(why), "{name:?}: {err}");
        }
        let commit = hostile_commit(
            &f.work,
            &[("100644", b"same", &blob), ("100644", b"same", &blob)],
        );
        assert!(read_err(&f.work, &commit, &LIMITS).contains("`same` appears twice"));
        // A tree entry that says "file" for a directory object.
        let commit = hostile_commit(&f.work, &[("100644", b"fake", &x)]);
        assert!(read_err(&f.work, &commit, &LIMITS).contains("`fake` is a tree, not a file"));
    }

    #[test]
    fn refuses_trees_over_the_limits() {
        let f = fixture();
        let limits = |files, file, total| TreeLimits {
            files,
            file_bytes: file,
            total_bytes: total,
        };
        let err = read_err(&f.work, &f.c1, &limits(2, 1000, 1000));
        assert!(err.contains("past the limit of 2 files"), "{err}");
        let err = read_err(&f.work, &f.c1, &limits(10, 11, 1000));
        assert!(
            err.contains("`README.md` has 11 bytes") || err.contains("more than the limit of 11"),
            "{err}"
        );
        let err = read_err(&f.work, &f.c1, &limits(10, 100, 20));
        assert!(err.contains("past the limit of 20 bytes in all"), "{err}");
        assert_eq!(
            open_template_repo(&f.work)
                .unwrap()
                .read_tree(&f.c1, None, &limits(3, 12, 29))
                .unwrap()
                .len(),
            3
        );

        // A directory bomb (one tree entered many times) and a very deep tree stop early.
        let blob = git_in(&f.work, &["hash-object", "-w", "--stdin"], b"x\n");
        let mut tree = git_in(
            &f.work,
            &["mktree"],
            format!("100644 blob {blob}\tx\n").as_bytes(),
        );
        for _ in 0..70 {
            tree = git_in(
                &f.work,
                &["mktree"],
                format!("040000 tree {tree}\td\n").as_bytes(),
            );
        }
        let commit = git(&f.work, &["commit-tree", &tree, "-m", "deep"]);
        assert!(read_err(&f.work, &commit, &LIMITS).contains("nested deeper than 64"));
        let wide: String = (0..50).fold(String::new(), |mut out, i| {
            use std::fmt::Write as _;
            let _ = writeln!(out, "040000 tree {tree}\td{i}");
            out
        });
        let commit = git(
            &f.work,
            &[
                "commit-tree",
                &git_in(&f.work, &["mktree"], wide.as_bytes()),
                "-m",
                "wide",
            ],
        );
        assert!(
            read_err(&f.work, &commit, &limits(100, 100, 1000))
                .contains("past the limit of 100 directories")
        );
    }

    // ---- a repository that tries to run programs ----

    #[cfg(unix)]
    #[test]
    fn a_hostile_repository_runs_nothing() {
        let f = fixture();
        let tmp = f.work.parent().unwrap();
        let marker = tmp.join("marker");
        let script = tmp.join("evil.sh");
        write(
            &script,
            format!("#!/bin/sh\necho \"$0 $*\" >> '{}'\ncat\n", marker.display()).as_bytes(),
        );
        make_executable(&script);
        write(&f.work.join(".gitattributes"), b"* filter=x diff=x\n");
        git(&f.work, &["add", ".gitattributes"]);
        git(&f.work, &["commit", "-q", "-m", "attributes"]);
        let head = git(&f.work, &["rev-parse", "HEAD"]);
        let hooks = tmp.join("hooks");
        for hook in [
            "post-checkout",
            "pre-commit",
            "post-commit",
            "reference-transaction",
            "post-index-change",
        ] {
            for dir in [&hooks, &f.work.join(".git/hooks")] {
                write(&dir.join(hook), &std::fs::read(&script).unwrap());
                make_executable(&dir.join(hook));
            }
        }
        let s = script.display();
        let mut config = std::fs::OpenOptions::new()
            .append(true)
            .open(f.work.join(".git/config"))
            .unwrap();
        write!(
            config,
            "[core]\n\tfsmonitor = {s}\n\thooksPath = {}\n\tsshCommand = {s}\n\tpager = {s}\n\teditor = {s}\n\
             [filter \"x\"]\n\tsmudge = {s}\n\tclean = {s}\n[diff \"x\"]\n\ttextconv = {s}\n\
             [diff]\n\texternal = {s}\n[credential]\n\thelper = !{s}\n[gpg]\n\tprogram = {s}\n\
             [commit]\n\tgpgSign = true\n[uploadpack]\n\tpackObjectsHook = {s}\n",
            hooks.display()
        )
        .unwrap();
        drop(config);
        assert!(!marker.exists());

        // Everything the module offers, on that repository.
        let repo = open_template_repo(&f.work).unwrap();
        assert_eq!(repo.resolve("main").unwrap().commit, head);
        assert_eq!(repo.resolve("v1.1.0").unwrap().commit, f.c2);
        assert_eq!(repo.tags().unwrap().len(), 2);
        assert_eq!(repo.default_branch().as_deref(), Some("main"));
        let files = repo.read_tree(&head, None, &LIMITS).unwrap();
        assert_eq!(
            files
                .iter()
                .find(|f| f.path == "README.md")
                .unwrap()
                .contents,
            b"# template\n"
        );
        assert_eq!(
            work_tree_of(&f.work.join("app")),
            Some(f.work.canonicalize().unwrap())
        );
        assert_eq!(
            find_blob(&f.work.join("app"), &blob_id(b"new\n"), 100)
                .unwrap()
                .as_deref(),
            Some(&b"new\n"[..])
        );
        let dest = tmp.join("new-project");
        write(&dest.join("a.txt"), b"a\n");
        assert!(
            !marker.exists(),
            "a program ran: {}",
            std::fs::read_to_string(&marker).unwrap_or_default()
        );

        // The trap is armed: git itself runs these programs.
        std::fs::remove_file(f.work.join("README.md")).unwrap();
        let mut cmd = git_cmd(&f.work);
        cmd.args(["checkout", "--", "README.md"]);
        let _ = cmd.output().unwrap();
        let ran = std::fs::read_to_string(&marker).unwrap_or_default();
        assert!(
            ran.contains("evil.sh"),
            "git did not run the scripts: {ran:?}"
        );
    }

    // ---- the environment of a git hook is ignored ----

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
            ("GIT_CONFIG_GLOBAL", OsStr::new("/dev/null")),
            ("GIT_AUTHOR_NAME", OsStr::new("Env Author")),
            ("GIT_COMMITTER_EMAIL", OsStr::new("env@example.com")),
            ("GIT_NAMESPACE", OsStr::new("elsewhere")),
        ];
        run_child(TEST, root, &env);
        assert!(!marker.exists());
        assert!(dest.join(".git/HEAD").is_file());
        let signature = |field: &str| git(&dest, &["log", "-1", &format!("--format={field}")]);
        assert_eq!(signature("%an <%ae>"), "Config Name <config@example.com>");
        assert_eq!(signature("%cn <%ce>"), "Config Name <config@example.com>");
        assert_eq!(git(&other, &["rev-list", "--count", "HEAD"]), "1");
        assert_eq!(git(&other, &["status", "--porcelain"]), "");
    }

    // ---- work_tree_of, find_blob ----

    #[test]
    fn finds_the_work_tree_root() {
        let f = fixture();
        let root = f.work.canonicalize().unwrap();
        assert_eq!(work_tree_of(&f.work), Some(root.clone()));
        assert_eq!(work_tree_of(&f.work.join("app")), Some(root));
        assert_eq!(work_tree_of(&f.work.join(".git")), None);
        assert_eq!(work_tree_of(&f.bare()), None);
        assert_eq!(work_tree_of(&f.work.join("missing")), None);
        let outside = tempfile::tempdir().unwrap();
        assert_eq!(work_tree_of(outside.path()), None);
    }

    #[test]
    fn finds_blobs_by_id_within_bounds() {
        let f = fixture();
        let id = blob_id(b"a\r\nb\r\n");
        for dir in [f.work.join("app"), f.bare()] {
            assert_eq!(
                find_blob(&dir, &id, 6).unwrap().as_deref(),
                Some(&b"a\r\nb\r\n"[..])
            );
            assert_eq!(
                find_blob(&dir, &blob_id(b"never committed"), 100).unwrap(),
                None
            );
            let err = find_blob(&dir, &id, 5).unwrap_err().to_string();
            assert!(err.contains("6 bytes, more than the limit of 5"), "{err}");
            let err = find_blob(&dir, &f.c1, 1000).unwrap_err().to_string();
            assert!(err.contains("is a commit, not a blob"), "{err}");
            let err = find_blob(&dir, "HEAD", 1000).unwrap_err().to_string();
            assert!(err.contains("not a full object id"), "{err}");
        }
        let outside = tempfile::tempdir().unwrap();
        assert!(
            find_blob(outside.path(), &id, 100)
                .unwrap_err()
                .to_string()
                .contains("not inside a git repository")
        );
    }

    // ---- init_commit ----

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

//! A template repository read in place: revisions resolved as git resolves them, tags, the
//! default branch, and a commit's tree read as a template, regular files only, within limits.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use gix::bstr::ByteSlice;
use gix::objs::tree::EntryKind;
use gix::{ObjectId, Repository};

use super::repo::{check_component, check_path, parse_id};
use crate::util::text::Shown as _;

/// The most levels of annotated tags pointing at annotated tags that are followed.
const MAX_TAG_CHAIN: usize = 16;

/// The deepest directory nesting accepted in a template tree.
const MAX_TREE_DEPTH: usize = 64;

/// The largest commit, tag or tree object read (a tree of this size lists some 100,000
/// entries): a hostile repository must not make scaffold load a gigabyte to look at it.
const MAX_OBJECT_BYTES: u64 = 8 * 1024 * 1024;

/// A local template repository (bare or with a work tree), opened in place: its objects are
/// read straight from its object database, nothing is checked out, and nothing of its
/// configuration or the environment can make a program run.
pub(crate) struct TemplateRepo {
    repo: Repository,
    path: PathBuf,
    /// How messages name it, when not by its path (a cache entry by the URL it mirrors).
    label: Option<String>,
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
    let repo = super::repo::open(path)?;
    Ok(TemplateRepo {
        repo,
        path: path.to_path_buf(),
        label: None,
    })
}

/// The most entries [`TemplateRepo::template_dirs`] looks at.
const MAX_LISTED_ENTRIES: usize = 100_000;

impl TemplateRepo {
    /// The repository, named in messages as `label` (a URL) rather than by its path (the
    /// cache's copy of it, which the user never named).
    pub(crate) fn named(mut self, label: &str) -> TemplateRepo {
        self.label = Some(label.to_owned());
        self
    }

    fn place(&self) -> String {
        match &self.label {
            Some(label) => format!("`{}`", crate::util::text::shown_whole(label)),
            None => format!("the git repository `{}`", self.path.shown()),
        }
    }

    /// The commit `rev` names: a tag (lightweight or annotated), a branch, or a full or
    /// abbreviated (at least 4 hex digits) commit id, looked up in git's order: a full id,
    /// then `refs/...` as given, `refs/tags/<rev>`, `refs/heads/<rev>`, `refs/remotes/<rev>`,
    /// then an abbreviated id. A rev starting with `-` is refused.
    pub(crate) fn resolve(&self, rev: &str) -> Result<Resolved> {
        if rev.is_empty() || rev.starts_with('-') {
            bail!("`{rev}` is not a valid revision");
        }
        // `HEAD`: what the repository's HEAD names (a mirror's: the default branch).
        if rev == "HEAD" {
            let commit = self
                .head_commit()
                .ok_or_else(|| anyhow!("{} has no commit at `HEAD`", self.place()))?;
            return Ok(Resolved {
                commit,
                kind: RefKind::Branch,
            });
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

    /// The tree of `commit` (a full commit id).
    fn root_tree(&self, commit: &str) -> Result<ObjectId> {
        let id = parse_id(commit)?;
        let object = self.find_bounded(id, &format!("commit `{commit}`"))?;
        if object.kind != gix::object::Kind::Commit {
            bail!(
                "`{commit}` in {} is a {}, not a commit",
                self.place(),
                object.kind
            );
        }
        Ok(object
            .into_commit()
            .tree_id()
            .with_context(|| format!("cannot read commit `{commit}` in {}", self.place()))?
            .detach())
    }

    /// Whether the directory `subdir` of `commit` (its top directory when empty) holds a
    /// `template.toml` file. Reads tree objects only, no file.
    pub(crate) fn has_template(&self, commit: &str, subdir: &str) -> Result<bool> {
        let mut tree = self.root_tree(commit)?;
        for name in subdir.split('/').filter(|n| !n.is_empty()) {
            let child = self
                .tree_entries(tree, subdir)?
                .into_iter()
                .find(|(m, n, _)| n == name.as_bytes() && m.kind() == EntryKind::Tree);
            match child {
                Some((_, _, id)) => tree = id,
                None => return Ok(false),
            }
        }
        Ok(self.tree_entries(tree, subdir)?.iter().any(|(m, n, _)| {
            n == b"template.toml" && matches!(m.kind(), EntryKind::Blob | EntryKind::BlobExecutable)
        }))
    }

    /// The directories of `commit` that hold a `template.toml` file (`""` for the top one),
    /// sorted; reads tree objects only, at most [`MAX_LISTED_ENTRIES`] entries and
    /// [`MAX_TREE_DEPTH`] levels (what lies beyond is not listed).
    pub(crate) fn template_dirs(&self, commit: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut seen = 0usize;
        let mut pending = vec![(self.root_tree(commit)?, String::new(), 0usize)];
        while let Some((tree, at, depth)) = pending.pop() {
            for (mode, name, id) in self.tree_entries(tree, &at)? {
                seen += 1;
                if seen > MAX_LISTED_ENTRIES {
                    break;
                }
                let Ok(name) = std::str::from_utf8(&name) else {
                    continue;
                };
                match mode.kind() {
                    EntryKind::Blob | EntryKind::BlobExecutable if name == "template.toml" => {
                        out.push(at.clone());
                    }
                    EntryKind::Tree
                        if depth < MAX_TREE_DEPTH && check_component(name.as_bytes()).is_ok() =>
                    {
                        let path = if at.is_empty() {
                            name.to_owned()
                        } else {
                            format!("{at}/{name}")
                        };
                        pending.push((id, path, depth + 1));
                    }
                    _ => {}
                }
            }
        }
        out.sort();
        Ok(out)
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

/// Limits the tests' fixtures keep within.
#[cfg(test)]
pub(crate) const TEST_LIMITS: TreeLimits = TreeLimits {
    files: 100,
    file_bytes: 1 << 20,
    total_bytes: 1 << 22,
};

#[cfg(test)]
mod tests {
    use super::TEST_LIMITS as LIMITS;
    use super::*;
    use crate::git::testing::*;

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
}

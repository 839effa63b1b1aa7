//! The git modules against the real git (which only these tests run): ids, revisions, trees
//! and their limits, hostile repositories, the environment, blobs found again, and the first
//! commit of `new --git`.

use std::path::{Path, PathBuf};

use gix::ObjectId;

use super::commit::init_commit;
use super::history::find_blob;
use super::repo::work_tree_of;
use super::tree::{RefKind, Resolved, TreeLimits, open_template_repo};
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

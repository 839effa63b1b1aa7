//! (tests) The real git, driven for the tests of the git modules (which never run it
//! themselves): commands with no configuration but the repository's own and a test identity,
//! a fixture repository, trees git itself would refuse to make, and tests run again in a
//! child process with an environment of their own.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gix::ObjectId;

/// A git command with no configuration but the repository's own and a test identity.
pub(crate) fn git_cmd(dir: &Path) -> Command {
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

/// Runs a git command (with `stdin` fed in), fails the test if it fails, returns its stdout.
pub(crate) fn run(mut cmd: Command, stdin: Option<&[u8]>) -> String {
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

/// `git ARGS` in `dir`, as [`git_cmd`] sets it up; its stdout.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = git_cmd(dir);
    cmd.args(args);
    run(cmd, None)
}

/// [`git`] with `stdin` fed in.
pub(crate) fn git_in(dir: &Path, args: &[&str], stdin: &[u8]) -> String {
    let mut cmd = git_cmd(dir);
    cmd.args(args);
    run(cmd, Some(stdin))
}

/// Writes a file, creating its parent directories.
pub(crate) fn write(path: &Path, contents: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// Mode 755.
#[cfg(unix)]
pub(crate) fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A work tree repository with two commits, tags and branches:
/// c1 = {README.md, app/main.py (exec), app/data.txt (CRLF)}, tagged `v1.0.0` (lightweight);
/// c2 = c1 + app/new.txt, tagged `v1.1.0` (annotated), on `main`; branch `old` at c1.
pub(crate) struct Fixture {
    _tmp: tempfile::TempDir,
    /// The work tree.
    pub(crate) work: PathBuf,
    /// The first commit.
    pub(crate) c1: String,
    /// The second commit.
    pub(crate) c2: String,
}

/// Makes the [`Fixture`].
pub(crate) fn fixture() -> Fixture {
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
    /// A bare clone of the work tree, made once.
    pub(crate) fn bare(&self) -> PathBuf {
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

/// A tree object made of raw entries `(mode, name, id)`, written without any of git's
/// checks, and a commit of it; returns the commit id.
pub(crate) fn hostile_commit(repo: &Path, entries: &[(&str, &[u8], &str)]) -> String {
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
pub(crate) fn child_root(test: &str) -> Option<PathBuf> {
    if std::env::var_os(CHILD).is_some_and(|v| v == test) {
        return std::env::var_os(CHILD_ROOT).map(PathBuf::from);
    }
    None
}

/// Runs `test` again in a child process with exactly `env` (plus `PATH`, unless given),
/// working in `root`: tests that need their own `HOME` or `GIT_*` variables must not set
/// them in this process, whose environment all tests share. Fails if the child fails.
/// `module` is the test's module, `module_path!()` where it is called.
pub(crate) fn run_child(module: &str, test: &str, root: &Path, env: &[(&str, &OsStr)]) {
    let module = module.split_once("::").map_or(module, |(_, rest)| rest);
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        &format!("{module}::{test}"),
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

/// The git blob id of `bytes`, as scaffold computes it.
pub(crate) fn blob_id(bytes: &[u8]) -> String {
    crate::util::hash::blob_id(bytes).unwrap()
}

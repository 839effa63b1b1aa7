//! A project's own state, `.scaffold/`, attacked and interrupted: journals and symlinks that
//! came with a clone, runs killed at each step (a debug build's `SCAFFOLD_TEST_PAUSE` stops a
//! run at a named step, so the kill lands exactly there), two runs at once, and every file read
//! from a project read as the regular file it must be.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fixture::{Fixture, assert_unchanged, ok, state};

const HEAD: &str = "name = \"t\"\ndescription = \"d\"\nfollows = \"f\"\n";

/// Template `t`: `n` files under `f/` (and one at the top) that each say the answer to
/// `flavour`, so that changing it rewrites every file.
fn flavoured(fx: &Fixture, n: usize) {
    let files: Vec<(String, &str)> = (0..n)
        .map(|i| (format!("f/{i:04}.txt.tera"), "{{ flavour }}\n"))
        .chain([("top.txt.tera".to_string(), "top {{ flavour }}\n")])
        .collect();
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), *t)).collect();
    fx.template(
        "t",
        &format!(
            "{HEAD}[[variables]]\nname = \"flavour\"\ntype = \"string\"\ndefault = \"vanilla\"\n"
        ),
        &refs,
    );
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `scaffold ARGS` run in `dir` (relative to the fixture), bounded in time.
fn run_in(fx: &Fixture, dir: &str, args: &[&str]) -> std::process::Output {
    let start = Instant::now();
    let out = fx
        .run()
        .current_dir(fx.path(dir))
        .args(args)
        .timeout(Duration::from_mins(1))
        .output()
        .unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{args:?} took {:?}",
        start.elapsed()
    );
    assert!(!text(&out).contains("panicked"), "{}", text(&out));
    out
}

/// The project `p`'s files, without scaffold's own state (`.scaffold/`).
fn project_files(fx: &Fixture, p: &str) -> std::collections::BTreeMap<String, Option<Vec<u8>>> {
    let mut all = state(&fx.path(p));
    all.retain(|k, _| k != ".scaffold" && !k.starts_with(".scaffold/"));
    all
}

/// The real `scaffold` binary started in the fixture's `dir` with the fixture's environment,
/// paused at `step` (`name` or `name#n`, the n-th time it is reached) when given: it writes
/// its pid into the returned file and waits there to be killed.
fn spawn(fx: &Fixture, dir: &str, args: &[&str], step: Option<&str>) -> (Child, PathBuf) {
    spawn_with(
        fx,
        Command::new(assert_cmd::cargo::cargo_bin("scaffold")),
        dir,
        args,
        step,
    )
}

/// `spawn`, with the command given (a wrapper that runs scaffold).
fn spawn_with(
    fx: &Fixture,
    mut cmd: Command,
    dir: &str,
    args: &[&str],
    step: Option<&str>,
) -> (Child, PathBuf) {
    let flag = fx
        .state_dir
        .path()
        .join(format!("paused-{}", rand_suffix()));
    cmd.current_dir(fx.path(dir))
        .env("NO_COLOR", "1")
        .env("SCAFFOLD_CACHE_DIR", fx.path("cache"))
        .env("SCAFFOLD_STATE_DIR", fx.state_dir.path())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(step) = step {
        cmd.env("SCAFFOLD_TEST_PAUSE", format!("{step}@{}", flag.display()));
    }
    (cmd.spawn().unwrap(), flag)
}

fn rand_suffix() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Waits (at most 60 s) until the run paused: its flag file names its pid.
fn paused(child: &mut Child, flag: &Path) -> u32 {
    let start = Instant::now();
    while start.elapsed() < Duration::from_mins(1) {
        if let Ok(pid) = fs::read_to_string(flag)
            && let Ok(pid) = pid.trim().parse()
        {
            return pid;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before it reached its pause");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the run never reached its pause");
}

/// Runs `scaffold ARGS` in `dir` until it pauses at `step`, then kills it (SIGKILL).
fn killed_at(fx: &Fixture, dir: &str, args: &[&str], step: &str) {
    let (mut child, flag) = spawn(fx, dir, args, Some(step));
    paused(&mut child, &flag);
    child.kill().unwrap();
    child.wait().unwrap();
}

fn read(fx: &Fixture, p: &str) -> String {
    fs::read_to_string(fx.path(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// A small project `p` from `flavoured` (vanilla), and the user's edits.
fn project(fx: &Fixture, n: usize) {
    flavoured(fx, n);
    ok(fx, &["new", "./t", "p", "-q"]);
}

/// 19.1: a journal shipped inside a clone, with a symlinked folder in the project that leads
/// outside (`sub2 -> ..`). `update` and `--recover` report it and never replay it: nothing
/// outside the project is written or removed, and the journal stays for the user to look at.
#[cfg(unix)]
#[test]
fn a_journal_that_came_with_a_clone_is_reported_never_replayed() {
    let fx = Fixture::new();
    project(&fx, 2);
    fx.write("victim.txt", "mine\n");
    std::os::unix::fs::symlink("..", fx.path("p/sub2")).unwrap();
    // Today's format and the new one, both planted: the list names paths through the link.
    let list = "had sub2/canary/keep.txt\nnew sub2/victim.txt\n";
    fx.write("p/.scaffold/journal/changes", list);
    fx.write("p/.scaffold/journal/sub2/canary/keep.txt", "overwritten\n");
    fx.write(
        "p/.scaffold/journal/list",
        &format!(
            "scaffold journal 1\nmac {}\npid 1\nwrite {} - sub2/victim.txt\n",
            "0".repeat(40),
            "1".repeat(40)
        ),
    );
    let before = state(fx.dir.path());
    for args in [
        &["update", "-d", "flavour=chocolate"][..],
        &["update", "--recover"],
        &["diff"],
    ] {
        let out = run_in(&fx, "p", args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains("`.scaffold/journal` was not written by scaffold on this machine")
                && text(&out).contains("look at it, then remove it"),
            "{args:?}: {}",
            text(&out)
        );
        assert_unchanged(&before, &state(fx.dir.path()), &format!("{args:?}"));
        fx.assert_canary();
    }
    // `status` says so first, still lists the files, and `--exit-code` fails.
    let out = run_in(&fx, "p", &["status"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("was not written by scaffold"), "{said}");
    assert!(said.contains("unchanged top.txt"), "{said}");
    let out = run_in(&fx, "p", &["status", "--exit-code"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = run_in(&fx, "p", &["status", "--json"]);
    let json = crate::fixture::json(&out.stdout);
    assert_eq!(json["unfinished"]["state"], "untrusted", "{json}");
    assert_unchanged(&before, &state(fx.dir.path()), "status");
    assert_eq!(read(&fx, "victim.txt"), "mine\n");
}

/// 19.1, the mark: a journal of a real interrupted update is replayed only in the project it
/// was written for, by the user whose key marked it. A copy of the project, or another user,
/// gets the report instead.
#[cfg(unix)]
#[test]
fn a_journal_is_trusted_only_where_and_by_whom_it_was_written() {
    let fx = Fixture::new();
    project(&fx, 3);
    killed_at(&fx, "p", &["update", "-d", "flavour=chocolate"], "rename#2");
    // A copy of the project (as a clone or an archive would carry it).
    let copy = Command::new("cp")
        .args(["-a", "p", "copy"])
        .current_dir(fx.dir.path())
        .status()
        .unwrap();
    assert!(copy.success());
    // (The killed run's lock file, copied too, is taken over and goes.)
    let without_lock = |dir: &str| {
        let mut s = state(&fx.path(dir));
        s.remove(".scaffold/lock");
        s
    };
    let before = without_lock("copy");
    let out = run_in(&fx, "copy", &["update", "--recover"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("was not written by scaffold on this machine for this project"),
        "{}",
        text(&out)
    );
    assert_unchanged(&before, &without_lock("copy"), "a copied journal");
    // Another user (another key): the same.
    let other = tempfile::tempdir().unwrap();
    let out = fx
        .run()
        .current_dir(fx.path("p"))
        .env("SCAFFOLD_STATE_DIR", other.path())
        .args(["update", "--recover"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("was not written by scaffold"),
        "{}",
        text(&out)
    );
    // The user who ran it, in the project it ran in: recovered.
    let out = run_in(&fx, "p", &["update", "--recover"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(&fx, "p/f/0000.txt"), "vanilla\n");
    assert_eq!(read(&fx, "p/top.txt"), "top vanilla\n");
}

/// Something planted in a project.
type Plant = fn(&Fixture);

/// 19.1, a real update rather than a planted journal: the project's generated folder `f/`
/// replaced by a symlink to a folder outside holding the same files. The update that rewrites
/// every file writes, moves and removes nothing through the link: the files behind it are
/// skipped, said so, and nothing outside the project changes; the rest is updated.
#[cfg(unix)]
#[test]
fn an_update_never_writes_through_a_symlinked_folder() {
    let fx = Fixture::new();
    project(&fx, 3);
    fs::rename(fx.path("p/f"), fx.path("outside")).unwrap();
    std::os::unix::fs::symlink("../outside", fx.path("p/f")).unwrap();
    let outside = state(&fx.path("outside"));
    let out = run_in(&fx, "p", &["update", "-d", "flavour=chocolate"]);
    assert!(out.status.success(), "{}", text(&out));
    for i in 0..3 {
        assert!(
            text(&out).contains(&format!(
                "skipped   f/000{i}.txt  (not a regular file: left alone)"
            )),
            "{}",
            text(&out)
        );
    }
    assert_unchanged(&outside, &state(&fx.path("outside")), "outside");
    assert_eq!(read(&fx, "outside/0000.txt"), "vanilla\n");
    assert_eq!(read(&fx, "p/top.txt"), "top chocolate\n");
    assert!(fs::symlink_metadata(fx.path("p/f")).unwrap().is_symlink());
    fx.assert_canary();
}

/// 19.2 and 19.3: `.scaffold`, or something inside it, a symlink to a folder outside (or not
/// a folder at all): every run that would write refuses before writing anything, naming it,
/// and nothing outside is read, written or removed.
#[cfg(unix)]
#[test]
fn scaffold_state_through_a_symlink_is_refused() {
    let outside_journal = |fx: &Fixture| {
        fx.write("outside/journal/changes", "had top.txt\nnew f/0000.txt\n");
        fx.write("outside/journal/list", "had top.txt\n");
        fx.write("outside/journal/top.txt", "from outside\n");
        fx.write("outside/journal/files/top.txt", "from outside\n");
        fx.write("outside/backup/keep.txt", "outside\n");
    };
    // (what is planted, the name the refusal gives)
    let cases: [(Plant, &str); 5] = [
        (
            |fx| std::os::unix::fs::symlink("../outside", fx.path("p/.scaffold")).unwrap(),
            ".scaffold` is a symlink",
        ),
        (
            |fx| {
                fs::create_dir(fx.path("p/.scaffold")).unwrap();
                std::os::unix::fs::symlink("../../outside/journal", fx.path("p/.scaffold/journal"))
                    .unwrap();
            },
            "`.scaffold/journal` was not written by scaffold",
        ),
        (
            |fx| {
                fs::create_dir(fx.path("p/.scaffold")).unwrap();
                std::os::unix::fs::symlink("../../outside/backup", fx.path("p/.scaffold/backup"))
                    .unwrap();
            },
            ".scaffold/backup` is a symlink",
        ),
        (
            |fx| {
                fs::create_dir(fx.path("p/.scaffold")).unwrap();
                std::os::unix::fs::symlink("../../outside/lock", fx.path("p/.scaffold/lock"))
                    .unwrap();
            },
            ".scaffold/lock` is a symlink",
        ),
        (
            |fx| {
                fx.write("p/.scaffold", "a file\n");
            },
            ".scaffold` is not a directory",
        ),
    ];
    for (plant, culprit) in cases {
        let fx = Fixture::new();
        project(&fx, 2);
        outside_journal(&fx);
        plant(&fx);
        let before = state(fx.dir.path());
        for args in [
            &["update", "-d", "flavour=chocolate"][..],
            &["update", "-d", "flavour=chocolate", "--no-backup"],
            &["update", "--recover"],
        ] {
            let out = run_in(&fx, "p", args);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{culprit} {args:?}: {}",
                text(&out)
            );
            assert!(
                text(&out).starts_with("error: ") && text(&out).contains(culprit),
                "{culprit} {args:?}: {}",
                text(&out)
            );
            assert_unchanged(
                &before,
                &state(fx.dir.path()),
                &format!("{culprit} {args:?}"),
            );
        }
        fx.assert_canary();
    }
}

/// 19.4: an update killed once the new `.scaffold.toml` was in place had finished its work:
/// `--recover` undoes nothing (the user's edits since stay, their new files too), keeps the
/// previous contents as a backup, and says so.
#[cfg(unix)]
#[test]
fn recovering_a_finished_update_undoes_nothing() {
    let fx = Fixture::new();
    project(&fx, 3);
    killed_at(&fx, "p", &["update", "-d", "flavour=chocolate"], "answers");
    assert!(read(&fx, "p/.scaffold.toml").contains("chocolate"));
    // The user goes on working.
    fx.write("p/f/0001.txt", "chocolate, and mine\n");
    fx.write("p/f/mine.txt", "mine\n");
    let out = run_in(&fx, "p", &["update", "--recover"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("had finished"), "{said}");
    assert!(said.contains("nothing to undo"), "{said}");
    assert_eq!(read(&fx, "p/f/0001.txt"), "chocolate, and mine\n");
    assert_eq!(read(&fx, "p/f/mine.txt"), "mine\n");
    assert_eq!(read(&fx, "p/f/0000.txt"), "chocolate\n");
    assert_eq!(read(&fx, "p/.scaffold/backup/1/f/0000.txt"), "vanilla\n");
    assert!(!fx.path("p/.scaffold/journal").exists());
    let out = run_in(&fx, "p", &["status", "--exit-code"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the user's edit: {}",
        text(&out)
    );
    assert!(
        text(&out).contains("modified  f/0001.txt"),
        "{}",
        text(&out)
    );
}

/// 19.4: an update killed half-way, then the user edits a file it had written and one it had
/// not reached: `--recover` puts back only what still holds what the update wrote, keeps the
/// edited one (named, its earlier version kept), and counts truly.
#[cfg(unix)]
#[test]
fn recovery_keeps_work_done_since_the_interruption() {
    let fx = Fixture::new();
    project(&fx, 4);
    // Renamed in path order: f/0000, f/0001, then paused before the third.
    killed_at(&fx, "p", &["update", "-d", "flavour=chocolate"], "rename#3");
    assert_eq!(read(&fx, "p/f/0000.txt"), "chocolate\n");
    assert_eq!(read(&fx, "p/f/0002.txt"), "vanilla\n");
    fx.write("p/f/0001.txt", "chocolate, and mine\n");
    fx.write("p/f/0002.txt", "vanilla, and mine\n");
    let out = run_in(&fx, "p", &["update", "--recover"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert_eq!(read(&fx, "p/f/0000.txt"), "vanilla\n", "{said}");
    assert_eq!(read(&fx, "p/f/0001.txt"), "chocolate, and mine\n", "{said}");
    assert_eq!(read(&fx, "p/f/0002.txt"), "vanilla, and mine\n", "{said}");
    assert!(read(&fx, "p/.scaffold.toml").contains("vanilla"));
    assert!(said.contains("Put 1 file back"), "{said}");
    assert!(
        said.contains("f/0001.txt"),
        "the kept file is named: {said}"
    );
    let backups: Vec<PathBuf> = fs::read_dir(fx.path("p/.scaffold/backup"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(
        fs::read_to_string(backups[0].join("f/0001.txt")).unwrap(),
        "vanilla\n",
        "the earlier version of the kept file"
    );
    assert!(!fx.path("p/.scaffold/journal").exists());
    // No temporary file of the killed run is left.
    let left: Vec<String> = fx
        .tree("p")
        .into_iter()
        .filter(|p| p.contains(".scaffold-tmp-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// 19.5: `.scaffold/journal` as a regular file does not wedge the project: it is reported,
/// with what to do, and once removed the update runs.
#[cfg(unix)]
#[test]
fn a_journal_that_is_a_file_is_reported_not_wedged() {
    let fx = Fixture::new();
    project(&fx, 2);
    fx.write("p/.scaffold/journal", "not a directory\n");
    for args in [&["update"][..], &["update", "--recover"]] {
        let out = run_in(&fx, "p", args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains("look at it, then remove it")
                && !text(&out).contains("Not a directory"),
            "{args:?}: {}",
            text(&out)
        );
    }
    fs::remove_file(fx.path("p/.scaffold/journal")).unwrap();
    let out = run_in(&fx, "p", &["update", "-d", "flavour=chocolate"]);
    assert!(out.status.success(), "{}", text(&out));
}

/// 19.5: an update that fails (is not killed) undoes itself and leaves no journal; when the
/// undo cannot finish either, the error says so and what to run.
#[cfg(unix)]
#[test]
fn a_failed_update_undoes_itself_or_says_to_recover() {
    let fx = Fixture::new();
    project(&fx, 3);
    let before = project_files(&fx, "p");
    let fail = |steps: &str| {
        fx.run()
            .current_dir(fx.path("p"))
            .env("SCAFFOLD_TEST_FAIL", steps)
            .args(["update", "-d", "flavour=chocolate"])
            .timeout(Duration::from_mins(1))
            .output()
            .unwrap()
    };
    let out = fail("rename#2");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("injected failure"), "{}", text(&out));
    assert!(!text(&out).contains("--recover"), "{}", text(&out));
    assert!(!fx.path("p/.scaffold/journal").exists());
    assert_unchanged(&before, &project_files(&fx, "p"), "a failed update");
    let out = fail("rename#2,undo");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("could not be undone")
            && text(&out).contains("scaffold update --recover"),
        "{}",
        text(&out)
    );
    let out = run_in(&fx, "p", &["update", "--recover"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_unchanged(
        &before,
        &project_files(&fx, "p"),
        "a failed update, recovered",
    );
}

/// 19.5: recovery removes the directories the killed update made (with its temporary files),
/// and never a directory that was there before, empty or not.
#[cfg(unix)]
#[test]
fn recovery_removes_only_the_directories_the_update_made() {
    let fx = Fixture::new();
    fx.template(
        "t",
        &format!("{HEAD}[[variables]]\nname = \"more\"\ntype = \"bool\"\ndefault = false\n[[conditional]]\nwhen = \"more\"\npaths = [\"docs\", \"new\"]\n"),
        &[
            ("a.txt", "a\n"),
            ("docs/x.txt", "x\n"),
            ("new/deep/y.txt", "y\n"),
            ("new/deep/z.txt", "z\n"),
        ],
    );
    ok(&fx, &["new", "./t", "p", "-q"]);
    fs::create_dir(fx.path("p/docs")).unwrap();
    // Killed after staging, before any rename: temporary files in `new/deep/` and `docs/`.
    killed_at(&fx, "p", &["update", "-d", "more=true"], "rename#1");
    let staged = fx.tree("p/new/deep");
    assert!(!staged.is_empty(), "nothing staged");
    let out = run_in(&fx, "p", &["update", "--recover"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        fx.path("p/docs").is_dir(),
        "the user's empty folder was removed"
    );
    assert!(fx.tree("p/docs").is_empty(), "{:?}", fx.tree("p/docs"));
    assert!(!fx.path("p/new").exists(), "{:?}", fx.tree("p/new"));
    // Killed after the renames: the same.
    killed_at(&fx, "p", &["update", "-d", "more=true"], "removed");
    assert!(fx.path("p/docs/x.txt").exists());
    let out = run_in(&fx, "p", &["update", "--recover"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(fx.path("p/docs").is_dir() && fx.tree("p/docs").is_empty());
    assert!(!fx.path("p/new").exists(), "{:?}", fx.tree("p/new"));
}

/// 19.6: the journal's list is read as a bounded regular file: a symlink to a device or a
/// FIFO ends at once with the file named.
#[cfg(unix)]
#[test]
fn recovery_reads_its_list_bounded_and_named() {
    for target in ["/dev/zero", "/dev/ptmx", "fifo"] {
        let fx = Fixture::new();
        project(&fx, 1);
        fs::create_dir_all(fx.path("p/.scaffold/journal")).unwrap();
        for name in ["list", "changes"] {
            let at = fx.path(&format!("p/.scaffold/journal/{name}"));
            if target == "fifo" {
                let made = Command::new("mkfifo").arg(&at).status().unwrap();
                assert!(made.success());
            } else {
                std::os::unix::fs::symlink(target, &at).unwrap();
            }
        }
        let out = run_in(&fx, "p", &["update", "--recover"]);
        assert_eq!(out.status.code(), Some(1), "{target}: {}", text(&out));
        assert!(
            text(&out).contains(".scaffold/journal/list"),
            "{target}: {}",
            text(&out)
        );
        fx.assert_canary();
    }
}

/// 19.6: every file scaffold reads from a project is a regular file opened without following
/// a link and without blocking: a FIFO for the answers file, for a generated file and for a
/// file holding the secret ends at once, naming it (or counts as modified).
#[cfg(unix)]
#[test]
fn project_files_are_read_as_regular_files_only() {
    let fifo = |at: &Path| {
        let _ = fs::remove_file(at);
        assert!(Command::new("mkfifo").arg(at).status().unwrap().success());
    };
    let fx = Fixture::new();
    let t = crate::fixture::demo(&fx);
    ok(&fx, &["new", &t, "p", "-q"]);
    // The file holding the secret, and a generated file.
    fifo(&fx.path("p/settings.py"));
    fifo(&fx.path("p/README.md"));
    let out = run_in(&fx, "p", &["status"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("modified  README.md"), "{}", text(&out));
    let out = run_in(&fx, "p", &["diff"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run_in(&fx, "p", &["update", "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out));
    // The answers file.
    fifo(&fx.path("p/.scaffold.toml"));
    for args in [&["status"][..], &["diff"], &["update"]] {
        let out = run_in(&fx, "p", args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains(".scaffold.toml` is not a regular file"),
            "{args:?}: {}",
            text(&out)
        );
    }
    fx.assert_canary();
}

/// 12: a file named in `project.secret.files` is read within a bound: a huge one is refused
/// with its name, quickly, in bounded memory (not the heap cap's "parsing template").
#[cfg(unix)]
#[test]
fn a_secret_file_is_read_within_a_bound() {
    let fx = Fixture::new();
    let t = crate::fixture::demo(&fx);
    ok(&fx, &["new", &t, "p", "-q"]);
    // 200 MiB, sparse: no disk used, but a whole read holds it all (twice, as text).
    let f = fs::File::create(fx.path("p/settings.py")).unwrap();
    f.set_len(200 << 20).unwrap();
    drop(f);
    for args in [&["update", "--dry-run"][..], &["diff"]] {
        let out = run_in(&fx, "p", args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        let said = text(&out);
        assert!(
            said.contains("`settings.py`") && said.contains("project.secret.files"),
            "{args:?}: {said}"
        );
        assert!(!said.contains("parsing template"), "{said}");
    }
}

/// Files that hold the cookie secret are readable by their owner only: written with mode 0600
/// by `new` and by `update`; the others keep 0644.
#[cfg(unix)]
#[test]
fn files_holding_the_secret_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    let t = crate::fixture::demo(&fx);
    ok(&fx, &["new", &t, "p", "-q"]);
    let mode = |p: &str| fs::metadata(fx.path(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("p/settings.py"), 0o600);
    assert_eq!(mode("p/LICENSE"), 0o644);
    assert_eq!(mode("p/run.sh"), 0o755);
    // An update that rewrites it (the template changed the file) writes it 0600 again.
    fs::set_permissions(fx.path("p/settings.py"), fs::Permissions::from_mode(0o644)).unwrap();
    fx.write(
        "demo/settings.py.tera",
        "COOKIE_SECRET = \"{{ cookie_secret }}\"\nDEBUG = False\n",
    );
    let out = run_in(&fx, "p", &["update", "--template", "../demo"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(read(&fx, "p/settings.py").contains("DEBUG"));
    assert_eq!(mode("p/settings.py"), 0o600);
    // `new --force` over an existing project's files: the same.
    ok(&fx, &["new", &t, "q", "-q", "-d", "license=none"]);
    fs::set_permissions(fx.path("q/settings.py"), fs::Permissions::from_mode(0o644)).unwrap();
    ok(&fx, &["new", &t, "q", "-q", "--force"]);
    assert_eq!(mode("q/settings.py"), 0o600);
}

/// 22.1: one run at a time. While an update holds the project, a second update, a
/// `--recover` and a `new --force` into it are refused at once naming the running one's pid;
/// `status` and `diff` never wait (status says an update is running). Once the running one is
/// killed, its lock goes with it and the next run meets its journal.
#[cfg(unix)]
#[test]
fn one_run_at_a_time() {
    let fx = Fixture::new();
    project(&fx, 3);
    let (mut first, flag) = spawn(
        &fx,
        "p",
        &["update", "-d", "flavour=chocolate"],
        Some("rename#2"),
    );
    let pid = paused(&mut first, &flag);
    let running = format!("another scaffold run (pid {pid}) is writing");
    for args in [
        &["update", "-d", "flavour=strawberry"][..],
        &["update", "--recover"],
        &["new", "../t", ".", "--force", "-q"],
    ] {
        let out = run_in(&fx, "p", args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(&running), "{args:?}: {}", text(&out));
    }
    let out = run_in(&fx, "p", &["status"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("an update of this project is running (pid {pid})")),
        "{}",
        text(&out)
    );
    let out = run_in(&fx, "p", &["status", "--json"]);
    assert_eq!(
        crate::fixture::json(&out.stdout)["unfinished"]["state"],
        "running"
    );
    let out = run_in(&fx, "p", &["status", "--exit-code"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // Half-written files make no plan: diff and a dry run refuse alike, naming the run.
    for args in [
        &["diff"][..],
        &["update", "--dry-run"],
        &["update", "--dry-run", "--json"],
    ] {
        let out = run_in(&fx, "p", args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains(&format!("is running (pid {pid}); wait for it to finish")),
            "{args:?}: {}",
            text(&out)
        );
    }
    first.kill().unwrap();
    first.wait().unwrap();
    // Its lock went with it; its journal is still there.
    let out = run_in(&fx, "p", &["update", "-d", "flavour=strawberry"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("was interrupted; run `scaffold update --recover`"),
        "{}",
        text(&out)
    );
    let out = run_in(&fx, "p", &["update", "--recover"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run_in(&fx, "p", &["update", "-d", "flavour=strawberry"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(&fx, "p/top.txt"), "top strawberry\n");
    // A killed run that held only the lock: the next run simply goes ahead.
    killed_at(&fx, "p", &["update", "-d", "flavour=mint"], "locked");
    let out = run_in(&fx, "p", &["update", "-d", "flavour=mint"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(&fx, "p/f/0002.txt"), "mint\n");
}

/// 22.1, as the issue found it: two updates started a moment apart on a 3,000-file project,
/// again and again. Each either finishes or is refused naming the other; the project never
/// ends mixed, and no journal is left.
#[cfg(unix)]
#[test]
fn two_updates_at_once_never_mix_a_project() {
    let fx = Fixture::new();
    project(&fx, 3000);
    let out = |child: Child| child.wait_with_output().unwrap();
    for (round, flavour) in ["chocolate", "vanilla", "mint", "lemon", "chocolate"]
        .iter()
        .enumerate()
    {
        let d = format!("flavour={flavour}");
        let start = |delay: u64| {
            std::thread::sleep(Duration::from_millis(delay));
            let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("scaffold"));
            cmd.current_dir(fx.path("p"))
                .env("NO_COLOR", "1")
                .env("SCAFFOLD_STATE_DIR", fx.state_dir.path())
                .args(["update", "-q", "--no-backup", "-d", &d])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let a = start(0);
        let b = start(30 * (round as u64 % 3));
        let (a, b) = (out(a), out(b));
        for o in [&a, &b] {
            assert!(
                o.status.success() || text(o).contains("another scaffold run (pid "),
                "round {round}: {}",
                text(o)
            );
        }
        assert!(a.status.success() || b.status.success(), "round {round}");
        assert!(!fx.path("p/.scaffold/journal").exists(), "round {round}");
        let status = run_in(&fx, "p", &["status", "--exit-code"]);
        assert!(
            status.status.success(),
            "round {round}: mixed:\n{}",
            text(&status)
        );
        assert!(read(&fx, "p/.scaffold.toml").contains(&format!("\"{flavour}\"")));
        assert_eq!(read(&fx, "p/f/2999.txt"), format!("{flavour}\n"));
    }
}

/// 22.2: an update killed half-way is visible to every command: `status` says so first (and
/// `--exit-code` fails, `--json` says it), `diff` and `update` refuse with what to run, and
/// `--recover` reports what it really put back.
#[cfg(unix)]
#[test]
fn a_killed_update_is_visible_and_recovered_truthfully() {
    let fx = Fixture::new();
    project(&fx, 6);
    let before = project_files(&fx, "p");
    // Four of the seven files renamed into place, then killed.
    killed_at(&fx, "p", &["update", "-d", "flavour=chocolate"], "rename#5");
    let said = |out: &std::process::Output| text(out);
    let status = run_in(&fx, "p", &["status"]);
    assert!(status.status.success(), "{}", said(&status));
    assert!(
        said(&status).starts_with(
            "an update of this project was interrupted; run `scaffold update --recover`"
        ),
        "{}",
        said(&status)
    );
    assert!(
        said(&status).contains("modified  f/0000.txt"),
        "{}",
        said(&status)
    );
    let out = run_in(&fx, "p", &["status", "--exit-code"]);
    assert_eq!(out.status.code(), Some(1));
    let out = run_in(&fx, "p", &["status", "--json"]);
    assert_eq!(
        crate::fixture::json(&out.stdout)["unfinished"]["state"],
        "interrupted"
    );
    for args in [&["diff"][..], &["update"], &["update", "--dry-run"]] {
        let out = run_in(&fx, "p", args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", said(&out));
        assert!(
            said(&out).contains("was interrupted; run `scaffold update --recover`"),
            "{args:?}: {}",
            said(&out)
        );
    }
    let out = run_in(&fx, "p", &["update", "--recover"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        said(&out).contains("Put 4 files back as they were before the interrupted update"),
        "{}",
        said(&out)
    );
    assert_unchanged(&before, &project_files(&fx, "p"), "recovered");
    let out = run_in(&fx, "p", &["status", "--exit-code"]);
    assert!(out.status.success(), "{}", said(&out));
}

/// 22.2, with Ctrl-C rather than a kill: scaffold has no signal handler (a handler could not
/// make a half-renamed project whole any faster than `--recover`), so SIGINT ends the run where
/// it is, as SIGKILL does, and the journal puts the project back. The project's state folder
/// it made on the way is private (mode 700).
#[cfg(unix)]
#[test]
fn ctrl_c_leaves_what_a_kill_leaves() {
    use std::os::unix::fs::PermissionsExt as _;
    use std::os::unix::process::ExitStatusExt as _;
    let fx = Fixture::new();
    project(&fx, 6);
    let before = project_files(&fx, "p");
    // A run started in the background of a script inherits SIGINT ignored (as CI may start
    // the tests): GNU env gives scaffold the default action a terminal's Ctrl-C meets.
    let mut wrapper = Command::new("env");
    wrapper
        .arg("--default-signal=INT")
        .arg(assert_cmd::cargo::cargo_bin("scaffold"));
    let (mut child, flag) = spawn_with(
        &fx,
        wrapper,
        "p",
        &["update", "-d", "flavour=chocolate"],
        Some("rename#5"),
    );
    let pid = paused(&mut child, &flag);
    let sent = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let start = Instant::now();
    let ended = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("SIGINT did not end the run within 30 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(ended.signal(), Some(2), "ended by SIGINT: {ended:?}");
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&fx.path("p/.scaffold")), 0o700);
    let out = run_in(&fx, "p", &["status"]);
    assert!(
        text(&out).starts_with(
            "an update of this project was interrupted; run `scaffold update --recover`"
        ),
        "{}",
        text(&out)
    );
    assert_ne!(project_files(&fx, "p"), before, "it was stopped half-way");
    let out = run_in(&fx, "p", &["update", "--recover"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Put 4 files back as they were before the interrupted update"),
        "{}",
        text(&out)
    );
    assert_unchanged(&before, &project_files(&fx, "p"), "recovered");
}

/// The folder scaffold keeps its journal key in, made by the first update that needs it
/// (parents included), is private: mode 700, the key in it 600.
#[cfg(unix)]
#[test]
fn the_journal_key_folder_is_made_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let fx = Fixture::new();
    project(&fx, 2);
    let state = fx.path("home/state/scaffold");
    let out = fx
        .run()
        .current_dir(fx.path("p"))
        .env("SCAFFOLD_STATE_DIR", &state)
        .args(["update", "-d", "flavour=chocolate", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&state), 0o700);
    let key = fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_file())
        .expect("a key file");
    assert_eq!(mode(&key), 0o600, "{}", key.display());
}

/// A project this user cannot write (a read-only mount, another user's folder) has no lock to
/// take and needs none: an update with nothing to change says so, and one with changes fails
/// with the write's own error, changing nothing.
#[cfg(unix)]
#[test]
fn a_project_this_user_cannot_write_needs_no_lock() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    project(&fx, 1);
    fs::set_permissions(fx.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(fx.path("p"), fs::Permissions::from_mode(0o555)).unwrap();
    let before = state(fx.dir.path());
    let run = |args: &[&str]| {
        let bin = assert_cmd::cargo::cargo_bin("scaffold");
        let mut cmd = if crate::fixture::rustix_is_root() {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(&bin);
            c
        } else {
            Command::new(&bin)
        };
        cmd.current_dir(fx.path("p"))
            .env("NO_COLOR", "1")
            .env("SCAFFOLD_STATE_DIR", fx.state_dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["update"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Up to date"), "{}", text(&out));
    let out = run(&["update", "-d", "flavour=chocolate"]);
    fs::set_permissions(fx.path("p"), fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("p/.scaffold`: Permission denied"),
        "{}",
        text(&out)
    );
    assert_unchanged(&before, &state(fx.dir.path()), "a read-only project");
}

/// A package template: `{{ package_name }}/` holds generated files, so a new `--name` moves
/// the folder, and the user's own files in it move with it (issue 22, item 6).
fn package(fx: &Fixture) {
    fx.template(
        "t",
        HEAD,
        &[
            ("{{ package_name }}/__init__.py", ""),
            (
                "{{ package_name }}/app.py.tera",
                "NAME = \"{{ project_name }}\"\n",
            ),
            ("{{ package_name }}/sub/views.py", "views = []\n"),
            ("README.md.tera", "# {{ project_name }}\n"),
        ],
    );
}

/// An update that moves the user's files with their folder, killed at each point of a move
/// (before it, with the file linked at its new place but still at its old one, and with one
/// moved whole and the folder it left removed): `--recover` puts every file of the user's back
/// where it was, contents and mode untouched, and says so; the project is as before, and the
/// same update then goes through. A moved file the user edited since stays where it is, named,
/// with its earlier contents kept (a copy, not a second name of the edited file).
#[cfg(unix)]
#[test]
fn an_interrupted_move_is_undone_without_losing_work() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    package(&fx);
    ok(&fx, &["new", "./t", "p", "--name", "Shop", "-q"]);
    fx.write("p/shop/custom.py", "def mine():\n    pass\n");
    fx.write("p/shop/data/prices.json", "{}\n");
    fx.write("p/shop/sub/extra.py", "extra = 1\n");
    fs::set_permissions(
        fx.path("p/shop/custom.py"),
        fs::Permissions::from_mode(0o751),
    )
    .unwrap();
    let before = project_files(&fx, "p");
    let rename = ["update", "--name", "Shop Two"];
    // (The moves, in order: shop/custom.py, shop/data/prices.json, shop/sub/extra.py.)
    for (step, back) in [
        ("move#1", 0),
        ("linked#1", 1),
        ("move#3", 2),
        ("linked#3", 3),
    ] {
        killed_at(&fx, "p", &rename, step);
        let status = run_in(&fx, "p", &["status", "--exit-code"]);
        assert_eq!(status.status.code(), Some(1), "{step}: {}", text(&status));
        assert!(text(&status).contains("was interrupted"), "{step}");
        let out = run_in(&fx, "p", &["update", "--recover"]);
        let said = text(&out);
        assert!(out.status.success(), "{step}: {said}");
        if back > 0 {
            let files = if back == 1 { "file" } else { "files" };
            assert!(
                said.contains(&format!(
                    "Moved {back} {files} of yours back to the folder the interrupted update \
                     had moved."
                )),
                "{step}: {said}"
            );
        }
        assert!(!said.contains("Kept"), "{step}: {said}");
        assert_unchanged(&before, &project_files(&fx, "p"), step);
        let mode = fs::metadata(fx.path("p/shop/custom.py"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o751, "{step}: the mode");
        assert!(!fx.path("p/.scaffold/journal").exists(), "{step}");
        assert!(
            !fx.path("p/.scaffold/backup").exists(),
            "{step}: nothing kept"
        );
    }
    // Killed with the first file moved whole; the user edits it at its new place, then
    // recovers: their edit stays there, named, and the file as it was is kept as a backup.
    killed_at(&fx, "p", &rename, "move#2");
    assert!(!fx.path("p/shop/custom.py").exists());
    fx.write(
        "p/shop_two/custom.py",
        "def mine():\n    return 'edited since'\n",
    );
    let out = run_in(&fx, "p", &["update", "--recover"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("Kept 1 file as they are") && said.contains("  shop_two/custom.py"),
        "{said}"
    );
    assert_eq!(
        read(&fx, "p/shop_two/custom.py"),
        "def mine():\n    return 'edited since'\n"
    );
    assert_eq!(
        read(&fx, "p/.scaffold/backup/1/shop/custom.py"),
        "def mine():\n    pass\n"
    );
    assert_eq!(fx.tree("p/shop_two"), ["custom.py"], "the rest undone");
    assert_eq!(read(&fx, "p/shop/sub/extra.py"), "extra = 1\n");
    assert_eq!(read(&fx, "p/shop/data/prices.json"), "{}\n");
    // Once the user has put their file back, the update goes through whole.
    fs::remove_file(fx.path("p/shop_two/custom.py")).unwrap();
    fs::remove_dir(fx.path("p/shop_two")).unwrap();
    fx.write("p/shop/custom.py", "def mine():\n    pass\n");
    let out = run_in(&fx, "p", &rename);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(&fx, "p/shop_two/custom.py"), "def mine():\n    pass\n");
    assert_eq!(read(&fx, "p/shop_two/data/prices.json"), "{}\n");
    assert!(!fx.path("p/shop").exists(), "the emptied folder goes");
    fx.assert_canary();
}

/// `new --force` over a project whose update was interrupted is refused, saying to recover
/// first: the half-written files are not the user's to back up, and nothing is written.
#[test]
fn new_force_over_an_interrupted_update_is_refused() {
    let fx = Fixture::new();
    project(&fx, 6);
    killed_at(&fx, "p", &["update", "-d", "flavour=chocolate"], "rename#5");
    let before = project_files(&fx, "p");
    let out = run_in(&fx, ".", &["new", "./t", "p", "--force", "--no-input"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("was interrupted; run `scaffold update --recover`"),
        "{}",
        text(&out)
    );
    assert_unchanged(&before, &project_files(&fx, "p"), "a refused new --force");
    let out = run_in(&fx, "p", &["update", "--recover"]);
    assert!(out.status.success(), "{}", text(&out));
}

/// Security review, BROKEN 1: a hard link planted at `.scaffold/lock` (an archive or a clone
/// can ship one, linked to a file outside the project or to one of the project's own) is never
/// written through: every run that takes the lock (`update`, `--recover`, `new --force`)
/// leaves both files byte for byte as they were. Failed before: the lock's target was
/// truncated and held `pid <n>`.
#[cfg(unix)]
#[test]
fn a_lock_planted_as_a_hard_link_is_never_written() {
    for args in [
        &["update", "-d", "flavour=chocolate"][..],
        &["update", "--recover"],
        &["new", "../t", ".", "--force", "--no-input", "-q"],
    ] {
        let fx = Fixture::new();
        project(&fx, 2);
        fx.write("outside.txt", "precious\n");
        fx.write("p/mine.txt", "my own\n");
        fs::create_dir(fx.path("p/.scaffold")).unwrap();
        fs::hard_link(fx.path("outside.txt"), fx.path("p/.scaffold/lock")).unwrap();
        // (`--recover` with nothing to recover says so, and fails.)
        let fine = |out: &std::process::Output| {
            out.status.success() || text(out).contains("has no interrupted update to recover")
        };
        let out = run_in(&fx, "p", args);
        assert!(fine(&out), "{args:?}: {}", text(&out));
        assert_eq!(read(&fx, "outside.txt"), "precious\n", "{args:?}");
        // The same with a file of the project's own.
        fs::remove_file(fx.path("p/.scaffold/lock")).ok();
        fs::create_dir_all(fx.path("p/.scaffold")).unwrap();
        fs::hard_link(fx.path("p/mine.txt"), fx.path("p/.scaffold/lock")).unwrap();
        let out = run_in(&fx, "p", args);
        assert!(fine(&out), "{args:?}: {}", text(&out));
        assert_eq!(read(&fx, "p/mine.txt"), "my own\n", "{args:?}");
        assert_eq!(read(&fx, "outside.txt"), "precious\n", "{args:?}");
        fx.assert_canary();
    }
}

/// A command run as another user (`nobody`, uid 65534) when the tests run as root (root may
/// write any file, so a read-only one would not stop it), else as this user; with a state
/// folder of its own.
#[cfg(unix)]
fn as_other_user(fx: &Fixture, dir: &str, state: &Path, args: &[&str]) -> Command {
    let bin = assert_cmd::cargo::cargo_bin("scaffold");
    let mut cmd = if crate::fixture::rustix_is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c
    } else {
        Command::new(&bin)
    };
    cmd.current_dir(fx.path(dir))
        .env("NO_COLOR", "1")
        .env("SCAFFOLD_STATE_DIR", state)
        .args(args)
        .stdin(Stdio::null());
    cmd
}

/// Everything below `dir` (and `dir`) handed to `nobody` when the tests run as root.
#[cfg(unix)]
fn give_to_other_user(dir: &Path) {
    if !crate::fixture::rustix_is_root() {
        return;
    }
    for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
        std::os::unix::fs::lchown(e.path(), Some(65534), Some(65534)).unwrap();
    }
}

/// Security review, BROKEN 2: a read-only `.scaffold/lock` (an archive keeps the mode) does
/// not switch the lock off: while one update runs, a second one, `--recover` and `new
/// --force` are refused naming it, and `status` says it is running. Failed before: the second
/// run took "cannot open the lock for writing" to mean "this user cannot write the project"
/// and went on unlocked (`--recover` ran under the live update).
#[cfg(unix)]
#[test]
fn a_read_only_lock_file_still_locks() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    project(&fx, 3);
    fs::set_permissions(fx.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir(fx.path("p/.scaffold")).unwrap();
    fs::write(fx.path("p/.scaffold/lock"), "").unwrap();
    fs::set_permissions(
        fx.path("p/.scaffold/lock"),
        fs::Permissions::from_mode(0o444),
    )
    .unwrap();
    let state = fx.path("nobody-state");
    fs::create_dir(&state).unwrap();
    fs::set_permissions(&state, fs::Permissions::from_mode(0o700)).unwrap();
    give_to_other_user(&fx.path("p"));
    give_to_other_user(&fx.path("t"));
    give_to_other_user(&state);
    let flag = state.join("paused");
    let mut first = as_other_user(&fx, "p", &state, &["update", "-d", "flavour=chocolate"])
        .env(
            "SCAFFOLD_TEST_PAUSE",
            format!("rename#2@{}", flag.display()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = paused(&mut first, &flag);
    let running = format!("another scaffold run (pid {pid}) is writing");
    for args in [
        &["update", "-d", "flavour=strawberry"][..],
        &["update", "--recover"],
        &["new", "../t", ".", "--force", "-q", "--no-input"],
    ] {
        let out = as_other_user(&fx, "p", &state, args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(&running), "{args:?}: {}", text(&out));
    }
    let out = as_other_user(&fx, "p", &state, &["status"])
        .output()
        .unwrap();
    assert!(
        text(&out).contains(&format!("an update of this project is running (pid {pid})")),
        "{}",
        text(&out)
    );
    first.kill().unwrap();
    first.wait().unwrap();
    let out = as_other_user(&fx, "p", &state, &["update", "--recover"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = as_other_user(&fx, "p", &state, &["status", "--exit-code"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    fx.assert_canary();
}

/// Security review, BROKEN 4: backup folders a clone brings with numbers scaffold would never
/// give (`18446744073709551615`, the largest there is; `0`, not empty) neither wedge an
/// update nor make `new --force` spin: each finishes, keeping its backup in a new folder, and
/// the next update goes through. Failed before: the next number wrapped to `0` (a debug
/// build panicked on the overflow); `new --force` looped forever holding the lock, and an
/// update could not put its journal away, so that every later run said to recover.
#[cfg(unix)]
#[test]
fn backup_numbers_from_a_clone_wedge_nothing() {
    for args in [
        &["update", "-d", "flavour=chocolate"][..],
        &["new", "../t", ".", "--force", "--no-input"],
    ] {
        let fx = Fixture::new();
        project(&fx, 2);
        // (`new --force` keeps the files it overwrites that were edited; an update outside
        // git, every file it changes.)
        let (edited, was) = if args[0] == "new" {
            fx.write("p/top.txt", "top vanilla, edited\n");
            ("top.txt", "top vanilla, edited\n")
        } else {
            ("f/0000.txt", "vanilla\n")
        };
        fx.write("p/.scaffold/backup/0/x", "planted\n");
        fs::create_dir_all(fx.path("p/.scaffold/backup/18446744073709551615")).unwrap();
        fs::create_dir_all(fx.path("p/.scaffold/backup/999999999")).unwrap();
        let out = run_in(&fx, "p", args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        assert!(!fx.path("p/.scaffold/journal").exists(), "{args:?}");
        assert_eq!(read(&fx, "p/.scaffold/backup/0/x"), "planted\n");
        let kept: Vec<String> = fs::read_dir(fx.path("p/.scaffold/backup"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !["0", "18446744073709551615", "999999999"].contains(&n.as_str()))
            .collect();
        assert_eq!(kept.len(), 1, "{args:?}: {kept:?}");
        // The report says how many backups there are, and that removing them is the user's.
        assert!(
            text(&out).contains(
                ".scaffold/backup` holds 2 backups; scaffold never removes them: delete those \
                 you no longer need"
            ),
            "{args:?}: {}",
            text(&out)
        );
        assert_eq!(
            read(&fx, &format!("p/.scaffold/backup/{}/{edited}", kept[0])),
            was,
            "{args:?}"
        );
        let out = run_in(&fx, "p", &["update", "-d", "flavour=mint"]);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("holds 3 backups"), "{}", text(&out));
        assert_eq!(read(&fx, "p/f/0001.txt"), "mint\n");
        fx.assert_canary();
    }
}

/// Security review, BROKEN 5: `new --force` over a project compares what is there with what
/// it would write, reading each file within the bound the README gives (256 MiB): a 3 GiB
/// generated file counts as the user's (kept first, and named), is never read whole, and no
/// error blames the template. Failed before: it was read whole, and the run died with
/// "rendering template `t` needed more than 512 MiB of memory".
#[cfg(unix)]
#[test]
fn new_force_reads_what_is_there_within_a_bound() {
    let fx = Fixture::new();
    project(&fx, 1);
    fs::File::options()
        .write(true)
        .open(fx.path("p/top.txt"))
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    for args in [
        &["new", "./t", "p", "--force", "--no-input", "--dry-run"][..],
        &["new", "./t", "p", "--force", "--no-input"],
    ] {
        let start = Instant::now();
        // 2 GiB of address space: a read of the whole file could not even be tried.
        let out = crate::fixture::run_limited(&fx, 2 * 1024 * 1024, args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        assert!(!text(&out).contains("memory"), "{args:?}: {}", text(&out));
        assert!(start.elapsed() < Duration::from_secs(30), "{args:?}");
    }
    assert_eq!(read(&fx, "p/top.txt"), "top vanilla\n");
    assert_eq!(
        fs::metadata(fx.path("p/.scaffold/backup/1/top.txt"))
            .unwrap()
            .len(),
        3 << 30
    );
    fx.assert_canary();
}

/// Security review, weak point on the journal key: the key is read as the small private file
/// scaffold makes (no link followed, no FIFO waited on, 32 bytes, mode 600, this user's, in a
/// folder no one else can write); anything else is refused naming the key and the rule, at
/// once, before anything is written, and never trusted to check a journal. Failed before: a
/// FIFO there held `--recover` for good while it held the lock, and a key others could read
/// (or write, through its folder) was used as it was.
#[cfg(unix)]
#[test]
fn the_journal_key_is_read_only_as_the_private_file_scaffold_makes() {
    use std::os::unix::fs::PermissionsExt;
    /// Something done to the key or its folder.
    type Plant<'a> = Box<dyn Fn() + 'a>;
    let fx = Fixture::new();
    project(&fx, 3);
    killed_at(&fx, "p", &["update", "-d", "flavour=chocolate"], "rename#2");
    let key = fx.state_dir.path().join("journal.key");
    let good = fs::read(&key).unwrap();
    let before = state(&fx.path("p"));
    let set_mode = |p: &Path, mode: u32| {
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
    };
    let mut cases: Vec<(&str, Plant, &str)> = vec![
        (
            "fifo",
            Box::new(|| {
                fs::remove_file(&key).unwrap();
                let made = Command::new("mkfifo").arg(&key).status();
                assert!(made.unwrap().success());
            }),
            "is not a regular file",
        ),
        (
            "symlink",
            Box::new(|| {
                fs::remove_file(&key).unwrap();
                std::os::unix::fs::symlink("/dev/zero", &key).unwrap();
            }),
            "is a symlink",
        ),
        (
            "readable by others",
            Box::new(|| set_mode(&key, 0o644)),
            "mode 644",
        ),
        (
            "its folder writable by others",
            Box::new(|| set_mode(fx.state_dir.path(), 0o777)),
            "writable by others",
        ),
    ];
    if crate::fixture::rustix_is_root() {
        cases.push((
            "another user's",
            Box::new(|| std::os::unix::fs::lchown(&key, Some(65534), Some(65534)).unwrap()),
            "owned by another user",
        ));
    }
    for (what, plant, rule) in cases {
        plant();
        for args in [
            &["update", "--recover"][..],
            &["update", "-d", "flavour=mint"],
        ] {
            let out = run_in(&fx, "p", args);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{what} {args:?}: {}",
                text(&out)
            );
            assert!(
                text(&out).contains("journal.key") && text(&out).contains(rule),
                "{what} {args:?}: {}",
                text(&out)
            );
        }
        let out = run_in(&fx, "p", &["status"]);
        assert!(
            text(&out).contains("journal.key") && text(&out).contains(rule),
            "{what}: {}",
            text(&out)
        );
        let mut now = state(&fx.path("p"));
        now.remove(".scaffold/lock");
        let mut was = before.clone();
        was.remove(".scaffold/lock");
        assert_unchanged(&was, &now, what);
        // Put right again.
        set_mode(fx.state_dir.path(), 0o700);
        let _ = fs::remove_file(&key);
        fs::write(&key, &good).unwrap();
        set_mode(&key, 0o600);
    }
    let out = run_in(&fx, "p", &["update", "--recover"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(&fx, "p/top.txt"), "top vanilla\n");
    // With no journal, an update that would write one is refused first, changing nothing.
    set_mode(&key, 0o640);
    let files = project_files(&fx, "p");
    let out = run_in(&fx, "p", &["update", "-d", "flavour=mint"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("journal.key` has mode 640"),
        "{}",
        text(&out)
    );
    assert_unchanged(&files, &project_files(&fx, "p"), "refused for its key");
    assert!(!fx.path("p/.scaffold/journal").exists());
    fx.assert_canary();
}

/// Security review, weak point on a clone's own `.scaffold/`: its `.gitignore` (committed as
/// `# nothing`) is not trusted, scaffold makes sure it says `*`, so the backup an
/// `--allow-dirty` update keeps stays out of `git status`; a `.scaffold/` that came with mode
/// 755 is made 700 (it holds copies of files that may hold the secret); one of another user's
/// is refused, naming it. Failed before: `git status` listed `.scaffold/backup/1/...` and the
/// folder stayed 755.
#[cfg(unix)]
#[test]
fn a_clones_state_folder_is_made_scaffolds_own() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    project(&fx, 1);
    fx.write("p/.scaffold/.gitignore", "# nothing\n");
    fs::set_permissions(fx.path("p/.scaffold"), fs::Permissions::from_mode(0o755)).unwrap();
    let git = |args: &[&str]| crate::fixture::git(&fx.path("p"), args);
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "cloned"]);
    fx.write("p/top.txt", "mine, not committed\ntop vanilla\n");
    let out = run_in(
        &fx,
        "p",
        &["update", "-d", "flavour=chocolate", "--allow-dirty"],
    );
    assert!(matches!(out.status.code(), Some(0 | 3)), "{}", text(&out));
    assert_eq!(
        read(&fx, "p/.scaffold/backup/1/top.txt"),
        "mine, not committed\ntop vanilla\n"
    );
    let status = git(&["status", "--porcelain", "--untracked-files=all"]);
    assert!(!status.contains(".scaffold/backup"), "{status}");
    assert!(
        read(&fx, "p/.scaffold/.gitignore")
            .lines()
            .any(|l| l == "*")
    );
    let mode = fs::metadata(fx.path("p/.scaffold"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    // A `.scaffold/` of another user's: refused, naming it, nothing written.
    if crate::fixture::rustix_is_root() {
        std::os::unix::fs::lchown(fx.path("p/.scaffold"), Some(65534), Some(65534)).unwrap();
        let before = state(&fx.path("p"));
        let out = run_in(&fx, "p", &["update", "-d", "flavour=mint", "--allow-dirty"]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            text(&out).contains(".scaffold` is owned by another user"),
            "{}",
            text(&out)
        );
        assert_unchanged(&before, &state(&fx.path("p")), "another user's state");
    }
    fx.assert_canary();
}

/// Security review, weak point on putting a journal away: it goes in one step (renamed to a
/// temporary name, then removed), so a run killed while it is being removed leaves no half
/// journal (one with its `list` gone and its copies still there was reported as "not written
/// by scaffold on this machine"), only a dead run's temporary folder, which the next run
/// removes. (Before, the window lay inside the removal of the journal's tree, where no pause
/// could be placed: this test pauses at the step that now exists there.)
#[cfg(unix)]
#[test]
fn a_run_killed_while_it_puts_its_journal_away_leaves_no_journal() {
    let fx = Fixture::new();
    project(&fx, 3);
    killed_at(&fx, "p", &["update", "-d", "flavour=chocolate"], "away");
    let out = run_in(&fx, "p", &["status", "--exit-code"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("journal"), "{}", text(&out));
    assert_eq!(read(&fx, "p/f/0002.txt"), "chocolate\n");
    let leftovers = || -> Vec<String> {
        fs::read_dir(fx.path("p/.scaffold"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".scaffold-tmp-"))
            .collect()
    };
    assert_eq!(leftovers().len(), 1, "the killed run's folder");
    let out = run_in(&fx, "p", &["update", "-d", "flavour=mint"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(&fx, "p/f/0002.txt"), "mint\n");
    assert!(leftovers().is_empty(), "{:?}", leftovers());
    fx.assert_canary();
}

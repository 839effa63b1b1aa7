//! `scaffold new` over an existing project or directory (issue 22, item 3): the destination is
//! checked before any question is asked; a scaffold project is refused pointing at `scaffold
//! update`, with the exact command; `--force` never loses an edit (whatever of the user's it
//! overwrites is kept in `.scaffold/backup/<n>/` first) and never changes the project's
//! cookie secret; and it holds the project's lock while it runs.

use std::fs;
use std::time::{Duration, Instant};

use crate::fixture::{Fixture, assert_unchanged, demo, state};

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn read(fx: &Fixture, p: &str) -> String {
    fs::read_to_string(fx.path(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// `scaffold ARGS` on a pseudo-terminal (util-linux `script`), typing `typed`.
#[cfg(unix)]
fn at_a_terminal(fx: &Fixture, args: &str, typed: &[u8]) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("scaffold");
    std::process::Command::new("script")
        .current_dir(fx.dir.path())
        .env("NO_COLOR", "1")
        .args(["-qec", &format!("'{}' {args}", bin.display()), "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(typed)?;
            child.wait_with_output()
        })
        .expect("util-linux `script` is needed for the terminal test")
}

/// The cookie secret in a demo project's `settings.py`.
fn secret(fx: &Fixture, project: &str) -> String {
    let settings = read(fx, &format!("{project}/settings.py"));
    settings
        .trim()
        .trim_start_matches("COOKIE_SECRET = \"")
        .trim_end_matches('"')
        .to_string()
}

/// A scaffold project as destination is refused before any question, pointing at `scaffold
/// update` with the exact command (the same `-d` values); nothing is written.
#[cfg(unix)]
#[test]
fn a_project_is_refused_before_any_question_pointing_at_update() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fx.run()
        .args(["new", &t, "team-chat", "-q"])
        .assert()
        .success();
    fx.write("team-chat/README.md", "my own notes\n");
    let before = state(fx.dir.path());
    // At a terminal: not one question is asked.
    let out = at_a_terminal(
        &fx,
        &format!("new {t} team-chat -d docker=yes"),
        b"\n\n\n\n\n",
    );
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        !said.contains("who wrote it"),
        "a question was asked: {said}"
    );
    for part in [
        "`team-chat` is already a project made by scaffold",
        "scaffold update team-chat -d docker=yes",
    ] {
        assert!(said.contains(part), "{part:?} not in {said}");
    }
    assert_unchanged(&before, &state(fx.dir.path()), "a refused new");
    // Without a terminal the same, exit 1.
    let out = fx
        .run()
        .args(["new", &t, "team-chat", "-d", "license=none"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("scaffold update team-chat -d license=none"),
        "{}",
        text(&out)
    );
    assert_unchanged(&before, &state(fx.dir.path()), "a refused new");
    // A dry run shows the plan and that refusal, and exits 0.
    let out = fx
        .run()
        .args(["new", &t, "team-chat", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("scaffold update team-chat"),
        "{}",
        text(&out)
    );
    assert_unchanged(&before, &state(fx.dir.path()), "a dry run");
    fx.assert_canary();
}

/// A non-empty directory that is not a project, at a terminal: refused before any question
/// (the files it would overwrite depend on the answers: --dry-run shows them), with --force
/// to go ahead. Without a terminal, no question is asked anyway and the refusal names them.
#[cfg(unix)]
#[test]
fn a_non_empty_directory_is_refused_before_any_question() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fx.write("p/README.md", "mine\n");
    let before = state(fx.dir.path());
    let out = at_a_terminal(&fx, &format!("new {t} p"), b"\n\n\n\n\n");
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        !said.contains("who wrote it"),
        "a question was asked: {said}"
    );
    assert!(
        said.contains("destination `p` is not empty") && said.contains("--force"),
        "{said}"
    );
    assert_unchanged(&before, &state(fx.dir.path()), "a refused new");
}

/// `--force` over an edited project: every file of the user's that it overwrites (edited
/// since scaffold wrote it, or never scaffold's) is kept in `.scaffold/backup/<n>/` first and
/// named; files it writes as they were are not; the project's cookie secret stays.
#[test]
fn force_over_a_project_keeps_every_edit_and_the_secret() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fx.run().args(["new", &t, "p", "-q"]).assert().success();
    let secret_before = secret(&fx, "p");
    let record_before = read(&fx, "p/.scaffold.toml");
    fx.write("p/README.md", "my own notes\n");
    fx.write("p/Dockerfile", "FROM my-own-image\n");
    fx.write("p/notes.txt", "not the template's\n");
    let before = state(fx.dir.path());
    let out = fx
        .run()
        .args(["new", &t, "p", "--force", "-d", "docker=yes", "--dry-run"])
        .output()
        .unwrap();
    let plan = text(&out);
    assert!(out.status.success(), "{plan}");
    assert_unchanged(&before, &state(fx.dir.path()), "a dry run");
    for line in [
        "overwrite README.md  (yours: kept in .scaffold/backup/1/ first)",
        "overwrite Dockerfile  (yours: kept in .scaffold/backup/1/ first)",
        "identical run.sh",
    ] {
        assert!(plan.contains(line), "{line:?} not in\n{plan}");
    }
    let out = fx
        .run()
        .args(["new", &t, "p", "--force", "-d", "docker=yes"])
        .output()
        .unwrap();
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains(".scaffold/backup/1"), "{said}");
    assert_eq!(
        read(&fx, "p/.scaffold/backup/1/README.md"),
        "my own notes\n"
    );
    assert_eq!(
        read(&fx, "p/.scaffold/backup/1/Dockerfile"),
        "FROM my-own-image\n"
    );
    assert_eq!(
        read(&fx, "p/.scaffold/backup/1/.scaffold.toml"),
        record_before
    );
    assert!(
        !fx.path("p/.scaffold/backup/1/run.sh").exists(),
        "an unedited file needs no backup"
    );
    assert!(read(&fx, "p/README.md").starts_with("# p\r\n"));
    assert_eq!(read(&fx, "p/notes.txt"), "not the template's\n");
    assert_eq!(secret(&fx, "p"), secret_before, "the cookie secret changed");
    // Again: only what changed since is kept, in the next folder.
    fx.write("p/LICENSE", "mine now\n");
    let out = fx
        .run()
        .args(["new", &t, "p", "--force", "-d", "docker=yes", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let json = crate::fixture::json(&out.stdout);
    assert_eq!(json["backup"], "p/.scaffold/backup/2", "{json}");
    assert_eq!(json["backups"], 2, "{json}");
    assert_eq!(read(&fx, "p/.scaffold/backup/2/LICENSE"), "mine now\n");
    assert_eq!(secret(&fx, "p"), secret_before);
    fx.assert_canary();
}

/// `--force` into a directory scaffold did not make: every file it overwrites is the user's,
/// and kept first; the rest of the directory is left alone.
#[test]
fn force_into_a_plain_directory_keeps_what_it_overwrites() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fx.write("p/README.md", "mine\n");
    fx.write("p/other.txt", "mine too\n");
    let out = fx.run().args(["new", &t, "p", "--force"]).output().unwrap();
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert_eq!(read(&fx, "p/.scaffold/backup/1/README.md"), "mine\n");
    assert!(!fx.path("p/.scaffold/backup/1/other.txt").exists());
    assert_eq!(read(&fx, "p/other.txt"), "mine too\n");
    assert!(said.contains("README.md"), "{said}");
    // git leaves scaffold's folder out.
    assert_eq!(
        read(&fx, "p/.scaffold/.gitignore").lines().last(),
        Some("*")
    );
}

/// `new --force` into an existing project holds the project's lock for its run: while another
/// run holds it, it is refused at once, naming that run, and nothing is written.
#[cfg(unix)]
#[test]
fn force_into_a_project_another_run_is_writing_is_refused() {
    let fx = Fixture::new();
    let t = demo(&fx);
    fx.run().args(["new", &t, "p", "-q"]).assert().success();
    fx.write("p/README.md", "my own notes\n");
    fs::create_dir_all(fx.path("p/.scaffold")).unwrap();
    // Another run: a process that holds the lock, as a scaffold run would, and says who it is
    // (the shell locks the file on its own descriptor, then becomes `sleep`, which keeps it).
    let mut holder = std::process::Command::new("sh")
        .current_dir(fx.path("p"))
        .arg("-c")
        .arg("exec 9<>.scaffold/lock && flock 9 && printf 'pid %s\\n' $$ >&9 && exec sleep 30")
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !fs::read_to_string(fx.path("p/.scaffold/lock"))
        .unwrap_or_default()
        .starts_with("pid ")
    {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let before = state(fx.dir.path());
    let out = fx
        .run()
        .args(["new", &t, "p", "--force"])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let said = text(&out);
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains(&format!("another scaffold run (pid {})", holder.id())),
        "{said}"
    );
    assert_unchanged(&before, &state(fx.dir.path()), "a refused new --force");
    assert!(start.elapsed() < Duration::from_secs(20), "it waited");
    // Once that run is gone, the next one goes ahead.
    let out = fx.run().args(["new", &t, "p", "--force"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        read(&fx, "p/.scaffold/backup/1/README.md"),
        "my own notes\n"
    );
}

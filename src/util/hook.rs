//! Test hooks (debug builds only): a run stopped, or made to fail, at a named step, so that the
//! integration tests can kill it exactly there (SIGKILL is what Ctrl-C, a closed terminal or a
//! full machine amount to) or watch it undo itself. In a release build [`at`] does nothing.
//!
//! - `SCAFFOLD_TEST_PAUSE=STEP@FILE`: on reaching `STEP`, the run writes its process id into
//!   `FILE` and waits there until it is killed.
//! - `SCAFFOLD_TEST_FAIL=STEP[,STEP...]`: on reaching a `STEP`, the step fails with an
//!   "injected failure" error.
//!
//! A `STEP` is a step's name, or `NAME#N` for the `N`-th time that step is reached (1 for the
//! first). The steps: `locked` (a writing run took the project's lock), `journal` (an update's
//! journal is in place), `rename` (before each file an update puts into place), `move` (before
//! each file of the user's that moves with its folder), `linked` (that file linked at its new
//! place, not yet removed at its old one), `removed` (after an update's removals, before its
//! answers file), `answers` (its answers file is in place, before the journal is put away),
//! `away` (the journal renamed away, before it is removed),
//! `undo` (an update that failed starts undoing itself).

/// Reaching `step`: pauses or fails there when a test asked for it (debug builds only).
#[cfg(debug_assertions)]
pub(crate) fn at(step: &str) -> std::io::Result<()> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static SEEN: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);
    let pause = std::env::var("SCAFFOLD_TEST_PAUSE").ok();
    let fail = std::env::var("SCAFFOLD_TEST_FAIL").ok();
    if pause.is_none() && fail.is_none() {
        return Ok(());
    }
    let n = {
        let mut seen = SEEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = seen
            .get_or_insert_with(HashMap::new)
            .entry(step.to_string())
            .or_insert(0);
        *count += 1;
        *count
    };
    let hits = |wanted: &str| match wanted.split_once('#') {
        Some((name, nth)) => name == step && nth.parse() == Ok(n),
        None => wanted == step,
    };
    if let Some((wanted, file)) = pause.as_deref().and_then(|p| p.split_once('@'))
        && hits(wanted)
    {
        std::fs::write(file, format!("{}\n", std::process::id()))?;
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
    if fail.as_deref().is_some_and(|f| f.split(',').any(hits)) {
        return Err(std::io::Error::other(format!(
            "injected failure at step `{step}` (SCAFFOLD_TEST_FAIL)"
        )));
    }
    Ok(())
}

/// Reaching `step`: nothing happens in a release build.
#[cfg(not(debug_assertions))]
#[inline]
pub(crate) fn at(_step: &str) -> std::io::Result<()> {
    Ok(())
}

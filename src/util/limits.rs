//! Every bound on what a template may cost, in one place, so that a hostile or broken template
//! ends in a clear error instead of exhausting the machine.
//!
//! Tera already refuses `range()` over more than 100,000 elements, component recursion deeper
//! than 20, over-complex expressions and over-deep nesting, and detects circular includes.
//! What is left is bounded here:
//! - size: every rendering writes through a [`Limited`] writer (per file and per run);
//! - memory: the binary's allocator calls [`out_of_memory`] once the live heap passes
//!   [`MAX_HEAP_BYTES`];
//! - time: one budget of [`RUN_SECONDS`] covers every in-memory stage of a run (reading the
//!   manifest, resolving and checking values, rendering, checking paths; for the commands that
//!   only read, all of their work) but not the time spent waiting: at a prompt, for the
//!   terminal, for `git` (which has a bound of its own) or for another run's lock. A watchdog
//!   thread ends the process when it is spent; nothing has been written at that point, because
//!   writing starts only after [`finish`].

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The most bytes a `template.toml` may hold.
pub(crate) const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;
/// The most files a template on disk may hold.
pub(crate) const MAX_TEMPLATE_FILES: usize = 10_000;
/// The most bytes all the files of a template on disk may hold.
pub(crate) const MAX_TEMPLATE_BYTES: u64 = 64 * 1024 * 1024;
/// The most bytes one rendered file (or value) may hold.
pub(crate) const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// The most bytes one rendering of a template may produce (see [`next_rendering`]).
pub(crate) const MAX_RENDER_BYTES: u64 = 128 * 1024 * 1024;
/// The most heap a run may use.
pub const MAX_HEAP_BYTES: usize = 512 * 1024 * 1024;
/// The longest validation rule (`regex`) a variable may have.
pub(crate) const MAX_RULE_BYTES: usize = 4096;
/// The most time the in-memory stages of a run may take.
pub(crate) const RUN_SECONDS: u64 = 10;
/// The longest path, in bytes, that Linux accepts (`PATH_MAX` less the final NUL).
pub(crate) const MAX_PATH_BYTES: usize = 4095;
/// The longest file name component, in bytes (ext4, XFS, btrfs, APFS, NTFS in UTF-16 units).
pub(crate) const MAX_COMPONENT_BYTES: usize = 255;

static RENDERED_BYTES: AtomicU64 = AtomicU64::new(0);

/// A writer that fails once a file, or the whole run, passes its size limit.
#[derive(Debug, Default)]
pub(crate) struct Limited {
    /// The bytes written so far.
    pub(crate) buf: Vec<u8>,
}

impl Limited {
    /// An empty writer holding room for `len` bytes, counted against the limits now (for a
    /// writer whose output size is known before it is written).
    pub(crate) fn reserve(len: usize) -> io::Result<Limited> {
        if len > MAX_FILE_BYTES {
            return Err(io::Error::other(TOO_BIG));
        }
        charge(&RENDERED_BYTES, len)?;
        Ok(Limited {
            buf: Vec::with_capacity(len),
        })
    }
}

/// Counts `len` more rendered bytes in `run`; an error once the run passes its limit.
fn charge(run: &AtomicU64, len: usize) -> io::Result<()> {
    let len = len as u64;
    if run.fetch_add(len, Ordering::Relaxed).saturating_add(len) > MAX_RENDER_BYTES {
        return Err(io::Error::other(TOO_BIG));
    }
    Ok(())
}

/// The message of the I/O error a [`Limited`] writer returns.
pub(crate) const TOO_BIG: &str = "output limit";

impl Write for Limited {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > MAX_FILE_BYTES {
            return Err(io::Error::other(TOO_BIG));
        }
        charge(&RENDERED_BYTES, data.len())?;
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What a run's time budget bounds, said when it is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Budget {
    /// Reading, checking and rendering a template (`new`, `check`, `update`, `info`, `list`).
    Template,
    /// What `status`, `diff` and `cache list` do: read a project, the template it was made
    /// from and the cache, and compare.
    Reading,
}

impl Budget {
    /// The limit's words in the message.
    fn purpose(self) -> &'static str {
        match self {
            Budget::Template => {
                "reading, checking and rendering a template in one run (does a loop in the \
                 template never end?)"
            }
            Budget::Reading => "reading and comparing in one run",
        }
    }
}

/// The run's time budget: when it started, how long it waited at prompts, what it is doing.
struct Clock {
    started: Option<Instant>,
    waited: Duration,
    waiting_since: Option<Instant>,
    /// How many [`waiting`] calls are open (they nest: a fetch waits for a lock, then git).
    waiting_depth: usize,
    stage: String,
    budget: Budget,
}

static CLOCK: Mutex<Clock> = Mutex::new(Clock {
    started: None,
    waited: Duration::ZERO,
    waiting_since: None,
    waiting_depth: 0,
    stage: String::new(),
    budget: Budget::Template,
});
static WATCHDOG: AtomicBool = AtomicBool::new(false);

fn with_clock(f: impl FnOnce(&mut Clock)) {
    if let Ok(mut c) = CLOCK.lock() {
        f(&mut c);
    }
}

/// Starts a fresh budget (time and rendered bytes) for a template. `scaffold check` renders a
/// template many times and judges each render on its own, so it starts one per render.
pub(crate) fn start() {
    start_for(Budget::Template);
}

/// Starts a fresh budget for `budget`'s work.
pub(crate) fn start_for(budget: Budget) {
    RENDERED_BYTES.store(0, Ordering::Relaxed);
    with_clock(|c| {
        c.started = Some(Instant::now());
        c.waited = Duration::ZERO;
        c.waiting_since = None;
        c.waiting_depth = 0;
        c.budget = budget;
    });
    if !WATCHDOG.swap(true, Ordering::SeqCst) {
        std::thread::spawn(watch);
    }
}

/// Starts the output count of one rendering again (the time budget runs on): an update renders
/// a template twice (what was generated, and what it gives now), and each may hold what `new`
/// accepts. The heap cap still bounds them together.
pub(crate) fn next_rendering() {
    RENDERED_BYTES.store(0, Ordering::Relaxed);
}

/// Ends the budget: from here on the run writes to disk, which is not bounded by time.
pub(crate) fn finish() {
    with_clock(|c| c.started = None);
}

/// Names what the run is doing now, for the message when a limit is passed.
pub(crate) fn stage(what: impl Into<String>) {
    let what = what.into();
    with_clock(|c| c.stage = what);
}

/// What each worker thread is doing now, one slot a thread, so that workers naming each file
/// they take do not contend for one lock (that cost a 1,000-file template 2 ms).
static TASKS: Mutex<Vec<Arc<Mutex<String>>>> = Mutex::new(Vec::new());

/// A thread's slot in [`TASKS`], removed when the thread ends.
struct Slot(Arc<Mutex<String>>);

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut all) = TASKS.lock() {
            all.retain(|s| !Arc::ptr_eq(s, &self.0));
        }
    }
}

thread_local! {
    static SLOT: Slot = {
        let slot = Arc::new(Mutex::new(String::new()));
        if let Ok(mut all) = TASKS.lock() {
            all.push(slot.clone());
        }
        Slot(slot)
    };
}

/// Names what this thread is doing until the guard is dropped (then what it did before is
/// named again); while any thread has a task, the messages of the limits name it rather than
/// the run's [`stage`].
#[must_use = "the task ends when the guard is dropped"]
pub(crate) fn task(what: String) -> Task {
    let before = SLOT.with(|slot| {
        slot.0
            .lock()
            .map(|mut s| std::mem::replace(&mut *s, what))
            .unwrap_or_default()
    });
    Task(before)
}

/// Ends a [`task`] when dropped.
pub(crate) struct Task(String);

impl Drop for Task {
    fn drop(&mut self) {
        let before = std::mem::take(&mut self.0);
        let _ = SLOT.try_with(|slot| {
            if let Ok(mut s) = slot.0.lock() {
                *s = before;
            }
        });
    }
}

/// The value behind `lock` if nobody holds it now (a thread that panicked holding it left a
/// value that is still readable).
fn peek<T>(lock: &Mutex<T>) -> Option<std::sync::MutexGuard<'_, T>> {
    match lock.try_lock() {
        Ok(guard) => Some(guard),
        Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

/// What the run is doing: the first task a thread has now, else the stage (else "the run").
/// `try_lock` only (the memory hook may run while this thread holds a lock); `None` when a
/// lock is taken.
fn doing(stage: &str) -> Option<String> {
    first_task(&peek(&TASKS)?, stage)
}

fn first_task(slots: &[Arc<Mutex<String>>], stage: &str) -> Option<String> {
    for slot in slots {
        let task = peek(slot)?;
        if !task.is_empty() {
            return Some(task.clone());
        }
    }
    Some(if stage.is_empty() { "the run" } else { stage }.to_string())
}

/// Runs `f` with the clock paused: time spent waiting for the user at a prompt, for the
/// terminal to take what is printed, for `git` (bounded on its own) or for another run's lock
/// is not the run's. Calls nest.
pub(crate) fn waiting<T>(f: impl FnOnce() -> T) -> T {
    with_clock(|c| {
        if c.waiting_depth == 0 {
            c.waiting_since = Some(Instant::now());
        }
        c.waiting_depth += 1;
    });
    let out = f();
    with_clock(|c| {
        c.waiting_depth = c.waiting_depth.saturating_sub(1);
        if c.waiting_depth == 0
            && let Some(since) = c.waiting_since.take()
        {
            c.waited += since.elapsed();
        }
    });
    out
}

fn spent(c: &Clock) -> Option<Duration> {
    let started = c.started?;
    let waiting = c.waiting_since.map(|s| s.elapsed()).unwrap_or_default();
    Some(started.elapsed().saturating_sub(c.waited + waiting))
}

fn watch() {
    loop {
        std::thread::sleep(Duration::from_millis(20));
        let over = CLOCK.lock().ok().and_then(|c| {
            spent(&c)
                .filter(|s| *s > Duration::from_secs(RUN_SECONDS))
                .map(|_| (c.stage.clone(), c.budget))
        });
        // A worker's lock is held only to set its task: wait a moment for it rather than say
        // less, but never past the moment.
        let over = over.map(|(stage, budget)| {
            for _ in 0..1000 {
                if let Some(doing) = doing(&stage) {
                    return (doing, budget);
                }
                std::thread::yield_now();
            }
            (subject(&stage).to_string(), budget)
        });
        if let Some((doing, budget)) = over {
            crate::util::term::err(time_message(&doing, budget));
            std::process::exit(1);
        }
    }
}

/// The allocator's hook: the live heap passed [`MAX_HEAP_BYTES`]. Says what was running and
/// ends the process; nothing has been written (rendering happens in memory, and writing
/// needs no more than the rendered files already take).
pub fn out_of_memory(bytes: usize) {
    // `try_lock`: the allocation may have been made while this thread held the clock.
    let doing = CLOCK
        .try_lock()
        .ok()
        .and_then(|c| doing(&c.stage))
        .unwrap_or_else(|| "the run".to_string());
    crate::util::term::err(heap_message(&doing, bytes));
    std::process::exit(1);
}

/// What a message says was running: the stage, or the run when none was named.
fn subject(stage: &str) -> &str {
    if stage.is_empty() { "the run" } else { stage }
}

/// The message when the time budget is spent while `doing` ran.
fn time_message(doing: &str, budget: Budget) -> String {
    format!(
        "error: {} took more than {RUN_SECONDS} s, the limit for {}; nothing was written",
        subject(doing),
        budget.purpose()
    )
}

/// The message when the heap passes its cap (`bytes` asked for) while `doing` ran.
fn heap_message(doing: &str, bytes: usize) -> String {
    format!(
        "error: {} needed more than {} MiB of memory ({} MiB requested), the limit for one run; \
         nothing was written",
        subject(doing),
        MAX_HEAP_BYTES / 1024 / 1024,
        bytes / 1024 / 1024
    )
}

/// How many threads to share `items` among, at least `per_thread` each: 1 for small work
/// (without asking the system, which reads cgroup files), else up to the cores there are.
pub(crate) fn workers(items: usize, per_thread: usize) -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    if items <= per_thread {
        return 1;
    }
    let cores = *CORES
        .get_or_init(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    cores.min(items.div_ceil(per_thread)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_stops_at_a_file_and_at_a_run() {
        start();
        let mut w = Limited::default();
        assert!(w.write_all(&vec![b'x'; MAX_FILE_BYTES]).is_ok());
        assert_eq!(
            w.write_all(b"x").unwrap_err().to_string(),
            TOO_BIG,
            "one byte past the file limit"
        );
        assert!(Limited::reserve(MAX_FILE_BYTES).is_ok());
        assert!(
            Limited::reserve(MAX_FILE_BYTES + 1).is_err(),
            "a reservation past the file limit"
        );
        // The run's count, on a counter of its own (the run's is shared with other tests).
        let run = AtomicU64::new(MAX_RENDER_BYTES - 1);
        assert!(charge(&run, 1).is_ok(), "up to the run limit");
        assert!(charge(&run, 1).is_err(), "one byte past the run limit");
        assert!(charge(&AtomicU64::new(u64::MAX), 1).is_err(), "no wrap");
        start();
        assert!(Limited::default().write_all(b"x").is_ok(), "a fresh budget");
        // No budget is left running for the watchdog to end the test process with.
        finish();
    }

    #[test]
    fn the_first_running_task_is_what_the_run_is_doing() {
        let slot = |t: &str| Arc::new(Mutex::new(t.to_string()));
        // (the threads' tasks, what is said)
        let cases: &[(&[&str], &str)] = &[
            (&[], "the stage"),
            (&["", ""], "the stage"),
            (&["", "b"], "b"),
            (&["a", "b"], "a"),
        ];
        for (tasks, want) in cases {
            let slots: Vec<_> = tasks.iter().map(|t| slot(t)).collect();
            assert_eq!(
                first_task(&slots, "the stage").as_deref(),
                Some(*want),
                "{tasks:?}"
            );
        }
        let held = slot("a");
        let _guard = held.lock().unwrap();
        assert_eq!(
            first_task(std::slice::from_ref(&held), "s"),
            None,
            "a held lock is not waited for"
        );
    }

    #[test]
    fn a_task_ends_with_its_guard_and_its_slot_with_its_thread() {
        let slot = std::thread::spawn(|| {
            let mine = SLOT.with(|s| s.0.clone());
            assert!(TASKS.lock().unwrap().iter().any(|s| Arc::ptr_eq(s, &mine)));
            {
                let _task = task("rendering `f`".to_string());
                assert_eq!(*mine.lock().unwrap(), "rendering `f`");
            }
            assert_eq!(*mine.lock().unwrap(), "", "the guard clears the task");
            let _unfinished = task("rendering `g`".to_string());
            mine
        })
        .join()
        .unwrap();
        assert!(
            !TASKS.lock().unwrap().iter().any(|s| Arc::ptr_eq(s, &slot)),
            "a finished thread's slot is gone"
        );
    }

    /// 19.6: a limit's message always names what was running. Failed before: with no stage
    /// named (`status`, `diff`), it began "error:  needed more than", naming nothing.
    #[test]
    fn limit_messages_name_what_was_running() {
        for (doing, named) in [
            ("", "the run"),
            ("reading `x/.git/config`", "reading `x/.git/config`"),
        ] {
            let heap = heap_message(doing, 600 << 20);
            assert!(
                heap.starts_with(&format!("error: {named} needed more than 512 MiB")),
                "{heap}"
            );
            let time = time_message(doing, Budget::Reading);
            assert!(
                time.starts_with(&format!("error: {named} took more than 10 s")),
                "{time}"
            );
            assert!(!time.contains("loop"), "{time}");
        }
        assert!(time_message("rendering `a`", Budget::Template).contains("loop in the template"));
        assert_eq!(first_task(&[], "").as_deref(), Some("the run"));
    }

    #[test]
    fn prompt_time_is_not_spent() {
        let c = Clock {
            started: Instant::now().checked_sub(Duration::from_secs(30)),
            waited: Duration::from_secs(25),
            waiting_since: None,
            waiting_depth: 0,
            stage: String::new(),
            budget: Budget::Template,
        };
        let s = spent(&c).unwrap();
        assert!(
            s >= Duration::from_secs(5) && s < Duration::from_secs(6),
            "{s:?}"
        );
        let finished = Clock { started: None, ..c };
        assert_eq!(spent(&finished), None);
    }
}

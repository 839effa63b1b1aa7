//! Bounds on what rendering a template may cost, so that a hostile or broken template ends in
//! a clear error instead of exhausting the machine.
//!
//! Tera already refuses `range()` over more than 100,000 elements, component recursion deeper
//! than 20, over-complex expressions and over-deep nesting, and detects circular includes.
//! What is left, output size and run time, is bounded here: every rendering writes through a
//! [`Limited`] writer, and every call into Tera is timed by a watchdog thread that ends the
//! process (before anything is written: rendering happens entirely in memory) when the total
//! rendering time of a run passes [`RENDER_SECONDS`].

use std::io::{self, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The most one rendered file (or value) may hold.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// The most a whole run may render.
pub const MAX_TOTAL_BYTES: u64 = 256 * 1024 * 1024;
/// The most time a run may spend inside the template engine.
pub const RENDER_SECONDS: u64 = 10;

static TOTAL_BYTES: AtomicU64 = AtomicU64::new(0);

/// A writer that fails once a file, or the whole run, passes its size limit.
pub struct Limited {
    /// The bytes written so far.
    pub buf: Vec<u8>,
}

impl Limited {
    /// An empty buffer.
    pub fn new() -> Limited {
        Limited { buf: Vec::new() }
    }
}

impl Default for Limited {
    fn default() -> Self {
        Self::new()
    }
}

/// The message of the I/O error a [`Limited`] writer returns.
pub const TOO_BIG: &str = "output limit";

impl Write for Limited {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > MAX_FILE_BYTES {
            return Err(io::Error::other(TOO_BIG));
        }
        let total = TOTAL_BYTES.fetch_add(data.len() as u64, Ordering::Relaxed) + data.len() as u64;
        if total > MAX_TOTAL_BYTES {
            return Err(io::Error::other(TOO_BIG));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Starts a fresh budget (bytes and time): `scaffold check` renders a template many times,
/// and each render is judged on its own.
pub fn reset() {
    TOTAL_BYTES.store(0, Ordering::Relaxed);
    if let Ok(mut c) = CLOCK.lock() {
        c.spent = Duration::ZERO;
    }
}

/// What a run has spent in the engine, and when the current call started.
struct Clock {
    spent: Duration,
    since: Option<Instant>,
    label: String,
}

static CLOCK: Mutex<Clock> = Mutex::new(Clock {
    spent: Duration::ZERO,
    since: None,
    label: String::new(),
});
static WATCHDOG: AtomicU64 = AtomicU64::new(0);

/// Times `f` as engine work for `label`; past the budget the watchdog ends the process.
pub fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    start_watchdog();
    if let Ok(mut c) = CLOCK.lock() {
        c.since = Some(Instant::now());
        c.label = label.to_string();
    }
    let out = f();
    if let Ok(mut c) = CLOCK.lock() {
        if let Some(since) = c.since.take() {
            c.spent += since.elapsed();
        }
    }
    out
}

fn start_watchdog() {
    if WATCHDOG.swap(1, Ordering::SeqCst) == 1 {
        return;
    }
    std::thread::spawn(|| {
        loop {
            std::thread::sleep(Duration::from_millis(50));
            let over = CLOCK.lock().ok().and_then(|c| {
                let running = c.since.map(|s| s.elapsed()).unwrap_or_default();
                (c.spent + running > Duration::from_secs(RENDER_SECONDS)).then(|| c.label.clone())
            });
            if let Some(label) = over {
                crate::eprint_line(&format!(
                    "error: rendering {label} took more than {RENDER_SECONDS} s, the limit for one \
                     run (does a loop in the template never end?); nothing was written"
                ));
                std::process::exit(1);
            }
        }
    });
}

//! A global allocator over another one (the system's, or any `GlobalAlloc`) that counts the
//! live heap and calls a hook the first time an allocation takes it past a limit.
//!
//! `scaffold` renders untrusted templates, and a template engine can be made to build strings
//! of any size (`{% set s = s ~ s %}` in a loop). Rust aborts the process when an allocation
//! fails, with no chance to say why; this allocator lets the program end with a clear message
//! instead, before the machine runs out of memory. It lives in its own crate because a
//! `GlobalAlloc` implementation is `unsafe` by definition, and the main crate forbids unsafe
//! code: the only logic added to the system allocator is a counter and a comparison.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

/// Each thread counts its own allocations and adds them to the shared count in steps of at
/// most this many bytes, so that threads allocating at once do not contend on one counter.
/// The shared count is therefore exact to within this much per thread.
const STEP: isize = 256 * 1024;

thread_local! {
    // Const-initialised and without a destructor: usable at any point of a thread's life,
    // and never allocates.
    static UNCOUNTED: Cell<isize> = const { Cell::new(0) };
}

/// Called once, with the live heap size the failing request would have reached. It should
/// not return (print a message and exit); if it does, the allocation proceeds.
pub type Hook = fn(usize);

/// The allocator over `A`. Declare it with `#[global_allocator]`, then arm it with
/// [`Capped::arm`].
pub struct Capped<A = System> {
    inner: A,
    live: AtomicIsize,
    limit: AtomicIsize,
    hook: OnceLock<Hook>,
    tripped: AtomicBool,
}

impl Capped<System> {
    /// The system allocator, with no limit yet.
    pub const fn new() -> Capped<System> {
        Capped::over(System)
    }
}

impl<A> Capped<A> {
    /// `inner`, with no limit yet.
    pub const fn over(inner: A) -> Capped<A> {
        Capped {
            inner,
            live: AtomicIsize::new(0),
            limit: AtomicIsize::new(isize::MAX),
            hook: OnceLock::new(),
            tripped: AtomicBool::new(false),
        }
    }

    /// Sets the limit (bytes of live heap) and the hook called when it is passed. The hook
    /// is set once; later calls only change the limit.
    pub fn arm(&self, limit: usize, hook: Hook) {
        let _ = self.hook.set(hook);
        self.limit.store(
            isize::try_from(limit).unwrap_or(isize::MAX),
            Ordering::SeqCst,
        );
    }

    /// Bytes of heap currently allocated through this allocator (to within the per-thread
    /// step).
    pub fn live(&self) -> usize {
        usize::try_from(self.live.load(Ordering::Relaxed)).unwrap_or(0)
    }

    /// Counts `by` bytes more (or fewer) for this thread; past a step, for everyone.
    fn count(&self, by: isize) {
        let flush = UNCOUNTED
            .try_with(|c| {
                let v = c.get() + by;
                if v.abs() >= STEP {
                    c.set(0);
                    Some(v)
                } else {
                    c.set(v);
                    None
                }
            })
            .unwrap_or(Some(by));
        let Some(delta) = flush else {
            return;
        };
        let now = self.live.fetch_add(delta, Ordering::Relaxed) + delta;
        if delta > 0
            && now > self.limit.load(Ordering::Relaxed)
            && !self.tripped.swap(true, Ordering::SeqCst)
            && let Some(hook) = self.hook.get()
        {
            // The hook may allocate (to format its message): `tripped` is already set, so
            // those allocations pass through without calling it again.
            hook(usize::try_from(now).unwrap_or(usize::MAX));
        }
    }

    fn grow(&self, by: usize) {
        self.count(isize::try_from(by).unwrap_or(isize::MAX));
    }

    fn shrink(&self, by: usize) {
        self.count(-isize::try_from(by).unwrap_or(isize::MAX));
    }
}

impl Default for Capped<System> {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every method forwards to the inner allocator with the caller's arguments
// unchanged; the counter is bookkeeping only and never affects what is returned.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Capped<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.grow(layout.size());
        // SAFETY: forwarded unchanged.
        let p = unsafe { self.inner.alloc(layout) };
        if p.is_null() {
            self.shrink(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.grow(layout.size());
        // SAFETY: forwarded unchanged.
        let p = unsafe { self.inner.alloc_zeroed(layout) };
        if p.is_null() {
            self.shrink(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { self.inner.dealloc(ptr, layout) };
        self.shrink(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            self.grow(new_size - layout.size());
        }
        // SAFETY: forwarded unchanged.
        let p = unsafe { self.inner.realloc(ptr, layout, new_size) };
        if p.is_null() {
            if new_size > layout.size() {
                self.shrink(new_size - layout.size());
            }
        } else if new_size < layout.size() {
            self.shrink(layout.size() - new_size);
        }
        p
    }
}

/// Sets glibc malloc's `M_TOP_PAD` to `bytes` (default 128 KiB): the main heap grows by at
/// least that much at a time, and each thread's arena starts with that much usable, instead
/// of making each later page range usable with its own `mprotect` (over a thousand calls for
/// a run that allocates a few dozen MB on two threads). Padding is only backed by memory once
/// touched, but freed memory up to `bytes` per heap is kept rather than given back; and, as
/// any `M_TOP_PAD` setting does, it fixes the mmap threshold at its 128 KiB default (blocks
/// that large are mapped and unmapped each time, as before glibc's dynamic threshold rose).
/// The limit above counts what is allocated, not what is reserved. Elsewhere (musl, macOS,
/// Windows) it does nothing. Call it before starting threads.
pub fn pad_system_heap(bytes: usize) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const M_TOP_PAD: i32 = -2;
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        let value = i32::try_from(bytes).unwrap_or(i32::MAX);
        // SAFETY: mallopt only sets a tunable; any value is accepted, and it returns 0 (left
        // as it was) on a value it does not take.
        unsafe {
            mallopt(M_TOP_PAD, value);
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = bytes;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    static SEEN: AtomicUsize = AtomicUsize::new(0);

    fn record(bytes: usize) {
        SEEN.store(bytes, Ordering::SeqCst);
    }

    #[test]
    fn counts_and_calls_the_hook_once() {
        // Sizes of whole steps, so that every call reaches the shared count at once.
        let cap = Capped::new();
        let step = usize::try_from(STEP).unwrap();
        cap.arm(3 * step, record);
        let layout = Layout::from_size_align(2 * step, 8).unwrap();
        // SAFETY: a valid layout; each pointer is freed with the layout it was made with.
        unsafe {
            let a = cap.alloc(layout);
            assert!(!a.is_null());
            assert_eq!(cap.live(), 2 * step);
            assert_eq!(SEEN.load(Ordering::SeqCst), 0);
            let b = cap.alloc(layout);
            assert_eq!(
                SEEN.load(Ordering::SeqCst),
                4 * step,
                "the hook saw the new total"
            );
            SEEN.store(0, Ordering::SeqCst);
            let c = cap.realloc(b, layout, 3 * step);
            assert_eq!(SEEN.load(Ordering::SeqCst), 0, "called once only");
            assert_eq!(cap.live(), 5 * step);
            cap.dealloc(a, layout);
            cap.dealloc(c, Layout::from_size_align(3 * step, 8).unwrap());
            assert_eq!(cap.live(), 0);
        }
    }

    #[test]
    fn small_allocations_are_counted_in_steps() {
        let cap = Capped::new();
        let small = Layout::from_size_align(1024, 8).unwrap();
        // SAFETY: valid layouts, each freed with the layout it was made with.
        unsafe {
            let p = cap.alloc(small);
            assert_eq!(cap.live(), 0, "below a step, this thread keeps the count");
            let big = Layout::from_size_align(usize::try_from(STEP).unwrap(), 8).unwrap();
            let q = cap.alloc(big);
            assert_eq!(cap.live(), 1024 + usize::try_from(STEP).unwrap());
            cap.dealloc(q, big);
            cap.dealloc(p, small);
            // The freed 1 KiB is this thread's until it adds up to a step.
            assert_eq!(cap.live(), 1024);
        }
    }
}

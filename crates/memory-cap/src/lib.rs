//! A global allocator over the system allocator that counts the live heap and calls a hook
//! the first time an allocation would take it past a limit.
//!
//! `scaffold` renders untrusted templates, and a template engine can be made to build strings
//! of any size (`{% set s = s ~ s %}` in a loop). Rust aborts the process when an allocation
//! fails, with no chance to say why; this allocator lets the program end with a clear message
//! instead, before the machine runs out of memory. It lives in its own crate because a
//! `GlobalAlloc` implementation is `unsafe` by definition, and the main crate forbids unsafe
//! code: the only logic added to the system allocator is a counter and a comparison.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Called once, with the live heap size the failing request would have reached. It should
/// not return (print a message and exit); if it does, the allocation proceeds.
pub type Hook = fn(usize);

/// The allocator. Declare it with `#[global_allocator]`, then arm it with [`Capped::arm`].
pub struct Capped {
    live: AtomicUsize,
    limit: AtomicUsize,
    hook: OnceLock<Hook>,
    tripped: AtomicBool,
}

impl Capped {
    /// An allocator with no limit yet.
    pub const fn new() -> Capped {
        Capped {
            live: AtomicUsize::new(0),
            limit: AtomicUsize::new(usize::MAX),
            hook: OnceLock::new(),
            tripped: AtomicBool::new(false),
        }
    }

    /// Sets the limit (bytes of live heap) and the hook called when it is passed. The hook
    /// is set once; later calls only change the limit.
    pub fn arm(&self, limit: usize, hook: Hook) {
        let _ = self.hook.set(hook);
        self.limit.store(limit, Ordering::SeqCst);
    }

    /// Bytes of heap currently allocated through this allocator.
    pub fn live(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    fn grow(&self, by: usize) {
        let now = self
            .live
            .fetch_add(by, Ordering::Relaxed)
            .saturating_add(by);
        if now > self.limit.load(Ordering::Relaxed) && !self.tripped.swap(true, Ordering::SeqCst) {
            if let Some(hook) = self.hook.get() {
                // The hook may allocate (to format its message): `tripped` is already set,
                // so those allocations pass through without calling it again.
                hook(now);
            }
        }
    }

    fn shrink(&self, by: usize) {
        self.live.fetch_sub(by, Ordering::Relaxed);
    }
}

impl Default for Capped {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counter is bookkeeping only and never affects what is returned.
unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.grow(layout.size());
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            self.shrink(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.grow(layout.size());
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            self.shrink(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) };
        self.shrink(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            self.grow(new_size - layout.size());
        }
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
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
        let cap = Capped::new();
        cap.arm(1000, record);
        let layout = Layout::from_size_align(600, 8).unwrap();
        // SAFETY: a valid layout; each pointer is freed with the layout it was made with.
        unsafe {
            let a = cap.alloc(layout);
            assert!(!a.is_null());
            assert_eq!(cap.live(), 600);
            assert_eq!(SEEN.load(Ordering::SeqCst), 0);
            let b = cap.alloc(layout);
            assert_eq!(
                SEEN.load(Ordering::SeqCst),
                1200,
                "the hook saw the new total"
            );
            SEEN.store(0, Ordering::SeqCst);
            let c = cap.realloc(b, layout, 900);
            assert_eq!(SEEN.load(Ordering::SeqCst), 0, "called once only");
            assert_eq!(cap.live(), 1500);
            cap.dealloc(a, layout);
            cap.dealloc(c, Layout::from_size_align(900, 8).unwrap());
            assert_eq!(cap.live(), 0);
        }
    }
}

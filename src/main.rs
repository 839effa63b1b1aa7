//! The `scaffold` binary: bound the heap, run the command line, exit with its code.

use std::process::ExitCode;

/// The system's allocator with a ceiling on the live heap, so that a template which makes the
/// engine build ever larger strings ends with a clear error instead of an abort. (mimalloc
/// made a 1,000-file template 3 ms faster, but every small run 0.6 ms slower: its huge-page
/// arena costs more to set up than a 30-file template takes to render.)
#[global_allocator]
static ALLOCATOR: memory_cap::Capped<std::alloc::System> =
    memory_cap::Capped::over(std::alloc::System);

fn main() -> ExitCode {
    // Grow malloc's heaps 8 MiB at a time: a big template otherwise costs over a thousand
    // mprotect calls as each thread's arena grows (address space only; the cap counts bytes).
    memory_cap::pad_system_heap(8 << 20);
    ALLOCATOR.arm(scaffold::MAX_HEAP_BYTES, scaffold::out_of_memory);
    ExitCode::from(scaffold::main(std::env::args_os()))
}

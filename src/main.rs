//! The `scaffold` binary: bound the heap, run the command line, exit with its code.

use std::process::ExitCode;

/// The system allocator with a ceiling on the live heap, so that a template which makes the
/// engine build ever larger strings ends with a clear error instead of an abort.
#[global_allocator]
static ALLOCATOR: memory_cap::Capped = memory_cap::Capped::new();

fn main() -> ExitCode {
    ALLOCATOR.arm(scaffold::MAX_HEAP_BYTES, scaffold::out_of_memory);
    ExitCode::from(scaffold::main(std::env::args_os()))
}

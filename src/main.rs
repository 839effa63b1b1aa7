//! The `scaffold` binary: bound the heap, run the command line, exit with its code.

use std::process::ExitCode;

/// mimalloc (Tera's parser allocates a great deal: it parses twice as fast over mimalloc as
/// over glibc's malloc), with a ceiling on the live heap, so that a template which makes the
/// engine build ever larger strings ends with a clear error instead of an abort.
#[global_allocator]
static ALLOCATOR: memory_cap::Capped<mimalloc::MiMalloc> =
    memory_cap::Capped::over(mimalloc::MiMalloc);

fn main() -> ExitCode {
    ALLOCATOR.arm(scaffold::MAX_HEAP_BYTES, scaffold::out_of_memory);
    ExitCode::from(scaffold::main(std::env::args_os()))
}

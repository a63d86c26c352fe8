//! The `baton` binary: the command line of [`baton::cli`] without plug-ins.
//!
//! Memory comes from mimalloc: each thread allocates from heaps of its own and frees across
//! threads without a lock, so a step running at low priority (see `baton_actors::workers`)
//! never holds a lock the others wait for, as the system allocator's arenas would.
//!
//! A command that fails prints its error and each of its causes, and exits with status 1;
//! never a backtrace, which says nothing to an operator, whatever `RUST_BACKTRACE` says.

use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match baton::cli::run(baton::plugins::PlugIns::none()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

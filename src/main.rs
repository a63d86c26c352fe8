//! The `baton` binary: the command line of [`baton::cli`] without plug-ins.
//!
//! Memory comes from mimalloc: each thread allocates from heaps of its own and frees across
//! threads without a lock, so a step running at low priority (see `baton_actors::workers`)
//! never holds a lock the others wait for, as the system allocator's arenas would.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    baton::cli::run(baton::plugins::PlugIns::none())
}

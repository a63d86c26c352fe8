//! The `baton` binary: the command line of [`baton::cli`] without plug-ins.

fn main() -> anyhow::Result<()> {
    baton::cli::run(baton::plugins::PlugIns::none())
}

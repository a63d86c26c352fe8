//! The `baton` binary: the command line of [`baton::cli`] without extension bundles.

fn main() -> anyhow::Result<()> {
    baton::cli::run(baton::extension::Extensions::none())
}

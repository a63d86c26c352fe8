//! The `baton` command: runs the server and manages deployments and instances.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use baton::config::{Configuration, Overrides};
use baton::store::InstanceFilter;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(name = "baton", version, about = "A WS-BPEL 2.0 process server")]
struct Cli {
    /// The configuration file (default: conf/baton.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// The deployment directory.
    #[arg(long, global = true)]
    deploy_dir: Option<PathBuf>,
    /// Where the embedded database lives.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server on the deployment directory.
    Serve {
        /// The HTTP port (0 picks a free one).
        #[arg(long)]
        port: Option<u16>,
    },
    /// Checks a unit (a folder with deploy.xml, or a .zip) and copies it into the deployment
    /// directory, where the running server deploys it.
    Deploy { path: PathBuf },
    /// Removes a unit from the deployment directory; the running server undeploys it.
    Undeploy { name: String },
    /// Lists the deployed process versions.
    Processes,
    /// Lists process instances.
    Instances {
        /// Only the instances of this process version (pid).
        #[arg(long)]
        pid: Option<String>,
        /// Only instances with this status (running, completed, faulted, failed, terminated).
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let port = match &cli.command {
        Command::Serve { port } => *port,
        _ => None,
    };
    let overrides = Overrides {
        deploy_dir: cli.deploy_dir.clone(),
        data_dir: cli.data_dir.clone(),
        port,
    };
    let config = Configuration::load(cli.config.as_deref(), &overrides)?;
    match cli.command {
        Command::Serve { .. } => serve(config),
        Command::Deploy { path } => deploy(&config, &path),
        Command::Undeploy { name } => undeploy(&config, &name),
        Command::Processes => actix::System::new().block_on(processes(config)),
        Command::Instances { pid, status, limit } => {
            actix::System::new().block_on(instances(config, pid, status, limit))
        }
    }
}

fn serve(config: Configuration) -> anyhow::Result<()> {
    let listener = baton::server::bind(&config)?;
    let shutdown = CancellationToken::new();
    actix::System::new().block_on(async move {
        let on_signal = shutdown.clone();
        actix::spawn(async move {
            stop_requested().await;
            tracing::info!("Shutting down");
            on_signal.cancel();
        });
        baton::server::run(config, listener, shutdown).await
    })?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn stop_requested() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM can be watched");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}

fn deploy(config: &Configuration, path: &Path) -> anyhow::Result<()> {
    let source = if path.is_dir() {
        baton::compiler::UnitSource::from_dir(path)
    } else {
        baton::compiler::UnitSource::from_zip(path)
    }
    .with_context(|| format!("cannot read unit {}", path.display()))?;
    if let Err(diagnostics) = baton::compiler::compile(&source) {
        bail!("unit {} refused:\n{diagnostics}", source.name);
    }
    let target = config
        .deploy
        .dir
        .join(path.file_name().context("the unit path has no name")?);
    if path.is_dir() {
        copy_dir(path, &target)?;
    } else {
        std::fs::copy(path, &target)
            .with_context(|| format!("cannot copy to {}", target.display()))?;
    }
    println!(
        "{} copied to {}; the server deploys it",
        source.name,
        target.display()
    );
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy to {}", target.display()))?;
        }
    }
    Ok(())
}

fn undeploy(config: &Configuration, name: &str) -> anyhow::Result<()> {
    let dir = config.deploy.dir.join(name);
    let zip = config.deploy.dir.join(format!("{name}.zip"));
    if dir.join("deploy.xml").is_file() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot remove {}", dir.display()))?;
    } else if zip.is_file() {
        std::fs::remove_file(&zip).with_context(|| format!("cannot remove {}", zip.display()))?;
    } else {
        bail!("no unit named {name} in {}", config.deploy.dir.display());
    }
    println!("{name} removed; the server undeploys it");
    Ok(())
}

async fn processes(config: Configuration) -> anyhow::Result<()> {
    let store = baton::server::open_store(&config).await?;
    let processes = store.list_processes().await?;
    let undeployed: HashSet<(String, i64)> = store
        .list_deployments()
        .await?
        .into_iter()
        .filter(|d| d.undeployed)
        .map(|d| (d.name, d.version))
        .collect();
    println!("{:<60} {:<10} {:>8}", "PID", "STATE", "RUNNING");
    for process in processes {
        if undeployed.contains(&(process.deployment.clone(), process.version)) {
            continue;
        }
        let filter = InstanceFilter {
            pid: Some(process.pid.clone()),
            status: Some(baton::store::InstanceStatus::Running),
            limit: None,
        };
        let running = store.list_instances(&filter).await?.len();
        println!("{:<60} {:<10} {:>8}", process.pid, process.state, running);
    }
    Ok(())
}

async fn instances(
    config: Configuration,
    pid: Option<String>,
    status: Option<String>,
    limit: u32,
) -> anyhow::Result<()> {
    let status = status.map(|s| s.parse()).transpose()?;
    let store = baton::server::open_store(&config).await?;
    let filter = InstanceFilter {
        pid,
        status,
        limit: Some(limit),
    };
    println!("{:>8} {:<50} {:<11} FAILURE", "ID", "PID", "STATUS");
    for instance in store.list_instances(&filter).await? {
        println!(
            "{:>8} {:<50} {:<11} {}",
            instance.id,
            instance.pid,
            instance.status,
            instance.failure.unwrap_or_default()
        );
    }
    Ok(())
}

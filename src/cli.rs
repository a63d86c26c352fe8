//! The `baton` command line: runs the server and manages deployments and instances.
//!
//! The `baton` binary is [`run`] without plug-ins. A program that runs Baton with plug-ins
//! of its own ([`PlugIns`]: extension bundles, see [`crate::extension`], and message-exchange
//! interceptors, see [`crate::interceptor`]) is a `main` calling [`run`] with them: the same
//! commands, with its extension activities and assign operations deployable and its
//! interceptors registered.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::admin::client::AdminClient;
use crate::config::{Configuration, Overrides};
use crate::interceptor::ServerInterceptors;
use crate::plugins::PlugIns;
use crate::runtime::step::{OperatorAction, RecoveryAction};
use crate::store::InstanceFilter;
use anyhow::{bail, Context};
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
    /// Where the embedded SQLite database lives.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Creates the configured database when missing and creates or upgrades its schema.
    Setup,
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
        /// Only instances with this status (running, suspended, completed, faulted, failed,
        /// terminated).
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Lists an instance's failed activities: invokes whose call failed, waiting for an
    /// operator (asks the running server).
    Failures {
        instance: i64,
        /// The server's address (default: from the configuration's host and port).
        #[arg(long)]
        server: Option<String>,
    },
    /// Settles a failed activity of an instance: retry the call, cancel it (the activity
    /// completes without its outcome), or fault (raises ext:activityFailure).
    Recover {
        instance: i64,
        /// The failed call's exchange, as `baton failures` lists it.
        exchange: String,
        action: RecoveryAction,
        /// The server's address (default: from the configuration's host and port).
        #[arg(long)]
        server: Option<String>,
    },
    /// Suspends a running instance, stopping the step it runs if any: it takes no messages
    /// and its timers do not fire until it is resumed.
    Suspend {
        instance: i64,
        /// The server's address (default: from the configuration's host and port).
        #[arg(long)]
        server: Option<String>,
    },
    /// Resumes a suspended instance: its timers are armed again and the invokes it awaited
    /// are sent again.
    Resume {
        instance: i64,
        /// The server's address (default: from the configuration's host and port).
        #[arg(long)]
        server: Option<String>,
    },
    /// Terminates a running or suspended instance, stopping the step it runs if any;
    /// callers waiting for its reply get a fault.
    Terminate {
        instance: i64,
        /// The server's address (default: from the configuration's host and port).
        #[arg(long)]
        server: Option<String>,
    },
}

/// Runs the command of the process's arguments with `plugins` (extension bundles alone
/// convert into plug-ins).
pub fn run(plugins: impl Into<PlugIns>) -> anyhow::Result<()> {
    let plugins = plugins.into();
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
        Command::Setup => actix::System::new().block_on(setup(config)),
        Command::Serve { .. } => serve(config, plugins),
        Command::Deploy { path } => deploy(&config, &path, &plugins),
        Command::Undeploy { name } => undeploy(&config, &name),
        Command::Processes => actix::System::new().block_on(processes(config)),
        Command::Instances { pid, status, limit } => {
            actix::System::new().block_on(instances(config, pid, status, limit))
        }
        Command::Failures { instance, server } => {
            let client = AdminClient::new(&server_url(&config, server));
            actix::System::new().block_on(failures(client, instance))
        }
        Command::Recover {
            instance,
            exchange,
            action,
            server,
        } => {
            let client = AdminClient::new(&server_url(&config, server));
            actix::System::new().block_on(recover(client, instance, &exchange, action))
        }
        Command::Suspend { instance, server } => {
            operate(&config, server, instance, OperatorAction::Suspend)
        }
        Command::Resume { instance, server } => {
            operate(&config, server, instance, OperatorAction::Resume)
        }
        Command::Terminate { instance, server } => {
            operate(&config, server, instance, OperatorAction::Terminate)
        }
    }
}

fn serve(config: Configuration, plugins: PlugIns) -> anyhow::Result<()> {
    let listener = crate::server::bind(&config)?;
    let shutdown = CancellationToken::new();
    actix::System::new().block_on(async move {
        let on_signal = shutdown.clone();
        let grace = Duration::from_millis(config.server.shutdown_grace_ms);
        actix::spawn(async move {
            stop_requested().await;
            tracing::info!(grace_ms = grace.as_millis() as u64, "Shutting down");
            on_signal.cancel();
            std::thread::spawn(move || {
                std::thread::sleep(grace);
                tracing::error!("Still not stopped at the end of the grace period ([server] shutdown-grace-ms); exiting");
                std::process::exit(1);
            });
        });
        crate::server::run(config, plugins, listener, shutdown).await
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

fn deploy(config: &Configuration, path: &Path, plugins: &PlugIns) -> anyhow::Result<()> {
    let source = if path.is_dir() {
        crate::compiler::UnitSource::from_dir(path)
    } else {
        crate::compiler::UnitSource::from_zip(path)
    }
    .with_context(|| format!("cannot read unit {}", path.display()))?;
    let conf_dir = Some(config.deploy.conf_dir.as_path());
    let unit = match crate::compiler::compile_for(&source, &plugins.extensions, conf_dir) {
        Ok(unit) => unit,
        Err(diagnostics) => bail!("unit {} refused:\n{diagnostics}", source.name),
    };
    for warning in &unit.warnings {
        eprintln!("{warning}");
    }
    let interceptors = ServerInterceptors::configure(config, &plugins.interceptors)
        .map_err(|unknown| anyhow::anyhow!("[engine] interceptors: {unknown}"))?;
    for process in &unit.descriptor.processes {
        if let Err(unknown) = interceptors.for_process(&process.mex_interceptors) {
            bail!(
                "unit {} refused: process {}: deploy.xml <mex-interceptors>: {unknown}",
                source.name,
                process.name
            );
        }
    }
    let name = path.file_name().context("the unit path has no name")?;
    let target = config.deploy.dir.join(name);
    // Staged under a hidden name (the server skips those), then renamed into place.
    let staged = hidden(&config.deploy.dir, name, "new");
    remove_path(&staged)?;
    if path.is_dir() {
        copy_dir(path, &staged)?;
    } else {
        std::fs::copy(path, &staged)
            .with_context(|| format!("cannot copy to {}", staged.display()))?;
    }
    let replaced = hidden(&config.deploy.dir, name, "old");
    if target.exists() {
        remove_path(&replaced)?;
        std::fs::rename(&target, &replaced)
            .with_context(|| format!("cannot move {} aside", target.display()))?;
    }
    std::fs::rename(&staged, &target)
        .with_context(|| format!("cannot move {} into place", target.display()))?;
    remove_path(&replaced)?;
    println!(
        "{} copied to {}; the server deploys it",
        source.name,
        target.display()
    );
    Ok(())
}

/// A hidden sibling of a unit in the deploy directory, which the server does not scan.
fn hidden(dir: &Path, name: &std::ffi::OsStr, purpose: &str) -> PathBuf {
    dir.join(format!(".{}.baton-{purpose}", name.to_string_lossy()))
}

/// Removes a file or folder if it exists.
fn remove_path(path: &Path) -> anyhow::Result<()> {
    let removed = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else if path.exists() {
        std::fs::remove_file(path)
    } else {
        Ok(())
    };
    removed.with_context(|| format!("cannot remove {}", path.display()))
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
    let unit = if dir.join("deploy.xml").is_file() {
        dir
    } else if zip.is_file() {
        zip
    } else {
        bail!("no unit named {name} in {}", config.deploy.dir.display());
    };
    // Moved out of sight in one step, then removed.
    let removed = hidden(
        &config.deploy.dir,
        unit.file_name().expect("a unit name"),
        "removed",
    );
    remove_path(&removed)?;
    std::fs::rename(&unit, &removed)
        .with_context(|| format!("cannot remove {}", unit.display()))?;
    remove_path(&removed)?;
    println!("{name} removed; the server undeploys it");
    Ok(())
}

/// Opens the store of an existing database (never creates an embedded one).
async fn existing_store(
    config: &Configuration,
) -> anyhow::Result<std::sync::Arc<dyn crate::store::Store>> {
    if let Some(file) = config.store.datasource().sqlite_file() {
        if !file.is_file() {
            bail!("no database at {} (is --data-dir right?)", file.display());
        }
    }
    Ok(crate::server::open_store(config).await?)
}

/// `baton setup`: creates or upgrades the schema and says what it did.
async fn setup(config: Configuration) -> anyhow::Result<()> {
    let datasource = config.store.datasource();
    let url = datasource.display_url();
    let migration = datasource
        .setup()
        .await
        .with_context(|| format!("cannot set up the store at {url}"))?;
    match migration.from {
        0 => println!("{url}: schema version {} created", migration.to),
        from if from == migration.to => println!("{url}: schema version {from} is current"),
        from => println!(
            "{url}: schema upgraded from version {from} to {}",
            migration.to
        ),
    }
    Ok(())
}

async fn processes(config: Configuration) -> anyhow::Result<()> {
    let store = existing_store(&config).await?;
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
            status: Some(crate::store::InstanceStatus::Running),
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
    let store = existing_store(&config).await?;
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

/// The running server's address: `given`, else the configured host and port (a wildcard
/// host reached on the loopback address).
fn server_url(config: &Configuration, given: Option<String>) -> String {
    if let Some(url) = given {
        return url;
    }
    match config.bind_address() {
        Ok(mut address) => {
            if address.ip().is_unspecified() {
                address.set_ip(match address {
                    std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                    std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                });
            }
            format!("http://{address}")
        }
        Err(_) => format!("http://{}:{}", config.server.host, config.server.port),
    }
}

async fn failures(client: AdminClient, instance: i64) -> anyhow::Result<()> {
    let list = client.failures(instance).await?;
    if list.failures.is_empty() {
        println!("instance {instance} has no failed activities");
        return Ok(());
    }
    println!(
        "{:<12} {:<20} {:<24} {:<16} {:<16} REASON",
        "EXCHANGE", "ACTIVITY", "LOCATION", "PARTNER-LINK", "OPERATION"
    );
    for failure in list.failures {
        println!(
            "{:<12} {:<20} {:<24} {:<16} {:<16} {}",
            failure.exchange,
            failure.activity.as_deref().unwrap_or("-"),
            failure.location,
            failure.partner_link,
            failure.operation,
            failure.reason
        );
    }
    Ok(())
}

async fn recover(
    client: AdminClient,
    instance: i64,
    exchange: &str,
    action: RecoveryAction,
) -> anyhow::Result<()> {
    let settled = client.settle(instance, exchange, action).await?;
    println!(
        "{} sent for exchange {} of instance {}; the instance is {}",
        settled.action.as_str(),
        settled.exchange,
        settled.instance,
        settled.status
    );
    Ok(())
}

/// Suspends, resumes or terminates an instance through the running server.
fn operate(
    config: &Configuration,
    server: Option<String>,
    instance: i64,
    action: OperatorAction,
) -> anyhow::Result<()> {
    let client = AdminClient::new(&server_url(config, server));
    let operated = actix::System::new().block_on(client.operate(instance, action))?;
    println!(
        "{} sent to instance {}; the instance is {}",
        operated.action.as_str(),
        operated.instance,
        operated.status
    );
    Ok(())
}

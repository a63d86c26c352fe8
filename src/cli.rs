//! The `baton` command line: runs the server and manages deployments, instances and the
//! accounts of the management API.
//!
//! Commands that call the running server through its management API (`instances`,
//! `processes`, `events`, `failures`, `recover`, `suspend`, `resume`, `terminate`) log in
//! with the token in `BATON_TOKEN`, or as the user `BATON_USER` with the password in
//! `BATON_PASSWORD`, asking on the terminal for what those leave out (module `login`); the
//! listings among them print a table, or JSON with `--json` (modules `listings` and
//! `output`). `baton user` and `baton token` edit the accounts file of the data directory
//! ([`crate::auth::file`]), which the server reads again when it changes.
//!
//! The `baton` binary is [`run`] without plug-ins. A program that runs Baton with plug-ins
//! of its own ([`PlugIns`]: extension bundles, see [`crate::runtime::extension`], and message-exchange
//! interceptors, see [`crate::interceptor`]) is a `main` calling [`run`] with them: the same
//! commands, with its extension activities and assign operations deployable and its
//! interceptors registered.

mod listings;
mod login;
mod output;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::admin::client::AdminClient;
use crate::auth::{
    hash_password, new_token, token_hash, AccountsFile, Role, TokenEntry, UserEntry,
};
use crate::config::{Configuration, Overrides};
use crate::interceptor::ServerInterceptors;
use crate::plugins::PlugIns;
use crate::runtime::step::{OperatorAction, RecoveryAction};
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use listings::{InstanceQuery, Listing};
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
    /// Lists the deployed process versions, or those a process filter in ODE's language
    /// selects: `baton processes 'name=order* status=activated'` (asks the running server).
    Processes {
        /// Terms `key op value`, all of which must hold: keys name, namespace, status and
        /// deployed (see the README's "Instance filters").
        filter: Vec<String>,
        /// Order keys separated by spaces, each with - for descending: name, namespace,
        /// version, status, deployed (by pid without).
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        order: String,
        #[command(flatten)]
        listing: Listing,
    },
    /// Lists the instances of durable processes, newest first, or those an instance filter
    /// in ODE's language selects: `baton instances 'name=order* status=active|suspended
    /// started>=-7d'` (asks the running server).
    Instances {
        /// Terms `key op value`, all of which must hold: keys iid, pid, name, namespace,
        /// status, started and last-active (see the README's "Instance filters").
        filter: Vec<String>,
        /// Order keys separated by spaces, each with - for descending: iid, pid, name,
        /// namespace, version, status, started, last-active.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        order: String,
        /// At most this many instances.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
        /// Every instance the filter selects, however many (instead of --limit).
        #[arg(long, conflicts_with = "limit")]
        all: bool,
        /// How many instances each request to the server asks for (1,000 at most).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1000))]
        page_size: u32,
        #[command(flatten)]
        listing: Listing,
    },
    /// Prints an instance's timeline: its BPEL events, oldest first, as the server's `store`
    /// listener kept them (asks the running server).
    Events {
        /// The instance id.
        #[arg(allow_negative_numbers = true)]
        instance: i64,
        /// The events of how many steps each request to the server asks for (1,000 at most).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1000))]
        page_size: u32,
        #[command(flatten)]
        listing: Listing,
    },
    /// Lists an instance's failed activities: invokes whose call failed, waiting for an
    /// operator (asks the running server).
    Failures {
        /// The instance id (negative for an instance of an in-memory process).
        #[arg(allow_negative_numbers = true)]
        instance: i64,
        /// The server's address (default: from the configuration's host and port).
        #[arg(long)]
        server: Option<String>,
    },
    /// Settles a failed activity of an instance: retry the call, cancel it (the activity
    /// completes without its outcome), or fault (raises ext:activityFailure).
    Recover {
        /// The instance id (negative for an instance of an in-memory process).
        #[arg(allow_negative_numbers = true)]
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
        /// The instance id (negative for an instance of an in-memory process).
        #[arg(allow_negative_numbers = true)]
        instance: i64,
        /// The server's address (default: from the configuration's host and port).
        #[arg(long)]
        server: Option<String>,
    },
    /// Resumes a suspended instance: its timers are armed again and the invokes it awaited
    /// are sent again.
    Resume {
        /// The instance id (negative for an instance of an in-memory process).
        #[arg(allow_negative_numbers = true)]
        instance: i64,
        /// The server's address (default: from the configuration's host and port).
        #[arg(long)]
        server: Option<String>,
    },
    /// Terminates a running or suspended instance, stopping the step it runs if any;
    /// callers waiting for its reply get a fault.
    Terminate {
        /// The instance id (negative for an instance of an in-memory process).
        #[arg(allow_negative_numbers = true)]
        instance: i64,
        /// The server's address (default: from the configuration's host and port).
        #[arg(long)]
        server: Option<String>,
    },
    /// Writes the baton.toml equivalent to an Apache ODE or WSO2 BPS configuration folder
    /// (bps.xml, datasources, ode-axis2.properties, schedules.xml, *.endpoint files), and
    /// says on standard error what it cannot carry over and why.
    ImportConfig {
        /// The ODE or BPS folder (the files are also looked for in its conf/,
        /// repository/conf/ and repository/conf/datasources/).
        dir: PathBuf,
        /// The file to write, with the endpoint files copied beside it (default: standard
        /// output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Manages the users of the management API in the accounts file of the data directory.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Manages the API tokens in the accounts file of the data directory.
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Adds a user; the password is read from BATON_PASSWORD, else asked for on the terminal.
    Add {
        name: String,
        /// admin, operator or viewer.
        #[arg(long, default_value = "viewer")]
        role: Role,
    },
    /// Changes a user's password (from BATON_PASSWORD, else asked for on the terminal).
    Passwd { name: String },
    /// Removes a user.
    Remove { name: String },
    /// Prints the argon2 hash of a password (from BATON_PASSWORD, else asked for), for a user
    /// of the configuration's [auth] users.
    Hash,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Creates a token and prints it, this once; only its digest is kept.
    Add {
        name: String,
        /// admin, operator or viewer.
        #[arg(long, default_value = "viewer")]
        role: Role,
    },
    /// Removes a token.
    Remove { name: String },
}

/// Runs the command of the process's arguments with `plugins` (extension bundles alone
/// convert into plug-ins).
/// Writes a line to standard output; a failure to write (the reader of a pipe has gone)
/// ends the command (see [`run`]).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// Whether `error` is standard output closed under the command, as when its reader stops
/// (`baton instances | head -1`): the command then ends quietly.
fn output_closed(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|error| error.kind() == std::io::ErrorKind::BrokenPipe)
}

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
    let done = match cli.command {
        Command::Setup => actix::System::new().block_on(setup(config)),
        Command::Serve { .. } => serve(config, plugins),
        Command::Deploy { path } => deploy(&config, &path, &plugins),
        Command::Undeploy { name } => undeploy(&config, &name),
        Command::Processes {
            filter,
            order,
            listing,
        } => {
            let client = client(&config, listing.server)?;
            let filter = filter.join(" ");
            let listed = listings::processes(&client, &filter, &order, listing.json);
            actix::System::new().block_on(listed)
        }
        Command::Instances {
            filter,
            order,
            limit,
            all,
            page_size,
            listing,
        } => {
            let client = client(&config, listing.server)?;
            let filter = filter.join(" ");
            let query = InstanceQuery {
                filter: &filter,
                order: &order,
                most: (!all).then_some(limit as usize),
                page: page_size,
            };
            actix::System::new().block_on(listings::instances(&client, &query, listing.json))
        }
        Command::Events {
            instance,
            page_size,
            listing,
        } => {
            let client = client(&config, listing.server)?;
            let events = listings::events(&client, instance, page_size, listing.json);
            actix::System::new().block_on(events)
        }
        Command::Failures { instance, server } => {
            let client = client(&config, server)?;
            actix::System::new().block_on(failures(client, instance))
        }
        Command::Recover {
            instance,
            exchange,
            action,
            server,
        } => {
            let client = client(&config, server)?;
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
        Command::ImportConfig { dir, out } => Ok(crate::import::run(&dir, out.as_deref())?),
        Command::User { action } => user(&config, action),
        Command::Token { action } => token(&config, action),
    };
    match done {
        Err(error) if output_closed(&error) => Ok(()),
        done => done,
    }
}

/// A new password: `BATON_PASSWORD`, else asked for twice on the terminal.
fn new_password() -> anyhow::Result<String> {
    let password = match std::env::var("BATON_PASSWORD") {
        Ok(password) => password,
        Err(_) if std::io::IsTerminal::is_terminal(&std::io::stdin()) => {
            let first = rpassword::prompt_password("New password: ")?;
            let again = rpassword::prompt_password("Again: ")?;
            if first != again {
                bail!("the passwords differ");
            }
            first
        }
        Err(_) => bail!("set BATON_PASSWORD, or run on a terminal to be asked for the password"),
    };
    if password.is_empty() {
        bail!("the password is empty");
    }
    Ok(password)
}

/// `baton user …`: edits the users of the accounts file.
fn user(config: &Configuration, action: UserCommand) -> anyhow::Result<()> {
    let file = AccountsFile::in_dir(&config.store.data_dir);
    let configured = |name: &str| config.auth.users.iter().any(|user| user.name == name);
    let refused = |message: String| crate::auth::file::FileError::Refused(message);
    match action {
        UserCommand::Add { name, role } => {
            if configured(&name) {
                bail!("'{name}' is a user of the configuration; it cannot be added");
            }
            if name.is_empty() || name.contains(':') {
                bail!("'{name}' is not a user name (not empty, no ':')");
            }
            let password_hash = hash_password(&new_password()?)?;
            file.edit(|accounts| {
                if accounts.users.iter().any(|user| user.name == name) {
                    return Err(refused(format!("the user '{name}' exists already")));
                }
                accounts.users.push(UserEntry {
                    name: name.clone(),
                    role,
                    password_hash,
                });
                Ok(())
            })?;
            say!("user {name} added with the role {}", role.as_str());
        }
        UserCommand::Passwd { name } => {
            if configured(&name) {
                bail!(
                    "'{name}' is a user of the configuration: change its password-hash there \
                     (`baton user hash` prints one)"
                );
            }
            let password_hash = hash_password(&new_password()?)?;
            file.edit(|accounts| {
                let user = accounts.users.iter_mut().find(|user| user.name == name);
                let user = user.ok_or_else(|| {
                    refused(format!("no user '{name}' in {}", file.path().display()))
                })?;
                user.password_hash = password_hash;
                Ok(())
            })?;
            say!("password of {name} changed");
        }
        UserCommand::Remove { name } => {
            file.edit(|accounts| {
                let before = accounts.users.len();
                accounts.users.retain(|user| user.name != name);
                if accounts.users.len() == before {
                    return Err(refused(format!(
                        "no user '{name}' in {}",
                        file.path().display()
                    )));
                }
                Ok(())
            })?;
            say!("user {name} removed");
        }
        UserCommand::Hash => say!("{}", hash_password(&new_password()?)?),
    }
    Ok(())
}

/// `baton token …`: edits the tokens of the accounts file.
fn token(config: &Configuration, action: TokenCommand) -> anyhow::Result<()> {
    let file = AccountsFile::in_dir(&config.store.data_dir);
    let refused = |message: String| crate::auth::file::FileError::Refused(message);
    match action {
        TokenCommand::Add { name, role } => {
            let token = new_token();
            file.edit(|accounts| {
                if accounts.tokens.iter().any(|entry| entry.name == name) {
                    return Err(refused(format!("the token '{name}' exists already")));
                }
                accounts.tokens.push(TokenEntry {
                    name: name.clone(),
                    role,
                    hash: token_hash(&token),
                });
                Ok(())
            })?;
            eprintln!(
                "token {name} added with the role {}; it is shown this once:",
                role.as_str()
            );
            say!("{token}");
        }
        TokenCommand::Remove { name } => {
            file.edit(|accounts| {
                let before = accounts.tokens.len();
                accounts.tokens.retain(|entry| entry.name != name);
                if accounts.tokens.len() == before {
                    return Err(refused(format!(
                        "no token '{name}' in {}",
                        file.path().display()
                    )));
                }
                Ok(())
            })?;
            say!("token {name} removed");
        }
    }
    Ok(())
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
    let compatibility = config.compiler.compatibility;
    let compiled =
        crate::compiler::compile_for(&source, &plugins.extensions, conf_dir, compatibility);
    let unit = match compiled {
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
    say!(
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
    say!("{name} removed; the server undeploys it");
    Ok(())
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
        0 => say!("{url}: schema version {} created", migration.to),
        from if from == migration.to => say!("{url}: schema version {from} is current"),
        from => say!(
            "{url}: schema upgraded from version {from} to {}",
            migration.to
        ),
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

/// A client of the running server's management API (at `server`, else as the configuration
/// says), with the credentials of the environment or the terminal.
fn client(config: &Configuration, server: Option<String>) -> anyhow::Result<AdminClient> {
    let credentials = login::credentials()?;
    Ok(AdminClient::new(
        &server_url(config, server),
        Some(credentials),
    ))
}

async fn failures(client: AdminClient, instance: i64) -> anyhow::Result<()> {
    let list = client.failures(instance).await?;
    if !list.undelivered.is_empty() {
        say!("one-way messages not taken by their partner yet, sent again:");
        say!(
            "{:<48} {:<16} {:<16} {:>8} REASON",
            "MESSAGE-ID",
            "PARTNER-LINK",
            "OPERATION",
            "ATTEMPTS"
        );
        for call in &list.undelivered {
            say!(
                "{:<48} {:<16} {:<16} {:>8} {}",
                call.message_id,
                call.partner_link,
                call.operation,
                call.attempts,
                call.reason
            );
        }
    }
    if list.failures.is_empty() {
        say!("instance {instance} has no failed activities");
        return Ok(());
    }
    say!(
        "{:<12} {:<20} {:<24} {:<16} {:<16} REASON",
        "EXCHANGE",
        "ACTIVITY",
        "LOCATION",
        "PARTNER-LINK",
        "OPERATION"
    );
    for failure in list.failures {
        say!(
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
    say!(
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
    let client = client(config, server)?;
    let operated = actix::System::new().block_on(client.operate(instance, action))?;
    say!(
        "{} sent to instance {}; the instance is {}",
        operated.action.as_str(),
        operated.instance,
        operated.status
    );
    Ok(())
}

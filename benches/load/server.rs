//! Starts the real `baton` binary (built by Cargo for this bench) on a free port, with its own
//! temporary deploy and data directories, and waits until it logs that it is ready (and, when
//! a unit is served from a queue, that it consumes its queues). It tells the server's process
//! id, for its CPU time, and counts the instances its store holds.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::Connection;

/// The address of samples/HelloWorld's port.
const HELLO_ADDRESS: &str = "http://localhost:8080/ode/processes/HelloWorld";

/// The element of samples/HelloWorld's deploy.xml that `<in-memory>` follows in ODE's
/// descriptor schema.
const ACTIVE: &str = "<active>true</active>";
/// What keeps a process's instances in memory, in the descriptor's default namespace (ODE's).
const IN_MEMORY: &str = "<in-memory>true</in-memory>";

/// The server's SQLite database, as `conf/baton.toml`'s `[store] url` places it in the data
/// directory.
const DATABASE: &str = "data/baton.db";

/// How long the server may take to start.
const STARTUP: Duration = Duration::from_secs(30);

/// A deployment unit the bench can deploy.
#[derive(Clone)]
pub(crate) enum Unit {
    /// samples/HelloWorld, unchanged.
    HelloWorld,
    /// samples/HelloWorld with `<in-memory>true</in-memory>` in its deploy.xml's `<process>`:
    /// its instances never touch the store.
    HelloWorldInMemory,
    /// samples/HelloWorld with its WSDL port's address set to `address`, an
    /// `amqp://host/vhost/queue` URL: served from that queue.
    HelloWorldAt { address: String },
    /// benches/units/Caller, its invoke peer-to-peer or (false) through HTTP.
    Caller { peer2peer: bool },
    /// samples/HelloWorld with `<process-events generate="…">` in its deploy.xml's
    /// `<process>`: "all" events, or "none".
    HelloWorldEvents { generate: &'static str },
    /// tests/data/units/Runaway, whose "loop" request answers and then loops for ever.
    Runaway,
    /// samples/AsyncPair, unchanged: AsyncClient and AsyncServer calling each other
    /// peer-to-peer.
    AsyncPair,
}

/// A running `baton serve`; killed when dropped.
pub(crate) struct Baton {
    child: Child,
    /// `http://host:port`.
    pub address: String,
    root: tempfile::TempDir,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies the files of a flat unit folder into `to`, with `edit` applied to each file's text.
fn copy_unit(from: &Path, to: &Path, edit: &dyn Fn(&str, String) -> String) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(entry.path())?;
        std::fs::write(to.join(&name), edit(&name, text))?;
    }
    Ok(())
}

impl Unit {
    fn deploy_into(&self, deploy_dir: &Path) -> anyhow::Result<()> {
        let samples = repo().join("samples");
        match self {
            Unit::HelloWorld => copy_unit(
                &samples.join("HelloWorld"),
                &deploy_dir.join("HelloWorld"),
                &|_, text| text,
            ),
            Unit::HelloWorldInMemory => hello_world_with(deploy_dir, IN_MEMORY),
            &Unit::HelloWorldEvents { generate } => {
                let events = format!(r#"<process-events generate="{generate}"/>"#);
                hello_world_with(deploy_dir, &events)
            }
            Unit::HelloWorldAt { address } => {
                let target = deploy_dir.join("HelloWorld");
                copy_unit(
                    &samples.join("HelloWorld"),
                    &target,
                    &|name, text| match name {
                        "HelloWorld.wsdl" => text.replace(HELLO_ADDRESS, address),
                        _ => text,
                    },
                )?;
                let wsdl = std::fs::read_to_string(target.join("HelloWorld.wsdl"))?;
                ensure!(
                    wsdl.contains(address.as_str()),
                    "samples/HelloWorld/HelloWorld.wsdl no longer has the address {HELLO_ADDRESS}"
                );
                Ok(())
            }
            Unit::AsyncPair => copy_unit(
                &samples.join("AsyncPair"),
                &deploy_dir.join("AsyncPair"),
                &|_, text| text,
            ),
            Unit::Runaway => copy_unit(
                &repo().join("tests/data/units/Runaway"),
                &deploy_dir.join("Runaway"),
                &|_, text| text,
            ),
            &Unit::Caller { peer2peer } => {
                let target = deploy_dir.join("Caller");
                copy_unit(
                    &repo().join("benches/units/Caller"),
                    &target,
                    &|name, text| match (name, peer2peer) {
                        ("deploy.xml", false) => {
                            text.replace(r#"usePeer2Peer="true""#, r#"usePeer2Peer="false""#)
                        }
                        _ => text,
                    },
                )?;
                let descriptor = std::fs::read_to_string(target.join("deploy.xml"))?;
                ensure!(
                    descriptor.contains(&format!(r#"usePeer2Peer="{peer2peer}""#)),
                    "benches/units/Caller/deploy.xml no longer sets usePeer2Peer"
                );
                std::fs::copy(
                    samples.join("HelloWorld/HelloWorld.wsdl"),
                    target.join("HelloWorld.wsdl"),
                )?;
                Ok(())
            }
        }
    }
}

/// samples/HelloWorld with `element` added to its deploy.xml's `<process>`, after `<active>`.
fn hello_world_with(deploy_dir: &Path, element: &str) -> anyhow::Result<()> {
    let target = deploy_dir.join("HelloWorld");
    copy_unit(
        &repo().join("samples/HelloWorld"),
        &target,
        &|name, text| match name {
            "deploy.xml" => text.replace(ACTIVE, &format!("{ACTIVE}{element}")),
            _ => text,
        },
    )?;
    let descriptor = std::fs::read_to_string(target.join("deploy.xml"))?;
    ensure!(
        descriptor.contains(element),
        "samples/HelloWorld/deploy.xml no longer has {ACTIVE}"
    );
    Ok(())
}

impl Baton {
    /// Deploys `units` and starts the server with configuration variables `settings`
    /// (`BATON_SECTION__KEY`, such as the store's url or SQLite's synchronous).
    pub(crate) fn start(units: &[Unit], settings: &[(&str, &str)]) -> anyhow::Result<Baton> {
        let root = tempfile::tempdir()?;
        let deploy_dir = root.path().join("deploy");
        for unit in units {
            unit.deploy_into(&deploy_dir)?;
        }
        Self::start_in(root, units, settings)
    }

    /// Stops the server and starts it again on the same directories with `settings`, once
    /// `meanwhile` did what it does with its data directory.
    pub(crate) async fn restart<F: std::future::Future<Output = anyhow::Result<()>>>(
        mut self,
        units: &[Unit],
        settings: &[(&str, &str)],
        meanwhile: impl FnOnce(PathBuf) -> F,
    ) -> anyhow::Result<Baton> {
        self.child.kill()?;
        self.child.wait()?;
        let root = tempfile::tempdir()?;
        let root = std::mem::replace(&mut self.root, root);
        meanwhile(root.path().join("data")).await?;
        Self::start_in(root, units, settings)
    }

    /// Starts the server on the deploy and data directories of `root`, where `units` are.
    fn start_in(
        root: tempfile::TempDir,
        units: &[Unit],
        settings: &[(&str, &str)],
    ) -> anyhow::Result<Baton> {
        let deploy_dir = root.path().join("deploy");
        let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
            .arg("--config")
            .arg(repo().join("conf/baton.toml"))
            .arg("--deploy-dir")
            .arg(&deploy_dir)
            .arg("--data-dir")
            .arg(root.path().join("data"))
            .args(["serve", "--port", "0"])
            .env("RUST_LOG", "info")
            .env("BATON_DEPLOY__POLL_INTERVAL_MS", "0")
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting the baton binary")?;
        let stderr = child.stderr.take().context("the server's stderr")?;
        let (lines, log) = mpsc::channel();
        // Drains the log for the server's whole life; warnings and errors are shown.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("WARN") || line.contains("ERROR") {
                    eprintln!("[baton] {line}");
                }
                let _ = lines.send(line);
            }
        });
        let mut baton = Baton {
            child,
            address: String::new(),
            root,
        };
        let (deadline, mut deployed, mut errors) = (Instant::now() + STARTUP, 0, Vec::new());
        // Ready is logged once units are deployed; queues are consumed a moment later.
        let serves_queues = units
            .iter()
            .any(|unit| matches!(unit, Unit::HelloWorldAt { .. }));
        let (mut ready, mut consuming) = (false, !serves_queues);
        while !(ready && consuming) {
            let line = log
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .context("the server exited or did not become ready in time")?;
            if line.contains("Listening") {
                let address = line.split("address=").nth(1).unwrap_or_default();
                let address = address.split_whitespace().next().unwrap_or_default();
                baton.address = format!("http://{address}");
            } else if line.contains("Unit deployed") {
                deployed += 1;
            } else if line.contains("ERROR") {
                errors.push(line);
            } else if line.contains("Ready") {
                ready = true;
            } else if line.contains("serving over AMQP") {
                consuming = true;
            }
        }
        ensure!(
            !baton.address.is_empty(),
            "the server never logged its address"
        );
        if deployed < units.len() {
            bail!(
                "{deployed} of {} units deployed:\n{}",
                units.len(),
                errors.join("\n")
            );
        }
        Ok(baton)
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The rows of the instance table of the server's store (SQLite, in its data directory).
    pub(crate) async fn stored_instances(&self) -> anyhow::Result<i64> {
        self.stored_rows("baton_instances").await
    }

    /// The rows of the event table of the server's store.
    pub(crate) async fn stored_events(&self) -> anyhow::Result<i64> {
        self.stored_rows("baton_events").await
    }

    async fn stored_rows(&self, table: &str) -> anyhow::Result<i64> {
        let options = SqliteConnectOptions::new().filename(self.root.path().join(DATABASE));
        let mut database = SqliteConnection::connect_with(&options).await?;
        let count = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut database)
            .await?;
        database.close().await?;
        Ok(count)
    }
}

impl Drop for Baton {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! Deployment: units (folders holding a deploy.xml, or .zip files) in the deploy directory
//! are compiled, versioned, recorded in the store and installed in the engine.
//!
//! - At start every stored version is installed again in the state it had (so instances of
//!   retired versions go on), then the directory is compared with what is stored.
//! - A new unit deploys as version 1; a changed unit deploys as the next version of its name,
//!   which becomes active while the older versions retire; a removed unit undeploys. A version
//!   is also above every earlier version of its processes in any unit (a pid is the process
//!   name and the version), so a unit renamed or brought back goes on numbering.
//! - A unit that does not compile, or that holds a process another unit runs, is refused with
//!   every diagnostic (file:line, rule) in the log, and the versions already running are left
//!   as they were.
//! - While the server runs, a change takes effect once two scans in a row saw it the same, so
//!   a unit being copied, replaced or removed is never deployed or undeployed half-way.
//! - A unit is read within the `[deploy]` limits (file size, number of files, total size,
//!   uncompressed for a .zip), checked as it is read. A unit refused, because it broke a
//!   limit, could not be read or did not compile, is remembered by its fingerprint (names,
//!   sizes and modification times of its files) and its checksum: it is neither read nor
//!   logged again until it changes. An installed unit whose fingerprint has not changed is
//!   not read again either.
//!
//! # Layout
//! - [`archive`]: a unit's files as one stored blob, and their checksum.
//! - [`scan`]: finding units in the deploy directory.

pub mod archive;
pub mod scan;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio_util::sync::CancellationToken;

use crate::compiler::{self, Compatibility, UnitSource};
use crate::engine::{Engine, VersionState};
use crate::runtime::extension::Extensions;
use crate::store::{DeploymentRecord, ProcessRecord, ProcessState};

/// Why a unit was not deployed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unit {unit} refused:\n{diagnostics}")]
    Invalid { unit: String, diagnostics: String },
    #[error("unit {unit} refused: process {process} is deployed by unit {owner}")]
    Duplicate {
        unit: String,
        process: String,
        owner: String,
    },
    #[error("unit {unit} cannot be read: {message}")]
    Unreadable { unit: String, message: String },
    #[error("unit {unit} cannot be installed: {source}")]
    Install {
        unit: String,
        source: crate::engine::InstallError,
    },
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

/// A unit version currently installed.
#[derive(Debug, Clone)]
struct Installed {
    checksum: String,
    /// The fingerprint of its files when they were last read; None until then.
    fingerprint: Option<u64>,
    pids: Vec<String>,
}

/// What is remembered of a refused unit, so that it is not read again until it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refused {
    /// The fingerprint of its files, if they could be listed.
    fingerprint: Option<u64>,
    /// The checksum of its files, if they could be read.
    checksum: Option<String>,
}

/// Keeps the engine's deployments in step with the deploy directory and the store.
pub struct Deployer {
    engine: Engine,
    dir: PathBuf,
    /// Unit name → its newest installed version.
    installed: HashMap<String, Installed>,
    /// Unit name → every installed pid of every version.
    all_pids: HashMap<String, Vec<String>>,
    /// Unit name → highest version ever stored.
    versions: HashMap<String, i64>,
    /// Unit name → the files that were refused (not read again until they change).
    refused: HashMap<String, Refused>,
    /// What the previous scan saw of each unit with a change waiting to settle: its checksum,
    /// or None when it was missing.
    last_seen: HashMap<String, Option<String>>,
}

impl Deployer {
    /// Installs every stored version again, then brings the directory's units in.
    pub async fn start(engine: Engine, dir: PathBuf) -> Result<Self, Error> {
        let mut deployer = Self {
            engine,
            dir,
            installed: HashMap::new(),
            all_pids: HashMap::new(),
            versions: HashMap::new(),
            refused: HashMap::new(),
            last_seen: HashMap::new(),
        };
        deployer.restore().await?;
        deployer.scan(false).await;
        Ok(deployer)
    }

    /// Installs the stored versions in their stored states.
    async fn restore(&mut self) -> Result<(), Error> {
        let store = self.engine.services().store.clone();
        let states: HashMap<String, ProcessState> = store
            .list_processes()
            .await?
            .into_iter()
            .map(|p| (p.pid, p.state))
            .collect();
        let mut deployments = store.list_deployments().await?;
        deployments.sort_by_key(|d| d.version);
        for summary in deployments {
            let highest = self.versions.entry(summary.name.clone()).or_default();
            *highest = (*highest).max(summary.version);
            if summary.undeployed {
                continue;
            }
            let Some(record) = store
                .load_deployment(&summary.name, summary.version)
                .await?
            else {
                continue;
            };
            let files = match archive::unpack(&record.files) {
                Ok(files) => files,
                Err(error) => {
                    tracing::error!(unit = %record.name, version = record.version, %error, "Stored unit unreadable");
                    continue;
                }
            };
            let services = self.engine.services();
            let conf_dir = &services.config.deploy.conf_dir;
            let compatibility = services.config.compiler.compatibility;
            let unit = match compile(
                &record.name,
                files,
                &services.extensions,
                conf_dir,
                compatibility,
            ) {
                Ok(unit) => unit,
                Err(error) => {
                    tracing::error!(version = record.version, %error, "Stored unit no longer compiles");
                    continue;
                }
            };
            let state = |pid: &str| match states.get(pid) {
                Some(ProcessState::Retired) => VersionState::Retired,
                Some(ProcessState::Disabled) => VersionState::Disabled,
                _ => VersionState::Active,
            };
            match self.engine.install(Arc::new(unit), record.version, &state) {
                Ok(installed) => {
                    let processes = self.engine.open(installed);
                    let pids: Vec<String> = processes.iter().map(|p| p.pid.clone()).collect();
                    self.all_pids
                        .entry(record.name.clone())
                        .or_default()
                        .extend(pids.clone());
                    self.installed.insert(
                        record.name.clone(),
                        Installed {
                            checksum: record.checksum.clone(),
                            fingerprint: None,
                            pids,
                        },
                    );
                }
                Err(error) => {
                    tracing::error!(unit = %record.name, %error, "Stored unit not installed")
                }
            }
        }
        Ok(())
    }

    /// Compares the directory with what is installed and undeploys, deploys or redeploys.
    /// Removed units go first, so that a unit renamed takes its processes along.
    ///
    /// With `wait_to_settle`, a change takes effect only once two scans in a row saw it the
    /// same, so that a unit being copied, replaced or removed is never taken half-way.
    pub async fn scan(&mut self, wait_to_settle: bool) {
        let found = match scan::units(&self.dir) {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(dir = %self.dir.display(), %error, "Deploy directory unreadable");
                return;
            }
        };
        let removed: Vec<String> = self
            .installed
            .keys()
            .filter(|name| !found.iter().any(|unit| &unit.name == *name))
            .cloned()
            .collect();
        let mut seen = HashMap::new();
        for name in removed {
            let settled = self.last_seen.get(&name) == Some(&None);
            seen.insert(name.clone(), None);
            if wait_to_settle && !settled {
                continue;
            }
            if let Err(error) = self.undeploy(&name).await {
                tracing::error!(unit = %name, %error, "Undeploy failed");
            }
        }
        let limits = self.engine.services().config.deploy.source_limits();
        for unit in found {
            let fingerprint = unit.fingerprint(limits.max_files);
            let known = |f: Option<u64>| fingerprint.is_some() && f == fingerprint;
            let installed = self.installed.get(&unit.name);
            if installed.is_some_and(|i| known(i.fingerprint))
                || self
                    .refused
                    .get(&unit.name)
                    .is_some_and(|r| known(r.fingerprint))
            {
                continue;
            }
            let source = match unit.read(&limits) {
                Ok(source) => source,
                Err(error) => {
                    tracing::error!(unit = %unit.name, %error, "Unit refused: unreadable");
                    let refused = Refused {
                        fingerprint,
                        checksum: None,
                    };
                    self.refused.insert(unit.name.clone(), refused);
                    continue;
                }
            };
            let checksum = archive::checksum(&source.files);
            if let Some(installed) = self.installed.get_mut(&unit.name) {
                if installed.checksum == checksum {
                    installed.fingerprint = fingerprint;
                    self.refused.remove(&unit.name);
                    continue;
                }
            }
            if let Some(refused) = self.refused.get_mut(&unit.name) {
                if refused.checksum.as_ref() == Some(&checksum) {
                    refused.fingerprint = fingerprint;
                    continue;
                }
            }
            let settled = self.last_seen.get(&unit.name) == Some(&Some(checksum.clone()));
            seen.insert(unit.name.clone(), Some(checksum.clone()));
            if wait_to_settle && !settled {
                continue;
            }
            match self.deploy(source, checksum.clone()).await {
                Ok(()) => {
                    if let Some(installed) = self.installed.get_mut(&unit.name) {
                        installed.fingerprint = fingerprint;
                    }
                }
                Err(error) => {
                    tracing::error!("{error}");
                    let refused = Refused {
                        fingerprint,
                        checksum: Some(checksum),
                    };
                    self.refused.insert(unit.name.clone(), refused);
                }
            }
        }
        self.last_seen = seen;
    }

    /// Deploys the next version of a unit.
    async fn deploy(&mut self, source: UnitSource, checksum: String) -> Result<(), Error> {
        let name = source.name.clone();
        let files = source.files.clone();
        let services = self.engine.services();
        let conf_dir = &services.config.deploy.conf_dir;
        let compatibility = services.config.compiler.compatibility;
        let compiled =
            compiler::compile_for(&source, &services.extensions, Some(conf_dir), compatibility);
        let unit = compiled.map_err(|diagnostics| Error::Invalid {
            unit: name.clone(),
            diagnostics: diagnostics.to_string(),
        })?;
        for warning in &unit.warnings {
            tracing::warn!(unit = %name, "{warning}");
        }
        let version = self.next_version(&name, &unit).await?;
        let installed = self
            .engine
            .install(Arc::new(unit), version, &|_| VersionState::Active)
            .map_err(|source| Error::Install {
                unit: name.clone(),
                source,
            })?;
        let pids: Vec<String> = installed.processes.iter().map(|p| p.pid.clone()).collect();
        if let Err(error) = self
            .record(&name, version, &checksum, files, &installed.processes)
            .await
        {
            for pid in &pids {
                self.engine.uninstall(pid);
            }
            return Err(error);
        }
        self.engine.open(installed);
        self.versions.insert(name.clone(), version);
        self.refused.remove(&name);
        if let Some(previous) = self.installed.insert(
            name.clone(),
            Installed {
                checksum,
                fingerprint: None,
                pids: pids.clone(),
            },
        ) {
            let store = self.engine.services().store.clone();
            for pid in previous.pids {
                self.engine.retire(&pid);
                store.set_process_state(&pid, ProcessState::Retired).await?;
            }
        }
        self.all_pids.entry(name.clone()).or_default().extend(pids);
        tracing::info!(unit = %name, version, "Unit deployed");
        Ok(())
    }

    /// The next version of unit `name`: above every version of the unit and every version of
    /// its processes in any unit, so that its pids are new. A process that the current version
    /// of another unit runs is refused.
    async fn next_version(&self, name: &str, unit: &crate::model::Unit) -> Result<i64, Error> {
        let mut version = self.versions.get(name).copied().unwrap_or(0);
        let store = self.engine.services().store.clone();
        for record in store.list_processes().await? {
            let shared = unit
                .descriptor
                .processes
                .iter()
                .any(|p| p.name.to_string() == record.process);
            if !shared {
                continue;
            }
            let current_elsewhere = record.deployment != name
                && self
                    .installed
                    .get(&record.deployment)
                    .is_some_and(|i| i.pids.contains(&record.pid));
            if current_elsewhere {
                return Err(Error::Duplicate {
                    unit: name.to_owned(),
                    process: record.process,
                    owner: record.deployment,
                });
            }
            version = version.max(record.version);
        }
        Ok(version + 1)
    }

    async fn record(
        &self,
        name: &str,
        version: i64,
        checksum: &str,
        files: BTreeMap<String, Vec<u8>>,
        processes: &[Arc<crate::engine::ProcessRuntime>],
    ) -> Result<(), Error> {
        let store = self.engine.services().store.clone();
        store
            .save_deployment(DeploymentRecord {
                name: name.to_owned(),
                version,
                checksum: checksum.to_owned(),
                deployed_at: SystemTime::now(),
                files: archive::pack(&files),
                undeployed: false,
            })
            .await?;
        for process in processes {
            let state = match process.state() {
                VersionState::Active => ProcessState::Active,
                VersionState::Retired => ProcessState::Retired,
                VersionState::Disabled => ProcessState::Disabled,
            };
            store
                .save_process(ProcessRecord {
                    pid: process.pid.clone(),
                    process: process.name.to_string(),
                    deployment: name.to_owned(),
                    version,
                    state,
                })
                .await?;
        }
        Ok(())
    }

    /// Undeploys every version of a unit.
    async fn undeploy(&mut self, name: &str) -> Result<(), Error> {
        self.installed.remove(name);
        for pid in self.all_pids.remove(name).unwrap_or_default() {
            self.engine.uninstall(&pid);
        }
        self.engine.services().store.mark_undeployed(name).await?;
        tracing::info!(unit = %name, "Unit undeployed");
        Ok(())
    }

    /// Rescans the directory every `interval` until `shutdown`.
    pub async fn poll(mut self, interval: Duration, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = actix::clock::sleep(interval) => self.scan(true).await,
            }
        }
    }
}

/// Compiles a unit from its files for a server running `extensions` with the configuration
/// directory `conf_dir`, reading it with `compatibility`.
pub fn compile(
    name: &str,
    files: BTreeMap<String, Vec<u8>>,
    extensions: &Extensions,
    conf_dir: &Path,
    compatibility: Compatibility,
) -> Result<crate::model::Unit, Error> {
    let source = UnitSource::new(name, files).map_err(|error| Error::Unreadable {
        unit: name.to_owned(),
        message: error.to_string(),
    })?;
    compiler::compile_for(&source, extensions, Some(conf_dir), compatibility).map_err(
        |diagnostics| Error::Invalid {
            unit: name.to_owned(),
            diagnostics: diagnostics.to_string(),
        },
    )
}

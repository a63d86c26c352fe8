//! Tests of the SQLite store, one module per table plus opening, all over real database
//! files in temporary directories and through `Arc<dyn Store>`, as the engine uses it.

mod deployments;
mod exchanges;
mod instances;
mod open;
mod processes;
mod routes;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use tempfile::TempDir;

use super::{SqliteConfig, SqliteStore};
use crate::store::{
    DeploymentRecord, InstanceStatus, InstanceWrite, ProcessRecord, ProcessState, StepCommit, Store,
};

/// A store in a fresh temporary directory, which it can close and reopen.
struct Fixture {
    dir: TempDir,
    store: Arc<dyn Store>,
}

impl Fixture {
    /// Opens a store on a new file.
    async fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = open(&dir).await;
        Fixture { dir, store }
    }

    /// Closes the store and opens the same file again.
    async fn reopen(&mut self) {
        self.store.close().await;
        self.store = open(&self.dir).await;
    }

    /// Deploys `name` with one process `{urn:test}Name` and returns the process's pid.
    async fn deploy(&self, name: &str) -> String {
        let version = self.store.list_deployments().await.expect("listed").len() as i64 + 1;
        self.store
            .save_deployment(deployment(name, version))
            .await
            .expect("deployment saved");
        let process = process(name, version);
        let pid = process.pid.clone();
        self.store
            .save_process(process)
            .await
            .expect("process saved");
        pid
    }

    /// Deploys `name` and creates one instance of it.
    async fn instance(&self, name: &str) -> i64 {
        let pid = self.deploy(name).await;
        self.store
            .create_instance(&pid)
            .await
            .expect("instance created")
    }
}

/// Opens the store file in `dir`.
async fn open(dir: &TempDir) -> Arc<dyn Store> {
    let path = dir.path().join("baton.db");
    let store = SqliteStore::open(path.to_str().expect("UTF-8 path"), &SqliteConfig::default())
        .await
        .expect("store opened");
    Arc::new(store)
}

/// A deployment of `name` at `version` with some files.
fn deployment(name: &str, version: i64) -> DeploymentRecord {
    DeploymentRecord {
        name: name.to_owned(),
        version,
        checksum: format!("sha256:{name}-{version}"),
        deployed_at: UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + version as u64),
        files: format!("files of {name} {version}").into_bytes(),
        undeployed: false,
    }
}

/// The process `{urn:test}Name` of deployment `name` at `version`.
fn process(name: &str, version: i64) -> ProcessRecord {
    ProcessRecord {
        pid: format!("{{urn:test}}{name}-{version}"),
        process: format!("{{urn:test}}{name}"),
        deployment: name.to_owned(),
        version,
        state: ProcessState::Active,
    }
}

/// A step of instance `id` based on `revision`, saving `state` with `status`.
fn step(id: i64, revision: i64, status: InstanceStatus, state: &[u8]) -> StepCommit {
    StepCommit::new(InstanceWrite {
        id,
        status,
        state: state.to_vec(),
        failure: None,
        expected_revision: revision,
        create: None,
    })
}

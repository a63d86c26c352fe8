//! Tests of every store backend, one module per table, all through `Arc<dyn Store>` as the
//! engine uses it. Each test runs on SQLite (a file in a temporary directory), on PostgreSQL
//! and on MySQL/MariaDB, each time on a fresh database of its own, so tests run in parallel.
//!
//! The database servers are named by `TEST_POSTGRES_URL` and `TEST_MYSQL_URL` (URLs of a
//! user that may create databases; `scripts/test` starts the servers and sets them). A test
//! on a server whose variable is unset is skipped with a note, except under CI (`CI=true`),
//! where it fails; a server that is named but unreachable fails the test.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::migrate::MigrateDatabase;
use tempfile::TempDir;

use crate::store::{
    Backend, Datasource, DeploymentRecord, ExchangeDirection, ExchangeRecord, ExchangeStatus,
    ExchangeWrite, InstanceRecord, InstanceStatus, InstanceWrite, Job, JobKey, JobKind,
    ProcessRecord, ProcessState, RouteKey, StepCommit, Store,
};

/// Runs each named test (an `async fn(TestDb)`) on every backend, as tests `sqlite::NAME`,
/// `postgres::NAME` and `mysql::NAME`.
macro_rules! backend_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::store::tests::TestDb::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(db) = $crate::store::tests::TestDb::server("TEST_POSTGRES_URL") {
                        super::$name(db).await
                    }
                }
            )+
        }
        mod mysql {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(db) = $crate::store::tests::TestDb::server("TEST_MYSQL_URL") {
                        super::$name(db).await
                    }
                }
            )+
        }
    };
}

mod cleanup;
mod commits;
mod delivery;
mod deployments;
mod events;
mod exchanges;
mod filters;
mod instances;
mod jobs;
mod processes;
mod routes;
mod scheduled;
mod schema;

/// The database server, or SQLite, a test runs on.
pub(crate) enum TestDb {
    /// A file in a temporary directory.
    Sqlite,
    /// A database server reached by this URL, on which each test creates its own database.
    Server(String),
}

impl TestDb {
    /// The server the environment variable `variable` names; `None` (the test is skipped)
    /// when unset outside CI.
    pub(crate) fn server(variable: &str) -> Option<TestDb> {
        match std::env::var(variable) {
            Ok(url) if !url.is_empty() => Some(TestDb::Server(url)),
            _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
                panic!("{variable} is not set: CI runs the store tests on every database")
            }
            _ => {
                eprintln!("skipped: {variable} names no database server (see scripts/test)");
                None
            }
        }
    }

    /// A fresh, empty database: a new SQLite file in `dir`, or a new database on the server.
    pub(crate) async fn datasource(&self, dir: &TempDir) -> Datasource {
        match self {
            TestDb::Sqlite => Datasource::new(dir.path().join("baton.db").to_string_lossy()),
            TestDb::Server(server) => {
                let url = fresh_database(server);
                let created = match Backend::of(&url).expect("a database URL") {
                    Backend::Postgres => sqlx::Postgres::create_database(&url).await,
                    Backend::MySql => sqlx::MySql::create_database(&url).await,
                    Backend::Sqlite => panic!("{server} is not a database server"),
                };
                created.unwrap_or_else(|error| panic!("cannot create {url}: {error}"));
                Datasource::new(url)
            }
        }
    }
}

/// The URL of a database named after this process and a counter on the server `server`.
pub(crate) fn fresh_database(server: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let mut url = url::Url::parse(server).expect("a database server URL");
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() % 1_000_000);
    let number = NEXT.fetch_add(1, Ordering::Relaxed);
    url.set_path(&format!(
        "baton_test_{}_{started}_{number}",
        std::process::id()
    ));
    url.into()
}

/// A store on a fresh database, which it can close and reopen.
struct Fixture {
    _dir: TempDir,
    datasource: Datasource,
    store: Arc<dyn Store>,
}

impl Fixture {
    /// Opens a store on a new database.
    async fn new(db: &TestDb) -> Fixture {
        let dir = tempfile::tempdir().expect("temporary directory");
        let datasource = db.datasource(&dir).await;
        let store = datasource.open().await.expect("store opened");
        Fixture {
            _dir: dir,
            datasource,
            store,
        }
    }

    /// Closes the store and opens the same database again.
    async fn reopen(&mut self) {
        self.store.close().await;
        self.store = self.datasource.open().await.expect("store reopened");
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
        self.create(&pid).await.expect("instance created")
    }

    /// Creates a running instance of `pid` with empty state, as the engine does: a fresh id,
    /// inserted by its first step commit, at revision 1.
    async fn create(&self, pid: &str) -> crate::store::Result<i64> {
        self.create_with(pid, b"").await
    }

    /// Creates a running instance of `pid` with `state` at revision 1.
    async fn create_with(&self, pid: &str, state: &[u8]) -> crate::store::Result<i64> {
        let id = self.store.reserve_instance_ids(1).await?;
        let mut first = step(id, 0, InstanceStatus::Running, state);
        first.instance.create = Some(pid.to_owned());
        self.store.commit(first).await?;
        Ok(id)
    }

    /// Saves a deployment of each name at its version.
    async fn save_deployments(&self, deployments: &[(&str, i64)]) {
        for &(name, version) in deployments {
            let saved = self.store.save_deployment(deployment(name, version)).await;
            saved.expect("deployment saved");
        }
    }

    /// Instance `id`, which must be stored.
    async fn load(&self, id: i64) -> InstanceRecord {
        let loaded = self.store.load_instance(id).await.expect("loaded");
        loaded.expect("instance stored")
    }

    /// The pending exchanges of instance `id`.
    async fn pending(&self, id: i64) -> Vec<ExchangeRecord> {
        self.store
            .pending_exchanges(id)
            .await
            .expect("exchanges listed")
    }

    /// The routes instance `id` owns.
    async fn routes(&self, id: i64) -> Vec<RouteKey> {
        self.store.instance_routes(id).await.expect("routes listed")
    }

    /// The instance owning route `key` of `process`, if any.
    async fn route_owner(&self, process: &str, key: &str) -> Option<i64> {
        let owner = self
            .store
            .find_route(process, key)
            .await
            .expect("route looked up");
        owner.map(|owner| owner.instance)
    }
}

/// A deployment of `name` at `version` with some files.
pub(super) fn deployment(name: &str, version: i64) -> DeploymentRecord {
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
pub(super) fn process(name: &str, version: i64) -> ProcessRecord {
    ProcessRecord {
        pid: format!("{{urn:test}}{name}-{version}"),
        process: format!("{{urn:test}}{name}"),
        deployment: name.to_owned(),
        version,
        state: ProcessState::Active,
    }
}

/// An exchange `id` of the client's order operation, with a request.
pub(super) fn exchange(
    id: &str,
    direction: ExchangeDirection,
    status: ExchangeStatus,
) -> ExchangeWrite {
    ExchangeWrite {
        id: id.to_owned(),
        partner_link: "client".to_owned(),
        operation: "order".to_owned(),
        direction,
        status,
        request: Some(format!("request {id}").into_bytes()),
        response: None,
    }
}

/// The job of `kind` for `key` of instance `instance` of `pid`, due at `due_ms`.
pub(super) fn job(instance: i64, pid: &str, kind: JobKind, key: &str, due_ms: i64) -> Job {
    Job {
        instance_id: instance,
        pid: pid.to_owned(),
        job: JobKey::new(kind, key),
        due_ms,
    }
}

/// A step of instance `id` based on `revision`, saving `state` with `status`.
pub(super) fn step(id: i64, revision: i64, status: InstanceStatus, state: &[u8]) -> StepCommit {
    StepCommit::new(InstanceWrite {
        id,
        status,
        state: state.to_vec(),
        failure: None,
        expected_revision: revision,
        create: None,
    })
}

/// Runs `sql` on the database `url` names, and returns the text of its first column.
pub(super) async fn query(url: &str, sql: &str) -> Vec<String> {
    use std::str::FromStr;

    use sqlx::{ConnectOptions, Connection, Row};
    /// Runs `sql` on `$conn`, a new connection, and closes it.
    macro_rules! first_column {
        ($conn:expr) => {{
            let mut conn = $conn.await.unwrap();
            let rows = sqlx::raw_sql(sql).fetch_all(&mut conn).await.unwrap();
            conn.close().await.unwrap();
            rows.iter().map(|row| row.get(0)).collect()
        }};
    }
    match Backend::of(url).unwrap() {
        Backend::Sqlite => first_column!(sqlx::sqlite::SqliteConnectOptions::from_str(url)
            .unwrap()
            .create_if_missing(true)
            .connect()),
        Backend::Postgres => first_column!(sqlx::PgConnection::connect(url)),
        Backend::MySql => first_column!(sqlx::MySqlConnection::connect(url)),
    }
}

/// `url` as sqlx takes it: a SQLite path as a `sqlite:` URL.
pub(super) fn sqlite_url(url: &str) -> String {
    match Backend::of(url) {
        Ok(Backend::Sqlite) if !url.starts_with("sqlite:") => format!("sqlite:{url}"),
        _ => url.to_owned(),
    }
}

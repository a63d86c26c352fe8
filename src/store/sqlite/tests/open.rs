//! Opening a SQLite store: file and directory creation, URL forms, connection settings,
//! schema versioning and the in-memory store.

use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Sqlite};
use tempfile::TempDir;

use crate::store::sqlite::{SqliteConfig, SqliteStore, Synchronous};
use crate::store::tests::{deployment, process, step};
use crate::store::{Deployments, Error, InstanceStatus, Instances, Result, Store, SCHEMA_VERSION};

/// Opens the store at `location` with the default settings.
async fn open(location: &str) -> Result<SqliteStore> {
    SqliteStore::open(location, &SqliteConfig::default()).await
}

/// The path of a database file `baton.db` in `dir`.
fn file_in(dir: &TempDir) -> String {
    dir.path().join("baton.db").to_str().unwrap().to_owned()
}

/// The value `PRAGMA name` reads on a connection of `store`.
async fn pragma<T>(store: &SqliteStore, name: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite> + Send + Unpin,
{
    let query = format!("PRAGMA {name}");
    sqlx::query_scalar(&query)
        .fetch_one(&store.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn creates_missing_directory_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/data/baton.db");
    let store = open(path.to_str().unwrap()).await.unwrap();
    assert!(path.is_file());
    assert_eq!(store.reserve_instance_ids(1).await.unwrap(), 1);
}

#[tokio::test]
async fn accepts_sqlite_urls() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("url/baton.db");
    let store = open(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    assert_eq!(store.reserve_instance_ids(1).await.unwrap(), 1);
    assert!(path.is_file());
}

#[tokio::test]
async fn refuses_urls_of_other_databases() {
    let url = "postgres://localhost/baton";
    match open(url).await {
        Err(Error::Location(location)) => assert_eq!(location, url),
        other => panic!("expected a location error, got {other:?}"),
    }
}

#[tokio::test]
async fn connections_are_durable_wal_with_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&file_in(&dir)).await.unwrap();
    assert_eq!(pragma::<String>(&store, "journal_mode").await, "wal");
    assert_eq!(pragma::<i64>(&store, "synchronous").await, 2, "FULL");
    assert_eq!(pragma::<i64>(&store, "foreign_keys").await, 1);
}

#[tokio::test]
async fn connections_leave_checkpoints_to_the_thread_beside_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let config = SqliteConfig {
        checkpoint_pages: 50,
        ..SqliteConfig::default()
    };
    let store = SqliteStore::open(&file_in(&dir), &config).await.unwrap();
    assert_eq!(
        pragma::<i64>(&store, "wal_autocheckpoint").await,
        500,
        "only past ten times the pages at which the thread checkpoints"
    );
}

#[tokio::test]
async fn a_store_syncing_at_every_commit_syncs_its_log_beside_the_writer() {
    for (synchronous, apart) in [(Synchronous::Full, true), (Synchronous::Normal, false)] {
        let dir = tempfile::tempdir().unwrap();
        let config = SqliteConfig {
            synchronous,
            ..SqliteConfig::default()
        };
        let store = SqliteStore::open(&file_in(&dir), &config).await.unwrap();
        store
            .save_deployment(deployment("orders", 1))
            .await
            .unwrap();
        let process = process("orders", 1);
        let pid = process.pid.clone();
        store.save_process(process).await.unwrap();
        for _ in 0..3 {
            let id = store.reserve_instance_ids(1).await.unwrap();
            let mut created = step(id, 0, InstanceStatus::Running, b"created");
            created.instance.create = Some(pid.clone());
            // Answered only once synced: the count includes this commit's sync.
            store.commit(created).await.unwrap();
        }
        let stats = store.commit_stats();
        match apart {
            true => assert!(
                (1..=stats.transactions).contains(&stats.log_syncs),
                "{stats:?}"
            ),
            false => assert_eq!(stats.log_syncs, 0, "{stats:?}"),
        }
    }
}

#[tokio::test]
async fn synchronous_normal_can_be_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let config = SqliteConfig {
        synchronous: Synchronous::Normal,
        ..SqliteConfig::default()
    };
    let store = SqliteStore::open(&file_in(&dir), &config).await.unwrap();
    assert_eq!(pragma::<i64>(&store, "synchronous").await, 1, "NORMAL");
}

#[tokio::test]
async fn reopening_keeps_one_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_in(&dir);
    open(&path).await.unwrap().close().await;
    let store = open(&path).await.unwrap();
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM baton_schema_version")
        .fetch_all(&store.pool)
        .await
        .unwrap();
    assert_eq!(versions, [SCHEMA_VERSION]);
}

#[tokio::test]
async fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_in(&dir);
    open(&path).await.unwrap().close().await;
    let mut conn = SqliteConnectOptions::from_str(&path)
        .unwrap()
        .connect()
        .await
        .unwrap();
    sqlx::query("UPDATE baton_schema_version SET version = ?")
        .bind(SCHEMA_VERSION + 1)
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    match open(&path).await {
        Err(Error::SchemaVersion { found, supported })
            if (found, supported) == (SCHEMA_VERSION + 1, SCHEMA_VERSION) => {}
        other => panic!("expected a schema version error, got {other:?}"),
    }
}

#[tokio::test]
async fn in_memory_store_works_and_is_private() {
    let first = SqliteStore::in_memory().await.unwrap();
    let second = SqliteStore::in_memory().await.unwrap();
    assert_eq!(first.reserve_instance_ids(1).await.unwrap(), 1);
    assert_eq!(first.reserve_instance_ids(1).await.unwrap(), 2);
    assert_eq!(second.reserve_instance_ids(1).await.unwrap(), 1);
}

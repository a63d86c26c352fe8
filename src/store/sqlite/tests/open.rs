//! Opening a SQLite store: file and directory creation, URL forms, connection settings,
//! schema versioning and the in-memory store.

use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::store::sqlite::{SqliteConfig, SqliteStore, Synchronous};
use crate::store::SCHEMA_VERSION;
use crate::store::{Error, Instances, Store};

#[tokio::test]
async fn creates_missing_directory_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/data/baton.db");
    let store = SqliteStore::open(path.to_str().unwrap(), &SqliteConfig::default())
        .await
        .unwrap();
    assert!(path.is_file());
    assert_eq!(store.reserve_instance_ids(1).await.unwrap(), 1);
}

#[tokio::test]
async fn accepts_sqlite_urls() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("url/baton.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let store = SqliteStore::open(&url, &SqliteConfig::default())
        .await
        .unwrap();
    assert_eq!(store.reserve_instance_ids(1).await.unwrap(), 1);
    assert!(path.is_file());
}

#[tokio::test]
async fn refuses_urls_of_other_databases() {
    let url = "postgres://localhost/baton";
    match SqliteStore::open(url, &SqliteConfig::default()).await {
        Err(Error::Location(location)) => assert_eq!(location, url),
        other => panic!("expected a location error, got {other:?}"),
    }
}

#[tokio::test]
async fn connections_are_durable_wal_with_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.db");
    let store = SqliteStore::open(path.to_str().unwrap(), &SqliteConfig::default())
        .await
        .unwrap();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    assert_eq!(synchronous, 2, "FULL");
    assert_eq!(foreign_keys, 1);
}

#[tokio::test]
async fn synchronous_normal_can_be_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.db");
    let config = SqliteConfig {
        synchronous: Synchronous::Normal,
        ..SqliteConfig::default()
    };
    let store = SqliteStore::open(path.to_str().unwrap(), &config)
        .await
        .unwrap();
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(synchronous, 1, "NORMAL");
}

#[tokio::test]
async fn reopening_keeps_one_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.db");
    let path = path.to_str().unwrap();
    SqliteStore::open(path, &SqliteConfig::default())
        .await
        .unwrap()
        .close()
        .await;
    let store = SqliteStore::open(path, &SqliteConfig::default())
        .await
        .unwrap();
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM baton_schema_version")
        .fetch_all(&store.pool)
        .await
        .unwrap();
    assert_eq!(versions, [SCHEMA_VERSION]);
}

#[tokio::test]
async fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.db");
    let path = path.to_str().unwrap();
    SqliteStore::open(path, &SqliteConfig::default())
        .await
        .unwrap()
        .close()
        .await;
    let mut conn = SqliteConnectOptions::from_str(path)
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
    match SqliteStore::open(path, &SqliteConfig::default()).await {
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

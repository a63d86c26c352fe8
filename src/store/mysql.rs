//! Opening the store in MySQL or MariaDB.
//!
//! [`MySqlStore`] keeps everything in one database, in InnoDB tables, through a connection
//! pool configured by [`PoolSettings`]; its tables are the shared
//! [`SqlStore`](super::sql::SqlStore)'s. The schema is `dbscripts/mysql.sql` (version 1) and
//! its migrations (`mysql-2.sql`, ...), embedded; opening a store brings an older database up
//! to date under a named lock, so servers starting together on an empty database create it
//! once. (MySQL commits schema changes one statement at a time: a migration cut short leaves
//! its tables behind.)

use std::str::FromStr;

use sqlx::mysql::MySqlConnectOptions;
use sqlx::MySql;

use super::schema::{self, Migration, Migrations};
use super::sql::SqlStore;
use super::{Error, PoolSettings, Result};

/// The migration scripts, the first creating the schema.
const MIGRATIONS: Migrations = [
    include_str!("../../dbscripts/mysql.sql"),
    include_str!("../../dbscripts/mysql-2.sql"),
    include_str!("../../dbscripts/mysql-3.sql"),
    include_str!("../../dbscripts/mysql-4.sql"),
    include_str!("../../dbscripts/mysql-5.sql"),
    include_str!("../../dbscripts/mysql-6.sql"),
];

/// The named lock held while the schema is migrated.
const MIGRATION_LOCK: &str = "baton_schema_migration";

/// How long a server waits for another one's migration, in seconds.
const MIGRATION_WAIT_S: i64 = 300;

/// A [`Store`](super::Store) in a MySQL or MariaDB database.
pub type MySqlStore = SqlStore<MySql>;

impl SqlStore<MySql> {
    /// Connects to the database `url` names (`mysql://user:password@host:port/database`)
    /// and brings its schema up to date.
    pub async fn open(url: &str, pool: &PoolSettings) -> Result<Self> {
        Ok(Self::open_migrating(url, pool).await?.0)
    }

    /// As [`MySqlStore::open`], also telling what bringing the schema up to date did.
    pub async fn open_migrating(url: &str, pool: &PoolSettings) -> Result<(Self, Migration)> {
        let options = MySqlConnectOptions::from_str(url)?;
        let store = SqlStore::on(pool.connect(options).await?);
        let migration = store.migrate().await?;
        Ok((store, migration))
    }

    /// Brings the schema up to date, holding the migration lock.
    async fn migrate(&self) -> Result<Migration> {
        let mut conn = self.pool.acquire().await?;
        let locked: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, ?)")
            .bind(MIGRATION_LOCK)
            .bind(MIGRATION_WAIT_S)
            .fetch_one(&mut *conn)
            .await?;
        if locked != Some(1) {
            return Err(Error::Unavailable(format!(
                "another server held the lock {MIGRATION_LOCK} for {MIGRATION_WAIT_S} s"
            )));
        }
        let exists = "SELECT COUNT(*) AS found FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = 'baton_schema_version'";
        let migrated = schema::bring_up_to_date::<MySql>(&mut conn, exists, &MIGRATIONS).await;
        sqlx::query("DO RELEASE_LOCK(?)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        migrated
    }
}

//! The PostgreSQL backend of the durable store.
//!
//! [`PostgresStore`] keeps everything in one database (its default schema) through a
//! connection pool configured by [`PoolSettings`]. The schema is `dbscripts/postgresql.sql`
//! (version 1), embedded; opening a store brings an older database up to date under an
//! advisory lock, so servers starting together on an empty database create it once.
//!
//! The queries of each table live in their own module, with the same shape as the SQLite
//! backend's; `commit` composes the writes of a batch of steps into one transaction for the
//! shared group-commit writer. Time columns hold milliseconds since the Unix epoch.

mod commit;
mod correlation;
mod deployments;
mod exchanges;
mod instances;
mod processes;

use std::str::FromStr;
use std::sync::Arc;

use futures::future::BoxFuture;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool};

use super::group_commit::Writer;
use super::schema::{self, Migration, Migrations};
use super::{
    DeploymentRecord, DeploymentSummary, ExchangeRecord, InstanceFilter, InstanceRecord,
    InstanceSummary, PoolSettings, ProcessRecord, ProcessState, Result, RouteKey, RouteOwner,
    StepCommit, Store,
};

/// The migration scripts, the first creating the schema.
const MIGRATIONS: Migrations = [include_str!("../../../dbscripts/postgresql.sql")];

/// The advisory lock held while the schema is migrated.
const MIGRATION_LOCK: i64 = 0x0062_6174_6f6e;

/// A [`Store`] in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Step commits go through the group-committing writer task.
    steps: Writer,
}

impl PostgresStore {
    /// Connects to the database `url` names (`postgres://user:password@host:port/database`)
    /// and brings its schema up to date.
    pub async fn open(url: &str, pool: &PoolSettings) -> Result<Self> {
        Ok(Self::open_migrating(url, pool).await?.0)
    }

    /// As [`PostgresStore::open`], also telling what bringing the schema up to date did.
    pub async fn open_migrating(url: &str, pool: &PoolSettings) -> Result<(Self, Migration)> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = pool.connect(options, validate).await?;
        let steps = Writer::start(commit::Steps { pool: pool.clone() });
        let store = PostgresStore { pool, steps };
        let migration = store.migrate().await?;
        Ok((store, migration))
    }

    /// Brings the schema up to date, in one transaction.
    async fn migrate(&self) -> Result<Migration> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await?;
        let exists: bool =
            sqlx::query_scalar("SELECT to_regclass('baton_schema_version') IS NOT NULL")
                .fetch_one(&mut *tx)
                .await?;
        let from: i64 = match exists {
            true => {
                sqlx::query_scalar("SELECT MAX(version) FROM baton_schema_version")
                    .fetch_one(&mut *tx)
                    .await?
            }
            false => 0,
        };
        for script in schema::pending(from, &MIGRATIONS)? {
            sqlx::raw_sql(script).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(Migration {
            from,
            to: schema::SCHEMA_VERSION,
        })
    }
}

/// Runs the pool's validation query on `conn`.
fn validate(conn: &mut PgConnection, query: Arc<str>) -> BoxFuture<'_, sqlx::Result<bool>> {
    Box::pin(async move {
        sqlx::Executor::execute(conn, sqlx::raw_sql(&query)).await?;
        Ok(true)
    })
}

impl Store for PostgresStore {
    fn save_deployment(&self, deployment: DeploymentRecord) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { deployments::save(&self.pool, &deployment).await })
    }

    fn list_deployments(&self) -> BoxFuture<'_, Result<Vec<DeploymentSummary>>> {
        Box::pin(deployments::list(&self.pool))
    }

    fn load_deployment<'a>(
        &'a self,
        name: &'a str,
        version: i64,
    ) -> BoxFuture<'a, Result<Option<DeploymentRecord>>> {
        Box::pin(deployments::load(&self.pool, name, version))
    }

    fn mark_undeployed<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<u64>> {
        Box::pin(deployments::mark_undeployed(&self.pool, name))
    }

    fn save_process(&self, process: ProcessRecord) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { processes::save(&self.pool, &process).await })
    }

    fn list_processes(&self) -> BoxFuture<'_, Result<Vec<ProcessRecord>>> {
        Box::pin(processes::list(&self.pool))
    }

    fn set_process_state<'a>(
        &'a self,
        pid: &'a str,
        state: ProcessState,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(processes::set_state(&self.pool, pid, state))
    }

    fn create_instance<'a>(&'a self, pid: &'a str) -> BoxFuture<'a, Result<i64>> {
        Box::pin(instances::create(&self.pool, pid))
    }

    fn reserve_instance_ids(&self, count: u32) -> BoxFuture<'_, Result<i64>> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await?;
            let first = instances::reserve_ids(&mut tx, count).await?;
            tx.commit().await?;
            Ok(first)
        })
    }

    fn load_instance(&self, id: i64) -> BoxFuture<'_, Result<Option<InstanceRecord>>> {
        Box::pin(instances::load(&self.pool, id))
    }

    fn list_instances<'a>(
        &'a self,
        filter: &'a InstanceFilter,
    ) -> BoxFuture<'a, Result<Vec<InstanceSummary>>> {
        Box::pin(instances::list(&self.pool, filter))
    }

    fn recoverable_instances(&self) -> BoxFuture<'_, Result<Vec<InstanceRecord>>> {
        Box::pin(instances::recoverable(&self.pool))
    }

    fn commit(&self, step: StepCommit) -> BoxFuture<'_, Result<i64>> {
        Box::pin(self.steps.commit(step))
    }

    fn find_route<'a>(
        &'a self,
        process: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<RouteOwner>>> {
        Box::pin(correlation::find(&self.pool, process, key))
    }

    fn mark_failed<'a>(&'a self, id: i64, reason: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(instances::mark_failed(&self.pool, id, reason))
    }

    fn instance_routes(&self, instance_id: i64) -> BoxFuture<'_, Result<Vec<RouteKey>>> {
        Box::pin(correlation::of_instance(&self.pool, instance_id))
    }

    fn exchanges(&self, instance_id: i64) -> BoxFuture<'_, Result<Vec<ExchangeRecord>>> {
        Box::pin(exchanges::of_instance(&self.pool, instance_id))
    }

    fn pending_exchanges(&self, instance_id: i64) -> BoxFuture<'_, Result<Vec<ExchangeRecord>>> {
        Box::pin(exchanges::pending(&self.pool, instance_id))
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.pool.close())
    }
}

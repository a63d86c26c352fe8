//! The store in a SQL database, written once for the three the server supports.
//!
//! [`SqlStore`] is generic over the [`Dialect`] of its database: each table's queries live in
//! one module here (`deployments`, `processes`, `instances`, `correlation`, `exchanges`,
//! `jobs`, `delivery`), `steps` writes a batch of state-machine steps in one transaction for
//! the group-commit writer (`rows_at_once`, a statement per kind of row), and
//! the dialect says what differs between the databases. How a database is opened and locked
//! while its schema is brought up to date (`dbscripts/<database>.sql`, the schema's source of
//! truth) is each backend's own module: [`sqlite`](super::sqlite),
//! [`postgres`](super::postgres), [`mysql`](super::mysql).

mod correlation;
mod delivery;
mod deployments;
pub(crate) mod dialect;
mod events;
mod exchanges;
mod instances;
mod jobs;
mod processes;
pub(super) mod rows_at_once;
pub(super) mod steps;

use std::sync::Arc;

use futures::future::BoxFuture;
use sqlx::Pool;
use tokio::sync::{Mutex, MutexGuard};

use super::group_commit::{Batch, Writer};
use super::{
    CommitHistograms, CommitStats, Committed, DeploymentRecord, DeploymentSummary, Deployments,
    EventLog, ExchangeRecord, Inspection, InstanceFilter, InstanceRecord, InstanceSummary,
    Instances, Job, JobKind, Jobs, OutboxEntry, PoolUse, ProcessRecord, ProcessState, Received,
    Result, RouteKey, RouteOwner, StepCommit, Store, StoredEvents,
};
pub use dialect::Dialect;

/// A [`Store`] in a SQL database of dialect `D`.
#[derive(Debug)]
pub struct SqlStore<D: Dialect> {
    pub(super) pool: Pool<D>,
    writer: WriteLock,
    /// Step commits go through the group-committing writer task.
    steps: Writer,
}

impl<D: Dialect> Clone for SqlStore<D> {
    fn clone(&self) -> Self {
        SqlStore {
            pool: self.pool.clone(),
            writer: self.writer.clone(),
            steps: self.steps.clone(),
        }
    }
}

impl<D: Dialect> SqlStore<D> {
    /// A store on `pool`, whose schema the caller brings up to date.
    pub(super) fn on(pool: Pool<D>) -> Self {
        Self::on_with(pool, Writer::start)
    }

    /// A store on `pool` whose step writer `start` starts, on the writes of `steps`.
    pub(super) fn on_with(pool: Pool<D>, start: impl FnOnce(steps::Steps<D>) -> Writer) -> Self {
        let writer = WriteLock::default();
        let steps = start(steps::Steps {
            pool: pool.clone(),
            writer: writer.clone(),
        });
        SqlStore {
            pool,
            writer,
            steps,
        }
    }

    /// Waits for the store's turn to write, where the database takes one writer at a time.
    async fn writing(&self) -> Option<MutexGuard<'_, ()>> {
        self.writer.turn::<D>().await
    }
}

/// Where the database takes one writer at a time ([`Dialect::ONE_WRITER`]), the store's
/// writes, step batches included, queue here in order instead of contending for the
/// database's lock, whose busy handler sleeps rather than waking when the lock frees.
#[derive(Debug, Clone, Default)]
pub(in crate::store) struct WriteLock(Arc<Mutex<()>>);

impl WriteLock {
    /// Waits for the turn to write, where dialect `D` needs one; the guard holds it.
    pub(in crate::store) async fn turn<D: Dialect>(&self) -> Option<MutexGuard<'_, ()>> {
        match D::ONE_WRITER {
            true => Some(self.0.lock().await),
            false => None,
        }
    }
}

impl<D: Dialect> Deployments for SqlStore<D> {
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
        Box::pin(async move {
            let _writing = self.writing().await;
            deployments::mark_undeployed(&self.pool, name).await
        })
    }

    fn mark_version_undeployed<'a>(
        &'a self,
        name: &'a str,
        version: i64,
    ) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move {
            let _writing = self.writing().await;
            deployments::mark_version_undeployed(&self.pool, name, version).await
        })
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
}

impl<D: Dialect> Instances for SqlStore<D> {
    fn reserve_instance_ids(&self, count: u32) -> BoxFuture<'_, Result<i64>> {
        Box::pin(async move {
            let _writing = self.writing().await;
            let mut tx = dialect::begin_write(&self.pool).await?;
            let first = instances::reserve_ids::<D>(&mut tx, count).await?;
            tx.commit().await?;
            Ok(first)
        })
    }

    fn load_instance(&self, id: i64) -> BoxFuture<'_, Result<Option<InstanceRecord>>> {
        Box::pin(instances::load(&self.pool, id))
    }

    fn commit(&self, step: StepCommit) -> BoxFuture<'_, Result<i64>> {
        Box::pin(self.steps.commit(step))
    }

    fn commit_early(&self, step: StepCommit) -> BoxFuture<'_, Result<Committed>> {
        Box::pin(self.steps.commit_early(step))
    }

    fn commit_stats(&self) -> CommitStats {
        self.steps.stats()
    }

    fn find_route<'a>(
        &'a self,
        process: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<RouteOwner>>> {
        Box::pin(correlation::find(&self.pool, process, key))
    }

    fn mark_failed<'a>(&'a self, id: i64, reason: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let _writing = self.writing().await;
            instances::mark_failed(&self.pool, id, reason).await
        })
    }

    fn pending_exchanges(&self, instance_id: i64) -> BoxFuture<'_, Result<Vec<ExchangeRecord>>> {
        Box::pin(exchanges::pending(&self.pool, instance_id))
    }

    fn outbox(&self) -> BoxFuture<'_, Result<Vec<OutboxEntry>>> {
        Box::pin(delivery::outbox(&self.pool))
    }

    fn delivered<'a>(&'a self, message_id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let _writing = self.writing().await;
            delivery::delivered(&self.pool, message_id).await
        })
    }

    fn received<'a>(&'a self, message_id: &'a str) -> BoxFuture<'a, Result<Option<Received>>> {
        Box::pin(delivery::received(&self.pool, message_id))
    }

    fn exchanges(&self, instance_id: i64) -> BoxFuture<'_, Result<Vec<ExchangeRecord>>> {
        Box::pin(exchanges::of_instance(&self.pool, instance_id))
    }

    fn clean_up(&self, steps: Vec<StepCommit>) -> BoxFuture<'_, Result<Vec<Result<i64>>>> {
        Box::pin(async move {
            let batch = steps::Steps::<D> {
                pool: self.pool.clone(),
                writer: self.writer.clone(),
            };
            // All at once, a statement per kind of row, as the group commit writes; step by
            // step only when one of them is refused.
            match batch.apply_all(&steps).await? {
                Some(revisions) => Ok(revisions.into_iter().map(Ok).collect()),
                None => batch.apply_each(&steps).await,
            }
        })
    }
}

impl<D: Dialect> Jobs for SqlStore<D> {
    fn due_jobs(&self, until_ms: i64, limit: u32) -> BoxFuture<'_, Result<Vec<Job>>> {
        Box::pin(jobs::due(&self.pool, until_ms, limit))
    }

    fn jobs_of_kind(&self, kind: JobKind) -> BoxFuture<'_, Result<Vec<Job>>> {
        Box::pin(jobs::of_kind(&self.pool, kind))
    }
}

impl<D: Dialect> Inspection for SqlStore<D> {
    fn list_instances<'a>(
        &'a self,
        filter: &'a InstanceFilter,
    ) -> BoxFuture<'a, Result<Vec<InstanceSummary>>> {
        Box::pin(instances::list(&self.pool, filter))
    }

    fn instance_routes(&self, instance_id: i64) -> BoxFuture<'_, Result<Vec<RouteKey>>> {
        Box::pin(correlation::of_instance(&self.pool, instance_id))
    }
}

impl<D: Dialect> EventLog for SqlStore<D> {
    fn append_events<'a>(&'a self, events: &'a [StoredEvents]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let _writing = self.writing().await;
            events::append(&self.pool, events).await
        })
    }

    fn instance_events(
        &self,
        instance_id: i64,
        after: i64,
        limit: u32,
    ) -> BoxFuture<'_, Result<Vec<StoredEvents>>> {
        Box::pin(events::of_instance(&self.pool, instance_id, after, limit))
    }

    fn delete_instance_events(&self, instance_id: i64) -> BoxFuture<'_, Result<u64>> {
        Box::pin(async move {
            let _writing = self.writing().await;
            events::delete_of_instance(&self.pool, instance_id).await
        })
    }

    fn delete_events_before(&self, before_ms: i64, batch: u32) -> BoxFuture<'_, Result<u64>> {
        Box::pin(async move {
            let mut deleted = 0;
            loop {
                let ids = events::older(&self.pool, before_ms, batch).await?;
                if ids.is_empty() {
                    return Ok(deleted);
                }
                let _writing = self.writing().await;
                deleted += events::delete(&self.pool, &ids).await?;
                if ids.len() < batch as usize {
                    return Ok(deleted);
                }
            }
        })
    }
}

impl<D: Dialect> Store for SqlStore<D> {
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.pool.close())
    }

    fn commit_histograms(&self) -> Option<CommitHistograms> {
        Some(self.steps.histograms())
    }

    fn pool_use(&self) -> Option<PoolUse> {
        Some(PoolUse {
            database: D::NAME,
            open: self.pool.size(),
            idle: self.pool.num_idle(),
            max: self.pool.options().get_max_connections(),
        })
    }
}

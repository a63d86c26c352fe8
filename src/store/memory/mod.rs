//! The memory store: a [`Store`] that keeps everything in this process's memory and loses it
//! on a restart. The engine keeps the instances of in-memory process versions (deploy.xml
//! `<in-memory>true</in-memory>`) here, with their correlation routes and message exchanges,
//! so those never touch the database; deployments and process versions stay in the durable
//! store.
//!
//! It differs from the database backends where memory calls for it:
//! - instance ids are negative ([`MemoryStore::holds`]), so they never collide with a
//!   database's, and are handed out without any I/O;
//! - an instance of any pid can be created: the process versions are recorded elsewhere;
//! - an instance's jobs (timers, invoke time-outs) are kept with it, so they are volatile;
//! - a step that ends an instance (any status but running or suspended) removes it with its routes,
//!   exchanges, jobs and the ids of the messages it took at once, and so does
//!   [`Store::mark_failed`]: nothing is kept of ended instances but the messages they sent
//!   that their partners have not taken yet;
//! - [`MemoryStore::purge_created_before`] drops instances older than a time to live, and
//!   [`MemoryStore::purge_process`] those of a process version that is no longer deployed;
//! - closing it changes nothing: it lives as long as the server;
//! - each step is a transaction of its own in its [`CommitStats`].
//!
//! One lock guards all tables: a commit checks and applies a step under it, which makes it
//! atomic without a transaction log. Each operation holds it for microseconds and never
//! across an await.

mod tables;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use futures::future::{self, BoxFuture};

pub use tables::PurgedInstance;

use self::tables::Tables;
use super::group_commit::Counters;
use super::{
    CommitHistograms, CommitStats, Committed, DeploymentRecord, DeploymentSummary, Deployments,
    EventLog, ExchangeRecord, Inspection, InstanceFilter, InstanceRecord, InstanceSummary,
    Instances, Job, JobKind, Jobs, OutboxEntry, PoolUse, ProcessRecord, ProcessState, Received,
    Result, RouteKey, RouteOwner, StepCommit, Store, StoredEvents,
};

/// A [`Store`] in memory.
#[derive(Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
    /// The most recently handed out instance id; they go down from -1.
    lowest_id: AtomicI64,
    commits: Counters,
    /// The event log, in order of appending.
    events: Mutex<Vec<StoredEvents>>,
    /// The number of the last event appended.
    last_event: AtomicI64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether instance `id` is one of a memory store's: its ids are negative.
    pub fn holds(id: i64) -> bool {
        id < 0
    }

    /// Removes every instance created before `cutoff`, with its routes and exchanges, and
    /// tells which they were.
    pub fn purge_created_before(&self, cutoff: SystemTime) -> Vec<PurgedInstance> {
        self.tables().purge(|instance| instance.created_at < cutoff)
    }

    /// Removes every instance of process version `pid`, with its routes and exchanges, and
    /// tells which they were.
    pub fn purge_process(&self, pid: &str) -> Vec<PurgedInstance> {
        self.tables().purge(|instance| instance.pid == pid)
    }

    fn tables(&self) -> MutexGuard<'_, Tables> {
        // A panic under the lock leaves no half-applied step: commits check before they change.
        self.tables
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `count` consecutive fresh ids, lowest first.
    fn reserve(&self, count: u32) -> i64 {
        let count = i64::from(count);
        self.lowest_id.fetch_sub(count, Ordering::Relaxed) - count
    }
}

/// An answer that is ready at once.
fn ready<'a, T: Send + 'a>(value: T) -> BoxFuture<'a, T> {
    Box::pin(future::ready(value))
}

impl Deployments for MemoryStore {
    fn save_deployment(&self, deployment: DeploymentRecord) -> BoxFuture<'_, Result<()>> {
        ready(self.tables().save_deployment(deployment))
    }

    fn list_deployments(&self) -> BoxFuture<'_, Result<Vec<DeploymentSummary>>> {
        ready(Ok(self.tables().list_deployments()))
    }

    fn load_deployment<'a>(
        &'a self,
        name: &'a str,
        version: i64,
    ) -> BoxFuture<'a, Result<Option<DeploymentRecord>>> {
        ready(Ok(self.tables().load_deployment(name, version)))
    }

    fn mark_undeployed<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<u64>> {
        ready(Ok(self.tables().mark_undeployed(name)))
    }

    fn mark_version_undeployed<'a>(
        &'a self,
        name: &'a str,
        version: i64,
    ) -> BoxFuture<'a, Result<u64>> {
        ready(Ok(self.tables().mark_version_undeployed(name, version)))
    }

    fn save_process(&self, process: ProcessRecord) -> BoxFuture<'_, Result<()>> {
        ready(self.tables().save_process(process))
    }

    fn list_processes(&self) -> BoxFuture<'_, Result<Vec<ProcessRecord>>> {
        ready(Ok(self.tables().list_processes()))
    }

    fn set_process_state<'a>(
        &'a self,
        pid: &'a str,
        state: ProcessState,
    ) -> BoxFuture<'a, Result<()>> {
        ready(self.tables().set_process_state(pid, state))
    }
}

impl Instances for MemoryStore {
    fn reserve_instance_ids(&self, count: u32) -> BoxFuture<'_, Result<i64>> {
        ready(Ok(self.reserve(count)))
    }

    fn load_instance(&self, id: i64) -> BoxFuture<'_, Result<Option<InstanceRecord>>> {
        ready(Ok(self.tables().load_instance(id)))
    }

    fn commit(&self, step: StepCommit) -> BoxFuture<'_, Result<i64>> {
        let forgotten = step.deletes_events().then_some(step.instance.id);
        let outcome = self.tables().commit(step);
        if let (Ok(_), Some(id)) = (&outcome, forgotten) {
            self.remove_events(|event| event.instance_id != id);
        }
        self.commits.committed(std::slice::from_ref(&outcome));
        ready(outcome)
    }

    fn commit_early(&self, step: StepCommit) -> BoxFuture<'_, Result<Committed>> {
        let committed = self.commit(step);
        Box::pin(async move { committed.await.map(Committed::durable) })
    }

    fn commit_stats(&self) -> CommitStats {
        self.commits.stats()
    }

    fn find_route<'a>(
        &'a self,
        process: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<RouteOwner>>> {
        ready(Ok(self.tables().find_route(process, key)))
    }

    fn mark_failed<'a>(&'a self, id: i64, reason: &'a str) -> BoxFuture<'a, Result<()>> {
        tracing::debug!(instance = id, %reason, "In-memory instance failed; forgotten");
        ready(self.tables().mark_failed(id))
    }

    fn pending_exchanges(&self, instance_id: i64) -> BoxFuture<'_, Result<Vec<ExchangeRecord>>> {
        ready(Ok(self.tables().exchanges(instance_id, true)))
    }

    fn outbox(&self) -> BoxFuture<'_, Result<Vec<OutboxEntry>>> {
        ready(Ok(self.tables().outbox()))
    }

    fn delivered<'a>(&'a self, message_id: &'a str) -> BoxFuture<'a, Result<()>> {
        self.tables().delivered(message_id);
        ready(Ok(()))
    }

    fn received<'a>(&'a self, message_id: &'a str) -> BoxFuture<'a, Result<Option<Received>>> {
        ready(Ok(self.tables().received(message_id)))
    }

    fn exchanges(&self, instance_id: i64) -> BoxFuture<'_, Result<Vec<ExchangeRecord>>> {
        ready(Ok(self.tables().exchanges(instance_id, false)))
    }

    fn clean_up(&self, steps: Vec<StepCommit>) -> BoxFuture<'_, Result<Vec<Result<i64>>>> {
        let mut tables = self.tables();
        let mut forgotten = Vec::new();
        let outcomes = steps
            .into_iter()
            .map(|step| {
                let id = step.deletes_events().then_some(step.instance.id);
                let outcome = tables.commit(step);
                forgotten.extend(id.filter(|_| outcome.is_ok()));
                outcome
            })
            .collect();
        drop(tables);
        self.remove_events(|event| !forgotten.contains(&event.instance_id));
        ready(Ok(outcomes))
    }
}

impl Jobs for MemoryStore {
    fn due_jobs(&self, until_ms: i64, limit: u32) -> BoxFuture<'_, Result<Vec<Job>>> {
        ready(Ok(self.tables().due_jobs(until_ms, limit)))
    }

    fn jobs_of_kind(&self, kind: JobKind) -> BoxFuture<'_, Result<Vec<Job>>> {
        ready(Ok(self.tables().jobs_of_kind(kind)))
    }
}

impl Inspection for MemoryStore {
    fn list_instances<'a>(
        &'a self,
        filter: &'a InstanceFilter,
    ) -> BoxFuture<'a, Result<Vec<InstanceSummary>>> {
        ready(Ok(self.tables().list_instances(filter)))
    }

    fn instance_routes(&self, instance_id: i64) -> BoxFuture<'_, Result<Vec<RouteKey>>> {
        ready(Ok(self.tables().instance_routes(instance_id)))
    }
}

impl MemoryStore {
    fn event_log(&self) -> MutexGuard<'_, Vec<StoredEvents>> {
        self.events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps the events `keep` says, and tells how many it removed.
    fn remove_events(&self, keep: impl Fn(&StoredEvents) -> bool) -> u64 {
        let mut log = self.event_log();
        let before = log.len();
        log.retain(keep);
        (before - log.len()) as u64
    }
}

impl EventLog for MemoryStore {
    fn append_events<'a>(&'a self, events: &'a [StoredEvents]) -> BoxFuture<'a, Result<()>> {
        let mut log = self.event_log();
        for event in events {
            log.push(StoredEvents {
                id: self.last_event.fetch_add(1, Ordering::Relaxed) + 1,
                ..event.clone()
            });
        }
        ready(Ok(()))
    }

    fn instance_events(
        &self,
        instance_id: i64,
        after: i64,
        limit: u32,
    ) -> BoxFuture<'_, Result<Vec<StoredEvents>>> {
        let log = self.event_log();
        let events = log
            .iter()
            .filter(|event| event.instance_id == instance_id && event.id > after)
            .take(limit as usize)
            .cloned()
            .collect();
        ready(Ok(events))
    }

    fn delete_instance_events(&self, instance_id: i64) -> BoxFuture<'_, Result<u64>> {
        ready(Ok(
            self.remove_events(|event| event.instance_id != instance_id)
        ))
    }

    fn delete_events_before(&self, before_ms: i64, _batch: u32) -> BoxFuture<'_, Result<u64>> {
        ready(Ok(self.remove_events(|event| event.at_ms >= before_ms)))
    }
}

impl Store for MemoryStore {
    fn close(&self) -> BoxFuture<'_, ()> {
        ready(())
    }

    fn commit_histograms(&self) -> Option<CommitHistograms> {
        None
    }

    fn pool_use(&self) -> Option<PoolUse> {
        None
    }
}

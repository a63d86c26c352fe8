//! The durable store: where deployments, process versions, instances, message exchanges,
//! correlation routes and jobs survive a restart.
//!
//! The engine talks to the [`Store`] trait only, typically through an `Arc<dyn Store>`; its
//! roles are traits of their own, so that a caller depends on the one it uses: the commit
//! path of running instances ([`Instances`]), the scheduler's [`Jobs`], [`Deployments`], and
//! read-only [`Inspection`]. Database backends are interchangeable: [`SqliteStore`] is the embedded one,
//! [`PostgresStore`] and [`MySqlStore`] use a database server through a connection pool.
//! A [`Datasource`] names one by URL and opens it. The three are one [`SqlStore`], whose
//! tables are written once over the [`Dialect`] of their database; each backend's module
//! opens its database and brings its schema (`dbscripts/<database>.sql`) up to date. What
//! every store shares lives here: the records, the errors, the time columns, the schema
//! versions, the pool settings and the group-commit writer. [`MemoryStore`] implements the
//! same trait in memory, for the instances of in-memory process versions, which never touch
//! a database.
//!
//! A state-machine step of an instance produces one [`StepCommit`], written in a single
//! transaction: the instance's new state (optimistic on its revision), the correlation routes
//! it added or removed, the message exchanges it opened or answered, and its jobs. The step
//! that ends an instance may also delete its exchanges, or the instance with everything of
//! it, as its deploy.xml cleanup says ([`StepCommit::delete_exchanges`],
//! [`StepCommit::delete_instance`]).
//!
//! # Jobs
//! The job table holds the work due at a time: an instance's timers (waits, onAlarms, retry
//! delays), the time-outs of its request-response invokes in flight, and the resumption of
//! instances that ran before the table existed. A [`Job`] is unique per instance, kind and
//! key (the timer or exchange id), and storing one again changes nothing. The step that runs
//! a job names it in [`StepCommit::job_done`]: its row is deleted in the step's own
//! transaction, and when it is gone already (another worker or an earlier delivery ran it)
//! the step fails with [`Error::JobGone`] and nothing of it is stored, so a job runs exactly
//! once. An instance that finishes drops its remaining jobs in the same commit. The engine's
//! scheduler reads the jobs due soon with [`Store::due_jobs`].

mod commit_histograms;
mod datasource;
mod error;
mod group_commit;
pub mod memory;
pub mod mysql;
mod pool;
pub mod postgres;
mod records;
mod rows;
mod schema;
pub mod sql;
pub mod sqlite;
#[cfg(test)]
mod tests;
pub(crate) mod time;

use futures::future::BoxFuture;

pub use commit_histograms::CommitHistograms;
pub use datasource::{Backend, Datasource};
pub use error::{Error, Result};
pub use group_commit::{CommitStats, Committed, Durable};
pub use memory::{MemoryStore, PurgedInstance};
pub use mysql::MySqlStore;
pub use pool::{PoolSettings, PoolUse};
pub use postgres::PostgresStore;
pub use records::{
    CorrelationFilter, CorrelationValue, DeploymentRecord, DeploymentSummary, ExchangeDirection,
    ExchangeRecord, ExchangeStatus, ExchangeWrite, InstanceFilter, InstanceOrder, InstanceOrderKey,
    InstancePosition, InstanceRecord, InstanceStatus, InstanceSummary, InstanceWrite, Job, JobKey,
    JobKind, OutboxEntry, ProcessRecord, ProcessState, Received, RouteKey, RouteOwner, StepCommit,
    StoredEvents, TimeBound,
};
pub use schema::{Migration, SCHEMA_VERSION};
pub use sql::{Dialect, SqlStore};
pub use sqlite::{SqliteConfig, SqliteStore, Synchronous};

/// The deployments and process versions: what deploying, undeploying and retiring write,
/// and what a starting server reads.
pub trait Deployments: Send + Sync + 'static {
    /// Stores a deployment; [`Error::Duplicate`] if its name and version already exist.
    fn save_deployment(&self, deployment: DeploymentRecord) -> BoxFuture<'_, Result<()>>;

    /// Lists all deployments, undeployed ones included, by name then version.
    fn list_deployments(&self) -> BoxFuture<'_, Result<Vec<DeploymentSummary>>>;

    /// Loads one deployment with its files.
    fn load_deployment<'a>(
        &'a self,
        name: &'a str,
        version: i64,
    ) -> BoxFuture<'a, Result<Option<DeploymentRecord>>>;

    /// Marks every version of deployment `name` undeployed and drops the jobs of their
    /// instances (their timers and invoke time-outs will never run); returns how many
    /// versions were still deployed.
    fn mark_undeployed<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<u64>>;

    /// Marks version `version` of deployment `name` undeployed, the others left as they are;
    /// returns 1 when it was still deployed, else 0.
    fn mark_version_undeployed<'a>(
        &'a self,
        name: &'a str,
        version: i64,
    ) -> BoxFuture<'a, Result<u64>>;

    /// Stores a process version; [`Error::Duplicate`] if the pid exists,
    /// [`Error::NotFound`] if its deployment does not.
    fn save_process(&self, process: ProcessRecord) -> BoxFuture<'_, Result<()>>;

    /// Lists all process versions, by version then pid.
    fn list_processes(&self) -> BoxFuture<'_, Result<Vec<ProcessRecord>>>;

    /// Sets the state of process version `pid`; [`Error::NotFound`] if there is none.
    fn set_process_state<'a>(
        &'a self,
        pid: &'a str,
        state: ProcessState,
    ) -> BoxFuture<'a, Result<()>>;
}

/// The commit path of running instances: their ids, states, steps, correlation routes, and
/// the messages they take and send.
pub trait Instances: Send + Sync + 'static {
    /// Reserves `count` consecutive instance ids, never handed out again, and returns the
    /// first (ids increase strictly); an instance is then inserted by its first commit (see [`InstanceWrite::create`]).
    fn reserve_instance_ids(&self, count: u32) -> BoxFuture<'_, Result<i64>>;

    /// Loads one instance with its state.
    fn load_instance(&self, id: i64) -> BoxFuture<'_, Result<Option<InstanceRecord>>>;

    /// Applies everything a step produced in one transaction and returns the instance's new
    /// revision. Fails without applying anything with [`Error::Conflict`] on a stale
    /// revision, [`Error::DuplicateRoute`] if a route is owned by another instance,
    /// [`Error::Duplicate`] if an exchange id belongs to another instance,
    /// [`Error::JobGone`] if the job the step runs is no longer stored, and
    /// [`Error::NotFound`] if the instance does not exist.
    fn commit(&self, step: StepCommit) -> BoxFuture<'_, Result<i64>>;

    /// Applies a step as [`Instances::commit`] does, but answers as soon as its transaction
    /// commits, before it is durable, with a [`Durable`] that says when it is. Whatever it
    /// stored is visible to later calls at once, and a later commit is never durable before
    /// it: an effect seen only by later steps of this store may follow now; one seen outside
    /// waits for [`Durable::wait`].
    fn commit_early(&self, step: StepCommit) -> BoxFuture<'_, Result<Committed>>;

    /// What [`Store::commit`] did since the store was opened: steps stored and refused, and
    /// the transactions that held them (several steps share one when they commit together).
    fn commit_stats(&self) -> CommitStats;

    /// The instance owning the route `key` of `process`, if any, with its process version.
    fn find_route<'a>(
        &'a self,
        process: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<RouteOwner>>>;

    /// Marks a running instance failed with `reason` (its state is kept as last committed),
    /// and drops its routes and jobs.
    fn mark_failed<'a>(&'a self, id: i64, reason: &'a str) -> BoxFuture<'a, Result<()>>;

    /// The pending exchanges of instance `instance_id`, oldest first.
    fn pending_exchanges(&self, instance_id: i64) -> BoxFuture<'_, Result<Vec<ExchangeRecord>>>;

    /// Every entry of the outbox, by instance then message id.
    fn outbox(&self) -> BoxFuture<'_, Result<Vec<OutboxEntry>>>;

    /// Deletes the outbox entry of message `message_id` (its partner has taken it), if stored.
    fn delivered<'a>(&'a self, message_id: &'a str) -> BoxFuture<'a, Result<()>>;

    /// The record of message `message_id` if an instance has taken it.
    fn received<'a>(&'a self, message_id: &'a str) -> BoxFuture<'a, Result<Option<Received>>>;

    /// Every exchange of an instance, whatever its status, oldest first.
    fn exchanges(&self, instance_id: i64) -> BoxFuture<'_, Result<Vec<ExchangeRecord>>>;

    /// Applies the steps of a scheduled cleanup of ended instances (each deleting an
    /// instance, or what of it [`StepCommit`]'s cleanup flags name) in one transaction, apart
    /// from the engine's step commits; each is refused alone, as [`Instances::commit`]
    /// refuses it (an instance saved since it was read is a [`Error::Conflict`]), and the
    /// others are stored. Returns each step's outcome in order.
    fn clean_up(&self, steps: Vec<StepCommit>) -> BoxFuture<'_, Result<Vec<Result<i64>>>>;
}

/// The work due at a time, as the scheduler reads it.
pub trait Jobs: Send + Sync + 'static {
    /// At most `limit` jobs due at or before `until_ms` (ms since the Unix epoch), soonest
    /// first.
    fn due_jobs(&self, until_ms: i64, limit: u32) -> BoxFuture<'_, Result<Vec<Job>>>;

    /// Every job of `kind`, by instance.
    fn jobs_of_kind(&self, kind: JobKind) -> BoxFuture<'_, Result<Vec<Job>>>;
}

/// Read-only queries for operators and tests.
pub trait Inspection: Send + Sync + 'static {
    /// Lists the instances `filter` selects, in its order (newest first by default), without
    /// their state, in one query of the store.
    fn list_instances<'a>(
        &'a self,
        filter: &'a InstanceFilter,
    ) -> BoxFuture<'a, Result<Vec<InstanceSummary>>>;

    /// The routes instance `instance_id` owns, sorted.
    fn instance_routes(&self, instance_id: i64) -> BoxFuture<'_, Result<Vec<RouteKey>>>;
}

/// The BPEL events the `store` event listener keeps (see [`crate::events`]), a row per step,
/// apart from the steps that emitted them: they are appended after their step committed, in
/// batches.
pub trait EventLog: Send + Sync + 'static {
    /// Appends the rows `events` in one statement, numbering them in order.
    fn append_events<'a>(&'a self, events: &'a [StoredEvents]) -> BoxFuture<'a, Result<()>>;

    /// The rows of instance `instance_id` numbered after `after`, in order, at most `limit`.
    fn instance_events(
        &self,
        instance_id: i64,
        after: i64,
        limit: u32,
    ) -> BoxFuture<'_, Result<Vec<StoredEvents>>>;

    /// Deletes every row of instance `instance_id`; returns how many there were.
    fn delete_instance_events(&self, instance_id: i64) -> BoxFuture<'_, Result<u64>>;

    /// Deletes the rows of steps that ran before `before_ms`, in transactions of at most
    /// `batch` rows; returns how many there were.
    fn delete_events_before(&self, before_ms: i64, batch: u32) -> BoxFuture<'_, Result<u64>>;
}

/// Durable storage of the engine's state.
///
/// Methods return boxed futures so the traits stay dyn-compatible. Implementations must be
/// safe to call concurrently; every method is atomic on its own. Each role is a trait of its
/// own ([`Deployments`], [`Instances`], [`Jobs`],
/// [`Inspection`], [`EventLog`]), so that a caller can depend on the one it uses.
pub trait Store: Deployments + Instances + Jobs + Inspection + EventLog {
    /// Closes the store, waiting for in-flight operations; later calls fail.
    fn close(&self) -> BoxFuture<'_, ()>;

    /// The sizes and times of the transactions its group-commit writer committed; none for
    /// a store without one.
    fn commit_histograms(&self) -> Option<CommitHistograms>;

    /// How its connection pool is used now; none for a store without one.
    fn pool_use(&self) -> Option<PoolUse>;
}

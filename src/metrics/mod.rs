//! What the server measures, for Prometheus: `GET /metrics` on the server's HTTP port
//! ([`route`]) answers it in the text exposition format.
//!
//! Two kinds of values are exposed. Those counted as things happen live in [`Metrics`],
//! which the engine's [`Services`](crate::engine::Services) hold: messages in and out with
//! their times, instances started and ended, hydrations, activities failed and settled, how
//! late jobs run. Each update is an atomic operation on an instrument resolved once (per
//! transport and outcome, per process version: see [`ProcessMetrics`]), so the hot path
//! takes no lock. Those that something else counts already are read when scraped
//! ([`snapshot`]): the store's commits and pool, the instances each process version holds
//! in memory and has evicted, the event listeners' queues. The durable store's writer times
//! its own transactions ([`crate::store::CommitHistograms`]), registered here.
//!
//! # Layout
//! - [`Metrics`]: the instruments counted as things happen.
//! - [`exchanges`]: messages by [`Transport`] and [`Outcome`].
//! - [`process`]: the instruments of one process version.
//! - [`snapshot`]: the values read when scraped, and the exposition.
//! - [`measured`]: the dispatcher the transports call, timing each inbound message.
//! - [`route`]: the endpoint, and who may read it.

pub mod exchanges;
pub mod measured;
pub mod process;
pub mod route;
pub mod snapshot;

use std::time::Duration;

use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

pub use exchanges::{Outcome, Transport};
pub use measured::Measured;
pub use process::ProcessMetrics;

use self::exchanges::Exchanges;
use crate::runtime::step::RecoveryAction;
use crate::store::{CommitHistograms, JobKind};

/// The upper bounds of the buckets of message times and job lag, in seconds.
const SECOND_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The job kinds, each at the index [`job_index`] gives it.
const JOB_KINDS: [JobKind; 3] = [JobKind::Timer, JobKind::InvokeTimeout, JobKind::Recover];

/// Where `kind` is in [`JOB_KINDS`].
fn job_index(kind: JobKind) -> usize {
    match kind {
        JobKind::Timer => 0,
        JobKind::InvokeTimeout => 1,
        JobKind::Recover => 2,
    }
}

/// The instruments counted as things happen, in their registry.
pub struct Metrics {
    registry: Registry,
    inbound: Exchanges,
    outbound: Exchanges,
    /// Per process version, resolved by [`Metrics::of_process`].
    instances_started: IntCounterVec,
    instances_ended: IntCounterVec,
    hydrations: IntCounterVec,
    activity_failures: IntCounterVec,
    recoveries: IntCounterVec,
    /// One per kind of [`JOB_KINDS`].
    job_lag: [Histogram; 3],
}

/// Registers `collector` in `registry`; its name and labels are constants, so that it
/// cannot be refused.
fn registered<C>(registry: &Registry, collector: prometheus::Result<C>) -> C
where
    C: prometheus::core::Collector + Clone + 'static,
{
    let collector = collector.expect("the metrics' names and labels are valid");
    registry
        .register(Box::new(collector.clone()))
        .expect("each metric is registered once");
    collector
}

fn seconds(name: &str, help: &str) -> HistogramOpts {
    HistogramOpts::new(name, help).buckets(SECOND_BUCKETS.to_vec())
}

impl Metrics {
    /// The instruments, in a registry of their own, with the durable store writer's
    /// `commits` when it has them.
    pub fn new(commits: Option<CommitHistograms>) -> Self {
        let registry = Registry::new();
        let counters = |name: &str, help: &str, labels: &[&str]| {
            registered(&registry, IntCounterVec::new(Opts::new(name, help), labels))
        };
        let inbound = Exchanges::new(registered(
            &registry,
            HistogramVec::new(
                seconds(
                    "baton_inbound_message_duration_seconds",
                    "Time from an inbound message's arrival to its answer, by transport and outcome.",
                ),
                &["transport", "outcome"],
            ),
        ));
        let outbound = Exchanges::new(registered(
            &registry,
            HistogramVec::new(
                seconds(
                    "baton_outbound_call_duration_seconds",
                    "Time of a partner call, by transport and outcome.",
                ),
                &["transport", "outcome"],
            ),
        ));
        let job_lag = registered(
            &registry,
            HistogramVec::new(
                seconds(
                    "baton_job_lag_seconds",
                    "How late due jobs start to run, by kind.",
                ),
                &["kind"],
            ),
        );
        let metrics = Self {
            inbound,
            outbound,
            instances_started: counters(
                "baton_instances_started_total",
                "Instances created, by process version.",
                &["process"],
            ),
            instances_ended: counters(
                "baton_instances_ended_total",
                "Instances ended, by process version and status (completed, faulted, terminated, failed).",
                &["process", "status"],
            ),
            hydrations: counters(
                "baton_instance_hydrations_total",
                "Instances loaded from their store into memory, by process version.",
                &["process"],
            ),
            activity_failures: counters(
                "baton_activity_failures_total",
                "Activities that came to wait for an operator (activity recovery), by process version.",
                &["process"],
            ),
            recoveries: counters(
                "baton_activity_recoveries_total",
                "Operators' decisions on failed activities, by action (retry, cancel, fault).",
                &["action"],
            ),
            job_lag: JOB_KINDS.map(|kind| job_lag.with_label_values(&[kind.as_str()])),
            registry,
        };
        if let Some(commits) = commits {
            for histogram in [commits.steps, commits.seconds] {
                registered(&metrics.registry, Ok(histogram));
            }
        }
        metrics
    }

    /// The instruments of process version `pid`; resolve them once, as
    /// [`ProcessRuntime::metrics`](crate::engine::ProcessRuntime::metrics) does.
    pub fn of_process(&self, pid: &str) -> ProcessMetrics {
        let ended = |status: &str| self.instances_ended.with_label_values(&[pid, status]);
        ProcessMetrics {
            started: self.instances_started.with_label_values(&[pid]),
            completed: ended("completed"),
            faulted: ended("faulted"),
            terminated: ended("terminated"),
            failed: ended("failed"),
            hydrated: self.hydrations.with_label_values(&[pid]),
            activity_failures: self.activity_failures.with_label_values(&[pid]),
        }
    }

    /// Counts an inbound message over `transport`, answered with `outcome` after `took`.
    pub fn received(&self, transport: Transport, outcome: Outcome, took: Duration) {
        self.inbound.observe(transport, outcome, took);
    }

    /// Counts a partner call over `transport` that ended with `outcome` after `took`.
    pub fn sent(&self, transport: Transport, outcome: Outcome, took: Duration) {
        self.outbound.observe(transport, outcome, took);
    }

    /// Counts a job of `kind` that starts to run `late_ms` after it was due.
    pub fn job_started(&self, kind: JobKind, late_ms: i64) {
        let late = Duration::from_millis(u64::try_from(late_ms).unwrap_or(0));
        self.job_lag[job_index(kind)].observe(late.as_secs_f64());
    }

    /// Counts an operator's decision on a failed activity.
    pub fn recovered(&self, action: RecoveryAction) {
        self.recoveries.with_label_values(&[action.as_str()]).inc();
    }

    /// Every instrument's family as it is now.
    pub(crate) fn gather(&self) -> Vec<prometheus::proto::MetricFamily> {
        self.registry.gather()
    }
}

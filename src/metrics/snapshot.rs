//! The values read when `/metrics` is scraped, from what counts them already, and the
//! exposition of every metric in Prometheus' text format.
//!
//! They are written into a registry made for the one scrape, so that a counter read from
//! elsewhere (the store's commits, a supervisor's evictions) is exposed as it is, without a
//! copy to keep in step: the store's commit counts, durable and in memory; its connection
//! pool; the instances each process version holds in memory, and those it evicted; each
//! event listener's queue and counts.

use std::sync::Arc;

use futures::future::join_all;
use prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

use crate::engine::{ProcessRuntime, Services};
use crate::events::ListenerReport;
use crate::store::{CommitStats, Instances, PoolUse};

/// Why the metrics could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ScrapeError {
    #[error("the metrics cannot be written: {0}")]
    Prometheus(#[from] prometheus::Error),
}

/// One series: its label values and its value.
type Series<'a, V> = (Vec<&'a str>, V);

/// Every metric, in the text exposition format: those [`super::Metrics`] counted, then those
/// read now from `services`.
pub async fn exposition(services: &Services) -> Result<String, ScrapeError> {
    let read = Registry::new();
    commits(
        &read,
        [
            ("durable", services.store.commit_stats()),
            ("memory", services.instances.memory().commit_stats()),
        ],
    )?;
    if let Some(pool) = services.store.pool_use() {
        pool_use(&read, pool)?;
    }
    listeners(&read, &services.events.reports())?;
    supervisors(&read, &services.registry.processes()).await?;
    let mut families = services.metrics.gather();
    families.extend(read.gather());
    Ok(TextEncoder::new().encode_to_string(&families)?)
}

/// Registers in `read` the counter `name` with `labels`, of `series`.
fn counters<'a>(
    read: &Registry,
    (name, help): (&str, &str),
    labels: &[&str],
    series: impl IntoIterator<Item = Series<'a, u64>>,
) -> prometheus::Result<()> {
    let family = IntCounterVec::new(Opts::new(name, help), labels)?;
    for (values, value) in series {
        family.with_label_values(&values).inc_by(value);
    }
    read.register(Box::new(family))
}

/// Registers in `read` the gauge `name` with `labels`, of `series`.
fn gauges<'a>(
    read: &Registry,
    (name, help): (&str, &str),
    labels: &[&str],
    series: impl IntoIterator<Item = Series<'a, i64>>,
) -> prometheus::Result<()> {
    let family = IntGaugeVec::new(Opts::new(name, help), labels)?;
    for (values, value) in series {
        family.with_label_values(&values).set(value);
    }
    read.register(Box::new(family))
}

/// The commit counts of each store, by the store's name.
fn commits<const N: usize>(
    read: &Registry,
    stores: [(&str, CommitStats); N],
) -> prometheus::Result<()> {
    let each = |value: fn(&CommitStats) -> u64| {
        stores
            .iter()
            .map(move |(store, stats)| (vec![*store], value(stats)))
    };
    counters(
        read,
        (
            "baton_store_steps_total",
            "Instance steps stored, by store (durable, memory).",
        ),
        &["store"],
        each(|stats| stats.steps),
    )?;
    counters(
        read,
        (
            "baton_store_steps_refused_total",
            "Instance steps refused and rolled back alone (a stale revision, a route owned by another instance, a job already run).",
        ),
        &["store"],
        each(|stats| stats.refused),
    )?;
    counters(
        read,
        (
            "baton_store_transactions_total",
            "Transactions of instance steps committed; several steps share one when they commit together.",
        ),
        &["store"],
        each(|stats| stats.transactions),
    )?;
    counters(
        read,
        (
            "baton_store_failed_transactions_total",
            "Transactions of instance steps that failed as a whole (the database was unavailable).",
        ),
        &["store"],
        each(|stats| stats.failed_transactions),
    )
}

/// The durable store's connection pool.
fn pool_use(read: &Registry, pool: PoolUse) -> prometheus::Result<()> {
    let busy = i64::from(pool.open).saturating_sub(pool.idle as i64);
    gauges(
        read,
        (
            "baton_store_pool_connections",
            "Connections of the durable store's pool, by database and state (idle, busy).",
        ),
        &["database", "state"],
        [
            (vec![pool.database, "idle"], pool.idle as i64),
            (vec![pool.database, "busy"], busy),
        ],
    )?;
    gauges(
        read,
        (
            "baton_store_pool_max_connections",
            "The most connections the durable store's pool opens.",
        ),
        &["database"],
        [(vec![pool.database], i64::from(pool.max))],
    )
}

/// Each event listener's queue and counts.
fn listeners(read: &Registry, reports: &[ListenerReport]) -> prometheus::Result<()> {
    let each = |value: fn(&ListenerReport) -> u64| {
        reports
            .iter()
            .map(move |report| (vec![report.name.as_str()], value(report)))
    };
    gauges(
        read,
        (
            "baton_event_listener_queued_events",
            "BPEL events waiting in a listener's queue.",
        ),
        &["listener"],
        reports.iter().map(|report| {
            let queued = i64::try_from(report.queued).unwrap_or(i64::MAX);
            (vec![report.name.as_str()], queued)
        }),
    )?;
    counters(
        read,
        (
            "baton_event_listener_delivered_events_total",
            "BPEL events a listener took.",
        ),
        &["listener"],
        each(|report| report.delivered),
    )?;
    counters(
        read,
        (
            "baton_event_listener_dropped_events_total",
            "BPEL events dropped because a listener's queue was full.",
        ),
        &["listener"],
        each(|report| report.dropped),
    )?;
    counters(
        read,
        (
            "baton_event_listener_failed_events_total",
            "BPEL events of batches a listener failed to take.",
        ),
        &["listener"],
        each(|report| report.failed),
    )
}

/// The instances each process version holds in memory, and those it evicted.
async fn supervisors(read: &Registry, processes: &[Arc<ProcessRuntime>]) -> prometheus::Result<()> {
    let asked = processes.iter().filter_map(|process| {
        let supervisor = process.instances.get()?;
        Some(async move { (process.pid.as_str(), supervisor.stats().await) })
    });
    // A supervisor that stopped meanwhile (its version was undeployed) holds nothing.
    let stats: Vec<_> = join_all(asked)
        .await
        .into_iter()
        .filter_map(|(pid, stats)| Some((pid, stats.ok()?)))
        .collect();
    gauges(
        read,
        (
            "baton_instances_in_memory",
            "Instances held in memory, by process version.",
        ),
        &["process"],
        stats.iter().map(|(pid, stats)| {
            let running = i64::try_from(stats.running).unwrap_or(i64::MAX);
            (vec![*pid], running)
        }),
    )?;
    counters(
        read,
        (
            "baton_instance_dehydrations_total",
            "Idle instances evicted from memory under the dehydration policy, by process version.",
        ),
        &["process"],
        stats.iter().map(|(pid, stats)| (vec![*pid], stats.evicted)),
    )
}

//! The distributions of the group-commit writer's transactions ([`super::group_commit`]):
//! how many steps each held, and how long each took from its first statement to its
//! commit. They are Prometheus histograms, updated by the writer with atomic operations; the
//! server's `/metrics` ([`crate::metrics`]) exposes those of the durable store.

use std::fmt;
use std::time::Duration;

use prometheus::{Histogram, HistogramOpts};

/// The upper bounds of the steps-per-transaction buckets: powers of two up to the most
/// steps one transaction takes.
const STEP_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// The upper bounds of the transaction-time buckets, in seconds.
const SECOND_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The writer's committed transactions, as histograms. Clones share their counts.
#[derive(Clone)]
pub struct CommitHistograms {
    /// Steps per committed transaction, stored and refused ones.
    pub steps: Histogram,
    /// Seconds from a transaction's first statement to its commit.
    pub seconds: Histogram,
}

impl CommitHistograms {
    /// Counts a committed transaction of `steps` steps that took `took`.
    pub(crate) fn observe(&self, steps: usize, took: Duration) {
        self.steps.observe(steps as f64);
        self.seconds.observe(took.as_secs_f64());
    }
}

impl Default for CommitHistograms {
    fn default() -> Self {
        let histogram = |name: &str, help: &str, buckets: &[f64]| {
            let options = HistogramOpts::new(name, help).buckets(buckets.to_vec());
            Histogram::with_opts(options).expect("the commit histograms' options are valid")
        };
        Self {
            steps: histogram(
                "baton_store_transaction_steps",
                "Steps per transaction of the durable store's group-commit writer.",
                &STEP_BUCKETS,
            ),
            seconds: histogram(
                "baton_store_transaction_duration_seconds",
                "Time from a writer transaction's first statement to its commit.",
                &SECOND_BUCKETS,
            ),
        }
    }
}

impl fmt::Debug for CommitHistograms {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("CommitHistograms")
            .field("transactions", &self.steps.get_sample_count())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_count_together() {
        let histograms = CommitHistograms::default();
        let clone = histograms.clone();
        histograms.observe(3, Duration::from_millis(2));
        clone.observe(1, Duration::from_millis(4));
        assert_eq!(clone.steps.get_sample_count(), 2);
        assert_eq!(histograms.steps.get_sample_sum(), 4.0);
        assert!((histograms.seconds.get_sample_sum() - 0.006).abs() < 1e-9);
    }
}

//! The instruments of one process version, resolved once from [`super::Metrics`] and kept
//! with the version ([`crate::engine::ProcessRuntime::metrics`]), so that counting an
//! instance's steps is an atomic increment.

use prometheus::IntCounter;

use crate::runtime::InstanceStatus;

/// What one process version's instances did.
pub struct ProcessMetrics {
    pub(super) started: IntCounter,
    pub(super) completed: IntCounter,
    pub(super) faulted: IntCounter,
    pub(super) terminated: IntCounter,
    pub(super) failed: IntCounter,
    pub(super) hydrated: IntCounter,
    pub(super) activity_failures: IntCounter,
}

impl ProcessMetrics {
    /// Counts a committed step of an instance: whether it `created` the instance, the
    /// instance's `status` after it, and how many activities came to wait for an operator
    /// with it.
    pub fn committed(&self, created: bool, status: InstanceStatus, activities_failed: usize) {
        if created {
            self.started.inc();
        }
        match status {
            InstanceStatus::Completed => self.completed.inc(),
            InstanceStatus::Faulted => self.faulted.inc(),
            InstanceStatus::Terminated => self.terminated.inc(),
            InstanceStatus::Running | InstanceStatus::Suspended => {}
        }
        self.activity_failures.inc_by(activities_failed as u64);
    }

    /// Counts an instance marked failed after its entity panicked.
    pub fn failed(&self) {
        self.failed.inc();
    }

    /// Counts an instance loaded from its store into memory.
    pub fn hydrated(&self) {
        self.hydrated.inc();
    }
}

#[cfg(test)]
mod tests {
    use super::super::Metrics;
    use super::*;

    #[test]
    fn a_step_counts_its_instance_start_end_and_failed_activities() {
        let metrics = Metrics::new(None);
        let process = metrics.of_process("{urn:p}P-1");
        process.committed(true, InstanceStatus::Running, 0);
        process.committed(false, InstanceStatus::Running, 2);
        process.committed(false, InstanceStatus::Faulted, 0);
        process.committed(true, InstanceStatus::Completed, 0);
        assert_eq!(process.started.get(), 2);
        assert_eq!(process.faulted.get(), 1);
        assert_eq!(process.completed.get(), 1);
        assert_eq!(process.terminated.get(), 0);
        assert_eq!(process.activity_failures.get(), 2);
        let again = metrics.of_process("{urn:p}P-1");
        assert_eq!(
            again.started.get(),
            2,
            "the same version has the same counters"
        );
    }
}

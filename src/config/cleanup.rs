//! # Scheduled cleanup and retention: `[cleanup]`
//!
//! Beside deploy.xml's `<cleanup>` (applied when an instance ends), cleanups that run on a
//! schedule, as WSO2 BPS's `<Schedules>` had them, and the retention of retired process
//! versions.

use serde::Deserialize;

/// `[cleanup]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct CleanupConfig {
    /// `[[cleanup.schedules]]`: the system-wide scheduled cleanups.
    pub schedules: Vec<ScheduleConfig>,
    /// Instances deleted per transaction by a scheduled or bulk cleanup.
    pub batch: usize,
    /// Whether a retired process version with no instance left is undeployed, with its
    /// deployment once none of its versions is left.
    pub remove_retired: bool,
}

impl Default for CleanupConfig {
    fn default() -> Self {
        Self {
            schedules: Vec::new(),
            batch: 100,
            remove_retired: false,
        }
    }
}

/// One scheduled cleanup.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct ScheduleConfig {
    /// When it runs: a Quartz-style cron expression with seconds, e.g. `0 0/30 * * * ?`.
    pub when: String,
    /// Instance filters (ODE's filter language); each selects instances to clean up.
    pub filters: Vec<String>,
    /// What is deleted of them: `instance`, `variables`, `messages`, `correlations`,
    /// `events` or `all`; none listed means all.
    pub categories: Vec<String>,
}

impl CleanupConfig {
    pub(super) fn problems(&self, problems: &mut Vec<String>) {
        if self.batch == 0 {
            problems.push("cleanup.batch must be positive".into());
        }
        for (index, schedule) in self.schedules.iter().enumerate() {
            if schedule.when.trim().is_empty() {
                problems.push(format!("cleanup.schedules[{index}].when must be set"));
            }
        }
    }
}

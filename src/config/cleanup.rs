//! # Scheduled cleanup and retention: `[cleanup]`
//!
//! Beside deploy.xml's `<cleanup>` (applied when an instance ends), cleanups that run on a
//! schedule, as WSO2 BPS's `<Schedules>` had them, and the retention of retired process
//! versions.

use std::time::SystemTime;

use serde::Deserialize;

use crate::model::cron::Cron;
use crate::model::CLEANUP_CATEGORIES;
use crate::query;

/// `[cleanup]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct CleanupConfig {
    /// `[[cleanup.schedules]]`: the system-wide scheduled cleanups.
    pub schedules: Vec<ScheduleConfig>,
    /// Instances deleted per transaction by a scheduled or bulk cleanup.
    pub batch: usize,
    /// The share of time, in percent, a cleanup may spend writing: after each batch it
    /// pauses so that its batches take at most this share, and live instances have the
    /// store the rest of the time.
    pub share: u8,
    /// Whether a retired process version with no instance left is undeployed, with its
    /// deployment once none of its versions is left.
    pub remove_retired: bool,
}

impl Default for CleanupConfig {
    fn default() -> Self {
        Self {
            schedules: Vec::new(),
            batch: 100,
            share: 50,
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
        if !(1..=100).contains(&self.share) {
            problems.push("cleanup.share must be a percentage from 1 to 100".into());
        }
        for (index, schedule) in self.schedules.iter().enumerate() {
            let at = format!("cleanup.schedules[{index}]");
            if schedule.when.trim().is_empty() {
                problems.push(format!("{at}.when must be set"));
            } else if let Err(error) = Cron::parse(&schedule.when) {
                problems.push(format!("{at}.when: {error}"));
            }
            if schedule.filters.is_empty() {
                problems.push(format!(
                    "{at}.filters must name at least one instance filter: a schedule \
                     without one cleans nothing"
                ));
            }
            for filter in &schedule.filters {
                if let Err(error) = query::instance_listing(filter, "", &[], SystemTime::now()) {
                    problems.push(format!("{at}.filters: {error}"));
                }
            }
            for category in &schedule.categories {
                if !CLEANUP_CATEGORIES.contains(&category.as_str()) {
                    problems.push(format!(
                        "{at}.categories: unknown category '{category}'; the categories \
                         are {}",
                        CLEANUP_CATEGORIES.join(", ")
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(schedule: ScheduleConfig) -> Vec<String> {
        let config = CleanupConfig {
            schedules: vec![schedule],
            ..CleanupConfig::default()
        };
        let mut problems = Vec::new();
        config.problems(&mut problems);
        problems
    }

    fn schedule(when: &str, filters: &[&str], categories: &[&str]) -> ScheduleConfig {
        ScheduleConfig {
            when: when.to_owned(),
            filters: filters.iter().map(|f| (*f).to_owned()).collect(),
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn a_schedule_needs_a_cron_expression_filters_and_known_categories() {
        let good = schedule(
            "0 0 3 * * ?",
            &["status=completed last-active<-30d"],
            &["all"],
        );
        assert_eq!(problems(good), Vec::<String>::new());

        let cron = problems(schedule("at three", &["status=completed"], &[]));
        assert!(
            cron[0].starts_with("cleanup.schedules[0].when: cron expression"),
            "{cron:?}"
        );
        let none = problems(schedule("* * * * * ?", &[], &[]));
        assert!(none[0].contains("at least one instance filter"), "{none:?}");
        let filter = problems(schedule("* * * * * ?", &["state=done"], &[]));
        assert!(filter[0].contains("unknown key"), "{filter:?}");
        let category = problems(schedule("* * * * * ?", &["status=completed"], &["logs"]));
        assert!(
            category[0].contains("unknown category 'logs'"),
            "{category:?}"
        );
    }
}

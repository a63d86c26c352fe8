//! When a scheduled cleanup runs: a Quartz-style cron expression, as deploy.xml's
//! `<schedule when>` and the configuration's `[[cleanup.schedules]] when` write it. Six or
//! seven fields, `second minute hour day-of-month month day-of-week [year]`, each a value, a
//! range `a-b`, a step `a/n`, a list `a,b` or `*`, and `?` (no particular value) for the day
//! of the month or of the week: `0 0/30 * * * ?` runs every half hour, `* * * * * ?` every
//! second. Days of the week count from 1, Sunday, or are named (`MON-FRI`). Times are UTC.

use std::str::FromStr;
use std::time::SystemTime;

use chrono::{DateTime, Utc};

/// A cron expression that was read.
#[derive(Debug, Clone)]
pub struct Cron(cron::Schedule);

/// Why a cron expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cron expression '{expression}' cannot be read ({problem}); it is written 'second minute hour day-of-month month day-of-week [year]', e.g. '0 0/30 * * * ?'")]
pub struct CronError {
    pub expression: String,
    pub problem: String,
}

impl Cron {
    /// Reads `expression`.
    pub fn parse(expression: &str) -> Result<Self, CronError> {
        let refused = |problem: String| CronError {
            expression: expression.to_owned(),
            problem,
        };
        let fields = expression.split_whitespace().count();
        if !(6..=7).contains(&fields) {
            return Err(refused(format!("{fields} fields, not 6 or 7")));
        }
        cron::Schedule::from_str(expression)
            .map(Cron)
            .map_err(|error| refused(error.to_string()))
    }

    /// The first time it fires strictly after `after`; None when it never fires again.
    pub fn next_after(&self, after: SystemTime) -> Option<SystemTime> {
        let after: DateTime<Utc> = after.into();
        self.0.after(&after).next().map(SystemTime::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// 2026-01-05T10:00:00Z, a Monday.
    fn monday_ten() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_767_607_200)
    }

    fn next(expression: &str, after: SystemTime) -> Duration {
        let cron = Cron::parse(expression).unwrap();
        let at = cron.next_after(after).unwrap();
        at.duration_since(after).unwrap()
    }

    #[test]
    fn quartz_expressions_with_seconds_and_question_marks_fire_when_they_say() {
        let start = monday_ten();
        assert_eq!(next("* * * * * ?", start), Duration::from_secs(1));
        assert_eq!(next("0 0/30 * * * ?", start), Duration::from_secs(1800));
        assert_eq!(
            next("0 11 17 * * ?", start),
            Duration::from_secs(7 * 3600 + 660)
        );
        // Sunday is 1: the next Tuesday (3) at midnight.
        assert_eq!(next("0 0 0 ? * 3", start), Duration::from_secs(14 * 3600));
        assert_eq!(
            next("0 0 12 ? * MON-FRI", start),
            Duration::from_secs(2 * 3600)
        );
        assert_eq!(next("0 0 10 1 1 ? 2027", start).as_secs() / 86_400, 361);
    }

    #[test]
    fn what_is_not_a_cron_expression_is_refused_saying_how_one_is_written() {
        for wrong in [
            "",
            "* * * * *",
            "61 * * * * ?",
            "every second",
            "* * * * * ? 2027 1",
        ] {
            let error = Cron::parse(wrong).unwrap_err();
            assert_eq!(error.expression, wrong);
            assert!(error.to_string().contains("second minute hour"), "{error}");
        }
    }

    #[test]
    fn a_schedule_in_the_past_never_fires_again() {
        let cron = Cron::parse("0 0 0 1 1 ? 2020").unwrap();
        assert_eq!(cron.next_after(monday_ten()), None);
    }
}

//! The jobs of a step, derived from its event and actions, and the event a job delivers when
//! it is due.
//!
//! Every timer a step arms becomes a timer job, and every request-response invoke it sends an
//! invoke time-out job, due after `[engine] invoke-timeout-ms`. A step that disarms a timer
//! (a pick took a message before its alarm, a scope with alarms ended) cancels its job; the
//! outcome of an invoke cancels its time-out; a resumption after a restart cancels the
//! time-outs of the invokes it sends again (under new exchanges, with time-outs of their
//! own). So the job table holds what instances wait for and no more. Jobs are committed with
//! the step, and the [`scheduler`](super::scheduler) delivers each when it is due.

use crate::runtime::step::{Action, StepOutput};
use crate::runtime::Event;
use crate::store::{Job, JobKey, JobKind};

/// Why a stored job cannot be run.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JobError {
    #[error("timer job {0:?} does not name a timer")]
    TimerKey(String),
}

/// The jobs a step cancels: the time-outs of the invokes it settled, and the timers it
/// disarmed.
pub fn cancelled_by(output: &StepOutput) -> Vec<JobKey> {
    let timeouts = output
        .settled
        .iter()
        .map(|exchange| JobKey::new(JobKind::InvokeTimeout, exchange.clone()));
    let timers = output
        .disarmed
        .iter()
        .map(|timer| JobKey::new(JobKind::Timer, timer.to_string()));
    timeouts.chain(timers).collect()
}

/// The jobs `actions`, of a step of instance `instance_id` of `pid` at `now_ms`, schedule.
pub fn scheduled_by(
    instance_id: i64,
    pid: &str,
    actions: &[Action],
    now_ms: i64,
    invoke_timeout_ms: u64,
) -> Vec<Job> {
    let job = |kind, key: String, due_ms| Job {
        instance_id,
        pid: pid.to_owned(),
        job: JobKey::new(kind, key),
        due_ms,
    };
    let timeout = i64::try_from(invoke_timeout_ms).unwrap_or(i64::MAX);
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Timer { timer, due_ms } => {
                Some(job(JobKind::Timer, timer.to_string(), *due_ms))
            }
            Action::Invoke {
                exchange,
                one_way: false,
                ..
            } => Some(job(
                JobKind::InvokeTimeout,
                exchange.clone(),
                now_ms.saturating_add(timeout),
            )),
            Action::Invoke { .. } | Action::Reply { .. } => None,
        })
        .collect()
}

/// The event job `job` delivers to its instance.
pub fn event_of(job: &JobKey, invoke_timeout_ms: u64) -> Result<Event, JobError> {
    Ok(match job.kind {
        JobKind::Timer => Event::TimerFired {
            timer: job
                .key
                .parse()
                .map_err(|_| JobError::TimerKey(job.key.clone()))?,
        },
        JobKind::InvokeTimeout => Event::InvokeTimedOut {
            exchange: job.key.clone(),
            after_ms: invoke_timeout_ms,
        },
        JobKind::Recover => Event::Recover,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_job_delivers_its_event() {
        let timer = event_of(&JobKey::new(JobKind::Timer, "7"), 10).unwrap();
        assert!(matches!(timer, Event::TimerFired { timer: 7 }));
        let timeout = event_of(&JobKey::new(JobKind::InvokeTimeout, "3.1"), 10).unwrap();
        assert!(matches!(
            timeout,
            Event::InvokeTimedOut { exchange, after_ms: 10 } if exchange == "3.1"
        ));
        let resume = event_of(&JobKey::new(JobKind::Recover, ""), 10).unwrap();
        assert!(matches!(resume, Event::Recover));
        let broken = event_of(&JobKey::new(JobKind::Timer, "x"), 10);
        assert!(matches!(broken, Err(JobError::TimerKey(key)) if key == "x"));
    }
}

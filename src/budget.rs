//! The budget of one step of an instance: how many activities it may run, how much XPath and
//! XSLT evaluation work it may do, how long it may take, and how large a variable it may
//! write (`[engine] max-step-activities`, `max-step-evaluation`, `max-step-ms`,
//! `max-variable-bytes`).
//!
//! The engine runs a step inside [`metered`], which installs a meter on the thread running
//! it. The interpreter charges every activity frame it executes ([`charge_activity`]), the
//! XPath evaluator every expression it evaluates and every node an axis yields, the XSLT
//! processor every instruction, all through [`charge_evaluation`]; each charge also checks
//! the wall clock and the step's cancellation flag, which an operator (terminate, suspend)
//! or the server's shutdown sets. Once the budget is exceeded the meter stays exceeded:
//! every later charge fails at once, so the evaluation in progress unwinds and the
//! interpreter stops, and [`metered`] reports why. Work done outside a meter (compiling a
//! unit, unit tests of the evaluators) is not limited.
//!
//! A step still running after `[engine] low-priority-after-ms` is demoted: its thread drops
//! to the lowest priority, and from then on each look at the clock also paces it in the
//! low-priority lane (see [`baton_actors::workers`]), where demoted steps together get
//! `[engine] low-priority-share` of one processor while other steps are busy. So a long
//! step, within its budget or on its way over it, slows itself, not the server.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one step may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Activity frames the interpreter executes.
    pub activities: u64,
    /// XPath expressions evaluated, nodes visited by axes, XSLT instructions executed.
    pub evaluation: u64,
    /// Wall time.
    pub time: Duration,
    /// Wall time after which the step runs at the lowest priority.
    pub low_priority_after: Duration,
    /// The size of one variable's value (its text, names and attribute values), in bytes.
    pub variable_bytes: usize,
}

/// Why a step was stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Exceeded {
    #[error("the step ran more than {0} activities ([engine] max-step-activities)")]
    Activities(u64),
    #[error("the step's XPath/XSLT evaluation exceeded {0} units ([engine] max-step-evaluation)")]
    Evaluation(u64),
    #[error("the step ran longer than {0} ms ([engine] max-step-ms)")]
    Time(u128),
    #[error("the step was stopped: {0}")]
    Cancelled(String),
}

/// Why a step's cancellation flag was raised.
#[derive(Debug, Default)]
pub struct Cancellation {
    raised: AtomicBool,
    reason: std::sync::Mutex<String>,
    /// The instance whose step this is, for the log.
    instance: Option<i64>,
}

impl Cancellation {
    /// The flag of a step of `instance`.
    pub fn of_instance(instance: i64) -> Self {
        Self {
            instance: Some(instance),
            ..Self::default()
        }
    }

    /// Asks the step to stop at its next charge, for `reason`.
    pub fn raise(&self, reason: &str) {
        if let Ok(mut held) = self.reason.lock() {
            held.clear();
            held.push_str(reason);
        }
        self.raised.store(true, Ordering::Release);
    }

    fn reason(&self) -> Option<String> {
        self.raised
            .load(Ordering::Acquire)
            .then(|| self.reason.lock().map(|r| r.clone()).unwrap_or_default())
    }
}

/// How many charges pass between two looks at the clock and the cancellation flag.
const CHECK_EVERY: u32 = 64;

struct Meter {
    limits: Limits,
    deadline: Instant,
    /// When the step is demoted to low priority; `None` once it is.
    demote_at: Option<Instant>,
    activities: u64,
    evaluation: u64,
    until_check: u32,
    cancellation: Arc<Cancellation>,
    exceeded: Option<Exceeded>,
}

impl Meter {
    fn charge(&mut self, activities: u64, evaluation: u64) -> Result<(), Exceeded> {
        if let Some(exceeded) = &self.exceeded {
            return Err(exceeded.clone());
        }
        self.activities = self.activities.saturating_add(activities);
        self.evaluation = self.evaluation.saturating_add(evaluation);
        let exceeded = if self.activities > self.limits.activities {
            Some(Exceeded::Activities(self.limits.activities))
        } else if self.evaluation > self.limits.evaluation {
            Some(Exceeded::Evaluation(self.limits.evaluation))
        } else if self.until_check == 0 {
            self.until_check = CHECK_EVERY;
            let now = Instant::now();
            match self.demote_at {
                Some(demote_at) if now >= demote_at => {
                    self.demote_at = None;
                    let (instance, after_ms) = (
                        self.cancellation.instance,
                        self.limits.low_priority_after.as_millis(),
                    );
                    tracing::info!(
                        instance,
                        after_ms,
                        "Step running long: moved to low priority"
                    );
                    baton_actors::workers::demote_current_thread();
                }
                Some(_) => {}
                None => baton_actors::workers::pace_current_thread(),
            }
            if let Some(reason) = self.cancellation.reason() {
                Some(Exceeded::Cancelled(reason))
            } else if now > self.deadline {
                Some(Exceeded::Time(self.limits.time.as_millis()))
            } else {
                None
            }
        } else {
            self.until_check -= 1;
            None
        };
        match exceeded {
            Some(exceeded) => {
                self.exceeded = Some(exceeded.clone());
                Err(exceeded)
            }
            None => Ok(()),
        }
    }
}

thread_local! {
    static METER: RefCell<Option<Meter>> = const { RefCell::new(None) };
}

/// Removes the thread's meter when the metered work ends, even by a panic.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        METER.with(|meter| meter.borrow_mut().take());
    }
}

/// Runs `work` on this thread under `limits`, stopped early when `cancellation` is raised;
/// answers its result and, if the budget was exceeded, why (the result is then that of
/// work cut short, not to be kept).
pub fn metered<T>(
    limits: Limits,
    cancellation: Arc<Cancellation>,
    work: impl FnOnce() -> T,
) -> (T, Option<Exceeded>) {
    let started = Instant::now();
    METER.with(|meter| {
        *meter.borrow_mut() = Some(Meter {
            limits,
            deadline: started + limits.time,
            demote_at: Some(started + limits.low_priority_after),
            activities: 0,
            evaluation: 0,
            until_check: 0,
            cancellation,
            exceeded: None,
        })
    });
    let installed = Installed;
    let result = work();
    let exceeded = METER.with(|meter| meter.borrow().as_ref().and_then(|m| m.exceeded.clone()));
    drop(installed);
    (result, exceeded)
}

fn charge(activities: u64, evaluation: u64) -> Result<(), Exceeded> {
    METER.with(|meter| match meter.borrow_mut().as_mut() {
        Some(meter) => meter.charge(activities, evaluation),
        None => Ok(()),
    })
}

/// Charges one activity frame to the running step.
pub fn charge_activity() -> Result<(), Exceeded> {
    charge(1, 0)
}

/// Charges `units` of XPath/XSLT evaluation work to the running step.
pub fn charge_evaluation(units: u64) -> Result<(), Exceeded> {
    charge(0, units)
}

/// Whether the running step has exceeded its budget.
pub fn exceeded() -> bool {
    METER.with(|meter| {
        meter
            .borrow()
            .as_ref()
            .is_some_and(|m| m.exceeded.is_some())
    })
}

/// The largest value a variable may hold in the running step, in bytes, if limited.
pub fn variable_bytes() -> Option<usize> {
    METER.with(|meter| meter.borrow().as_ref().map(|m| m.limits.variable_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            activities: 10,
            evaluation: 100,
            time: Duration::from_secs(60),
            low_priority_after: Duration::from_secs(60),
            variable_bytes: 1000,
        }
    }

    #[test]
    fn charges_beyond_the_limits_stop_the_step_for_good() {
        let (charged, stopped) = metered(limits(), Arc::default(), || {
            let within = (0..10).all(|_| charge_activity().is_ok());
            let over = charge_activity();
            (within, over, charge_evaluation(1), exceeded())
        });
        assert_eq!(
            charged,
            (
                true,
                Err(Exceeded::Activities(10)),
                Err(Exceeded::Activities(10)),
                true
            )
        );
        assert_eq!(stopped, Some(Exceeded::Activities(10)));
        assert!(
            charge_evaluation(1_000_000).is_ok(),
            "no meter after the step"
        );
        assert!(!exceeded());
    }

    #[test]
    fn evaluation_work_and_cancellation_are_metered() {
        let (_, exceeded) = metered(limits(), Arc::default(), || charge_evaluation(101));
        assert_eq!(exceeded, Some(Exceeded::Evaluation(100)));
        let cancellation = Arc::new(Cancellation::default());
        cancellation.raise("terminated by an operator");
        let (_, exceeded) = metered(limits(), cancellation, || charge_evaluation(1));
        assert_eq!(
            exceeded,
            Some(Exceeded::Cancelled("terminated by an operator".into()))
        );
    }

    #[test]
    fn the_clock_is_metered() {
        let limits = Limits {
            time: Duration::ZERO,
            evaluation: u64::MAX,
            ..limits()
        };
        let (_, exceeded) = metered(limits, Arc::default(), || {
            std::thread::sleep(Duration::from_millis(2));
            (0..=CHECK_EVERY).find_map(|_| charge_evaluation(1).err())
        });
        assert_eq!(exceeded, Some(Exceeded::Time(0)));
    }

    #[tokio::test]
    async fn a_step_running_past_its_low_priority_time_is_demoted_and_goes_on() {
        let workers = baton_actors::Workers::new("test-steps", 1, Duration::from_secs(5), 1.0);
        let run = |low_priority_after| {
            let limits = Limits {
                low_priority_after,
                evaluation: u64::MAX,
                ..limits()
            };
            workers.run(move || {
                metered(limits, Arc::default(), || {
                    std::thread::sleep(Duration::from_millis(2));
                    let charged = (0..=CHECK_EVERY).all(|_| charge_evaluation(1).is_ok());
                    (charged, baton_actors::workers::current_thread_demoted())
                })
            })
        };
        assert_eq!(run(Duration::ZERO).await, ((true, true), None));
        assert_eq!(run(Duration::from_secs(60)).await, ((true, false), None));
    }
}

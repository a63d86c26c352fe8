//! The low-priority lane: demoted jobs take turns in it, one at a time, in slices, so that
//! together they use at most a set share of one processor while the pool's other jobs are
//! busy. A lower scheduling priority alone leaves them every idle moment of the processors,
//! and their memory traffic still slows the threads beside them; the lane bounds that too.
//!
//! A job in the lane runs a slice, then leaves it; when the pool has been busy lately the
//! lane then stays closed long enough that the slice is `share` of the time since it
//! opened. On a quiet server it opens again at once.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a demoted job runs before it leaves the lane to the next.
pub(super) const SLICE: Duration = Duration::from_millis(2);

pub(super) struct Lane {
    /// The share of one processor the lane's jobs get while the pool is busy, in (0, 1].
    share: f64,
    state: Mutex<State>,
    opened: Condvar,
}

struct State {
    /// Whether a job is in the lane.
    taken: bool,
    /// When the lane opens again.
    open_at: Instant,
}

impl Lane {
    pub(super) fn new(share: f64) -> Self {
        Self {
            share: share.clamp(f64::MIN_POSITIVE, 1.0),
            state: Mutex::new(State {
                taken: false,
                open_at: Instant::now(),
            }),
            opened: Condvar::new(),
        }
    }

    /// Waits until the lane is free and open, and takes it.
    pub(super) fn enter(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let now = Instant::now();
            if !state.taken && now >= state.open_at {
                state.taken = true;
                return;
            }
            let wait = match state.taken {
                true => SLICE,
                false => state.open_at - now,
            };
            state = self
                .opened
                .wait_timeout(state, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Leaves the lane after a slice of `ran`; while the pool is `busy`, the lane stays
    /// closed so that the slice is the lane's share of the time.
    pub(super) fn leave(&self, ran: Duration, busy: bool) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.taken = false;
        let closed = match busy {
            true => ran.mul_f64(1.0 / self.share - 1.0),
            false => Duration::ZERO,
        };
        state.open_at = Instant::now() + closed;
        self.opened.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn while_busy_the_lane_stays_closed_for_the_rest_of_its_share() {
        let lane = Lane::new(0.25);
        lane.enter();
        lane.leave(Duration::from_millis(10), true);
        let waited = Instant::now();
        lane.enter();
        assert!(waited.elapsed() >= Duration::from_millis(30));
        lane.leave(Duration::from_millis(10), false);
        let open_at = lane.state.lock().unwrap().open_at;
        assert!(
            open_at <= Instant::now(),
            "a quiet pool's lane opens at once"
        );
    }

    #[test]
    fn one_job_at_a_time_is_in_the_lane() {
        let lane = std::sync::Arc::new(Lane::new(1.0));
        lane.enter();
        let (entered, in_lane) = std::sync::mpsc::channel();
        let waiting = std::thread::spawn({
            let lane = lane.clone();
            move || {
                lane.enter();
                entered.send(()).unwrap();
            }
        });
        assert!(in_lane.recv_timeout(Duration::from_millis(50)).is_err());
        lane.leave(Duration::ZERO, true);
        in_lane.recv().unwrap();
        waiting.join().unwrap();
    }
}

//! The threads that run entities' steps: CPU work that is usually short but may run long.
//!
//! A step runs on a [`Workers`] thread, never on an actor's own thread, so that a slow step
//! holds no actor, and no other entity waits behind it. At most `max_threads` threads run
//! steps at normal priority; more steps wait in a queue, and idle threads end after
//! `keep_alive`.
//!
//! A step that turns out to be long is *demoted* ([`demote_current_thread`]): its thread
//! drops to the lowest scheduling priority (Linux's `SCHED_IDLE` policy), so that the short
//! steps and everything else of the server take the processors first, and it leaves the pool.
//! From then on it calls [`pace_current_thread`] often, which runs it in the pool's
//! low-priority lane ([`lane`]): demoted steps take turns there, in slices, and while the
//! pool's other jobs are busy they get no more than `low_priority_share` of one processor
//! together. A replacement thread at
//! normal priority takes its place, and the demoted thread ends once its step returns, as
//! the priority of a thread cannot be raised again without privileges. A long step thus
//! slows itself, not the server; whoever meters steps decides when one is long and how long
//! it may go on.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

mod lane;

use lane::Lane;

/// How long after its last job ended at normal priority the pool still counts as busy.
const BUSY_FOR: Duration = Duration::from_millis(100);

type Job = Box<dyn FnOnce() + Send>;

/// A pool of threads for steps; cheap to clone.
#[derive(Clone)]
pub struct Workers {
    shared: Arc<Shared>,
}

struct Shared {
    name: String,
    max_threads: usize,
    keep_alive: Duration,
    state: Mutex<State>,
    wake: Condvar,
    lane: Lane,
    /// When the pool was made: the origin of `last_job_end`.
    epoch: Instant,
    /// When the last job at normal priority ended, in microseconds since `epoch`.
    last_job_end: AtomicU64,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    /// Threads of the pool, at normal priority (demoted ones are no longer counted).
    threads: usize,
    /// Threads of the pool waiting for a job.
    idle: usize,
    /// Threads demoted and still running their step.
    demoted: usize,
}

/// What a pool's threads and its queue hold now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkersStats {
    /// Threads at normal priority, busy or idle.
    pub threads: usize,
    /// Threads demoted to low priority, still running their long step.
    pub demoted: usize,
    /// Jobs waiting for a thread.
    pub queued: usize,
}

/// What a pool's thread knows of itself.
struct Current {
    shared: Arc<Shared>,
    demoted: bool,
    /// When its slice in the low-priority lane began, while it has one.
    slice: Option<Instant>,
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

impl Workers {
    /// A pool whose threads are named `name`; at most `max_threads` (at least one) run at
    /// normal priority at once, and demoted jobs together get `low_priority_share` of one
    /// processor (in (0, 1]) while the others are busy.
    pub fn new(
        name: &str,
        max_threads: usize,
        keep_alive: Duration,
        low_priority_share: f64,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                name: name.to_owned(),
                max_threads: max_threads.max(1),
                keep_alive,
                state: Mutex::default(),
                wake: Condvar::new(),
                lane: Lane::new(low_priority_share),
                epoch: Instant::now(),
                last_job_end: AtomicU64::new(0),
            }),
        }
    }

    /// Runs `work` on a thread of the pool and answers its result; a panic of `work` goes on
    /// in the caller. The caller's tokio runtime, if any, is entered while `work` runs.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let runtime = tokio::runtime::Handle::try_current().ok();
        self.submit(Box::new(move || {
            let _entered = runtime.as_ref().map(tokio::runtime::Handle::enter);
            let _ = answer.send(panic::catch_unwind(AssertUnwindSafe(work)));
        }));
        match answered.await {
            Ok(Ok(result)) => result,
            Ok(Err(panicked)) => panic::resume_unwind(panicked),
            Err(_) => panic!("the {} pool dropped a job unrun", self.shared.name),
        }
    }

    /// The pool's threads and queue now.
    pub fn stats(&self) -> WorkersStats {
        let state = self.shared.lock();
        WorkersStats {
            threads: state.threads,
            demoted: state.demoted,
            queued: state.queue.len(),
        }
    }

    fn submit(&self, job: Job) {
        let mut state = self.shared.lock();
        state.queue.push_back(job);
        if state.queue.len() <= state.idle {
            self.shared.wake.notify_one();
        } else {
            Shared::grow(&self.shared, &mut state);
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts one more thread if the pool has room for it.
    fn grow(shared: &Arc<Shared>, state: &mut State) {
        if state.threads >= shared.max_threads {
            return;
        }
        let worker = Arc::clone(shared);
        let started = std::thread::Builder::new()
            .name(shared.name.clone())
            .spawn(move || worker.work());
        match started {
            Ok(_) => state.threads += 1,
            Err(error) => tracing::error!(pool = %shared.name, %error, "Could not start a thread"),
        }
    }

    /// A thread's life: jobs until it is idle for `keep_alive`, or demoted.
    fn work(self: Arc<Self>) {
        let current = Current {
            shared: Arc::clone(&self),
            demoted: false,
            slice: None,
        };
        CURRENT.with(|cell| *cell.borrow_mut() = Some(current));
        while let Some(job) = self.next_job() {
            job();
            let (demoted, slice) = CURRENT.with(|cell| {
                cell.borrow()
                    .as_ref()
                    .map_or((false, None), |c| (c.demoted, c.slice))
            });
            if !demoted {
                let ended = self.epoch.elapsed().as_micros() as u64;
                self.last_job_end.store(ended, Ordering::Relaxed);
                continue;
            }
            if let Some(began) = slice {
                self.lane.leave(began.elapsed(), self.busy());
            }
            self.lock().demoted -= 1;
            break;
        }
        CURRENT.with(|cell| cell.borrow_mut().take());
    }

    /// Whether jobs at normal priority run now or ran lately.
    fn busy(&self) -> bool {
        let running = {
            let state = self.lock();
            state.threads > state.idle
        };
        let last = Duration::from_micros(self.last_job_end.load(Ordering::Relaxed));
        running || self.epoch.elapsed().saturating_sub(last) < BUSY_FOR
    }

    /// The next job, or `None` when the thread has waited `keep_alive` for one and leaves.
    fn next_job(&self) -> Option<Job> {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.queue.pop_front() {
                return Some(job);
            }
            state.idle += 1;
            let (held, waited) = self
                .wake
                .wait_timeout(state, self.keep_alive)
                .unwrap_or_else(PoisonError::into_inner);
            state = held;
            state.idle -= 1;
            if waited.timed_out() && state.queue.is_empty() {
                state.threads -= 1;
                return None;
            }
        }
    }
}

/// Drops the calling thread to the lowest scheduling priority and takes it out of its pool,
/// which starts a replacement if jobs wait; the thread ends once its job returns. Does
/// nothing on a thread that is not a pool's, or that is already demoted.
pub fn demote_current_thread() {
    let shared = CURRENT.with(|cell| match cell.borrow_mut().as_mut() {
        Some(current) if !current.demoted => {
            current.demoted = true;
            Some(Arc::clone(&current.shared))
        }
        _ => None,
    });
    let Some(shared) = shared else { return };
    {
        let mut state = shared.lock();
        state.threads -= 1;
        state.demoted += 1;
        if state.queue.len() > state.idle {
            Shared::grow(&shared, &mut state);
        }
    }
    lower_priority();
}

/// Whether the calling thread is a pool's thread that was demoted.
pub fn current_thread_demoted() -> bool {
    CURRENT.with(|cell| cell.borrow().as_ref().is_some_and(|c| c.demoted))
}

/// Called often by a demoted job: returns at once within its slice in the low-priority
/// lane; at the slice's end it leaves the lane and waits for its next turn. Does nothing on
/// a thread that is not demoted.
pub fn pace_current_thread() {
    let turn = CURRENT.with(|cell| {
        let cell = cell.borrow();
        let current = cell.as_ref().filter(|c| c.demoted)?;
        match current.slice {
            Some(began) if began.elapsed() < lane::SLICE => None,
            slice => Some((Arc::clone(&current.shared), slice)),
        }
    });
    let Some((shared, slice)) = turn else { return };
    if let Some(began) = slice {
        shared.lane.leave(began.elapsed(), shared.busy());
    }
    shared.lane.enter();
    CURRENT.with(|cell| {
        if let Some(current) = cell.borrow_mut().as_mut() {
            current.slice = Some(Instant::now());
        }
    });
}

/// Moves the calling thread to the `SCHED_IDLE` policy: it runs when no other thread wants
/// the processor, and gives it up at once to any that wakes (a lower nice value alone still
/// lets it finish a time slice of a few milliseconds first). Where that is refused, it takes
/// the lowest nice value instead.
#[cfg(target_os = "linux")]
fn lower_priority() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: pid 0 names the calling thread; `param` is a valid sched_param for SCHED_IDLE.
    let idle = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
    if idle == 0 {
        return;
    }
    // SAFETY: gettid has no preconditions; setpriority on this thread's own id changes
    // only this thread's nice value (Linux schedules threads individually).
    let lowered = unsafe {
        let thread = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, thread as libc::id_t, 19)
    };
    if lowered != 0 {
        let error = std::io::Error::last_os_error();
        tracing::warn!(%error, "Could not lower a long step's thread priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The calling thread's scheduling policy.
    #[cfg(target_os = "linux")]
    fn policy() -> i32 {
        // SAFETY: pid 0 names the calling thread; sched_getscheduler only reads.
        unsafe { libc::sched_getscheduler(0) }
    }

    #[tokio::test]
    async fn a_job_runs_on_a_pool_thread_and_its_panic_reaches_the_caller() {
        let workers = Workers::new("test-workers", 2, Duration::from_secs(5), 1.0);
        let name = workers
            .run(|| std::thread::current().name().map(str::to_owned))
            .await;
        assert_eq!(name.as_deref(), Some("test-workers"));
        let panicked = tokio::spawn({
            let workers = workers.clone();
            async move { workers.run(|| panic!("step broke")).await }
        })
        .await
        .expect_err("the panic goes on in the caller");
        assert!(panicked.is_panic());
        assert_eq!(workers.run(|| 7).await, 7, "the pool outlives a panic");
    }

    #[tokio::test]
    async fn more_jobs_than_threads_wait_their_turn() {
        let workers = Workers::new("test-workers", 2, Duration::from_secs(5), 1.0);
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Arc::new(Mutex::new(released));
        let blocked: Vec<_> = (0..3)
            .map(|_| {
                let (workers, released) = (workers.clone(), released.clone());
                tokio::spawn(async move {
                    workers
                        .run(move || released.lock().unwrap().recv().unwrap())
                        .await
                })
            })
            .collect();
        while workers.stats().queued != 1 {
            tokio::task::yield_now().await;
        }
        assert_eq!(workers.stats().threads, 2);
        for _ in 0..3 {
            release.send(()).unwrap();
        }
        for job in blocked {
            job.await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_demoted_thread_runs_at_low_priority_leaves_the_pool_and_is_replaced() {
        let workers = Workers::new("test-workers", 1, Duration::from_secs(5), 1.0);
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (demoted_tx, demoted_rx) = tokio::sync::oneshot::channel();
        let long = tokio::spawn({
            let workers = workers.clone();
            async move {
                workers
                    .run(move || {
                        demote_current_thread();
                        let _ = demoted_tx.send(());
                        released.recv().unwrap();
                        current_thread_demoted()
                    })
                    .await
            }
        });
        demoted_rx.await.unwrap();
        assert_eq!(
            workers.stats(),
            WorkersStats {
                threads: 0,
                demoted: 1,
                queued: 0
            }
        );
        #[cfg(target_os = "linux")]
        {
            let (demoted, policy) = workers.run(|| (current_thread_demoted(), policy())).await;
            assert!(!demoted, "the replacement is not demoted");
            assert_eq!(
                policy,
                libc::SCHED_OTHER,
                "the replacement runs at normal priority"
            );
        }
        release.send(()).unwrap();
        assert!(long.await.unwrap(), "the long job ran demoted to its end");
        while workers.stats().demoted != 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(workers.stats().threads, 1);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn demotion_moves_the_thread_to_the_idle_policy() {
        let workers = Workers::new("test-workers", 1, Duration::from_secs(5), 1.0);
        let policies = workers
            .run(|| {
                let before = policy();
                demote_current_thread();
                (before, policy())
            })
            .await;
        assert_eq!(policies, (libc::SCHED_OTHER, libc::SCHED_IDLE));
    }

    #[tokio::test]
    async fn a_demoted_job_paced_in_the_lane_leaves_it_when_it_ends() {
        let workers = Workers::new("test-workers", 1, Duration::from_secs(5), 1.0);
        for _ in 0..2 {
            let paced = workers.run(|| {
                demote_current_thread();
                pace_current_thread();
                current_thread_demoted()
            });
            let paced = tokio::time::timeout(Duration::from_secs(30), paced).await;
            assert_eq!(paced, Ok(true), "the lane was left free");
        }
    }

    #[test]
    fn demoting_a_thread_outside_a_pool_does_nothing() {
        demote_current_thread();
        assert!(!current_thread_demoted());
    }
}

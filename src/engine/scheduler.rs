//! The scheduler: runs the jobs of the store's job table (timers, invoke time-outs,
//! resumptions) when they are due.
//!
//! It holds in memory only the jobs due within the next [`WINDOW_MS`], soonest first: it loads
//! them from the store when it starts (a job that fell due while the server was down runs at
//! once) and again every [`LOAD_INTERVAL_MS`], and committed steps tell it what they changed
//! ([`Scheduler::committed`]), so that a job scheduled for the next seconds runs without a
//! load. Memory stays bounded by the jobs due soon, however many instances wait.
//!
//! A due job is delivered to its instance as the event it stands for, together with the job
//! itself: the step deletes the job's row in its own transaction, so a job delivered twice (a
//! load racing a run, or two servers on one database) runs once, and the other delivery fails
//! harmlessly. A job whose delivery fails otherwise stays in the store and is tried again at
//! the next load.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};

use super::instance::StepError;
use super::{jobs, now_ms, Error, Services};
use crate::store::{Job, JobKey, Jobs};

/// How far ahead the scheduler holds jobs in memory, in milliseconds.
pub const WINDOW_MS: i64 = 60_000;

/// How often the scheduler loads the jobs due within its window, in milliseconds.
pub const LOAD_INTERVAL_MS: i64 = 30_000;

/// The most jobs one load takes; the window ends earlier when more are due.
const LOAD_LIMIT: u32 = 10_000;

/// How soon a load that failed is tried again, in milliseconds.
const RETRY_MS: i64 = 1_000;

/// How many jobs are delivered at once.
const CONCURRENCY: usize = 64;

/// What a committed step changed in its instance's jobs.
#[derive(Debug, Default)]
pub struct Committed {
    pub instance_id: i64,
    /// Jobs the step stored.
    pub scheduled: Vec<Job>,
    /// Jobs the step deleted.
    pub cancelled: Vec<JobKey>,
    /// The instance finished: it has no jobs any more.
    pub finished: bool,
}

enum Command {
    Committed(Committed),
    /// The delivery of a job ended, whatever its outcome.
    Ran(i64, JobKey),
    Stop,
}

/// The handle on the scheduler task.
pub struct Scheduler {
    commands: mpsc::UnboundedSender<Command>,
    /// Taken by [`Scheduler::start`]; commands sent before wait there.
    inbox: Mutex<Option<mpsc::UnboundedReceiver<Command>>>,
}

impl Scheduler {
    /// A scheduler not started yet.
    pub fn new() -> Self {
        let (commands, inbox) = mpsc::unbounded_channel();
        Self {
            commands,
            inbox: Mutex::new(Some(inbox)),
        }
    }

    /// Starts the scheduler task on the current actix runtime, delivering jobs through
    /// `services`; it ends with them or at [`Scheduler::stop`]. Starting it again does
    /// nothing.
    pub fn start(&self, services: Weak<Services>) {
        let inbox = self.inbox.lock().map(|mut inbox| inbox.take());
        if let Ok(Some(inbox)) = inbox {
            let commands = self.commands.clone();
            actix::spawn(run(services, inbox, commands));
        }
    }

    /// Stops the scheduler task; jobs it held stay in the store.
    pub fn stop(&self) {
        let _ = self.commands.send(Command::Stop);
    }

    /// Tells the scheduler what a committed step changed.
    pub fn committed(&self, changes: Committed) {
        if changes.finished || !changes.scheduled.is_empty() || !changes.cancelled.is_empty() {
            let _ = self.commands.send(Command::Committed(changes));
        }
    }
}

impl Default for Scheduler {
    fn default() -> Self {
        Self::new()
    }
}

/// The jobs held in memory.
#[derive(Default)]
struct Queue {
    /// (due, instance, job), soonest first.
    by_due: BTreeSet<(i64, i64, JobKey)>,
    jobs: HashMap<i64, HashMap<JobKey, Job>>,
    /// Jobs being delivered, which a load must not hold again.
    running: HashSet<(i64, JobKey)>,
    /// Every stored job due at or before this time is held or running.
    horizon: i64,
}

impl Queue {
    fn hold(&mut self, job: Job) {
        let id = (job.instance_id, job.job.clone());
        if job.due_ms > self.horizon || self.running.contains(&id) {
            return;
        }
        let held = self.jobs.entry(job.instance_id).or_default();
        if !held.contains_key(&job.job) {
            self.by_due
                .insert((job.due_ms, job.instance_id, job.job.clone()));
            held.insert(job.job.clone(), job);
        }
    }

    fn forget(&mut self, instance: i64, key: &JobKey) {
        if let Some(held) = self.jobs.get_mut(&instance) {
            if let Some(job) = held.remove(key) {
                self.by_due.remove(&(job.due_ms, instance, job.job));
            }
            if held.is_empty() {
                self.jobs.remove(&instance);
            }
        }
    }

    fn forget_instance(&mut self, instance: i64) {
        for (key, job) in self.jobs.remove(&instance).unwrap_or_default() {
            self.by_due.remove(&(job.due_ms, instance, key));
        }
    }

    fn apply(&mut self, changes: Committed) {
        if changes.finished {
            self.forget_instance(changes.instance_id);
            return;
        }
        for key in &changes.cancelled {
            self.forget(changes.instance_id, key);
        }
        for job in changes.scheduled {
            self.hold(job);
        }
    }

    fn next_due(&self) -> Option<i64> {
        self.by_due.first().map(|(due, _, _)| *due)
    }

    /// The soonest job if it is due at `now`, moved to the running ones.
    fn take_due(&mut self, now: i64) -> Option<Job> {
        let (due, instance, key) = self.by_due.first().cloned()?;
        if due > now {
            return None;
        }
        self.by_due.pop_first();
        let held = self.jobs.get_mut(&instance)?;
        let job = held.remove(&key)?;
        if held.is_empty() {
            self.jobs.remove(&instance);
        }
        self.running.insert((instance, key));
        Some(job)
    }
}

/// The scheduler task.
async fn run(
    services: Weak<Services>,
    mut inbox: mpsc::UnboundedReceiver<Command>,
    commands: mpsc::UnboundedSender<Command>,
) {
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut queue = Queue::default();
    let mut next_load = now_ms();
    loop {
        let now = now_ms();
        if now >= next_load {
            let Some(services) = services.upgrade() else {
                return;
            };
            next_load = load(&services, &mut queue, now).await;
        }
        while let Some(job) = queue.take_due(now_ms()) {
            let Some(services) = services.upgrade() else {
                return;
            };
            let (permits, commands) = (permits.clone(), commands.clone());
            actix::spawn(async move {
                let _permit = permits.acquire_owned().await;
                deliver(&services, &job).await;
                let _ = commands.send(Command::Ran(job.instance_id, job.job));
            });
        }
        let wake = queue.next_due().map_or(next_load, |due| due.min(next_load));
        let pause = Duration::from_millis(u64::try_from(wake - now_ms()).unwrap_or(0));
        tokio::select! {
            command = inbox.recv() => match command {
                Some(Command::Committed(changes)) => queue.apply(changes),
                Some(Command::Ran(instance, key)) => {
                    queue.running.remove(&(instance, key));
                }
                Some(Command::Stop) | None => return,
            },
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// Loads the jobs due within the window into `queue`; when to load again.
async fn load(services: &Services, queue: &mut Queue, now: i64) -> i64 {
    let until = now + WINDOW_MS;
    let loaded = match services.store.due_jobs(until, LOAD_LIMIT).await {
        Ok(mut due) => {
            // In-memory instances keep their jobs in the memory store, read at once.
            let volatile = services
                .instances
                .memory()
                .due_jobs(until, LOAD_LIMIT)
                .await;
            due.extend(volatile.unwrap_or_default());
            due.sort_by_key(|job| job.due_ms);
            due.truncate(LOAD_LIMIT as usize);
            Ok(due)
        }
        Err(error) => Err(error),
    };
    match loaded {
        Ok(due) => {
            let full = due.len() >= LOAD_LIMIT as usize;
            queue.horizon = match (full, due.last()) {
                (true, Some(last)) => last.due_ms - 1,
                _ => until,
            };
            tracing::debug!(jobs = due.len(), horizon = queue.horizon, "Jobs loaded");
            for job in due {
                queue.hold(job);
            }
            (now + LOAD_INTERVAL_MS).min(queue.horizon.max(now + 1))
        }
        Err(error) => {
            tracing::warn!(%error, "Jobs not loaded; trying again");
            queue.horizon = queue.horizon.min(now);
            now + RETRY_MS
        }
    }
}

/// Delivers `job` to its instance, which runs it in a step.
async fn deliver(services: &Arc<Services>, job: &Job) {
    let (instance, kind, key) = (job.instance_id, job.job.kind, &job.job.key);
    let event = match jobs::event_of(&job.job, services.config.engine.invoke_timeout_ms) {
        Ok(event) => event,
        Err(error) => {
            tracing::error!(instance, %kind, key = %key, %error, "Job cannot run");
            return;
        }
    };
    tracing::debug!(instance, %kind, key = %key, "Job due");
    services.metrics.job_started(kind, now_ms() - job.due_ms);
    match services.run_job(job, event).await {
        Ok(_) => tracing::debug!(instance, %kind, key = %key, "Job run"),
        Err(Error::Step(StepError::JobGone(_))) => {
            tracing::debug!(instance, %kind, key = %key, "Job already run")
        }
        Err(Error::Step(error @ (StepError::Suspended { .. } | StepError::Stopped { .. }))) => {
            tracing::info!(instance, %kind, key = %key, %error, "Job not run")
        }
        Err(error) => {
            tracing::warn!(instance, %kind, key = %key, %error, "Job not run; it stays stored and is tried again")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::JobKind;

    fn job(instance: i64, key: &str, due_ms: i64) -> Job {
        Job {
            instance_id: instance,
            pid: "{urn:test}p-1".into(),
            job: JobKey::new(JobKind::Timer, key),
            due_ms,
        }
    }

    fn queue(horizon: i64) -> Queue {
        Queue {
            horizon,
            ..Queue::default()
        }
    }

    #[test]
    fn jobs_come_due_soonest_first_and_only_within_the_horizon() {
        let mut queue = queue(1_000);
        queue.hold(job(1, "1", 300));
        queue.hold(job(2, "1", 100));
        queue.hold(job(1, "1", 50));
        queue.hold(job(3, "1", 5_000));
        assert_eq!(queue.next_due(), Some(100));
        assert!(queue.take_due(99).is_none());
        assert_eq!(queue.take_due(400), Some(job(2, "1", 100)));
        assert_eq!(queue.take_due(400), Some(job(1, "1", 300)));
        assert!(queue.take_due(i64::MAX).is_none());
    }

    #[test]
    fn a_running_job_is_not_held_again_until_it_ran() {
        let mut queue = queue(1_000);
        queue.hold(job(1, "1", 100));
        let running = queue.take_due(100).unwrap();
        queue.hold(job(1, "1", 100));
        assert!(queue.next_due().is_none());
        queue.running.remove(&(running.instance_id, running.job));
        queue.hold(job(1, "1", 100));
        assert_eq!(queue.next_due(), Some(100));
    }

    #[test]
    fn committed_steps_cancel_and_finish_what_is_held() {
        let mut queue = queue(1_000);
        queue.apply(Committed {
            instance_id: 1,
            scheduled: vec![job(1, "1", 100), job(1, "2", 200)],
            ..Committed::default()
        });
        queue.apply(Committed {
            instance_id: 2,
            scheduled: vec![job(2, "1", 150)],
            ..Committed::default()
        });
        queue.apply(Committed {
            instance_id: 1,
            cancelled: vec![JobKey::new(JobKind::Timer, "1")],
            ..Committed::default()
        });
        assert_eq!(queue.next_due(), Some(150));
        queue.apply(Committed {
            instance_id: 2,
            finished: true,
            ..Committed::default()
        });
        assert_eq!(queue.take_due(1_000), Some(job(1, "2", 200)));
        assert!(queue.take_due(1_000).is_none());
    }
}

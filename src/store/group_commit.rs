//! Group commit of state-machine steps, shared by every backend.
//!
//! Steps queue on a channel to one writer task. The writer takes every step waiting (up to
//! [`MAX_BATCH`]) and hands them to its backend's [`Batch`], which applies them in one
//! transaction, so one sync to disk covers the whole batch. Steps are first applied all or
//! nothing, a statement per kind of row; only when one is refused (a stale revision, a route
//! owned by another instance, a job already run) is that transaction rolled back and the
//! batch applied again with each step inside its own savepoint: the refused step is rolled
//! back alone and answered with its error, the others commit together. Refusals are rare, so
//! the savepoints' two extra statements per step are paid only then. Under load, durable
//! throughput is then bounded by batches per second rather than by single-row commits per
//! second. When the transaction itself fails (the database is gone), every step of the batch
//! is answered with [`Error::Unavailable`] and nothing of it is stored.
//!
//! A step is answered once its transaction is durable: when its COMMIT returns, or, where
//! the backend syncs its log apart from the writer, once that sync is done
//! ([`Batch::committed`]); the writer meanwhile goes on with the next batch. A step committed
//! with [`Writer::commit_early`] is answered as soon as its transaction commits, with a
//! [`Durable`] that says when it is on disk: what it committed is already visible to every
//! later transaction, and ordered before them in the database's log, so that a later
//! transaction never survives a crash that this one does not.
//!
//! The writer counts what it did in [`CommitStats`], which
//! [`Store::commit_stats`](super::Store::commit_stats) reads: steps per transaction is how
//! much grouping saves. It also times each transaction it commits, in the
//! [`CommitHistograms`] of [`Store::commit_histograms`](super::Store::commit_histograms).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use futures::future::{BoxFuture, FutureExt, Shared};
use tokio::sync::{mpsc, oneshot};

use super::{CommitHistograms, Error, Result, StepCommit};

/// The most steps one transaction takes.
pub(crate) const MAX_BATCH: usize = 256;

/// How a backend applies a batch of steps in one transaction.
pub(crate) trait Batch: Send + Sync {
    /// Applies `steps` in one transaction, all or nothing, and returns their new revisions in
    /// order; `None` when a step was refused, the transaction rolled back and nothing stored.
    /// An error means the transaction failed and nothing was stored.
    fn apply_all<'a>(&'a self, steps: &'a [StepCommit]) -> BoxFuture<'a, Result<Option<Vec<i64>>>>;

    /// Applies `steps` in one transaction, each in a savepoint, and returns each step's
    /// outcome (its new revision or why it was rolled back), in order. An error means the
    /// transaction as a whole failed and nothing was stored.
    fn apply_each<'a>(&'a self, steps: &'a [StepCommit])
        -> BoxFuture<'a, Result<Vec<Result<i64>>>>;

    /// Takes the answers to the steps of a transaction that committed, to send once it is
    /// durable: at once, unless the backend makes its commits durable apart from the writer.
    fn committed(&self, answers: Answers) {
        answers.send();
    }
}

/// A committed step, answered before it is durable: its instance's new revision, and when
/// it is on disk.
#[derive(Debug)]
pub struct Committed {
    pub revision: i64,
    pub durable: Durable,
}

impl Committed {
    /// A step at `revision` that was durable once committed.
    pub fn durable(revision: i64) -> Self {
        Committed {
            revision,
            durable: Durable::default(),
        }
    }
}

/// When a committed step is durable: at once (the default), or once its transaction is on
/// disk. Every clone says the same.
#[derive(Clone, Default)]
pub struct Durable(Option<Shared<oneshot::Receiver<std::result::Result<(), String>>>>);

impl Durable {
    /// A step durable once `signal` says so.
    pub(crate) fn pending() -> (oneshot::Sender<std::result::Result<(), String>>, Self) {
        let (signal, durable) = oneshot::channel();
        (signal, Durable(Some(durable.shared())))
    }

    /// Waits until the step is durable; [`Error::Unavailable`] when it cannot be said to be.
    pub async fn wait(self) -> Result<()> {
        match self.0 {
            None => Ok(()),
            Some(durable) => said(&durable.await),
        }
    }

    /// Whether the step is durable, once that is known.
    pub fn settled(&self) -> Option<Result<()>> {
        match &self.0 {
            None => Some(Ok(())),
            Some(durable) => durable.clone().now_or_never().as_ref().map(said),
        }
    }
}

/// What the signal to the steps of a committed transaction said of it.
fn said(
    signal: &std::result::Result<std::result::Result<(), String>, oneshot::error::RecvError>,
) -> Result<()> {
    match signal {
        Ok(Ok(())) => Ok(()),
        Ok(Err(reason)) => Err(Error::Unavailable(reason.clone())),
        Err(_) => Err(Error::Unavailable(STOPPED.into())),
    }
}

impl fmt::Debug for Durable {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let durable = match self.settled() {
            Some(Ok(())) => "yes",
            Some(Err(_)) => "never",
            None => "not yet",
        };
        formatter.debug_tuple("Durable").field(&durable).finish()
    }
}

/// Why a step is not answered: the writer, or what syncs its commits, has stopped.
const STOPPED: &str = "the store's writer has stopped";

/// What a step waits for from the writer.
pub(crate) enum Reply {
    /// Its revision once it is durable.
    Durable(oneshot::Sender<Result<i64>>),
    /// Its revision once it is committed ([`Writer::commit_early`]).
    Committed(oneshot::Sender<Result<Committed>>),
}

impl Reply {
    fn fail(self, error: Error) {
        match self {
            Reply::Durable(reply) => {
                let _ = reply.send(Err(error));
            }
            Reply::Committed(reply) => {
                let _ = reply.send(Err(error));
            }
        }
    }
}

/// The answers to the steps of one committed transaction that wait for it to be durable,
/// and the signal to those answered already, if any was.
pub(crate) struct Answers {
    waiting: Vec<(oneshot::Sender<Result<i64>>, Result<i64>)>,
    durable: Option<(oneshot::Sender<std::result::Result<(), String>>, Durable)>,
}

impl Answers {
    /// Answers each of `replies` (with its `outcome`): a step committed early at once, with
    /// the transaction's [`Durable`]; the others when [`Answers::send`] is called.
    pub(crate) fn new(replies: impl IntoIterator<Item = (Reply, Result<i64>)>) -> Self {
        let mut answers = Answers {
            waiting: Vec::new(),
            durable: None,
        };
        for (reply, outcome) in replies {
            match reply {
                Reply::Durable(reply) => answers.waiting.push((reply, outcome)),
                Reply::Committed(reply) => {
                    let durable = answers.durable_early();
                    let _ = reply.send(outcome.map(|revision| Committed { revision, durable }));
                }
            }
        }
        answers
    }

    /// What tells the steps answered early that the transaction is durable.
    fn durable_early(&mut self) -> Durable {
        self.durable.get_or_insert_with(Durable::pending).1.clone()
    }

    /// The transaction is durable: sends each waiting step its outcome.
    pub(crate) fn send(self) {
        if let Some((signal, _)) = self.durable {
            let _ = signal.send(Ok(()));
        }
        for (reply, outcome) in self.waiting {
            let _ = reply.send(outcome);
        }
    }

    /// Tells each step that the store is unavailable, for `reason`: its transaction
    /// committed, but cannot be said to be durable.
    pub(crate) fn fail(self, reason: &str) {
        if let Some((signal, _)) = self.durable {
            let _ = signal.send(Err(reason.to_owned()));
        }
        for (reply, _) in self.waiting {
            let _ = reply.send(Err(Error::Unavailable(reason.to_owned())));
        }
    }
}

/// Tells each of `replies` that the store is unavailable, for `reason`.
fn unavailable(replies: impl IntoIterator<Item = Reply>, reason: &str) {
    for reply in replies {
        reply.fail(Error::Unavailable(reason.to_owned()));
    }
}

/// Applies `steps` with `batch`: all or nothing first, step by step when one is refused.
async fn apply(
    batch: &impl Batch,
    steps: &[StepCommit],
    counters: &Counters,
) -> Result<Vec<Result<i64>>> {
    match batch.apply_all(steps).await? {
        Some(revisions) => Ok(revisions.into_iter().map(Ok).collect()),
        None => {
            counters.rewritten.fetch_add(1, Ordering::Relaxed);
            batch.apply_each(steps).await
        }
    }
}

pub(crate) type Pending = (StepCommit, Reply);

/// What a store's step commits did since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Steps stored.
    pub steps: u64,
    /// Steps refused and rolled back alone (a stale revision, a route owned by another
    /// instance, ...) while the rest of their transaction was stored.
    pub refused: u64,
    /// Transactions committed; each held one batch of steps, stored and refused ones.
    pub transactions: u64,
    /// Transactions that failed as a whole (the database was unavailable): none of their
    /// steps was stored or counted above.
    pub failed_transactions: u64,
    /// Batches written a second time, step by step, because their first, whole write found
    /// a step that may be refused.
    pub rewritten: u64,
    /// Checkpoints of SQLite's write-ahead log run beside the writer (0 on other databases).
    pub checkpoints: u64,
    /// Checkpoints the writer ran itself, between two commits, because those beside it fell
    /// behind.
    pub checkpoints_by_writer: u64,
    /// Syncs of SQLite's write-ahead log to disk run beside the writer, each making every
    /// transaction committed before it durable (0 unless `synchronous` is full, and on other
    /// databases).
    pub log_syncs: u64,
}

/// The writer's running counts of [`CommitStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    steps: AtomicU64,
    refused: AtomicU64,
    transactions: AtomicU64,
    failed_transactions: AtomicU64,
    rewritten: AtomicU64,
    checkpoints: AtomicU64,
    checkpoints_by_writer: AtomicU64,
    log_syncs: AtomicU64,
    /// The committed transactions' sizes and times.
    histograms: CommitHistograms,
}

impl Counters {
    /// Counts a committed transaction and its steps' outcomes.
    pub(crate) fn committed(&self, outcomes: &[Result<i64>]) {
        let stored = outcomes.iter().filter(|outcome| outcome.is_ok()).count() as u64;
        self.steps.fetch_add(stored, Ordering::Relaxed);
        self.refused
            .fetch_add(outcomes.len() as u64 - stored, Ordering::Relaxed);
        self.transactions.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a checkpoint of SQLite's write-ahead log, run by the writer itself or not.
    pub(crate) fn checkpointed(&self, by_writer: bool) {
        match by_writer {
            true => &self.checkpoints_by_writer,
            false => &self.checkpoints,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a sync of SQLite's write-ahead log.
    pub(crate) fn log_synced(&self) {
        self.log_syncs.fetch_add(1, Ordering::Relaxed);
    }

    fn failed(&self) {
        self.failed_transactions.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> CommitStats {
        CommitStats {
            steps: self.steps.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            transactions: self.transactions.load(Ordering::Relaxed),
            failed_transactions: self.failed_transactions.load(Ordering::Relaxed),
            rewritten: self.rewritten.load(Ordering::Relaxed),
            checkpoints: self.checkpoints.load(Ordering::Relaxed),
            checkpoints_by_writer: self.checkpoints_by_writer.load(Ordering::Relaxed),
            log_syncs: self.log_syncs.load(Ordering::Relaxed),
        }
    }
}

/// The handle on the writer task.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    queue: mpsc::UnboundedSender<Pending>,
    counters: Arc<Counters>,
}

/// The steps queued for a writer, as [`run`] takes them.
pub(crate) type Queue = mpsc::UnboundedReceiver<Pending>;

impl Writer {
    /// A writer's handle and the queue its steps arrive on, for [`run`] wherever the caller
    /// chooses.
    pub(crate) fn new() -> (Self, Queue, Arc<Counters>) {
        let (queue, waiting) = mpsc::unbounded_channel::<Pending>();
        let counters = Arc::new(Counters::default());
        let writer = Self {
            queue,
            counters: counters.clone(),
        };
        (writer, waiting, counters)
    }

    /// Starts the writer task of `batch` on the current runtime.
    pub(crate) fn start(batch: impl Batch + 'static) -> Self {
        let (writer, waiting, counters) = Self::new();
        tokio::spawn(async move { run(&batch, waiting, &counters).await });
        writer
    }

    /// What the writer did so far.
    pub(crate) fn stats(&self) -> CommitStats {
        self.counters.stats()
    }

    /// The sizes and times of the transactions the writer committed.
    pub(crate) fn histograms(&self) -> CommitHistograms {
        self.counters.histograms.clone()
    }

    /// Commits `step` (with whatever else is waiting) and returns the instance's new revision
    /// once it is durable.
    pub(crate) async fn commit(&self, step: StepCommit) -> Result<i64> {
        self.ask(step, Reply::Durable).await
    }

    /// Commits `step` (with whatever else is waiting) and returns the instance's new revision
    /// once it is committed, with when it is durable.
    pub(crate) async fn commit_early(&self, step: StepCommit) -> Result<Committed> {
        self.ask(step, Reply::Committed).await
    }

    /// Queues `step` with the `reply` it waits for, and waits for it.
    async fn ask<T>(
        &self,
        step: StepCommit,
        reply: fn(oneshot::Sender<Result<T>>) -> Reply,
    ) -> Result<T> {
        let (sender, answer) = oneshot::channel();
        let stopped = || Error::Unavailable(STOPPED.into());
        self.queue
            .send((step, reply(sender)))
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// The writer: applies the steps of `waiting` with `batch`, every step waiting at once (up to
/// [`MAX_BATCH`]), until every handle on the queue is gone.
pub(crate) async fn run(batch: &impl Batch, mut waiting: Queue, counting: &Counters) {
    let mut steps = Vec::with_capacity(MAX_BATCH);
    let mut replies = Vec::with_capacity(MAX_BATCH);
    while let Some((step, reply)) = waiting.recv().await {
        steps.push(step);
        replies.push(reply);
        while steps.len() < MAX_BATCH {
            match waiting.try_recv() {
                Ok((step, reply)) => {
                    steps.push(step);
                    replies.push(reply);
                }
                Err(_) => break,
            }
        }
        let started = Instant::now();
        match apply(batch, &steps, counting).await {
            Ok(outcomes) => {
                counting.committed(&outcomes);
                counting.histograms.observe(steps.len(), started.elapsed());
                batch.committed(Answers::new(replies.drain(..).zip(outcomes)));
            }
            Err(error) => {
                counting.failed();
                let message = match error {
                    Error::Unavailable(message) => message,
                    other => other.to_string(),
                };
                unavailable(replies.drain(..), &message);
            }
        }
        steps.clear();
    }
}

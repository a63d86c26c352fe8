//! Group commit of state-machine steps, shared by every backend.
//!
//! Steps queue on a channel to one writer task. The writer takes every step waiting (up to
//! [`MAX_BATCH`]) and hands them to its backend's [`Batch`], which applies them in one
//! transaction, each inside its own savepoint: a step that fails (a stale revision, a route
//! owned by another instance) is rolled back alone and answered with its error, the others
//! commit together, so one sync to disk covers the whole batch. Under load, durable
//! throughput is then bounded by batches per second rather than by single-row commits per
//! second. When the transaction itself fails (the database is gone), every step of the batch
//! is answered with [`Error::Unavailable`] and nothing of it is stored.

use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use super::{Error, Result, StepCommit};

/// The most steps one transaction takes.
pub(crate) const MAX_BATCH: usize = 256;

/// How a backend applies a batch of steps in one transaction.
pub(crate) trait Batch: Send + Sync + 'static {
    /// Applies `steps` in one transaction, each in a savepoint, and returns each step's
    /// outcome (its new revision or why it was rolled back), in order. An error means the
    /// transaction as a whole failed and nothing was stored.
    fn apply<'a>(&'a self, steps: &'a [StepCommit]) -> BoxFuture<'a, Result<Vec<Result<i64>>>>;
}

type Pending = (StepCommit, oneshot::Sender<Result<i64>>);

/// The handle on the writer task.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    queue: mpsc::UnboundedSender<Pending>,
}

impl Writer {
    /// Starts the writer task of `batch` on the current runtime.
    pub(crate) fn start(batch: impl Batch) -> Self {
        let (queue, mut waiting) = mpsc::unbounded_channel::<Pending>();
        tokio::spawn(async move {
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
                match batch.apply(&steps).await {
                    Ok(outcomes) => {
                        for (reply, outcome) in replies.drain(..).zip(outcomes) {
                            let _ = reply.send(outcome);
                        }
                    }
                    Err(error) => {
                        let message = match error {
                            Error::Unavailable(message) => message,
                            other => other.to_string(),
                        };
                        for reply in replies.drain(..) {
                            let _ = reply.send(Err(Error::Unavailable(message.clone())));
                        }
                    }
                }
                steps.clear();
            }
        });
        Self { queue }
    }

    /// Commits `step` (with whatever else is waiting) and returns the instance's new revision.
    pub(crate) async fn commit(&self, step: StepCommit) -> Result<i64> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((step, reply))
            .map_err(|_| Error::Unavailable("the store's writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| Error::Unavailable("the store's writer has stopped".into()))?
    }
}

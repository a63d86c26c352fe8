//! Syncs of the SQLite store's write-ahead log to disk, on a thread beside its step writer.
//!
//! With `synchronous=FULL` SQLite syncs the log inside every COMMIT: the writer waits for
//! the disk, a few hundred microseconds, before it can write the next batch, and that wait
//! bounds how many batches a second the store takes. Instead, the writer's connection
//! commits with `synchronous=NORMAL` (the log is written, not synced) and hands the answers
//! to each committed batch's steps to this thread, which syncs the log and only then sends
//! them. Meanwhile the writer writes the next batch: writing and syncing overlap. SQLite
//! writes the log in order, so one sync makes every batch committed before it began durable;
//! a step is answered only once its batch is on disk, as with FULL. A crash of the server
//! alone loses nothing either way: what the log holds is in the operating system's cache.
//!
//! Should a sync fail, what the log holds may never reach the disk, and syncing again
//! proves nothing (the kernel may have dropped the pages it could not write): every step
//! waiting for that sync, and every later one, is answered that the store is unavailable,
//! until the server is restarted.

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

use crate::store::group_commit::{Answers, Counters};

/// What the thread syncs.
pub(super) trait Log: Send + 'static {
    /// Makes everything written to the log so far durable.
    fn sync(&mut self) -> io::Result<()>;
}

/// The write-ahead log's file, opened at the first sync (SQLite creates it with the first
/// write). SQLite removes it only when the last connection to the database closes, and the
/// writer's stays open as long as it commits.
pub(super) struct WalFile {
    path: PathBuf,
    file: Option<File>,
}

impl WalFile {
    pub(super) fn new(path: PathBuf) -> Self {
        WalFile { path, file: None }
    }
}

impl Log for WalFile {
    fn sync(&mut self) -> io::Result<()> {
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(File::open(&self.path)?),
        };
        file.sync_data()
    }
}

/// The handle on the thread that syncs the log; the thread ends once it is dropped and
/// every answer handed to it is sent.
pub(super) struct LogSync {
    queue: Sender<Answers>,
}

impl LogSync {
    /// Starts the thread that syncs `log`, counting its syncs in `counters`.
    pub(super) fn start(log: impl Log, counters: Arc<Counters>) -> io::Result<Self> {
        let (queue, waiting) = mpsc::channel();
        std::thread::Builder::new()
            .name("baton-store-sync".into())
            .spawn(move || sync(log, waiting, &counters))?;
        Ok(LogSync { queue })
    }

    /// Sends `answers`, to the steps of a transaction committed already, once the log is
    /// synced.
    pub(super) fn after_sync(&self, answers: Answers) {
        if let Err(mpsc::SendError(answers)) = self.queue.send(answers) {
            answers.fail("the store's log is no longer synced");
        }
    }
}

/// The thread's life: syncs the log for every answer waiting, all of them at once.
fn sync(mut log: impl Log, waiting: Receiver<Answers>, counters: &Counters) {
    let mut failed: Option<String> = None;
    let mut answers = Vec::new();
    while let Ok(first) = waiting.recv() {
        answers.push(first);
        answers.extend(waiting.try_iter());
        if failed.is_none() {
            match log.sync() {
                Ok(()) => counters.log_synced(),
                Err(error) => {
                    tracing::error!(%error, "The store's write-ahead log could not be synced to disk: every step is answered that the store is unavailable until the server is restarted");
                    failed = Some(format!(
                        "the store's write-ahead log could not be synced to disk ({error}); the server must be restarted"
                    ));
                }
            }
        }
        for answer in answers.drain(..) {
            match &failed {
                None => answer.send(),
                Some(reason) => answer.fail(reason),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::SyncSender;

    use tokio::sync::oneshot;

    use super::*;
    use crate::store::group_commit::Reply;
    use crate::store::Error;

    /// A log whose every sync waits for the test to let it end, with what the test says.
    struct Gate {
        began: SyncSender<()>,
        end: Receiver<io::Result<()>>,
    }

    impl Log for Gate {
        fn sync(&mut self) -> io::Result<()> {
            let _ = self.began.send(());
            self.end.recv().unwrap_or(Ok(()))
        }
    }

    /// The thread on a gated log, with a first answer handed over and its sync begun.
    struct FirstSync {
        log: LogSync,
        first: Answered,
        began: Receiver<()>,
        end: Sender<io::Result<()>>,
        counters: Arc<Counters>,
    }

    type Answered = oneshot::Receiver<crate::store::Result<i64>>;

    fn first_sync_begun() -> FirstSync {
        let (began, syncing) = mpsc::sync_channel(16);
        let (end, ending) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let gate = Gate { began, end: ending };
        let log = LogSync::start(gate, counters.clone()).unwrap();
        let (answers, first) = answer(1);
        log.after_sync(answers);
        syncing.recv().unwrap();
        FirstSync {
            log,
            first,
            began: syncing,
            end,
            counters,
        }
    }

    /// The answer to a step at `revision`, and where it arrives.
    fn answer(revision: i64) -> (Answers, Answered) {
        let (reply, answered) = oneshot::channel();
        (
            Answers::new([(Reply::Durable(reply), Ok(revision))]),
            answered,
        )
    }

    #[test]
    fn an_answer_waits_for_a_sync_begun_after_its_commit() {
        let mut sync = first_sync_begun();
        // Committed while the first sync runs: that sync may not cover it.
        let (second, mut second_answered) = answer(2);
        sync.log.after_sync(second);
        assert!(sync.first.try_recv().is_err());
        sync.end.send(Ok(())).unwrap();
        assert_eq!(sync.first.blocking_recv().unwrap().unwrap(), 1);
        sync.began.recv().unwrap();
        assert!(second_answered.try_recv().is_err());
        sync.end.send(Ok(())).unwrap();
        assert_eq!(second_answered.blocking_recv().unwrap().unwrap(), 2);
        assert_eq!(sync.counters.stats().log_syncs, 2);
    }

    #[test]
    fn answers_waiting_together_share_one_sync() {
        let sync = first_sync_begun();
        let waiting: Vec<_> = (2..6)
            .map(|revision| {
                let (answers, answered) = answer(revision);
                sync.log.after_sync(answers);
                answered
            })
            .collect();
        sync.end.send(Ok(())).unwrap();
        sync.end.send(Ok(())).unwrap();
        sync.first.blocking_recv().unwrap().unwrap();
        for (revision, answered) in (2..6).zip(waiting) {
            assert_eq!(answered.blocking_recv().unwrap().unwrap(), revision);
        }
        assert_eq!(sync.counters.stats().log_syncs, 2);
    }

    #[test]
    fn a_step_committed_early_is_answered_at_once_and_durable_after_the_sync() {
        let sync = first_sync_begun();
        let (reply, mut answered) = oneshot::channel();
        let (late, mut late_answered) = oneshot::channel();
        let (other, mut other_answered) = oneshot::channel();
        let answers = Answers::new([
            (Reply::Committed(reply), Ok(2)),
            (Reply::Durable(late), Ok(3)),
            (Reply::Committed(other), Ok(4)),
        ]);
        let committed = answered.try_recv().unwrap().unwrap();
        assert_eq!(committed.revision, 2);
        let other = other_answered.try_recv().unwrap().unwrap();
        assert_eq!(other.revision, 4);
        assert!(committed.durable.settled().is_none());
        sync.log.after_sync(answers);
        sync.end.send(Ok(())).unwrap();
        sync.first.blocking_recv().unwrap().unwrap();
        sync.began.recv().unwrap();
        assert!(
            committed.durable.settled().is_none(),
            "not durable before its sync"
        );
        assert!(late_answered.try_recv().is_err());
        sync.end.send(Ok(())).unwrap();
        assert_eq!(late_answered.blocking_recv().unwrap().unwrap(), 3);
        assert!(matches!(committed.durable.settled(), Some(Ok(()))));
        assert!(matches!(other.durable.settled(), Some(Ok(()))));
    }

    #[test]
    fn a_step_committed_early_is_never_durable_when_its_sync_fails() {
        let sync = first_sync_begun();
        let (reply, mut answered) = oneshot::channel();
        sync.log
            .after_sync(Answers::new([(Reply::Committed(reply), Ok(2))]));
        let committed = answered.try_recv().unwrap().unwrap();
        sync.end
            .send(Err(io::Error::other("the disk is gone")))
            .unwrap();
        let _ = sync.first.blocking_recv().unwrap();
        let durable = futures::executor::block_on(committed.durable.wait());
        assert!(
            matches!(&durable, Err(Error::Unavailable(reason)) if reason.contains("the disk is gone")),
            "{durable:?}"
        );
    }

    #[test]
    fn a_failed_sync_fails_its_answers_and_every_later_one_without_syncing_again() {
        let sync = first_sync_begun();
        sync.end
            .send(Err(io::Error::other("the disk is gone")))
            .unwrap();
        let failed = sync.first.blocking_recv().unwrap();
        assert!(
            matches!(&failed, Err(Error::Unavailable(reason)) if reason.contains("the disk is gone")),
            "{failed:?}"
        );
        let (later, later_answered) = answer(2);
        sync.log.after_sync(later);
        assert!(matches!(
            later_answered.blocking_recv().unwrap(),
            Err(Error::Unavailable(_))
        ));
        assert!(sync.began.try_recv().is_err(), "no sync after a failed one");
        assert_eq!(sync.counters.stats().log_syncs, 0);
    }
}

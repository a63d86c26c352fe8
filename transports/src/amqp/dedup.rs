//! Recently settled messages of a served queue, by message id, so that a message delivered
//! again is answered from memory instead of being dispatched twice.
//!
//! A message comes again when its acknowledgement was lost with the connection, or when its
//! publisher sent it again because the confirm was lost. While the first copy is still being
//! dispatched a second one waits for its outcome. Only successful outcomes are remembered; a
//! failed dispatch leaves the id free for the next delivery. The memory holds the last
//! `window` ids of one server process: it does not survive a restart.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// The outcome of the messages of one queue, by id, for the last `window` ids seen.
#[derive(Debug)]
pub(crate) struct Settled<T> {
    window: usize,
    seen: Mutex<Seen<T>>,
}

#[derive(Debug)]
struct Seen<T> {
    outcomes: HashMap<String, Arc<OnceCell<T>>>,
    order: VecDeque<String>,
}

impl<T: Clone> Settled<T> {
    pub(crate) fn new(window: usize) -> Self {
        Self {
            window,
            seen: Mutex::new(Seen {
                outcomes: HashMap::new(),
                order: VecDeque::new(),
            }),
        }
    }

    /// The remembered outcome of message `id`, else the outcome of `handle`, remembered when it
    /// is `Ok`. Without an id, or with a window of 0, `handle` just runs.
    pub(crate) async fn once<E, F, Fut>(&self, id: Option<&str>, handle: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let Some(id) = id.filter(|_| self.window > 0) else {
            return handle().await;
        };
        let cell = self.cell(id);
        cell.get_or_try_init(handle).await.cloned()
    }

    fn cell(&self, id: &str) -> Arc<OnceCell<T>> {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(cell) = seen.outcomes.get(id) {
            return Arc::clone(cell);
        }
        let cell = Arc::new(OnceCell::new());
        seen.outcomes.insert(id.to_owned(), Arc::clone(&cell));
        seen.order.push_back(id.to_owned());
        while seen.order.len() > self.window {
            if let Some(oldest) = seen.order.pop_front() {
                seen.outcomes.remove(&oldest);
            }
        }
        cell
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    async fn run(
        settled: &Settled<usize>,
        id: Option<&str>,
        calls: &AtomicUsize,
        ok: bool,
    ) -> Result<usize, ()> {
        settled
            .once(id, || async {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                if ok {
                    Ok(n)
                } else {
                    Err(())
                }
            })
            .await
    }

    #[tokio::test]
    async fn a_settled_id_is_answered_from_memory() {
        let settled = Settled::new(10);
        let calls = AtomicUsize::new(0);
        assert_eq!(run(&settled, Some("a"), &calls, true).await, Ok(1));
        assert_eq!(run(&settled, Some("a"), &calls, true).await, Ok(1));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(run(&settled, None, &calls, true).await, Ok(2));
        assert_eq!(run(&settled, None, &calls, true).await, Ok(3));
    }

    #[tokio::test]
    async fn failures_are_not_remembered() {
        let settled = Settled::new(10);
        let calls = AtomicUsize::new(0);
        assert_eq!(run(&settled, Some("a"), &calls, false).await, Err(()));
        assert_eq!(run(&settled, Some("a"), &calls, true).await, Ok(2));
        assert_eq!(run(&settled, Some("a"), &calls, true).await, Ok(2));
    }

    #[tokio::test]
    async fn only_the_last_ids_of_the_window_are_kept() {
        let settled = Settled::new(2);
        let calls = AtomicUsize::new(0);
        for id in ["a", "b", "c"] {
            run(&settled, Some(id), &calls, true).await.unwrap();
        }
        assert_eq!(run(&settled, Some("c"), &calls, true).await, Ok(3));
        assert_eq!(run(&settled, Some("a"), &calls, true).await, Ok(4));
        let none = Settled::new(0);
        assert_eq!(run(&none, Some("a"), &calls, true).await, Ok(5));
        assert_eq!(run(&none, Some("a"), &calls, true).await, Ok(6));
    }

    #[tokio::test]
    async fn a_second_copy_waits_for_the_first() {
        let settled = Arc::new(Settled::<usize>::new(10));
        let (started, has_started) = tokio::sync::oneshot::channel::<()>();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let first = {
            let settled = Arc::clone(&settled);
            tokio::spawn(async move {
                settled
                    .once(Some("a"), || async {
                        started.send(()).unwrap();
                        released.await.unwrap();
                        Ok::<_, ()>(1)
                    })
                    .await
            })
        };
        has_started.await.unwrap();
        let second = {
            let settled = Arc::clone(&settled);
            tokio::spawn(async move { settled.once(Some("a"), || async { Ok::<_, ()>(2) }).await })
        };
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap(), Ok(1));
        assert_eq!(second.await.unwrap(), Ok(1));
    }
}

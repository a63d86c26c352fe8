//! The supervisor over a small counting entity whose "storage" is a shared map: ordering,
//! hydration, panics, reloads and eviction.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use baton_actors::{
    DehydrationPolicy, Disposition, Entity, Error, Keeper, Outcome, Step, Supervisor,
    SupervisorHandle,
};
use futures::future::{FutureExt, LocalBoxFuture};

/// A counter that persists its value after every step.
struct Counter {
    key: u32,
    value: i64,
    storage: Storage,
}

#[derive(Clone, Default)]
struct Storage {
    values: Arc<Mutex<HashMap<u32, i64>>>,
    failures: Arc<Mutex<Vec<(u32, String)>>>,
    hydrations: Arc<Mutex<u32>>,
    threads: Arc<Mutex<Vec<std::thread::ThreadId>>>,
}

enum Op {
    Add(i64),
    Panic,
    LoseMemory,
    Finish,
}

impl Entity for Counter {
    type Key = u32;
    type Message = Op;
    type Reply = i64;

    fn handle(&mut self, message: Op) -> Step<i64> {
        self.storage
            .threads
            .lock()
            .unwrap()
            .push(std::thread::current().id());
        let next = match message {
            Op::Add(amount) => {
                self.value += amount;
                self.storage
                    .values
                    .lock()
                    .unwrap()
                    .insert(self.key, self.value);
                Disposition::Continue
            }
            Op::Panic => panic!("counter {} broke", self.key),
            Op::LoseMemory => {
                self.value = -1000;
                Disposition::Reload
            }
            Op::Finish => Disposition::Finished,
        };
        let reply = self.value;
        async move {
            actix::clock::sleep(Duration::from_millis(1)).await;
            Outcome { reply, next }
        }
        .boxed_local()
    }
}

/// A counter that is not stored.
#[derive(Debug, thiserror::Error)]
#[error("no counter {0}")]
struct Missing(u32);

impl Keeper<Counter> for Storage {
    type Error = Missing;

    fn hydrate(&self, key: u32) -> LocalBoxFuture<'static, Result<Counter, Missing>> {
        *self.hydrations.lock().unwrap() += 1;
        let storage = self.clone();
        async move {
            let value = storage.values.lock().unwrap().get(&key).copied();
            match value {
                Some(value) => Ok(Counter {
                    key,
                    value,
                    storage,
                }),
                None => Err(Missing(key)),
            }
        }
        .boxed_local()
    }

    fn failed(&self, key: u32, reason: String) -> LocalBoxFuture<'static, ()> {
        self.failures.lock().unwrap().push((key, reason));
        async {}.boxed_local()
    }
}

fn start(storage: &Storage, policy: DehydrationPolicy) -> SupervisorHandle<Counter, Storage> {
    Supervisor::start_with("counters".into(), storage.clone(), policy)
}

fn counter(key: u32, storage: &Storage) -> Counter {
    Counter {
        key,
        value: 0,
        storage: storage.clone(),
    }
}

#[actix::test]
async fn messages_are_handled_in_order_one_at_a_time() {
    let storage = Storage::default();
    let supervisor = start(&storage, DehydrationPolicy::disabled());
    assert_eq!(
        supervisor.spawn(1, counter(1, &storage), Op::Add(1)).await,
        Ok(1)
    );
    let sends: Vec<_> = (0..50).map(|_| supervisor.send(1, Op::Add(2))).collect();
    let replies: Vec<i64> = futures::future::join_all(sends)
        .await
        .into_iter()
        .map(|reply| reply.unwrap())
        .collect();
    assert_eq!(replies, (1..=50).map(|n| 1 + 2 * n).collect::<Vec<_>>());
}

#[actix::test]
async fn an_entity_not_in_memory_is_hydrated_once_for_concurrent_messages() {
    let storage = Storage::default();
    storage.values.lock().unwrap().insert(7, 100);
    let supervisor = start(&storage, DehydrationPolicy::disabled());
    let (a, b) = futures::join!(
        supervisor.send(7, Op::Add(1)),
        supervisor.send(7, Op::Add(1))
    );
    assert_eq!((a, b), (Ok(101), Ok(102)));
    assert_eq!(*storage.hydrations.lock().unwrap(), 1);
    assert_eq!(
        supervisor.send(8, Op::Add(1)).await,
        Err(Error::Hydration("no counter 8".into()))
    );
}

#[actix::test]
async fn a_panic_fails_only_that_entity_and_is_recorded() {
    let storage = Storage::default();
    let supervisor = start(&storage, DehydrationPolicy::disabled());
    supervisor
        .spawn(1, counter(1, &storage), Op::Add(5))
        .await
        .unwrap();
    supervisor
        .spawn(2, counter(2, &storage), Op::Add(9))
        .await
        .unwrap();
    assert_eq!(
        supervisor.send(1, Op::Panic).await,
        Err(Error::Panicked("counter 1 broke".into()))
    );
    assert_eq!(supervisor.send(2, Op::Add(1)).await, Ok(10));
    let stats = supervisor.stats().await.unwrap();
    assert_eq!((stats.failed, stats.running), (1, 1));
    assert_eq!(
        storage.failures.lock().unwrap().as_slice(),
        &[(1, "counter 1 broke".to_string())]
    );
}

#[actix::test]
async fn a_stale_entity_is_reloaded_from_storage() {
    let storage = Storage::default();
    let supervisor = start(&storage, DehydrationPolicy::disabled());
    supervisor
        .spawn(3, counter(3, &storage), Op::Add(4))
        .await
        .unwrap();
    assert_eq!(supervisor.send(3, Op::LoseMemory).await, Ok(-1000));
    assert_eq!(supervisor.send(3, Op::Add(1)).await, Ok(5));
    assert_eq!(*storage.hydrations.lock().unwrap(), 1);
}

#[actix::test]
async fn a_finished_entity_leaves_memory() {
    let storage = Storage::default();
    let supervisor = start(&storage, DehydrationPolicy::disabled());
    supervisor
        .spawn(4, counter(4, &storage), Op::Add(4))
        .await
        .unwrap();
    supervisor.send(4, Op::Finish).await.unwrap();
    assert_eq!(supervisor.stats().await.unwrap().running, 0);
}

#[actix::test]
async fn a_forgotten_entity_handles_what_it_was_given_then_comes_back_from_storage() {
    let storage = Storage::default();
    let supervisor = start(&storage, DehydrationPolicy::disabled());
    supervisor
        .spawn(5, counter(5, &storage), Op::Add(1))
        .await
        .unwrap();
    let given = supervisor.send(5, Op::Add(1));
    let (given, ()) = futures::join!(given, async { supervisor.forget(5) });
    assert_eq!(given, Ok(2));
    assert_eq!(supervisor.stats().await.unwrap().running, 0);
    storage.values.lock().unwrap().remove(&5);
    assert_eq!(
        supervisor.send(5, Op::Add(1)).await,
        Err(Error::Hydration("no counter 5".into()))
    );
}

#[actix::test]
async fn idle_entities_beyond_max_count_are_evicted_and_come_back() {
    let storage = Storage::default();
    let policy = DehydrationPolicy {
        max_count: Some(2),
        max_age: None,
        interval: Duration::from_millis(5),
    };
    let supervisor = start(&storage, policy);
    for key in 1..=5 {
        supervisor
            .spawn(key, counter(key, &storage), Op::Add(key as i64))
            .await
            .unwrap();
    }
    loop {
        let stats = supervisor.stats().await.unwrap();
        if stats.evicted == 3 {
            assert_eq!(stats.running, 2);
            break;
        }
        actix::clock::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(supervisor.send(1, Op::Add(10)).await, Ok(11));
}

#[actix::test]
async fn a_supervisor_started_on_another_arbiter_runs_its_entities_there() {
    let storage = Storage::default();
    let arbiter = actix::Arbiter::new();
    let supervisor = Supervisor::start_on(
        &arbiter.handle(),
        "elsewhere".into(),
        storage.clone(),
        DehydrationPolicy::disabled(),
    );
    assert_eq!(
        supervisor.spawn(1, counter(1, &storage), Op::Add(2)).await,
        Ok(2)
    );
    assert_eq!(supervisor.send(1, Op::Add(3)).await, Ok(5));
    let threads = storage.threads.lock().unwrap().clone();
    assert_eq!(threads.len(), 2);
    assert!(threads
        .iter()
        .all(|thread| *thread != std::thread::current().id()));
    arbiter.stop();
}

//! The per-process supervisor: owns the entity actors of one process (its instances or its
//! partner links), starts them on demand, hydrates them through the [`Keeper`] when a
//! message arrives for one that is not in memory, contains their failures, and evicts idle
//! ones under the [`DehydrationPolicy`].
//!
//! Supervision reloads rather than restarts: an entity that panicked is reported to the
//! keeper as failed and forgotten; one whose memory is stale is forgotten, and the next
//! message loads it again from storage. Callers talk to it through a [`SupervisorHandle`].

use std::collections::HashMap;
use std::time::Instant;

use actix::prelude::*;
use tokio::sync::oneshot;

use crate::dehydration::DehydrationPolicy;
use crate::entity::{Entity, Keeper};
use crate::entity_actor::{Deliver, Ended, Ending, EntityActor, Stop};
use crate::error::Error;

type ReplySender<E> = oneshot::Sender<Result<<E as Entity>::Reply, Error>>;

enum Child<E: Entity> {
    Running {
        addr: Addr<EntityActor<E>>,
        last_used: Instant,
    },
    Loading {
        waiting: Vec<(E::Message, ReplySender<E>)>,
    },
}

/// What a supervisor holds at a moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SupervisorStats {
    /// Entities in memory.
    pub running: usize,
    /// Entities being loaded from storage.
    pub loading: usize,
    /// Entities evicted by the dehydration policy since the supervisor started.
    pub evicted: u64,
    /// Entities that panicked since the supervisor started.
    pub failed: u64,
}

/// The supervisor actor. Start it with [`Supervisor::start_with`].
pub struct Supervisor<E: Entity, K: Keeper<E>> {
    name: String,
    keeper: K,
    policy: DehydrationPolicy,
    children: HashMap<E::Key, Child<E>>,
    stats: SupervisorStats,
}

impl<E: Entity, K: Keeper<E>> Supervisor<E, K> {
    fn new(name: String, keeper: K, policy: DehydrationPolicy) -> Self {
        Self {
            name,
            keeper,
            policy,
            children: HashMap::new(),
            stats: Default::default(),
        }
    }

    /// Starts a supervisor on the current arbiter and returns its handle.
    pub fn start_with(
        name: String,
        keeper: K,
        policy: DehydrationPolicy,
    ) -> SupervisorHandle<E, K> {
        SupervisorHandle {
            addr: Self::new(name, keeper, policy).start(),
        }
    }

    /// Starts a supervisor on `arbiter` (its entities run there too) and returns its handle.
    pub fn start_on(
        arbiter: &ArbiterHandle,
        name: String,
        keeper: K,
        policy: DehydrationPolicy,
    ) -> SupervisorHandle<E, K>
    where
        K: std::marker::Send,
    {
        let addr = Self::start_in_arbiter(arbiter, move |_| Self::new(name, keeper, policy));
        SupervisorHandle { addr }
    }

    /// Forwards a message to a running actor and resolves its reply, routing a bounced
    /// message (its entity had just ended) through the supervisor again.
    fn forward(
        addr: &Addr<EntityActor<E>>,
        myself: Addr<Self>,
        key: E::Key,
        message: E::Message,
        reply: ReplySender<E>,
    ) {
        let delivery = addr.send(Deliver::<E>(message));
        actix::spawn(async move {
            let result = match delivery.await {
                Ok(Ok(result)) => result,
                Ok(Err(bounced)) => match myself
                    .send(Send::<E> {
                        key,
                        message: bounced,
                    })
                    .await
                {
                    Ok(result) => result,
                    Err(_) => Err(Error::Stopped),
                },
                Err(_) => Err(Error::Stopped),
            };
            let _ = reply.send(result);
        });
    }

    fn start_child(
        &mut self,
        key: E::Key,
        entity: E,
        ctx: &mut Context<Self>,
    ) -> Addr<EntityActor<E>> {
        let addr = EntityActor::new(key.clone(), entity, ctx.address().recipient()).start();
        let child = Child::Running {
            addr: addr.clone(),
            last_used: Instant::now(),
        };
        if let Some(Child::Loading { waiting }) = self.children.insert(key.clone(), child) {
            for (message, reply) in waiting {
                Self::forward(&addr, ctx.address(), key.clone(), message, reply);
            }
        }
        addr
    }

    fn route(
        &mut self,
        key: E::Key,
        message: E::Message,
        reply: ReplySender<E>,
        ctx: &mut Context<Self>,
    ) {
        match self.children.get_mut(&key) {
            Some(Child::Running { addr, last_used }) => {
                *last_used = Instant::now();
                Self::forward(addr, ctx.address(), key, message, reply);
            }
            Some(Child::Loading { waiting }) => waiting.push((message, reply)),
            None => {
                self.children.insert(
                    key.clone(),
                    Child::Loading {
                        waiting: vec![(message, reply)],
                    },
                );
                let hydration = self.keeper.hydrate(key.clone());
                ctx.spawn(
                    hydration
                        .into_actor(self)
                        .map(move |result, supervisor, ctx| supervisor.hydrated(key, result, ctx)),
                );
            }
        }
    }

    fn hydrated(&mut self, key: E::Key, result: Result<E, K::Error>, ctx: &mut Context<Self>) {
        match result {
            Ok(entity) => {
                self.start_child(key, entity, ctx);
            }
            Err(error) => {
                let reason = error.to_string();
                tracing::warn!(supervisor = %self.name, ?key, %reason, "Entity could not be loaded");
                if let Some(Child::Loading { waiting }) = self.children.remove(&key) {
                    for (_, reply) in waiting {
                        let _ = reply.send(Err(Error::Hydration(reason.clone())));
                    }
                }
            }
        }
    }

    fn forget(&mut self, key: &E::Key) {
        if let Some(Child::Running { addr, .. }) = self.children.remove(key) {
            addr.do_send(Stop);
        }
    }

    fn evict_idle(&mut self) {
        let running: Vec<(E::Key, Instant)> = self
            .children
            .iter()
            .filter_map(|(key, child)| match child {
                Child::Running { last_used, .. } => Some((key.clone(), *last_used)),
                Child::Loading { .. } => None,
            })
            .collect();
        let victims = self.policy.select(Instant::now(), &running);
        if !victims.is_empty() {
            tracing::debug!(supervisor = %self.name, count = victims.len(), "Evicting idle entities");
        }
        for key in victims {
            self.forget(&key);
            self.stats.evicted += 1;
        }
    }
}

impl<E: Entity, K: Keeper<E>> Actor for Supervisor<E, K> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.policy.is_enabled() {
            ctx.run_interval(self.policy.interval, |supervisor, _| {
                supervisor.evict_idle()
            });
        }
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        for (_, child) in self.children.drain() {
            if let Child::Running { addr, .. } = child {
                addr.do_send(Stop);
            }
        }
    }
}

/// Delivers a message to the entity `key`, loading it if it is not in memory.
struct Send<E: Entity> {
    key: E::Key,
    message: E::Message,
}

impl<E: Entity> Message for Send<E> {
    type Result = Result<E::Reply, Error>;
}

impl<E: Entity, K: Keeper<E>> Handler<Send<E>> for Supervisor<E, K> {
    type Result = ResponseFuture<Result<E::Reply, Error>>;

    fn handle(&mut self, Send { key, message }: Send<E>, ctx: &mut Context<Self>) -> Self::Result {
        let (reply, answer) = oneshot::channel();
        self.route(key, message, reply, ctx);
        Box::pin(async move { answer.await.unwrap_or(Err(Error::Stopped)) })
    }
}

/// Starts a new entity under `key` and gives it its first message.
struct Spawn<E: Entity> {
    key: E::Key,
    entity: E,
    message: E::Message,
}

impl<E: Entity> Message for Spawn<E> {
    type Result = Result<E::Reply, Error>;
}

impl<E: Entity, K: Keeper<E>> Handler<Spawn<E>> for Supervisor<E, K> {
    type Result = ResponseFuture<Result<E::Reply, Error>>;

    fn handle(&mut self, spawn: Spawn<E>, ctx: &mut Context<Self>) -> Self::Result {
        let (reply, answer) = oneshot::channel();
        self.forget(&spawn.key);
        let addr = self.start_child(spawn.key.clone(), spawn.entity, ctx);
        Self::forward(&addr, ctx.address(), spawn.key, spawn.message, reply);
        Box::pin(async move { answer.await.unwrap_or(Err(Error::Stopped)) })
    }
}

impl<E: Entity, K: Keeper<E>> Handler<Ended<E::Key>> for Supervisor<E, K> {
    type Result = ();

    fn handle(&mut self, Ended { key, ending }: Ended<E::Key>, ctx: &mut Context<Self>) {
        self.forget(&key);
        if let Ending::Panicked(reason) = ending {
            self.stats.failed += 1;
            tracing::error!(supervisor = %self.name, ?key, %reason, "Entity panicked; marked failed");
            ctx.spawn(self.keeper.failed(key, reason).into_actor(self));
        }
    }
}

struct Stats;

impl Message for Stats {
    type Result = SupervisorStats;
}

impl<E: Entity, K: Keeper<E>> Handler<Stats> for Supervisor<E, K> {
    type Result = MessageResult<Stats>;

    fn handle(&mut self, _: Stats, _: &mut Context<Self>) -> Self::Result {
        let loading = self
            .children
            .values()
            .filter(|child| matches!(child, Child::Loading { .. }))
            .count();
        MessageResult(SupervisorStats {
            running: self.children.len() - loading,
            loading,
            ..self.stats
        })
    }
}

/// Drops an entity from memory without loading it: see [`SupervisorHandle::forget`].
struct Forget<K>(K);

impl<K: 'static> Message for Forget<K> {
    type Result = ();
}

impl<E: Entity, K: Keeper<E>> Handler<Forget<E::Key>> for Supervisor<E, K> {
    type Result = ();

    fn handle(&mut self, Forget(key): Forget<E::Key>, _: &mut Context<Self>) {
        self.forget(&key);
    }
}

struct Shutdown;

impl Message for Shutdown {
    type Result = ();
}

impl<E: Entity, K: Keeper<E>> Handler<Shutdown> for Supervisor<E, K> {
    type Result = ();

    fn handle(&mut self, _: Shutdown, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

/// A cheap, cloneable handle on a supervisor.
pub struct SupervisorHandle<E: Entity, K: Keeper<E>> {
    addr: Addr<Supervisor<E, K>>,
}

impl<E: Entity, K: Keeper<E>> Clone for SupervisorHandle<E, K> {
    fn clone(&self) -> Self {
        Self {
            addr: self.addr.clone(),
        }
    }
}

impl<E: Entity, K: Keeper<E>> SupervisorHandle<E, K> {
    /// Delivers `message` to the entity `key`, loading it from storage if needed.
    pub async fn send(&self, key: E::Key, message: E::Message) -> Result<E::Reply, Error> {
        self.addr
            .send(Send::<E> { key, message })
            .await
            .unwrap_or(Err(Error::Stopped))
    }

    /// Starts `entity` under `key` (replacing any entity in memory under it) and delivers
    /// its first message.
    pub async fn spawn(
        &self,
        key: E::Key,
        entity: E,
        message: E::Message,
    ) -> Result<E::Reply, Error> {
        self.addr
            .send(Spawn::<E> {
                key,
                entity,
                message,
            })
            .await
            .unwrap_or(Err(Error::Stopped))
    }

    pub async fn stats(&self) -> Result<SupervisorStats, Error> {
        self.addr.send(Stats).await.map_err(|_| Error::Stopped)
    }

    /// Drops the entity `key` from memory, if it is there, once it has handled the messages
    /// already given to it; the next message for `key` loads it from storage again. For an
    /// entity whose stored state is gone, so that it ends now.
    pub fn forget(&self, key: E::Key) {
        self.addr.do_send(Forget(key));
    }

    /// Stops the supervisor and its entities; their state is in storage already.
    pub fn shutdown(&self) {
        self.addr.do_send(Shutdown);
    }
}

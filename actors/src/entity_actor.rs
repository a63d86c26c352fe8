//! The actix actor that runs one [`Entity`]: one message at a time, the mailbox waiting for
//! each step's future, panics caught and reported to the supervisor.
//!
//! Once a step ends the entity (finished, to be reloaded, or panicked) the actor tells its
//! supervisor and from then on bounces every message back unhandled; the supervisor, which
//! has forgotten the actor by then, routes bounced messages afresh and finally sends
//! [`Stop`], which arrives after every message it had forwarded.

use std::panic::AssertUnwindSafe;

use actix::prelude::*;
use futures::future::{self, FutureExt, LocalBoxFuture};

use crate::entity::{Disposition, Entity, Outcome};
use crate::error::Error;
use crate::panic;

/// How an entity ended, as reported to its supervisor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    Finished,
    Reload,
    Panicked(String),
}

/// Sent by an entity actor to its supervisor when its entity ends.
pub(crate) struct Ended<K> {
    pub key: K,
    pub ending: Ending,
}

impl<K: 'static> Message for Ended<K> {
    type Result = ();
}

/// A message for the entity. `Err(message)` hands it back unhandled: the entity had ended.
pub(crate) struct Deliver<E: Entity>(pub E::Message);

pub(crate) type Delivery<E> = Result<Result<<E as Entity>::Reply, Error>, <E as Entity>::Message>;

impl<E: Entity> Message for Deliver<E> {
    type Result = Delivery<E>;
}

/// Stops the actor; sent by the supervisor after it forgot the actor.
pub(crate) struct Stop;

impl Message for Stop {
    type Result = ();
}

pub(crate) struct EntityActor<E: Entity> {
    key: E::Key,
    entity: E,
    ended: bool,
    supervisor: Recipient<Ended<E::Key>>,
}

impl<E: Entity> EntityActor<E> {
    pub(crate) fn new(key: E::Key, entity: E, supervisor: Recipient<Ended<E::Key>>) -> Self {
        Self {
            key,
            entity,
            ended: false,
            supervisor,
        }
    }

    fn end(&mut self, ending: Ending) {
        self.ended = true;
        self.supervisor.do_send(Ended {
            key: self.key.clone(),
            ending,
        });
    }
}

impl<E: Entity> Actor for EntityActor<E> {
    type Context = Context<Self>;
}

impl<E: Entity> Handler<Deliver<E>> for EntityActor<E> {
    type Result = AtomicResponse<Self, Delivery<E>>;

    fn handle(&mut self, Deliver(message): Deliver<E>, _: &mut Context<Self>) -> Self::Result {
        if self.ended {
            return AtomicResponse::new(Box::pin(fut::ready(Err(message))));
        }
        let step = std::panic::catch_unwind(AssertUnwindSafe(|| self.entity.handle(message)));
        let guarded: LocalBoxFuture<'static, Result<Outcome<E::Reply>, String>> = match step {
            Ok(step) => FutureExt::boxed_local(
                AssertUnwindSafe(step)
                    .catch_unwind()
                    .map(|result| result.map_err(|payload| panic::reason(payload.as_ref()))),
            ),
            Err(payload) => Box::pin(future::ready(Err(panic::reason(payload.as_ref())))),
        };
        AtomicResponse::new(Box::pin(guarded.into_actor(self).map(
            |result, actor, _| match result {
                Ok(Outcome { reply, next }) => {
                    match next {
                        Disposition::Continue => {}
                        Disposition::Finished => actor.end(Ending::Finished),
                        Disposition::Reload => actor.end(Ending::Reload),
                    }
                    Ok(Ok(reply))
                }
                Err(reason) => {
                    actor.end(Ending::Panicked(reason.clone()));
                    Ok(Err(Error::Panicked(reason)))
                }
            },
        )))
    }
}

impl<E: Entity> Handler<Stop> for EntityActor<E> {
    type Result = ();

    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

//! What the engine implements to run something as a supervised actor.
//!
//! An [`Entity`] handles one message at a time. Handling has two halves: a synchronous part
//! inside [`Entity::handle`] that may change the entity (a state-machine step), and the
//! returned [`Step`] future that does the I/O (committing the step, sending results). The
//! entity's mailbox waits for the future, so steps never interleave. The future's
//! [`Disposition`] tells the supervisor whether the entity goes on, is finished, or must be
//! dropped and reloaded from storage because its memory can no longer be trusted.

use std::fmt::Debug;
use std::hash::Hash;

use futures::future::LocalBoxFuture;

/// What happens to the entity after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Keep it in memory, ready for the next message.
    Continue,
    /// It is finished: stop it and forget it.
    Finished,
    /// Its memory is ahead of or behind storage (a commit failed): stop it; the next message
    /// loads it again through the [`Keeper`].
    Reload,
}

/// The result of a step: the reply to the sender and what happens next.
pub struct Outcome<R> {
    pub reply: R,
    pub next: Disposition,
}

/// The asynchronous half of a step.
pub type Step<R> = LocalBoxFuture<'static, Outcome<R>>;

/// Something keyed that handles messages one at a time inside an actor.
pub trait Entity: Unpin + Send + Sized + 'static {
    type Key: Clone + Eq + Hash + Debug + Unpin + Send + 'static;
    type Message: Unpin + Send + 'static;
    type Reply: Send + 'static;

    /// Handles one message. Panics here or in the returned future are caught.
    fn handle(&mut self, message: Self::Message) -> Step<Self::Reply>;
}

/// Loads entities from storage and records their failures: the supervisor's link to the
/// store, implemented by the engine.
pub trait Keeper<E: Entity>: Unpin + 'static {
    /// Why an entity could not be brought back.
    type Error: std::error::Error + 'static;

    /// Brings an entity back from storage (hydration).
    fn hydrate(&self, key: E::Key) -> LocalBoxFuture<'static, Result<E, Self::Error>>;

    /// Records that an entity failed (it panicked); the supervisor has already stopped it.
    fn failed(&self, key: E::Key, reason: String) -> LocalBoxFuture<'static, ()>;
}

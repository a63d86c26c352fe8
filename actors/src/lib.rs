//! Actor lifecycles for Baton: entities (process instances, partner links) run as actix
//! actors, each owned by a per-process [`Supervisor`] that starts them on demand, contains
//! their panics, reloads them from storage instead of restarting them in memory, and evicts
//! idle ones under a [`DehydrationPolicy`].
//!
//! This crate knows nothing of BPEL: an [`Entity`] is anything keyed that handles messages
//! one at a time, and a [`Keeper`] is whatever can bring an entity back from storage. The
//! engine implements both.
//!
//! # Layout
//! - [`entity`]: the [`Entity`] and [`Keeper`] traits and what a step returns.
//! - [`entity_actor`]: the actix actor that runs one entity, one message at a time.
//! - [`supervisor`]: the per-process supervisor and its cheap [`SupervisorHandle`].
//! - [`dehydration`]: which idle entities to evict, as a pure policy.
//! - [`panic`]: turning a caught panic into a readable reason.
//! - [`workers`]: the threads entities' steps run on, and the demotion of long steps.
//! - [`error`]: this crate's [`Error`].

pub mod dehydration;
pub mod entity;
pub mod entity_actor;
pub mod error;
pub mod panic;
pub mod supervisor;
pub mod workers;

pub use dehydration::DehydrationPolicy;
pub use entity::{Disposition, Entity, Keeper, Outcome, Step};
pub use error::Error;
pub use supervisor::{Supervisor, SupervisorHandle, SupervisorStats};
pub use workers::{Workers, WorkersStats};

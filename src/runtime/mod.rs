//! BPEL semantics as a pure state machine over serialisable instance state.
//!
//! The engine's instance actor drives it: it hands the machine an [`Event`] (a message, an
//! invoke's outcome, a timer), the machine runs the process as far as it can and returns a
//! [`StepOutput`]: the [`Action`]s to carry out (replies, invokes, timers), the correlation
//! routes to add, and the instance's new status. The actor commits the new state and the
//! routes in one transaction, then carries out the actions; so the state a reply depends on
//! is always durable before the reply leaves, and an evicted or crashed instance resumes from
//! its last commit on any node.
//!
//! Process faults are data ([`Fault`]), never Rust errors: they travel through the machine to
//! the fault handlers, and out to callers as SOAP faults.
//!
//! # Layout
//! - [`compiled`]: a process model with its expressions compiled, as the machine runs it.
//! - [`state`]: the instance state that is stored between steps; [`encoding`]: its bytes.
//! - [`step`]: events in, actions out.
//! - [`machine`]: the interpreter: threads, scopes, handlers and links over the activity tree.
//! - [`assign`]: `<assign>`'s copy semantics; [`insert_missing`] creates the targets of
//!   copies with ODE's `insertMissingToData`.
//! - [`evaluate`]: XPath evaluation over instance variables, with BPEL's functions.
//! - [`extension`]: extension operations run inside a step.
//! - [`correlation`]: property extraction and correlation set checks.
//! - [`message`]: the normalised form of WSDL messages as XML documents.
//! - [`parts`]: `<toParts>` and `<fromParts>`: messages built from and spread to variables.
//! - [`session`]: ODE's implicit correlation: callbacks routed by a session instead of a
//!   correlation set.
//! - [`fault`]: BPEL faults and the standard fault names.
//! - [`partner_failure`]: the kinds of failed invokes, their faults, and the server's choice
//!   between raising them and waiting for an operator.
//! - [`functions`]: ODE's extension functions and variables, and `bpel:doXslTransform`.
//! - [`validate`]: `<validate>` and `<assign validate="yes">`.
//! - [`xsd`]: xsd:duration and xsd:dateTime arithmetic for `<wait>`.

pub mod assign;
pub mod compiled;
pub mod correlation;
pub mod encoding;
pub mod evaluate;
pub mod events;
pub mod extension;
pub mod fault;
pub mod functions;
pub mod insert_missing;
pub mod machine;
pub mod message;
pub mod partner_failure;
pub mod parts;
pub mod routes;
pub mod session;
pub mod state;
pub mod step;
pub mod validate;
pub mod xsd;

#[cfg(test)]
mod tests;

pub use compiled::{CompileError, CompiledProcess};
pub use extension::ExtensionContext;
pub use fault::Fault;
pub use machine::Machine;
pub use state::{ExchangeId, InstanceState, InstanceStatus};
pub use step::{Action, Event, InvokeOutcome, StepOutput};

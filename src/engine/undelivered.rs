//! One-way messages whose sending failed and that wait in the outbox to be sent again (see
//! [`super::outbox`] and [`super::partner`]): kept here, by instance, from their first
//! failure until their partner takes or refuses them, so that operators see them beside the
//! instance's failed activities (`baton failures INSTANCE`), not only in the log.
//!
//! What is kept is this server's view since it started: a message whose sending failed before
//! a restart shows again once its first resend fails.

use dashmap::DashMap;
use serde::{Deserialize, Serialize};

/// A one-way message its partner has not taken yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UndeliveredCall {
    /// The message's id, the same on every sending.
    pub message_id: String,
    pub partner_link: String,
    pub operation: String,
    /// How often it was sent and failed since the server started.
    pub attempts: u32,
    /// Why its last sending failed.
    pub reason: String,
}

/// The undelivered one-way messages of every instance.
#[derive(Default)]
pub struct Undelivered {
    /// Message id → (instance, the message).
    calls: DashMap<String, (i64, UndeliveredCall)>,
}

impl Undelivered {
    /// Records that sending `call` of `instance` failed again.
    pub fn failed(&self, instance: i64, call: UndeliveredCall) {
        self.calls.insert(call.message_id.clone(), (instance, call));
    }

    /// Forgets the message `message_id`, which its partner took or refused.
    pub fn settled(&self, message_id: &str) {
        self.calls.remove(message_id);
    }

    /// The undelivered messages of `instance`, by message id.
    pub fn of(&self, instance: i64) -> Vec<UndeliveredCall> {
        let mut calls: Vec<UndeliveredCall> = self
            .calls
            .iter()
            .filter(|entry| entry.value().0 == instance)
            .map(|entry| entry.value().1.clone())
            .collect();
        calls.sort_by(|a, b| a.message_id.cmp(&b.message_id));
        calls
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(message_id: &str, attempts: u32) -> UndeliveredCall {
        UndeliveredCall {
            message_id: message_id.into(),
            partner_link: "server".into(),
            operation: "order".into(),
            attempts,
            reason: "connection refused".into(),
        }
    }

    #[test]
    fn messages_are_kept_per_instance_until_settled() {
        let undelivered = Undelivered::default();
        undelivered.failed(1, call("m-b", 1));
        undelivered.failed(1, call("m-a", 1));
        undelivered.failed(2, call("m-c", 1));
        undelivered.failed(1, call("m-b", 2));
        assert_eq!(undelivered.of(1), [call("m-a", 1), call("m-b", 2)]);
        undelivered.settled("m-a");
        assert_eq!(undelivered.of(1), [call("m-b", 2)]);
        assert_eq!(undelivered.of(3), []);
    }
}

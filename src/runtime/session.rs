//! ODE's implicit correlation: callbacks routed to the instance that invoked, by a session
//! identifier instead of a correlation set.
//!
//! A partner link that invokes and also takes messages on a receive without a correlation set
//! that does not create an instance (an asynchronous callback) has a session per instance:
//! [`my_session`]. The step of the first invoke on that partner link adds the route
//! `#session|id` to the instance, and the call carries the session in its callback endpoint
//! reference; the partner calls back with the session in a header, and the callback is routed
//! by it (see `engine::session` for the headers). A partner link whose partner called it with
//! a callback endpoint reference keeps that address and session as its partner role: its next
//! invoke goes there, naming the session.
//!
//! The route's set name starts with `#`, which no correlation set's name (an NCName) can, so
//! sessions and correlation sets never share a route.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::model::{PartnerLinkId, Process};

/// The name under which session routes are stored.
pub const SESSION_SET: &str = "#session";

/// The session of `partner_link` in instance `instance`: unique within the process, the same
/// on every step.
pub fn my_session(instance: i64, partner_link: PartnerLinkId) -> String {
    format!("{instance}.{}", partner_link.0)
}

/// The (partner link, operation) pairs a message may reach an existing instance on by its
/// session only: taken by a receive, onMessage or onEvent without a correlation set that does
/// not create an instance, on a partner link that also invokes.
pub fn implicitly_correlated(process: &Process) -> HashSet<(PartnerLinkId, String)> {
    process
        .message_receivers()
        .filter(|receive| {
            !receive.create_instance
                && receive.correlations.is_empty()
                && process
                    .partner_link(receive.partner_link)
                    .partner_role
                    .is_some()
        })
        .map(|receive| (receive.partner_link, receive.operation.clone()))
        .collect()
}

/// The endpoint reference a message named for calling its sender back: where, and the
/// session to name there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    pub address: String,
    pub session: Option<String>,
}

/// The sessions an invoke's call names: the partner's, where its callback endpoint reference
/// gave one, and the invoking instance's own with the address callbacks go to, where they
/// are routed by it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sessions {
    pub partner: Option<String>,
    pub mine: Option<Callback>,
}

impl Sessions {
    pub fn is_empty(&self) -> bool {
        self.partner.is_none() && self.mine.is_none()
    }
}

//! The management API, served on the server's HTTP port under [`PREFIX`] and used by the
//! `baton failures` and `baton recover` commands: operators list an instance's failed
//! activities and settle them.
//!
//! - `GET /admin/instances/{instance}/failures` answers a [`FailureList`].
//! - `POST /admin/instances/{instance}/failures/{exchange}/{retry|cancel|fault}` answers
//!   [`Settled`].
//!
//! Every request needs credentials (HTTP basic or a bearer token, see [`crate::auth`]):
//! without them, or with wrong ones, the answer is 401 before anything is looked up; after
//! too many failed logins, 429; with a role too small for the request, 403. Listing needs
//! the role viewer, settling operator.
//!
//! Bodies are JSON. A refusal is an [`ErrorBody`] with 400 (a malformed request), 404 (no
//! such instance or failed activity), 409 (the instance cannot be acted on), 403 (the API is
//! disabled by `[server] admin = false`) or 500.
//!
//! # Layout
//! - [`routes`]: the server side, on actix-web.
//! - [`access`]: who may call which route.
//! - [`client`]: the command line's side.

pub mod access;
pub mod client;
pub mod routes;

use serde::{Deserialize, Serialize};

use crate::engine::FailedActivity;
use crate::runtime::step::RecoveryAction;

/// Where the management API lives on the server's HTTP port.
pub const PREFIX: &str = "/admin";

/// An instance's failed activities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureList {
    pub instance: i64,
    pub failures: Vec<FailedActivity>,
}

/// What became of an operator's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settled {
    pub instance: i64,
    pub exchange: String,
    pub action: RecoveryAction,
    /// The instance's status once the decision took effect (`running`, `completed`, ...).
    pub status: String,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

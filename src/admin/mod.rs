//! The management API, served on the server's HTTP port under [`PREFIX`] and used by the
//! `baton failures`, `baton recover`, `baton suspend`, `baton resume` and `baton terminate`
//! commands: operators list an instance's failed activities and settle them, and suspend,
//! resume or terminate instances.
//!
//! - `GET /api/v1/instances/{instance}/failures` answers a [`FailureList`]: the failed
//!   activities, and the one-way messages whose sending failed and that are sent again.
//! - `POST /api/v1/instances/{instance}/failures/{exchange}/{retry|cancel|fault}` answers
//!   [`Settled`].
//! - `GET /api/v1/instances/{instance}` answers an [`InstanceView`]: its status and, when it
//!   is suspended or failed, why.
//! - `POST /api/v1/instances/{instance}/{suspend|resume|terminate}` answers [`Operated`]
//!   (`baton suspend|resume|terminate`).
//! - `GET /api/v1/instances?filter=F&order=O&limit=N` answers an [`InstanceList`]: the
//!   instances of durable processes an instance filter in ODE's language selects
//!   ([`crate::query`]), in its order, at most `limit` (100 by default, 1,000 at most), and
//!   when the page is full the `cursor` of the next.
//! - `GET /api/v1/processes?filter=F&order=O` answers a [`ProcessList`]: the deployed process
//!   versions a process filter selects.
//! - `GET /api/v1/openapi.json` answers the API's OpenAPI 3.1 document, made from the
//!   routes as they are served ([`routes::operations`]).
//!
//! Every request needs credentials (HTTP basic or a bearer token, see [`crate::auth`]):
//! without them, or with wrong ones, the answer is 401 before anything is looked up; after
//! too many failed logins, 429; with a role too small for the request, 403. Reading needs
//! the role viewer; settling and acting on instances, operator.
//!
//! Bodies are JSON. A refusal is an [`ErrorBody`] with 400 (a malformed request), 404 (no
//! such instance or failed activity), 409 (the instance cannot be acted on), 403 (the API is
//! disabled by `[server] admin = false`) or 500.
//!
//! # Layout
//! - [`routes`]: the server side, on actix-web; [`listings`]: its listings; [`openapi`]: its
//!   document.
//! - [`access`]: who may call which route.
//! - [`client`]: the command line's side.

pub mod access;
mod bulk;
pub mod client;
mod cursor;
mod events;
mod listings;
mod openapi;
mod state;

pub use state::{InstanceData, NamedValue, OpenExchangeData, ScopeData};
pub mod routes;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::engine::{FailedActivity, UndeliveredCall};
use crate::runtime::step::{OperatorAction, RecoveryAction};

/// Where the management API lives on the server's HTTP port.
pub const PREFIX: &str = "/api/v1";

/// An instance's failed activities, and its one-way messages sent again until their partner
/// takes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FailureList {
    pub instance: i64,
    pub failures: Vec<FailedActivity>,
    #[serde(default)]
    pub undelivered: Vec<UndeliveredCall>,
}

/// What became of an operator's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Settled {
    pub instance: i64,
    pub exchange: String,
    pub action: RecoveryAction,
    /// The instance's status once the decision took effect (`running`, `completed`, ...).
    pub status: String,
}

/// An instance as operators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InstanceView {
    pub instance: i64,
    pub pid: String,
    /// `running`, `suspended`, `completed`, `faulted`, `failed` or `terminated`.
    pub status: String,
    /// Why it is suspended, failed or faulted, if it is.
    pub reason: Option<String>,
}

/// A page of an instance's events, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Timeline {
    pub events: Vec<crate::events::EventRecord>,
    /// When the page holds `limit` steps: pass it as `after` for the next one.
    pub next: Option<i64>,
}

/// Instances a filter selected, in its order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InstanceList {
    pub instances: Vec<InstanceListed>,
    /// The cursor of the next page when this one is full: pass it as `cursor`, with the same
    /// filter and order.
    pub next: Option<String>,
}

/// An instance as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InstanceListed {
    pub instance: i64,
    pub pid: String,
    pub status: String,
    /// Why it is suspended, failed or faulted, if it is.
    pub reason: Option<String>,
    /// When it was created and last saved, as xsd:dateTime in UTC.
    pub started: String,
    pub last_active: String,
}

/// Process versions a filter selected, in its order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProcessList {
    pub processes: Vec<ProcessListed>,
}

/// A deployed process version as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProcessListed {
    pub pid: String,
    /// The process's name, `{namespace}local`.
    pub process: String,
    pub version: i64,
    /// `active`, `retired` or `disabled`.
    pub status: String,
    /// When its unit was deployed, as xsd:dateTime in UTC.
    pub deployed: String,
}

/// What became of an operator's action on an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Operated {
    pub instance: i64,
    pub action: OperatorAction,
    /// The instance's status once the action took effect.
    pub status: String,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
}

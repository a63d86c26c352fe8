//! The deployment descriptor, ODE's deploy.xml
//! (namespace `http://www.apache.org/ode/schemas/dd/2007/03`): ODE's whole vocabulary is
//! read; each field says whether the server acts on it yet.

use serde::{Deserialize, Serialize};

use super::FailureHandling;
use crate::xml::QName;

/// A parsed deploy.xml.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeployDescriptor {
    pub processes: Vec<ProcessDeployment>,
}

/// One `<process>` element: how a process of the unit is deployed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProcessDeployment {
    pub name: QName,
    /// `fileName`: the .bpel file holding the process; when absent the compiler finds the
    /// .bpel file whose process has this name.
    pub file_name: Option<String>,
    /// `<active>`: false deploys the process disabled.
    pub active: bool,
    /// `<retired>`: true deploys the process retired (wins over `active`).
    pub retired: bool,
    /// `<in-memory>`: the process's instances never touch the store.
    pub in_memory: bool,
    /// `<property name="QName">value</property>`: process properties; the value is the
    /// element's content serialised as an XML forest.
    pub properties: Vec<(QName, String)>,
    pub provides: Vec<Provide>,
    pub invokes: Vec<InvokeBinding>,
    /// `<process-events>`; None when the element is absent (the server default applies).
    /// Kept for the event log; not acted on yet.
    pub events: Option<EventsFilter>,
    /// `<cleanup>`s: what to delete when an instance ends (see
    /// [`ProcessDeployment::cleanup_on_end`]).
    pub cleanup: Vec<Cleanup>,
    /// `<schedule when>`s: cleanups of the process's ended instances run on a cron schedule
    /// (see [`crate::engine::schedules`]).
    pub schedules: Vec<Schedule>,
    /// `<mex-interceptors>`: the names (`<class-name>`) of the message-exchange interceptors
    /// the process runs after the global ones (see [`crate::interceptor`]).
    pub mex_interceptors: Vec<String>,
    /// `<type>`: the process type this process stands for, for ODE's versioning of
    /// processes deployed under another name; kept, not acted on yet.
    pub process_type: Option<QName>,
}

impl ProcessDeployment {
    /// What the `<cleanup>`s delete when an instance ends: those `on="success"` when it
    /// completed (`success`), those `on="failure"` when it faulted or was terminated, and
    /// those `on="always"` both times.
    pub fn cleanup_on_end(&self, success: bool) -> CleanupCategories {
        let wanted = if success {
            CleanupOn::Success
        } else {
            CleanupOn::Failure
        };
        self.cleanup
            .iter()
            .filter(|cleanup| cleanup.on == wanted || cleanup.on == CleanupOn::Always)
            .fold(CleanupCategories::default(), |all, cleanup| {
                all.with(&cleanup.categories())
            })
    }
}

/// `<schedule when>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Schedule {
    /// The cron expression, as written.
    pub when: String,
    pub cleanup: Vec<Cleanup>,
}

/// `<provide partnerLink>`: the service a myRole partner link is offered at.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Provide {
    pub partner_link: String,
    pub service: QName,
    pub port: String,
    /// `<enableSharing/>`: several processes share the service.
    pub enable_sharing: bool,
    /// WSO2's `<endpoint endpointReference>` inside `<service>`: where the service is offered,
    /// in place of the port's soap:address.
    pub endpoint: Option<EndpointReference>,
    /// Baton's `<credentials>` inside `<service>`: when any, calls over HTTP must present one.
    #[serde(default)]
    pub credentials: Vec<crate::auth::ServiceCredential>,
    /// How long a caller waits for the process's reply, in milliseconds, when it is not the
    /// server's `reply-timeout-ms` (ODE's `mex.timeout` endpoint property).
    #[serde(default)]
    pub reply_timeout_ms: Option<u64>,
}

/// `<invoke partnerLink usePeer2Peer>`: the service a partnerRole partner link calls.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvokeBinding {
    pub partner_link: String,
    pub service: QName,
    pub port: String,
    /// false forces the call through the network transport even when the target service is
    /// provided by a process of this server.
    pub use_peer2peer: bool,
    /// `<binding name>`: the WSDL binding to call the service with; kept, not acted on yet
    /// (the port's own binding is used).
    pub binding: Option<QName>,
    /// ODE's `<failureHandling>` for the invokes of the partner link that have none of their
    /// own in the process.
    pub failure_handling: Option<FailureHandling>,
    /// WSO2's `<endpoint endpointReference>` inside `<service>`: where the partner is called,
    /// in place of the port's soap:address, with the headers its reference parameters make.
    pub endpoint: Option<EndpointReference>,
    /// How calls of the partner link travel: WSO2's `<mex-timeout>` and Baton's `<link>`.
    pub link: LinkSettings,
}

/// A WS-Addressing endpoint reference (`wsa:EndpointReference`), read at deployment from the
/// file a deploy.xml `<endpoint endpointReference>` names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointReference {
    /// The file, as deploy.xml names it (for messages).
    pub file: String,
    /// `wsa:Address`: an `http(s)://`, `amqp(s)://…/queue` or `local:` URL.
    pub address: String,
    /// The children of `wsa:ReferenceParameters` as a standalone XML forest (empty when
    /// none): each goes out as a SOAP header of every call to the endpoint.
    pub reference_parameters: String,
}

/// The transport a partner link's calls must take (`<baton:link transport>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkTransport {
    /// In memory, to a service of this server.
    Peer,
    /// SOAP over HTTP.
    Http,
    /// SOAP over AMQP.
    Amqp,
}

/// How the calls of one partner link travel; every field has the server's default when
/// deploy.xml says nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkSettings {
    /// The transport calls must take; None chooses it from the partner's address.
    pub transport: Option<LinkTransport>,
    /// How long one call may take, in milliseconds; None leaves the transport's time-out.
    pub timeout_ms: Option<u64>,
    /// How many times a call that failed before reaching the partner is sent again before
    /// the invoke fails.
    pub retries: u32,
    /// The most calls of the partner link in flight at once; None for no limit. Calls beyond
    /// it wait, in the order they were made.
    pub max_concurrent_calls: Option<usize>,
    /// What calls over HTTP present to the partner (`user` and `password`, or `token`).
    #[serde(default)]
    pub credentials: Option<crate::auth::Presented>,
    /// HTTP headers every call of a REST partner sends where the call does not set them
    /// (ODE's `http.default-headers.NAME` endpoint properties).
    #[serde(default)]
    pub default_headers: Vec<(String, String)>,
}

/// `<process-events>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventsFilter {
    /// `generate`: Some(true) for "all", Some(false) for "none", None when only lists are given.
    pub generate: Option<bool>,
    pub enabled: Vec<String>,
    /// `<scope-events name>`: per named scope lists.
    pub scopes: Vec<(String, Vec<String>)>,
}

/// When a `<cleanup>` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CleanupOn {
    Success,
    Failure,
    Always,
}

/// The categories a `<cleanup>` may name.
pub const CLEANUP_CATEGORIES: [&str; 6] = [
    "instance",
    "variables",
    "messages",
    "correlations",
    "events",
    "all",
];

/// `<cleanup on>`: what to delete when an instance ends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cleanup {
    pub on: CleanupOn,
    /// instance, variables, messages, correlations, events or all; empty means all.
    pub categories: Vec<String>,
    pub filters: Vec<String>,
}

impl Cleanup {
    /// The categories this cleanup names; none named means all.
    pub fn categories(&self) -> CleanupCategories {
        if self.categories.is_empty() {
            return CleanupCategories::ALL;
        }
        let mut categories = CleanupCategories::default();
        for category in &self.categories {
            match category.as_str() {
                "instance" => categories.instance = true,
                "variables" => categories.variables = true,
                "messages" => categories.messages = true,
                "correlations" => categories.correlations = true,
                "events" => categories.events = true,
                "all" => categories = CleanupCategories::ALL,
                _ => {}
            }
        }
        categories
    }
}

/// The categories of data a cleanup deletes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CleanupCategories {
    /// The instance itself, with everything of it.
    pub instance: bool,
    /// The values of its variables and partner links.
    pub variables: bool,
    /// Its message exchanges and the messages they carry.
    pub messages: bool,
    /// Its correlation set values and routes.
    pub correlations: bool,
    /// Its events.
    pub events: bool,
}

impl CleanupCategories {
    /// Every category.
    pub const ALL: Self = Self {
        instance: true,
        variables: true,
        messages: true,
        correlations: true,
        events: true,
    };

    /// These categories and `other`'s.
    pub fn with(self, other: &Self) -> Self {
        Self {
            instance: self.instance || other.instance,
            variables: self.variables || other.variables,
            messages: self.messages || other.messages,
            correlations: self.correlations || other.correlations,
            events: self.events || other.events,
        }
    }
}

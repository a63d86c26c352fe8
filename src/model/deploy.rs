//! The deployment descriptor, ODE's deploy.xml
//! (namespace `http://www.apache.org/ode/schemas/dd/2007/03`).

use serde::{Deserialize, Serialize};

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
    pub events: Option<EventsFilter>,
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

/// `<cleanup on>`: what to delete when an instance ends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cleanup {
    pub on: CleanupOn,
    /// instance, variables, messages, correlations, events or all; empty means all.
    pub categories: Vec<String>,
    pub filters: Vec<String>,
}

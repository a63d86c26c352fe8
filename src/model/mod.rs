//! The compiled, validated form of a deployment unit: what the compiler produces from
//! deploy.xml, WSDL 1.1 and WS-BPEL 2.0 documents, and what the runtime executes.
//!
//! The model is plain data. Everything that can be resolved at deploy time is resolved here:
//! names become indices ([`ActivityId`], [`VariableId`], [`PartnerLinkId`], …), QNames are
//! expanded, expressions are kept as source text with their namespace bindings and an
//! [`ExprId`] so that the engine compiles each one exactly once when the unit is loaded.
//!
//! # Layout
//! - [`deploy`]: the deployment descriptor (ODE's deploy.xml).
//! - [`wsdl`]: messages, port types, bindings, services, partner link types, properties.
//! - [`process`]: a BPEL process: partner links, variables, correlation sets, expressions.
//! - [`activity`]: the activity tree, stored flat and addressed by [`ActivityId`].

pub mod activity;
pub mod cron;
pub mod deploy;
pub mod process;
pub mod wsdl;

pub use activity::*;
pub use deploy::*;
pub use process::*;
pub use wsdl::*;

use serde::{Deserialize, Serialize};

use crate::xml::QName;

/// A compiled deployment unit: one deploy.xml with the processes it names.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unit {
    /// The unit's name: its folder or .zip file name without extension.
    pub name: String,
    pub descriptor: DeployDescriptor,
    /// Every WSDL definition of the unit, imports followed, merged by QName.
    pub definitions: Definitions,
    /// One entry per `<process>` of the descriptor, in descriptor order.
    pub processes: Vec<Process>,
    /// What the compiler tolerated, as `file:line: warning: [rule] message` lines.
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl Unit {
    /// The process with this QName, if the unit has it.
    pub fn process(&self, name: &QName) -> Option<&Process> {
        self.processes.iter().find(|p| &p.name == name)
    }
}

/// Where in a unit something was written: used by diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// File name relative to the unit's root.
    pub file: String,
    /// 1-based line number; 0 when unknown.
    pub line: u32,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

//! A compiled WS-BPEL 2.0 process: its declarations and expression table. The activity tree
//! itself is in [`super::activity`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Activity, ActivityId, Location};
use crate::xml::QName;

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub u32);

        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

index_type!(
    /// Index into [`Process::variables`].
    VariableId
);
index_type!(
    /// Index into [`Process::partner_links`].
    PartnerLinkId
);
index_type!(
    /// Index into [`Process::correlation_sets`].
    CorrelationSetId
);
index_type!(
    /// Index into [`Process::expressions`].
    ExprId
);

pub(crate) use index_type;

/// The expression language URI of XPath 1.0, BPEL's default.
pub const XPATH_1_0: &str = "urn:oasis:names:tc:wsbpel:2.0:sublang:xpath1.0";
/// The expression language URI of XPath 2.0.
pub const XPATH_2_0: &str = "urn:oasis:names:tc:wsbpel:2.0:sublang:xpath2.0";

/// A compiled process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Process {
    pub name: QName,
    /// The .bpel file, relative to the unit.
    pub file: String,
    pub partner_links: Vec<PartnerLink>,
    pub variables: Vec<Variable>,
    pub correlation_sets: Vec<CorrelationSet>,
    /// Every expression, query and condition of the process, compiled once by the engine.
    pub expressions: Vec<Expression>,
    /// The activity arena; [`Process::root`] is the process's main activity.
    pub activities: Vec<Activity>,
    pub root: ActivityId,
    /// Process-level `<faultHandlers>`.
    pub fault_handlers: FaultHandlers,
}

impl Process {
    pub fn activity(&self, id: ActivityId) -> &Activity {
        &self.activities[id.index()]
    }

    pub fn variable(&self, id: VariableId) -> &Variable {
        &self.variables[id.index()]
    }

    pub fn partner_link(&self, id: PartnerLinkId) -> &PartnerLink {
        &self.partner_links[id.index()]
    }

    pub fn partner_link_named(&self, name: &str) -> Option<PartnerLinkId> {
        let index = self.partner_links.iter().position(|p| p.name == name)?;
        Some(PartnerLinkId(index as u32))
    }

    pub fn correlation_set(&self, id: CorrelationSetId) -> &CorrelationSet {
        &self.correlation_sets[id.index()]
    }

    pub fn expression(&self, id: ExprId) -> &Expression {
        &self.expressions[id.index()]
    }
}

/// A `<partnerLink>` with its roles resolved to port types.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartnerLink {
    pub name: String,
    pub partner_link_type: QName,
    pub my_role: Option<Role>,
    pub partner_role: Option<Role>,
    pub initialize_partner_role: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub port_type: QName,
}

/// A `<variable>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Variable {
    pub name: String,
    pub kind: VariableKind,
    pub location: Location,
}

/// What a variable holds: a WSDL message, an element or an XML Schema type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum VariableKind {
    Message(QName),
    Element(QName),
    Type(QName),
}

/// A `<correlationSet>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CorrelationSet {
    pub name: String,
    pub properties: Vec<QName>,
}

/// A `<correlation>` of a messaging activity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CorrelationUse {
    pub set: CorrelationSetId,
    pub initiate: Initiate,
    /// On invoke only: which message the correlation applies to.
    pub pattern: Option<Pattern>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Initiate {
    Yes,
    Join,
    No,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pattern {
    Request,
    Response,
    RequestResponse,
}

/// What an expression is used for; the engine checks the result type accordingly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpressionUse {
    /// `<from>expr</from>`, `<to>expr</to>` and other general expressions.
    General,
    /// `<query>`: evaluated with a variable or part as context node.
    Query,
    /// `<condition>`, `<transitionCondition>`, …: converted to boolean.
    Condition,
    /// `<for>`, `<repeatEvery>`: an xsd:duration.
    Duration,
    /// `<until>`: an xsd:dateTime or xsd:date.
    Deadline,
}

/// An expression or query as written, with the namespace bindings in scope where it was
/// written and its language URI.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Expression {
    pub source: String,
    pub language: String,
    pub namespaces: BTreeMap<String, String>,
    pub usage: ExpressionUse,
    pub location: Location,
}

/// `<faultHandlers>`: catches in document order, then catchAll.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FaultHandlers {
    pub catches: Vec<Catch>,
    pub catch_all: Option<ActivityId>,
}

/// A `<catch>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Catch {
    pub fault_name: Option<QName>,
    /// `faultVariable`, declared by the catch itself (it is also in [`Process::variables`]).
    pub fault_variable: Option<VariableId>,
    pub activity: ActivityId,
}

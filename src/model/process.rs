//! A compiled WS-BPEL 2.0 process: its declarations and expression table. The activity tree
//! itself is in [`super::activity`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Activity, ActivityId, ActivityKind, Copy, EventHandlers, Location, Receive};
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
index_type!(
    /// Index into [`Process::scopes`]; [`ScopeId::PROCESS`] is the process itself.
    ScopeId
);
index_type!(
    /// Index into [`Process::links`].
    LinkId
);

impl ScopeId {
    /// The process: the outermost scope.
    pub const PROCESS: ScopeId = ScopeId(0);
}

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
    /// Every scope: the process first ([`ScopeId::PROCESS`]), then each `<scope>` and each
    /// implicit scope (of an onEvent, a catch's faultVariable, an invoke's handlers).
    pub scopes: Vec<Scope>,
    pub links: Vec<Link>,
    /// `exitOnStandardFault` of the process.
    pub exit_on_standard_fault: bool,
    /// The XSLT stylesheets `bpel:doXslTransform` calls name, by the URI written in the
    /// call: their text, loaded from the unit at deployment.
    #[serde(default)]
    pub stylesheets: BTreeMap<String, String>,
    /// Written in the 2004 draft of WS-BPEL 2.0: what the OASIS standard added later does
    /// not apply (bpel:ambiguousReceive; a message goes to the first activity that takes it).
    #[serde(default)]
    pub draft: bool,
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

    pub fn scope(&self, id: ScopeId) -> &Scope {
        &self.scopes[id.index()]
    }

    pub fn link(&self, id: LinkId) -> &Link {
        &self.links[id.index()]
    }

    /// Whatever takes inbound messages: receives, pick onMessages and event handlers'
    /// onEvents.
    pub fn message_receivers(&self) -> impl Iterator<Item = &Receive> {
        let on_events = self
            .scopes
            .iter()
            .flat_map(|scope| &scope.event_handlers.on_events)
            .map(|on_event| &on_event.message);
        self.activities
            .iter()
            .flat_map(|activity| match &activity.kind {
                ActivityKind::Receive(receive) => vec![receive],
                ActivityKind::Pick(pick) => pick.on_messages.iter().map(|on| &on.message).collect(),
                _ => Vec::new(),
            })
            .chain(on_events)
    }
}

/// A scope's declarations and handlers. Each declared item is numbered within its scope
/// (its `slot`), so that each running instance of the scope keeps its values in a vector.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scope {
    /// The `<scope>` activity (or the invoke, onEvent or catch of an implicit scope); None
    /// for the process.
    pub activity: Option<ActivityId>,
    pub parent: Option<ScopeId>,
    /// The activity the scope runs: the process's main activity, a scope's child, …
    pub body: ActivityId,
    /// Declared here, in slot order.
    pub variables: Vec<VariableId>,
    pub partner_links: Vec<PartnerLinkId>,
    pub correlation_sets: Vec<CorrelationSetId>,
    pub message_exchanges: Vec<String>,
    pub isolated: bool,
    /// The effective `exitOnStandardFault`.
    pub exit_on_standard_fault: bool,
    pub fault_handlers: FaultHandlers,
    /// None: the default handler, which compensates the completed child scopes.
    pub compensation_handler: Option<ActivityId>,
    /// None: the default handler, which compensates the completed child scopes.
    pub termination_handler: Option<ActivityId>,
    pub event_handlers: EventHandlers,
}

/// A `<link>` of a flow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Link {
    pub name: String,
    /// The `<flow>` declaring it.
    pub flow: ActivityId,
    pub source: ActivityId,
    pub target: ActivityId,
}

/// A `<partnerLink>` with its roles resolved to port types.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartnerLink {
    pub name: String,
    /// The scope declaring it, and its slot there.
    pub scope: ScopeId,
    pub slot: u32,
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
    /// The scope declaring it, and its slot there.
    pub scope: ScopeId,
    pub slot: u32,
    pub kind: VariableKind,
    pub location: Location,
    /// The inline `<from>` initialising the variable when its scope starts, as a copy to the
    /// whole variable.
    #[serde(default)]
    pub initializer: Option<Copy>,
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
    /// The scope declaring it, and its slot there.
    pub scope: ScopeId,
    pub slot: u32,
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
    /// `<joinCondition>`: its variable references are link names.
    JoinCondition,
    /// `<startCounterValue>`, `<finalCounterValue>`, `<branches>`: an unsigned integer.
    Unsigned,
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

/// `<faultHandlers>`: catches in document order, then catchAll. Without any, the default
/// handler compensates the completed child scopes and rethrows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FaultHandlers {
    pub catches: Vec<Catch>,
    pub catch_all: Option<ActivityId>,
}

impl FaultHandlers {
    pub fn is_empty(&self) -> bool {
        self.catches.is_empty() && self.catch_all.is_none()
    }
}

/// A `<catch>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Catch {
    pub fault_name: Option<QName>,
    /// `faultVariable`, declared by the catch's implicit scope `scope`.
    pub fault_variable: Option<VariableId>,
    /// The type the fault data must have: `faultMessageType` or `faultElement`.
    pub fault_type: Option<FaultType>,
    /// The implicit scope declaring the fault variable, if there is one.
    pub scope: Option<ScopeId>,
    pub activity: ActivityId,
}

/// The type of a catch's fault variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FaultType {
    Message(QName),
    Element(QName),
}

//! The activity tree of a process, stored flat in [`super::Process::activities`] and
//! addressed by [`ActivityId`], so that execution state can name an activity with a number.

use serde::{Deserialize, Serialize};

use super::process::index_type;
use super::{CorrelationUse, ExprId, Location, PartnerLinkId, VariableId};
use crate::xml::QName;

index_type!(
    /// Index into [`super::Process::activities`].
    ActivityId
);

/// One activity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Activity {
    pub name: Option<String>,
    pub location: Location,
    pub kind: ActivityKind,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ActivityKind {
    Receive(Receive),
    Reply(Reply),
    Invoke(Invoke),
    Assign(Assign),
    Empty,
    Sequence(Vec<ActivityId>),
    If {
        /// `<condition>` + activity, then each `<elseif>`, in order.
        branches: Vec<(ExprId, ActivityId)>,
        otherwise: Option<ActivityId>,
    },
    While {
        condition: ExprId,
        body: ActivityId,
    },
    RepeatUntil {
        body: ActivityId,
        condition: ExprId,
    },
    Wait(Deadline),
    Exit,
    Throw {
        fault: QName,
        variable: Option<VariableId>,
    },
}

/// `<receive>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Receive {
    pub partner_link: PartnerLinkId,
    pub operation: String,
    pub variable: Option<VariableId>,
    pub create_instance: bool,
    pub correlations: Vec<CorrelationUse>,
    pub message_exchange: Option<String>,
}

/// `<reply>`; `fault` set means a WSDL fault reply.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reply {
    pub partner_link: PartnerLinkId,
    pub operation: String,
    pub variable: Option<VariableId>,
    pub fault: Option<QName>,
    pub correlations: Vec<CorrelationUse>,
    pub message_exchange: Option<String>,
}

/// `<invoke>`: request-response when the operation has an output, else one-way.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invoke {
    pub partner_link: PartnerLinkId,
    pub operation: String,
    pub input: Option<VariableId>,
    pub output: Option<VariableId>,
    pub correlations: Vec<CorrelationUse>,
}

/// `<wait>`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub enum Deadline {
    For(ExprId),
    Until(ExprId),
}

/// `<assign>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Assign {
    pub copies: Vec<Copy>,
    pub validate: bool,
}

/// `<copy>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Copy {
    pub from: From,
    pub to: To,
    pub keep_src_element_name: bool,
    pub ignore_missing_from_data: bool,
    /// ODE's `insertMissingToData`.
    pub insert_missing_to_data: bool,
    pub location: Location,
}

/// The `<from>` of a copy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum From {
    Variable {
        variable: VariableId,
        part: Option<String>,
        query: Option<ExprId>,
    },
    PartnerLink {
        partner_link: PartnerLinkId,
        role: EndpointRole,
    },
    Property {
        variable: VariableId,
        property: QName,
    },
    Expression(ExprId),
    /// `<literal>`: its content serialised as a standalone XML forest.
    Literal(String),
}

/// The `<to>` of a copy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum To {
    Variable {
        variable: VariableId,
        part: Option<String>,
        query: Option<ExprId>,
    },
    PartnerLink(PartnerLinkId),
    Property {
        variable: VariableId,
        property: QName,
    },
    /// An expression yielding one node (an lvalue).
    Expression(ExprId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndpointRole {
    MyRole,
    PartnerRole,
}

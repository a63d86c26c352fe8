//! The activity tree of a process, stored flat in [`super::Process::activities`] and
//! addressed by [`ActivityId`], so that execution state can name an activity with a number.

use serde::{Deserialize, Serialize};

use super::process::index_type;
use super::{CorrelationUse, ExprId, LinkId, Location, PartnerLinkId, ScopeId, VariableId};
use crate::xml::{Document, QName};

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
    /// `<targets>`: links that must be determined before the activity may start.
    pub targets: Option<Targets>,
    /// `<sources>`: links the activity determines when it completes.
    pub sources: Vec<Source>,
    /// The effective `suppressJoinFailure` (inherited from the enclosing activities).
    pub suppress_join_failure: bool,
}

/// `<targets>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Targets {
    pub links: Vec<LinkId>,
    /// `<joinCondition>`; without one, the disjunction of the links' status. Its variable
    /// references (`$name`) are the incoming links' status.
    pub join_condition: Option<ExprId>,
}

/// A `<source>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Source {
    pub link: LinkId,
    /// `<transitionCondition>`; without one, the link is true.
    pub transition_condition: Option<ExprId>,
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
    /// `<rethrow>`: throws again the fault its fault handler caught.
    Rethrow,
    /// `<flow>`: runs its children concurrently; `links` are the links it declares.
    Flow {
        links: Vec<LinkId>,
        children: Vec<ActivityId>,
    },
    ForEach(ForEach),
    Pick(Pick),
    /// `<scope>`: its declarations and handlers are in [`super::Process::scopes`].
    Scope(ScopeId),
    /// `<compensate>`: compensates every completed child scope of the enclosing scope, in
    /// reverse order of completion.
    Compensate,
    /// `<compensateScope target>`: compensates the completed instances of one child scope.
    CompensateScope(ScopeId),
    /// `<validate variables>`.
    Validate(Vec<VariableId>),
    /// `<extensionActivity>` whose element a registered extension bundle runs.
    Extension(ExtensionUse),
}

/// An extension element that a registered bundle's operation runs (see
/// [`crate::runtime::extension`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExtensionUse {
    /// The element's name: the bundle's namespace and the operation's local name.
    pub name: QName,
    /// The element as written, with its children, as the document element.
    pub element: Document,
}

/// `<forEach>`. The counter variable is declared by the child scope.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForEach {
    pub counter: VariableId,
    pub parallel: bool,
    pub start: ExprId,
    pub end: ExprId,
    pub completion: Option<CompletionCondition>,
    /// The child `<scope>` activity, run once per counter value.
    pub scope: ActivityId,
}

/// `<completionCondition><branches successfulBranchesOnly>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompletionCondition {
    pub branches: ExprId,
    pub successful_only: bool,
}

/// `<pick>`: waits for the first of its messages or alarms.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pick {
    pub create_instance: bool,
    pub on_messages: Vec<OnMessage>,
    pub on_alarms: Vec<OnAlarm>,
}

/// An `<onMessage>` of a pick: the message it waits for, as a receive would, and its
/// activity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OnMessage {
    pub message: Receive,
    pub activity: ActivityId,
}

/// An `<onAlarm>` of a pick or of event handlers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OnAlarm {
    /// `<for>` or `<until>`; None for an event handler with only `<repeatEvery>`.
    pub deadline: Option<Deadline>,
    /// `<repeatEvery>` (event handlers only).
    pub repeat_every: Option<ExprId>,
    pub activity: ActivityId,
}

/// An `<onEvent>` of event handlers: each matching message starts an instance of
/// `activity` (a `<scope>`) inside the implicit scope `scope`, which declares the
/// onEvent's variable.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OnEvent {
    pub message: Receive,
    pub scope: ScopeId,
    pub activity: ActivityId,
}

/// `<eventHandlers>` of a scope or the process.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EventHandlers {
    pub on_events: Vec<OnEvent>,
    pub on_alarms: Vec<OnAlarm>,
}

impl EventHandlers {
    pub fn is_empty(&self) -> bool {
        self.on_events.is_empty() && self.on_alarms.is_empty()
    }
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
    /// `<fromParts>`: each part of the incoming message named here is copied into its
    /// variable, the others are dropped. Empty when the message goes to `variable`.
    #[serde(default)]
    pub from_parts: Vec<(String, VariableId)>,
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
    /// `<toParts>`: the message is built from these variables, one per part of the
    /// message, in the message's part order. Empty when the message is `variable`.
    #[serde(default)]
    pub to_parts: Vec<(String, VariableId)>,
}

/// `<invoke>`: request-response when the operation has an output, else one-way.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invoke {
    pub partner_link: PartnerLinkId,
    pub operation: String,
    pub input: Option<VariableId>,
    pub output: Option<VariableId>,
    /// `<toParts>`, as on a [`Reply`]; empty when the request is `input`.
    #[serde(default)]
    pub to_parts: Vec<(String, VariableId)>,
    /// `<fromParts>`, as on a [`Receive`]; empty when the response goes to `output`.
    #[serde(default)]
    pub from_parts: Vec<(String, VariableId)>,
    pub correlations: Vec<CorrelationUse>,
    /// ODE's `<ext:failureHandling>`, from the invoke or from deploy.xml.
    pub failure_handling: Option<FailureHandling>,
    /// ODE's REST extension activity this invoke stands for (see
    /// [`crate::compiler`]'s `rest_light`): it is sent to its URI over the built-in REST
    /// partner link, its request and answer read and written as it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rest: Option<Box<RestLight>>,
}

/// ODE's `<bpel4RestLight:GET|POST|PUT|DELETE uri accept request response statusCode>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RestLight {
    /// The URI: text and, for each `$bpelvar[name]`, the variable's value.
    pub uri: Vec<UriPiece>,
    /// The `Accept` header.
    pub accept: Option<String>,
    /// The variable whose value is the request's body.
    pub request: Option<VariableId>,
    /// The request's body written inside the element, which is sent rather than `request`.
    #[serde(default)]
    pub body: Option<String>,
    /// The variable the answer's body goes to.
    pub response: Option<VariableId>,
    /// The variable the answer's status code goes to.
    pub status_code: Option<VariableId>,
}

impl RestLight {
    /// The one part of the request and of the answer: the body.
    pub const BODY: &'static str = "body";
}

/// A piece of a [`RestLight`] URI.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum UriPiece {
    Text(String),
    Variable(VariableId),
}

/// What to do when an invoke fails (no reply, not a WSDL fault): ODE's activity recovery.
/// The default retries nothing and waits for an operator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureHandling {
    /// Retries before giving up.
    pub retry_for: u32,
    /// Seconds between retries.
    pub retry_delay: u32,
    /// Give up by raising `activityFailure` rather than waiting for an operator.
    pub fault_on_failure: bool,
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
    pub operations: Vec<AssignOperation>,
    pub validate: bool,
}

impl Assign {
    /// The `<copy>` operations, in order.
    pub fn copies(&self) -> impl Iterator<Item = &Copy> + Clone {
        self.operations
            .iter()
            .filter_map(|operation| match operation {
                AssignOperation::Copy(copy) => Some(copy),
                AssignOperation::Extension(_) => None,
            })
    }
}

/// One operation of an `<assign>`, run in document order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum AssignOperation {
    Copy(Copy),
    /// `<extensionAssignOperation>` whose element a registered extension bundle runs.
    Extension(ExtensionUse),
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
    /// ODE's `ignoreUninitializedFromVariable`: a from-spec reading an uninitialised
    /// variable skips the copy instead of faulting with bpel:uninitializedVariable.
    #[serde(default)]
    pub ignore_uninitialized_from_variable: bool,
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
    /// ODE's `<from variable="v" header="h">`: the SOAP header `h` a message variable carries
    /// (see [`crate::runtime::message`]), narrowed by `query`.
    Header {
        variable: VariableId,
        header: String,
        query: Option<ExprId>,
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
    /// ODE's `<to variable="v" header="h">`: the SOAP header `h` of a message variable, set
    /// whole to the source element without `query`.
    Header {
        variable: VariableId,
        header: String,
        query: Option<ExprId>,
    },
    /// An expression yielding one node (an lvalue).
    Expression(ExprId),
}

impl To {
    /// The variable the copy writes, when it names one (an expression's is found running).
    pub fn variable(&self) -> Option<VariableId> {
        match self {
            To::Variable { variable, .. }
            | To::Property { variable, .. }
            | To::Header { variable, .. } => Some(*variable),
            To::PartnerLink(_) | To::Expression(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndpointRole {
    MyRole,
    PartnerRole,
}

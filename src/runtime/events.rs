//! BPEL events: what happened in an instance, told to operators and monitoring tools.
//!
//! The machine emits an [`Event`] as part of a step's output wherever one of the 21 event
//! types of ODE and WSO2 BPS happens, when the process's [`EventFilter`] enables that type for
//! the scope it happens in. The filter is compiled once per process version from deploy.xml's
//! `<process-events>`:
//! - no `<process-events>`: every type but those of scope handling, as ODE generated;
//! - `generate="all"`: every type; `generate="none"`: none;
//! - `<enable-event>` lists (a category such as `activityLifecycle`, or one type such as
//!   `ActivityExecStartEvent`): those types for the whole process;
//! - `<scope-events name="s">` lists: those types also inside the scope named `s` and every
//!   scope within it. An event is emitted when the process's list or that of any enclosing
//!   named scope has its type.
//!
//! The engine stamps each event with its process and instance and hands it to the listeners
//! once its step is committed (see [`crate::events`]).

use serde::{Deserialize, Serialize};

use crate::model::{ActivityKind, EventsFilter, Process, ScopeId};

/// The five categories of event types, as deploy.xml names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Category {
    InstanceLifecycle,
    ActivityLifecycle,
    DataHandling,
    ScopeHandling,
    Correlation,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::InstanceLifecycle,
        Category::ActivityLifecycle,
        Category::DataHandling,
        Category::ScopeHandling,
        Category::Correlation,
    ];

    /// The category's name in deploy.xml.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::InstanceLifecycle => "instanceLifecycle",
            Category::ActivityLifecycle => "activityLifecycle",
            Category::DataHandling => "dataHandling",
            Category::ScopeHandling => "scopeHandling",
            Category::Correlation => "correlation",
        }
    }
}

macro_rules! event_types {
    ($($kind:ident = $name:literal, $category:ident;)*) => {
        /// The event types.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        pub enum EventType {
            $(#[serde(rename = $name)] $kind,)*
        }

        impl EventType {
            /// Every type.
            pub const ALL: &'static [EventType] = &[$(EventType::$kind,)*];

            /// The type's name, as ODE and BPS named its class.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$kind => $name,)*
                }
            }

            pub fn category(self) -> Category {
                match self {
                    $(EventType::$kind => Category::$category,)*
                }
            }
        }
    };
}

event_types! {
    ActivityEnabled = "ActivityEnabledEvent", ActivityLifecycle;
    ActivityDisabled = "ActivityDisabledEvent", ActivityLifecycle;
    ActivityExecStart = "ActivityExecStartEvent", ActivityLifecycle;
    ActivityExecEnd = "ActivityExecEndEvent", ActivityLifecycle;
    ActivityFailure = "ActivityFailureEvent", ActivityLifecycle;
    CompensationHandlerRegistered = "CompensationHandlerRegistered", ScopeHandling;
    CorrelationMatch = "CorrelationMatchEvent", Correlation;
    CorrelationNoMatch = "CorrelationNoMatchEvent", Correlation;
    CorrelationSetWrite = "CorrelationSetWriteEvent", DataHandling;
    NewProcessInstance = "NewProcessInstanceEvent", InstanceLifecycle;
    PartnerLinkModification = "PartnerLinkModificationEvent", DataHandling;
    ProcessCompletion = "ProcessCompletionEvent", InstanceLifecycle;
    ProcessInstanceStarted = "ProcessInstanceStartedEvent", InstanceLifecycle;
    ProcessInstanceStateChange = "ProcessInstanceStateChangeEvent", InstanceLifecycle;
    ProcessMessageExchange = "ProcessMessageExchangeEvent", InstanceLifecycle;
    ProcessTermination = "ProcessTerminationEvent", InstanceLifecycle;
    ScopeCompletion = "ScopeCompletionEvent", ScopeHandling;
    ScopeFault = "ScopeFaultEvent", ScopeHandling;
    ScopeStart = "ScopeStartEvent", ScopeHandling;
    VariableModification = "VariableModificationEvent", DataHandling;
    VariableRead = "VariableReadEvent", DataHandling;
}

impl std::str::FromStr for EventType {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        EventType::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| format!("'{text}' is not an event type"))
    }
}

/// A set of event types.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventTypes(u32);

impl EventTypes {
    pub const NONE: EventTypes = EventTypes(0);

    pub fn all() -> Self {
        EventType::ALL
            .iter()
            .fold(Self::NONE, |set, &kind| set.with(kind))
    }

    /// What a process without `<process-events>` generates: every type but those of scope
    /// handling.
    pub fn unfiltered() -> Self {
        Self(Self::all().0 & !Self::of_category(Category::ScopeHandling).0)
    }

    fn of_category(category: Category) -> Self {
        EventType::ALL
            .iter()
            .filter(|kind| kind.category() == category)
            .fold(Self::NONE, |set, &kind| set.with(kind))
    }

    pub fn with(self, kind: EventType) -> Self {
        Self(self.0 | 1 << kind as u32)
    }

    pub fn contains(self, kind: EventType) -> bool {
        self.0 & (1 << kind as u32) != 0
    }

    fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The types an `<enable-event>` list names: categories or single types.
    fn parse(names: &[String]) -> Result<Self, String> {
        names.iter().try_fold(Self::NONE, |set, name| {
            if let Some(category) = Category::ALL.iter().find(|c| c.as_str() == name) {
                return Ok(set.union(Self::of_category(*category)));
            }
            let kind: EventType = name.parse().map_err(|_| {
                format!(
                    "enable-event '{name}' is neither a category (instanceLifecycle, \
                     activityLifecycle, dataHandling, scopeHandling, correlation) nor an event \
                     type such as ActivityExecStartEvent"
                )
            })?;
            Ok(set.with(kind))
        })
    }
}

/// Which event types a process version emits, per scope.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// What process-level events (those of no scope) may be.
    process: EventTypes,
    /// Per scope, by [`ScopeId`]: the process's types and those of its enclosing named scopes.
    scopes: Vec<EventTypes>,
}

impl EventFilter {
    /// No event at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// The filter `events` (deploy.xml's `<process-events>`, if any) describes for `model`.
    pub fn compile(events: Option<&EventsFilter>, model: &Process) -> Result<Self, String> {
        let (process, named) = match events {
            None => (EventTypes::unfiltered(), Vec::new()),
            Some(events) if events.generate == Some(false) => (EventTypes::NONE, Vec::new()),
            Some(events) => {
                let process = match events.generate {
                    Some(true) => EventTypes::all(),
                    _ => EventTypes::parse(&events.enabled)?,
                };
                let mut named = Vec::new();
                for (name, list) in &events.scopes {
                    let types = EventTypes::parse(list)?;
                    let scopes: Vec<ScopeId> = (0..model.scopes.len())
                        .map(|index| ScopeId(index as u32))
                        .filter(|&id| scope_name(model, id) == Some(name.as_str()))
                        .collect();
                    if scopes.is_empty() {
                        return Err(format!(
                            "scope-events names no scope of the process: '{name}'"
                        ));
                    }
                    named.extend(scopes.into_iter().map(|id| (id, types)));
                }
                (process, named)
            }
        };
        let scopes = (0..model.scopes.len())
            .map(|index| {
                let mut types = process;
                let mut scope = Some(ScopeId(index as u32));
                while let Some(id) = scope {
                    for (_, own) in named.iter().filter(|(named, _)| *named == id) {
                        types = types.union(*own);
                    }
                    scope = model.scope(id).parent;
                }
                types
            })
            .collect();
        Ok(Self { process, scopes })
    }

    /// Whether an event of type `kind` in `scope` (None: of the process) is emitted.
    pub fn emits(&self, scope: Option<ScopeId>, kind: EventType) -> bool {
        match scope {
            Some(scope) => self
                .scopes
                .get(scope.index())
                .is_some_and(|types| types.contains(kind)),
            None => self.process.contains(kind),
        }
    }
}

/// The name of scope `scope`: its `<scope name>`, or `process` for the process.
pub fn scope_name(model: &Process, scope: ScopeId) -> Option<&str> {
    match model.scope(scope).activity {
        Some(activity) => model.activity(activity).name.as_deref(),
        None => Some(model.name.local.as_str()),
    }
}

/// One event, as the machine emits it; the engine adds the process, the instance and the time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The scope it happened in, by its declaration's number (0 is the process), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope_name: Option<String>,
    /// The activity it happened to, by its declaration's number, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_name: Option<String>,
    /// The activity's element name: `invoke`, `assign`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_type: Option<String>,
    /// What it concerns: the variable, partner link, correlation set or operation by name,
    /// the fault by `{namespace}name`, or the new state of the instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Event {
    /// An event of the process as a whole (of no scope nor activity), about `detail`.
    pub fn of_process(kind: EventType, detail: Option<String>) -> Self {
        Self {
            kind,
            scope_id: None,
            scope_name: None,
            activity_id: None,
            activity_name: None,
            activity_type: None,
            detail,
        }
    }
}

/// The element name of an activity of kind `kind`.
pub fn activity_type(kind: &ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Empty => "empty",
        ActivityKind::Sequence(_) => "sequence",
        ActivityKind::If { .. } => "if",
        ActivityKind::While { .. } => "while",
        ActivityKind::RepeatUntil { .. } => "repeatUntil",
        ActivityKind::Assign(_) => "assign",
        ActivityKind::Extension(_) => "extensionActivity",
        ActivityKind::Receive(_) => "receive",
        ActivityKind::Reply(_) => "reply",
        ActivityKind::Invoke(_) => "invoke",
        ActivityKind::Pick(_) => "pick",
        ActivityKind::Wait(_) => "wait",
        ActivityKind::Exit => "exit",
        ActivityKind::Throw { .. } => "throw",
        ActivityKind::Rethrow => "rethrow",
        ActivityKind::Flow { .. } => "flow",
        ActivityKind::ForEach(_) => "forEach",
        ActivityKind::Scope(_) => "scope",
        ActivityKind::Compensate => "compensate",
        ActivityKind::CompensateScope(_) => "compensateScope",
        ActivityKind::Validate(_) => "validate",
    }
}

//! BPEL events (see [`crate::runtime::events`]): each of the event types the machine emits
//! comes where it happens, with its scope, activity and detail; deploy.xml's
//! `<process-events>` decides which, per scope and inherited by inner scopes.

use super::super::events::{EventFilter, EventType};
use super::super::partner_failure::{FailureKind, PartnerFailureMode};
use super::super::step::OperatorAction;
use super::super::InvokeOutcome;
use super::*;
use crate::model::EventsFilter;

/// An event as the tests compare it: type, scope name, activity name or type, detail.
type Seen = (EventType, Option<String>, Option<String>, Option<String>);

fn seen(output: &StepOutput) -> Vec<Seen> {
    output
        .events
        .iter()
        .map(|event| {
            let activity = event.activity_name.clone().or(event.activity_type.clone());
            (
                event.kind,
                event.scope_name.clone(),
                activity,
                event.detail.clone(),
            )
        })
        .collect()
}

fn event(
    kind: EventType,
    scope: Option<&str>,
    activity: Option<&str>,
    detail: Option<&str>,
) -> Seen {
    let owned = |text: Option<&str>| text.map(str::to_owned);
    (kind, owned(scope), owned(activity), owned(detail))
}

/// `<process-events generate="all">`.
fn all() -> Option<EventsFilter> {
    Some(EventsFilter {
        generate: Some(true),
        enabled: Vec::new(),
        scopes: Vec::new(),
    })
}

/// `<process-events>` with the process list `enabled` and the scope lists `scopes`.
fn lists(enabled: &[&str], scopes: &[(&str, &[&str])]) -> Option<EventsFilter> {
    let names = |list: &[&str]| list.iter().map(|name| name.to_string()).collect();
    Some(EventsFilter {
        generate: None,
        enabled: names(enabled),
        scopes: scopes
            .iter()
            .map(|(scope, list)| (scope.to_string(), names(list)))
            .collect(),
    })
}

/// An instance of a process with `declarations` and `body`, emitting what `events` says.
fn emitting(events: Option<EventsFilter>, declarations: &Declarations, body: &str) -> TestEnv {
    let process = compile_process(declarations, body);
    let filter = EventFilter::compile(events.as_ref(), &process.model).expect("a valid filter");
    TestEnv::running(process.with_events(filter))
}

const WORK: &str = r#"<scope name="work">
    <assign name="copy"><copy><from variable="request"/><to variable="response"/></copy></assign>
  </scope>"#;

/// receive, a scope copying the request into the response, reply.
fn echo(events: Option<EventsFilter>) -> TestEnv {
    let receive = r#"<receive name="start" partnerLink="client" operation="call" variable="request" createInstance="yes"/>"#;
    let reply =
        r#"<reply name="answer" partnerLink="client" operation="call" variable="response"/>"#;
    let body = format!(r#"<sequence name="main">{receive}{WORK}{reply}</sequence>"#);
    emitting(events, &Declarations::default(), &body)
}

#[test]
fn an_instance_tells_its_whole_life_in_order() {
    use EventType::*;
    let mut env = echo(all());
    let (_, output) = env.call("hello");
    let process = Some("Test");
    let work = Some("work");
    assert_eq!(
        seen(&output),
        vec![
            event(NewProcessInstance, None, None, None),
            event(ProcessInstanceStarted, None, None, None),
            event(ScopeStart, process, None, None),
            event(ActivityEnabled, process, Some("main"), None),
            event(ActivityExecStart, process, Some("main"), None),
            event(ActivityEnabled, process, Some("start"), None),
            event(ActivityExecStart, process, Some("start"), None),
            event(ProcessMessageExchange, None, None, Some("call")),
            event(VariableModification, process, None, Some("request")),
            event(ActivityExecEnd, process, Some("start"), None),
            event(ActivityEnabled, process, Some("work"), None),
            event(ActivityExecStart, process, Some("work"), None),
            event(ScopeStart, work, None, None),
            event(ActivityEnabled, work, Some("copy"), None),
            event(ActivityExecStart, work, Some("copy"), None),
            event(VariableRead, work, None, Some("request")),
            event(VariableModification, work, None, Some("response")),
            event(ActivityExecEnd, work, Some("copy"), None),
            event(ScopeCompletion, work, None, None),
            event(ActivityExecEnd, process, Some("work"), None),
            event(ActivityEnabled, process, Some("answer"), None),
            event(ActivityExecStart, process, Some("answer"), None),
            event(VariableRead, process, None, Some("response")),
            event(ActivityExecEnd, process, Some("answer"), None),
            event(ActivityExecEnd, process, Some("main"), None),
            event(ScopeCompletion, process, None, None),
            event(
                ProcessInstanceStateChange,
                None,
                None,
                Some("running -> completed")
            ),
            event(ProcessCompletion, None, None, None),
        ]
    );
    let first = &output.events[3];
    assert_eq!(first.scope_id, Some(0));
    assert_eq!(first.activity_type.as_deref(), Some("sequence"));
    assert!(first.activity_id.is_some());
}

/// The events of `kind` in `output`.
fn of_kind(output: &StepOutput, kind: EventType) -> Vec<Seen> {
    seen(output)
        .into_iter()
        .filter(|seen| seen.0 == kind)
        .collect()
}

#[test]
fn initiating_a_correlation_set_writes_it_and_a_correlated_message_matches() {
    let correlated = r#"<receive partnerLink="client" operation="notify" variable="response">
          <correlations><correlation set="byKey" initiate="no"/></correlations>
        </receive>"#;
    let initiating = r#"<receive partnerLink="client" operation="call" variable="request" createInstance="yes">
          <correlations><correlation set="byKey" initiate="yes"/></correlations>
        </receive>"#;
    let declarations = Declarations {
        correlation_sets: r#"<correlationSet name="byKey" properties="t:key"/>"#,
        ..Declarations::default()
    };
    let mut env = emitting(
        all(),
        &declarations,
        &sequence(&[initiating, correlated, REPLY]),
    );
    let (_, output) = env.call("<key>42</key>");
    assert_eq!(
        of_kind(&output, EventType::CorrelationSetWrite),
        vec![event(
            EventType::CorrelationSetWrite,
            Some("Test"),
            None,
            Some("byKey")
        )]
    );
    assert!(of_kind(&output, EventType::CorrelationMatch).is_empty());
    let output = env.notify("<key>42</key>");
    assert_eq!(
        of_kind(&output, EventType::CorrelationMatch),
        vec![event(
            EventType::CorrelationMatch,
            None,
            None,
            Some("notify")
        )]
    );
}

#[test]
fn assigning_a_partner_link_modifies_it() {
    let assign = r#"<assign><copy>
          <from partnerLink="client" endpointReference="myRole"/><to partnerLink="partner"/>
        </copy></assign>"#;
    let mut env = emitting(
        all(),
        &Declarations::default(),
        &sequence(&[RECEIVE_NOTIFY, assign]),
    );
    let output = env.notify("");
    assert_eq!(
        of_kind(&output, EventType::PartnerLinkModification),
        vec![event(
            EventType::PartnerLinkModification,
            Some("Test"),
            None,
            Some("partner")
        )]
    );
}

#[test]
fn a_branch_not_taken_is_disabled() {
    let choice = r#"<if name="choice"><condition>false()</condition><empty name="never"/></if>"#;
    let mut env = emitting(
        all(),
        &Declarations::default(),
        &sequence(&[RECEIVE_NOTIFY, choice]),
    );
    let output = env.notify("");
    assert_eq!(
        of_kind(&output, EventType::ActivityDisabled),
        vec![event(
            EventType::ActivityDisabled,
            Some("Test"),
            Some("never"),
            None
        )]
    );
}

#[test]
fn a_fault_in_a_scope_is_told_with_its_name() {
    let scope = r#"<scope name="risky">
          <faultHandlers><catchAll><empty/></catchAll></faultHandlers>
          <throw faultName="t:broken"/>
        </scope>"#;
    let mut env = emitting(
        all(),
        &Declarations::default(),
        &sequence(&[RECEIVE_NOTIFY, scope]),
    );
    let output = env.notify("");
    assert_eq!(
        of_kind(&output, EventType::ScopeFault),
        vec![event(
            EventType::ScopeFault,
            Some("risky"),
            None,
            Some("{urn:t}broken")
        )]
    );
    assert_eq!(output.status, InstanceStatus::Completed);
}

#[test]
fn a_completed_scope_with_a_compensation_handler_registers_it() {
    let scope = r#"<scope name="undoable">
          <compensationHandler><empty/></compensationHandler>
          <empty/>
        </scope>"#;
    let mut env = emitting(
        all(),
        &Declarations::default(),
        &sequence(&[RECEIVE_NOTIFY, scope]),
    );
    let output = env.notify("");
    assert_eq!(
        of_kind(&output, EventType::CompensationHandlerRegistered),
        vec![event(
            EventType::CompensationHandlerRegistered,
            Some("undoable"),
            None,
            None
        )]
    );
}

#[test]
fn an_invoke_that_fails_for_an_operator_is_an_activity_failure() {
    let ask = r#"<invoke name="ask" partnerLink="partner" operation="ask" inputVariable="request" outputVariable="response"/>"#;
    let mut env = emitting(
        all(),
        &Declarations::default(),
        &sequence(&[RECEIVE, ask, REPLY]),
    );
    env.process.partner_failure = PartnerFailureMode::Recover;
    let (_, output) = env.call("question");
    let read = of_kind(&output, EventType::VariableRead);
    assert_eq!(
        read,
        vec![event(
            EventType::VariableRead,
            Some("Test"),
            None,
            Some("request")
        )]
    );
    let Some(Action::Invoke { exchange, .. }) = output.actions.first() else {
        panic!("expected an invoke, got {:?}", output.actions);
    };
    let failed = InvokeOutcome::failed(FailureKind::ConnectionRefused, "refused");
    let output = env.apply(Event::InvokeDone {
        exchange: exchange.clone(),
        outcome: failed,
    });
    assert_eq!(
        of_kind(&output, EventType::ActivityFailure),
        vec![event(
            EventType::ActivityFailure,
            Some("Test"),
            Some("ask"),
            None
        )]
    );
}

#[test]
fn an_invoke_answered_modifies_its_output_variable() {
    let ask = r#"<invoke partnerLink="partner" operation="ask" inputVariable="request" outputVariable="response"/>"#;
    let mut env = emitting(
        all(),
        &Declarations::default(),
        &sequence(&[RECEIVE, ask, REPLY]),
    );
    let (_, output) = env.call("question");
    let Some(Action::Invoke { exchange, .. }) = output.actions.first() else {
        panic!("expected an invoke, got {:?}", output.actions);
    };
    let output = env.apply(Event::InvokeDone {
        exchange: exchange.clone(),
        outcome: InvokeOutcome::Reply(msg("answer")),
    });
    assert_eq!(
        of_kind(&output, EventType::VariableModification),
        vec![event(
            EventType::VariableModification,
            Some("Test"),
            None,
            Some("response")
        )]
    );
}

#[test]
fn exit_terminates_and_an_operator_changes_the_state() {
    let mut env = emitting(
        all(),
        &Declarations::default(),
        &sequence(&[RECEIVE_NOTIFY, "<exit/>"]),
    );
    let output = env.notify("");
    assert_eq!(
        of_kind(&output, EventType::ProcessTermination),
        vec![event(EventType::ProcessTermination, None, None, None)]
    );
    let wait = r#"<wait><for>'PT1H'</for></wait>"#;
    let mut env = emitting(
        all(),
        &Declarations::default(),
        &sequence(&[RECEIVE_NOTIFY, wait]),
    );
    env.notify("");
    let output = env.apply(Event::Operator(OperatorAction::Suspend));
    assert_eq!(
        seen(&output),
        vec![event(
            EventType::ProcessInstanceStateChange,
            None,
            None,
            Some("running -> suspended")
        )]
    );
}

#[test]
fn a_faulted_instance_completes_with_its_fault() {
    let mut env = emitting(
        all(),
        &Declarations::default(),
        &sequence(&[RECEIVE_NOTIFY, r#"<throw faultName="t:broken"/>"#]),
    );
    let output = env.notify("");
    assert_eq!(
        of_kind(&output, EventType::ProcessCompletion),
        vec![event(
            EventType::ProcessCompletion,
            None,
            None,
            Some("{urn:t}broken")
        )]
    );
}

/// The types of the events of `output`, without repeats, in order of first appearance.
fn kinds(output: &StepOutput) -> Vec<EventType> {
    let mut kinds = Vec::new();
    for event in &output.events {
        if !kinds.contains(&event.kind) {
            kinds.push(event.kind);
        }
    }
    kinds
}

#[test]
fn without_process_events_every_type_but_scope_handling_is_emitted() {
    let mut env = echo(None);
    let (_, output) = env.call("hello");
    let kinds = kinds(&output);
    assert!(kinds.contains(&EventType::ActivityExecStart), "{kinds:?}");
    assert!(
        kinds.contains(&EventType::VariableModification),
        "{kinds:?}"
    );
    assert!(kinds.contains(&EventType::ProcessCompletion), "{kinds:?}");
    assert!(!kinds.contains(&EventType::ScopeStart), "{kinds:?}");
    assert!(!kinds.contains(&EventType::ScopeCompletion), "{kinds:?}");
}

#[test]
fn generate_none_emits_nothing() {
    let none = Some(EventsFilter {
        generate: Some(false),
        enabled: vec!["activityLifecycle".into()],
        scopes: vec![("work".into(), vec!["dataHandling".into()])],
    });
    let mut env = echo(none);
    let (_, output) = env.call("hello");
    assert!(output.events.is_empty(), "{:?}", output.events);
    let filter = &env.process.events;
    let scopes = [None, Some(crate::model::ScopeId::PROCESS)];
    assert!(EventType::ALL
        .iter()
        .all(|&kind| scopes.iter().all(|&scope| !filter.emits(scope, kind))));
}

#[test]
fn a_process_list_enables_its_categories_and_types_only() {
    let mut env = echo(lists(&["instanceLifecycle", "VariableReadEvent"], &[]));
    let (_, output) = env.call("hello");
    assert_eq!(
        kinds(&output),
        vec![
            EventType::NewProcessInstance,
            EventType::ProcessInstanceStarted,
            EventType::ProcessMessageExchange,
            EventType::VariableRead,
            EventType::ProcessInstanceStateChange,
            EventType::ProcessCompletion,
        ]
    );
}

#[test]
fn a_scope_list_adds_its_types_inside_the_scope_and_the_scopes_within_it() {
    let inner = r#"<scope name="work">
        <sequence>
          <assign name="copy"><copy><from variable="request"/><to variable="response"/></copy></assign>
          <scope name="inner"><empty name="deep"/></scope>
        </sequence>
      </scope>"#;
    let body = sequence(&[RECEIVE, inner, r#"<empty name="after"/>"#, REPLY]);
    let events = lists(&[], &[("work", &["activityLifecycle"])]);
    let mut env = emitting(events, &Declarations::default(), &body);
    let (_, output) = env.call("hello");
    let started: Vec<_> = of_kind(&output, EventType::ActivityExecStart)
        .into_iter()
        .map(|(_, scope, activity, _)| (scope.unwrap(), activity.unwrap()))
        .collect();
    let pair = |scope: &str, activity: &str| (scope.to_owned(), activity.to_owned());
    assert_eq!(
        started,
        vec![
            pair("work", "sequence"),
            pair("work", "copy"),
            pair("work", "inner"),
            pair("inner", "deep"),
        ]
    );
    assert!(of_kind(&output, EventType::VariableRead).is_empty());
    assert!(of_kind(&output, EventType::ProcessCompletion).is_empty());
}

#[test]
fn a_filter_naming_an_unknown_type_or_scope_is_refused() {
    let process = compile_process(&Declarations::default(), &sequence(&[RECEIVE_NOTIFY, WORK]));
    let unknown_type = EventFilter::compile(lists(&["everything"], &[]).as_ref(), &process.model);
    let error = unknown_type.unwrap_err();
    assert!(
        error.contains("'everything' is neither a category"),
        "{error}"
    );
    let unknown_scope = lists(&[], &[("nowhere", &["correlation"])]);
    let error = EventFilter::compile(unknown_scope.as_ref(), &process.model).unwrap_err();
    assert!(
        error.contains("no scope of the process: 'nowhere'"),
        "{error}"
    );
}

//! Correlation sets (WS-BPEL 2.0 §9): `initiate="yes"` fixes a set's values and routes
//! messages with them to the instance, `initiate="no"` checks them, `initiate="join"`
//! initiates once and checks afterwards (on incoming messages); every violation is
//! bpel:correlationViolation.

use super::super::step::Route;
use super::super::InvokeOutcome;
use super::*;

const BY_KEY: &str = r#"<correlationSet name="byKey" properties="t:key"/>"#;

/// A receive of `notify` into `response` using `byKey` with `initiate`.
fn receive_notify(initiate: &str) -> String {
    format!(
        r#"<receive partnerLink="client" operation="notify" variable="response">
             <correlations><correlation set="byKey" initiate="{initiate}"/></correlations>
           </receive>"#
    )
}

fn correlated(activities: &[&str]) -> TestEnv {
    TestEnv::with(
        &Declarations {
            correlation_sets: BY_KEY,
            ..Declarations::default()
        },
        &sequence(activities),
    )
}

fn route(key: &str) -> Route {
    Route {
        set: "byKey".into(),
        values: vec![key.into()],
        shared: false,
    }
}

const START_INITIATING: &str = r#"<receive partnerLink="client" operation="notify"
    variable="request" createInstance="yes">
  <correlations><correlation set="byKey" initiate="yes"/></correlations>
</receive>"#;

#[test]
fn initiate_yes_routes_the_values_and_initiate_no_checks_them() {
    let mut env = correlated(&[START_INITIATING, &receive_notify("no")]);
    let output = env.notify("<key>k1</key>");
    assert_eq!(output.routes, [route("k1")]);
    assert_eq!(output.status, InstanceStatus::Running);
    let key = crate::xml::QName::new("urn:t", "key");
    assert_eq!(output.correlated, [(key, "k1".to_owned())]);
    assert_eq!(
        env.state.scope(0).correlations,
        [Some(vec!["k1".to_owned()])]
    );

    let output = env.notify("<key>k1</key><value>v</value>");
    assert!(output.routes.is_empty());
    assert!(output.correlated.is_empty(), "checked, not initiated");
    assert_eq!(
        output.status,
        InstanceStatus::Completed,
        "{:?}",
        env.state.fault
    );
    assert_msg(
        env.variable("response").unwrap(),
        "<key>k1</key><value>v</value>",
    );
}

#[test]
fn a_message_with_other_values_waits_for_a_receive_it_matches() {
    let mut env = correlated(&[START_INITIATING, &receive_notify("no")]);
    env.notify("<key>k1</key>");
    let output = env.notify("<key>k2</key>");
    assert_eq!(output.status, InstanceStatus::Running);
    assert!(env.variable("response").is_none());
    assert_eq!(env.state.inbox.len(), 1);
    assert_eq!(
        env.notify("<key>k1</key>").status,
        InstanceStatus::Completed
    );
}

#[test]
fn initiate_no_on_an_uninitiated_set_is_a_correlation_violation() {
    let mut env = correlated(&[RECEIVE_NOTIFY, &receive_notify("no")]);
    let output = env.notify("<key>k1</key>");
    assert!(output.routes.is_empty());
    let output = env.notify("<key>k1</key>");
    assert_faulted(&env, &output, &bpel("correlationViolation"));
}

#[test]
fn initiate_yes_on_a_set_initiated_with_other_values_is_a_correlation_violation() {
    let mut env = correlated(&[START_INITIATING, &receive_notify("yes")]);
    env.notify("<key>k1</key>");
    let output = env.notify("<key>k2</key>");
    assert_faulted(&env, &output, &bpel("correlationViolation"));
    assert!(output.routes.is_empty());
}

#[test]
fn initiating_a_set_again_with_its_values_is_no_violation() {
    let mut env = correlated(&[START_INITIATING, &receive_notify("yes")]);
    env.notify("<key>k1</key>");
    let output = env.notify("<key>k1</key>");
    assert_eq!(
        output.status,
        InstanceStatus::Completed,
        "{:?}",
        env.state.fault
    );
    assert!(output.routes.is_empty());
}

/// A process initiating `byKey` from the request of `call` and replying `<key>other</key>`
/// with a correlation on `byKey` that has `initiate`.
fn reply_with_other_key(initiate: &str) -> TestEnv {
    let reply = format!(
        r#"<reply partnerLink="client" operation="call" variable="response">
             <correlations><correlation set="byKey" initiate="{initiate}"/></correlations>
           </reply>"#
    );
    correlated(&[
        r#"<receive partnerLink="client" operation="call" variable="request" createInstance="yes">
             <correlations><correlation set="byKey" initiate="yes"/></correlations>
           </receive>"#,
        r#"<assign><copy>
             <from><literal><t:doc xmlns=""><key>other</key></t:doc></literal></from>
             <to variable="response" part="body"/>
           </copy></assign>"#,
        &reply,
    ])
}

#[test]
fn an_outgoing_join_leaves_an_initiated_set_as_it_is() {
    let mut env = reply_with_other_key("join");
    let (exchange, output) = env.call("<key>in</key>");
    assert_eq!(
        output.status,
        InstanceStatus::Completed,
        "{:?}",
        env.state.fault
    );
    assert_eq!(output.routes, [route("in")]);
    assert_msg(only_reply(&output, &exchange), "<key>other</key>");
    assert_eq!(
        env.state.scope(0).correlations,
        [Some(vec!["in".to_owned()])]
    );
}

#[test]
fn an_outgoing_message_against_its_initiated_set_is_a_correlation_violation() {
    let mut env = reply_with_other_key("no");
    let (_, output) = env.call("<key>in</key>");
    assert_faulted(&env, &output, &bpel("correlationViolation"));
}

#[test]
fn join_initiates_once_then_checks() {
    let join = receive_notify("join");
    let mut env = correlated(&[RECEIVE_NOTIFY, &join, &join, &join]);
    assert!(env.notify("<key>k0</key>").routes.is_empty());
    assert_eq!(env.notify("<key>k1</key>").routes, [route("k1")]);
    let output = env.notify("<key>k1</key>");
    assert!(output.routes.is_empty());
    assert_eq!(output.status, InstanceStatus::Running);
    let output = env.notify("<key>k2</key>");
    assert_eq!(output.status, InstanceStatus::Running);
    assert_eq!(env.state.inbox.len(), 1);
}

#[test]
fn an_invoke_initiates_from_its_response_when_the_pattern_says_so() {
    let mut env = correlated(&[
        RECEIVE,
        r#"<invoke partnerLink="partner" operation="ask" inputVariable="request"
               outputVariable="response">
             <correlations>
               <correlation set="byKey" initiate="yes" pattern="response"/>
             </correlations>
           </invoke>"#,
        REPLY,
    ]);
    let (_, output) = env.call("<key>asked</key>");
    assert!(output.routes.is_empty());
    let exchange = match output.actions.as_slice() {
        [Action::Invoke { exchange, .. }] => exchange.clone(),
        actions => panic!("expected one invoke, got {actions:?}"),
    };
    let output = env.apply(Event::InvokeDone {
        exchange,
        outcome: InvokeOutcome::Reply(msg("<key>answered</key>")),
    });
    assert_eq!(output.routes, [route("answered")]);
    assert_eq!(output.status, InstanceStatus::Completed);
}

#[test]
fn a_reply_can_initiate_a_set_from_the_outgoing_message() {
    let mut env = correlated(&[
        RECEIVE,
        r#"<assign><copy><from variable="request"/><to variable="response"/></copy></assign>"#,
        r#"<reply partnerLink="client" operation="call" variable="response">
             <correlations><correlation set="byKey" initiate="yes"/></correlations>
           </reply>"#,
    ]);
    let (exchange, output) = env.call("<key>out</key>");
    assert_eq!(output.routes, [route("out")]);
    assert_msg(only_reply(&output, &exchange), "<key>out</key>");
}

#[test]
fn in_ode_mode_the_routes_of_initiated_values_are_shared() {
    let declarations = Declarations {
        correlation_sets: BY_KEY,
        ..Declarations::default()
    };
    let reply = r#"<reply partnerLink="client" operation="call" variable="response">
             <correlations><correlation set="byKey" initiate="yes"/></correlations>
           </reply>"#;
    let body = sequence(&[
        RECEIVE,
        r#"<assign><copy><from variable="request"/><to variable="response"/></copy></assign>"#,
        reply,
    ]);
    let process = compile_process(&declarations, &body).with_correlation_values_shared(true);
    let (_, output) = TestEnv::running(process).call("<key>out</key>");
    assert_eq!(
        output.routes,
        [Route {
            shared: true,
            ..route("out")
        }]
    );
}

#[test]
fn a_refused_request_is_answered_with_the_correlation_violation() {
    let mut env = correlated(&[
        RECEIVE_NOTIFY,
        r#"<receive partnerLink="client" operation="call" variable="response">
             <correlations><correlation set="byKey" initiate="no"/></correlations>
           </receive>"#,
        REPLY,
    ]);
    env.notify("<key>k1</key>");
    let (exchange, output) = env.call("<key>k1</key>");
    assert_faulted(&env, &output, &bpel("correlationViolation"));
    assert_eq!(
        only_fault_reply(&output, &exchange).name,
        bpel("correlationViolation")
    );
}

#[test]
fn a_recovered_invoke_does_not_initiate_its_sets_again() {
    let mut env = correlated(&[
        RECEIVE,
        r#"<invoke partnerLink="partner" operation="ask" inputVariable="request"
               outputVariable="response">
             <correlations>
               <correlation set="byKey" initiate="yes" pattern="request"/>
             </correlations>
           </invoke>"#,
        REPLY,
    ]);
    let (caller, output) = env.call("<key>asked</key>");
    assert_eq!(output.routes, [route("asked")]);
    let output = env.apply(Event::Recover);
    assert_eq!(
        output.status,
        InstanceStatus::Running,
        "{:?}",
        env.state.fault
    );
    assert!(output.routes.is_empty());
    let exchange = match output.actions.as_slice() {
        [Action::Invoke { exchange, .. }] => exchange.clone(),
        actions => panic!("expected the invoke again, got {actions:?}"),
    };
    let output = env.apply(Event::InvokeDone {
        exchange,
        outcome: InvokeOutcome::Reply(msg("<key>answer</key>")),
    });
    assert_eq!(output.status, InstanceStatus::Completed);
    assert_msg(only_reply(&output, &caller), "<key>answer</key>");
}

#[test]
fn a_message_alias_without_part_queries_the_whole_message() {
    let env = correlated(&[START_INITIATING]);
    let document =
        xml::parse(br#"<message><a>first</a><b><t:doc xmlns:t="urn:t"/></b></message>"#).unwrap();
    let kind = crate::model::VariableKind::Message(QName::new("urn:t", "Pair"));
    let first = [QName::new("urn:t", "first")];
    let values = super::super::correlation::values(&env.process, &kind, &document, &first);
    assert_eq!(values.unwrap(), ["first"]);
}

#[test]
fn a_request_response_invoke_ignores_a_correlation_without_pattern() {
    let mut env = correlated(&[
        RECEIVE,
        r#"<invoke partnerLink="partner" operation="ask" inputVariable="request"
               outputVariable="response">
             <correlations><correlation set="byKey" initiate="no"/></correlations>
           </invoke>"#,
        REPLY,
    ]);
    let (caller, output) = env.call("<key>asked</key>");
    let exchange = match output.actions.as_slice() {
        [Action::Invoke { exchange, .. }] => exchange.clone(),
        actions => panic!("expected one invoke, got {actions:?}"),
    };
    let output = env.apply(Event::InvokeDone {
        exchange,
        outcome: InvokeOutcome::Reply(msg("<key>answer</key>")),
    });
    assert_eq!(
        output.status,
        InstanceStatus::Completed,
        "{:?}",
        env.state.fault
    );
    assert!(output.routes.is_empty());
    assert_eq!(env.state.scope(0).correlations, [None]);
    assert_msg(only_reply(&output, &caller), "<key>answer</key>");
}

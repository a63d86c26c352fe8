//! `<receive>` and `<reply>` (WS-BPEL 2.0 §10.4): instantiation, replies, the inbox of
//! early messages, and the standard faults of message exchanges: bpel:missingReply,
//! bpel:missingRequest and bpel:conflictingRequest. A request its receive refuses is
//! answered with the fault at once.

use super::*;

/// `s := 'hi ' + $request.body`, then the reply carries `s`.
fn greeter() -> String {
    sequence(&[
        RECEIVE,
        r#"<assign><copy><from>concat('hi ', $request.body)</from><to variable="s"/></copy></assign>"#,
        RESPONSE_FROM_S,
        REPLY,
    ])
}

#[test]
fn receive_creates_the_instance_and_reply_carries_the_output() {
    let mut env = TestEnv::new(&greeter());
    let (exchange, output) = env.call("bob");
    assert_eq!(output.status, InstanceStatus::Completed);
    assert!(output.routes.is_empty());
    assert_msg(only_reply(&output, &exchange), "hi bob");
    assert_msg(env.variable("request").unwrap(), "bob");
    assert!(env.state.open_exchanges.is_empty());
}

#[test]
fn one_way_receive_produces_no_reply() {
    let mut env = TestEnv::new(&sequence(&[
        RECEIVE_NOTIFY,
        r#"<assign><copy><from>$request.body</from><to variable="s"/></copy></assign>"#,
    ]));
    let output = env.notify("ping");
    assert!(output.actions.is_empty(), "{:?}", output.actions);
    assert_eq!(output.status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "ping");
}

#[test]
fn the_process_waits_for_its_next_receive() {
    let mut env = TestEnv::new(&sequence(&[
        RECEIVE_NOTIFY,
        r#"<receive partnerLink="client" operation="call" variable="response"/>"#,
        REPLY,
    ]));
    let output = env.notify("first");
    assert!(output.actions.is_empty());
    assert_eq!(output.status, InstanceStatus::Running);
    // A message for another operation does not satisfy the waiting receive.
    let output = env.notify("second");
    assert!(output.actions.is_empty());
    assert_eq!(output.status, InstanceStatus::Running);
    assert_eq!(env.state.inbox.len(), 1);
    let (exchange, output) = env.call("third");
    assert_eq!(output.status, InstanceStatus::Completed);
    assert_msg(only_reply(&output, &exchange), "third");
}

#[test]
fn a_message_that_arrives_early_waits_in_the_inbox() {
    let mut env = TestEnv::new(&sequence(&[
        RECEIVE_NOTIFY,
        r#"<wait><for>'PT1M'</for></wait>"#,
        r#"<receive partnerLink="client" operation="call" variable="response"/>"#,
        REPLY,
    ]));
    env.notify("start");
    let (exchange, output) = env.call("early");
    assert!(output.actions.is_empty(), "{:?}", output.actions);
    assert_eq!(output.status, InstanceStatus::Running);
    assert_eq!(env.state.inbox.len(), 1);
    assert!(env.variable("response").is_none());

    env.advance(60_000);
    let output = env.fire_timer();
    assert_eq!(output.status, InstanceStatus::Completed);
    assert_msg(only_reply(&output, &exchange), "early");
    assert!(env.state.inbox.is_empty());
}

#[test]
fn completing_without_a_reply_answers_missing_reply() {
    let mut env = TestEnv::new(&sequence(&[RECEIVE, "<empty/>"]));
    let (exchange, output) = env.call("x");
    assert_eq!(output.status, InstanceStatus::Completed);
    assert_eq!(
        only_fault_reply(&output, &exchange).name,
        bpel("missingReply")
    );
}

#[test]
fn a_reply_without_a_request_faults_missing_request() {
    let mut env = TestEnv::new(&sequence(&[
        RECEIVE_NOTIFY,
        r#"<assign><copy><from variable="request"/><to variable="response"/></copy></assign>"#,
        REPLY,
    ]));
    let output = env.notify("x");
    assert_faulted(&env, &output, &bpel("missingRequest"));
    assert!(output.actions.is_empty(), "{:?}", output.actions);
}

#[test]
fn a_second_request_while_a_reply_is_owed_is_a_conflicting_request() {
    let mut env = TestEnv::new(&sequence(&[
        RECEIVE,
        r#"<receive partnerLink="client" operation="call" variable="response"/>"#,
        REPLY,
        REPLY,
    ]));
    let (first, output) = env.call("one");
    assert!(output.actions.is_empty());
    assert_eq!(output.status, InstanceStatus::Running);
    let (second, output) = env.call("two");
    assert_faulted(&env, &output, &bpel("conflictingRequest"));
    let answered: Vec<(&str, &QName)> = replies(&output)
        .into_iter()
        .map(|(exchange, outcome)| match outcome {
            ReplyOutcome::Fault(fault) => (exchange, &fault.name),
            ReplyOutcome::Message(_) => panic!("{exchange} got a message"),
        })
        .collect();
    let conflicting = bpel("conflictingRequest");
    assert_eq!(
        answered,
        [
            (second.as_str(), &conflicting),
            (first.as_str(), &conflicting)
        ]
    );
}

#[test]
fn a_request_still_in_the_inbox_when_the_instance_ends_gets_missing_reply() {
    let mut env = TestEnv::new(&sequence(&[
        RECEIVE_NOTIFY,
        r#"<wait><for>'PT1M'</for></wait>"#,
    ]));
    env.notify("start");
    let (exchange, output) = env.call("never received");
    assert!(output.actions.is_empty());
    env.advance(60_000);
    let output = env.fire_timer();
    assert_eq!(output.status, InstanceStatus::Completed);
    assert_eq!(
        only_fault_reply(&output, &exchange).name,
        bpel("missingReply")
    );
    assert!(env.state.inbox.is_empty());
}

#[test]
fn message_exchanges_keep_requests_of_one_operation_apart() {
    let mut env = TestEnv::with(
        &Declarations {
            message_exchanges: r#"<messageExchange name="second"/>"#,
            ..Declarations::default()
        },
        &sequence(&[
            RECEIVE,
            r#"<receive partnerLink="client" operation="call" variable="response"
                   messageExchange="second"/>"#,
            r#"<reply partnerLink="client" operation="call" variable="request"/>"#,
            r#"<reply partnerLink="client" operation="call" variable="response"
                   messageExchange="second"/>"#,
        ]),
    );
    let (first, _) = env.call("one");
    let (second, output) = env.call("two");
    assert_eq!(
        output.status,
        InstanceStatus::Completed,
        "{:?}",
        env.state.fault
    );
    let answers: Vec<(&str, String)> = replies(&output)
        .into_iter()
        .map(|(exchange, outcome)| match outcome {
            ReplyOutcome::Message(message) => (exchange, message.string_value(message.root())),
            ReplyOutcome::Fault(fault) => panic!("{exchange} got fault {fault}"),
        })
        .collect();
    assert_eq!(
        answers,
        [
            (first.as_str(), "one".to_owned()),
            (second.as_str(), "two".to_owned())
        ]
    );
}

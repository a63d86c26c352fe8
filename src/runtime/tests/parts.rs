//! `<toParts>` and `<fromParts>` (WS-BPEL 2.0 §10.3.1): an incoming message is spread
//! into the variables its parts name (an element part into an element variable, a type
//! part into a type variable, unnamed parts dropped) on receive, onMessage, onEvent and an
//! invoke's response; an outgoing message is built from variables on reply and invoke, and
//! an unset variable is bpel:uninitializedVariable.

use super::super::InvokeOutcome;
use super::*;

/// `<fromParts>` of `t:Pair` into `s` and `doc`.
const FROM_PAIR: &str = r#"<fromParts>
    <fromPart part="a" toVariable="s"/><fromPart part="b" toVariable="doc"/>
  </fromParts>"#;
/// `<toParts>` of `t:Pair` from `s` and `doc`, written in the other order than the parts.
const TO_PAIR: &str = r#"<toParts>
    <toPart part="b" fromVariable="doc"/><toPart part="a" fromVariable="s"/>
  </toParts>"#;
/// Appends '!' to `s` and sets the `key` of `doc`.
const CHANGE: &str = r#"<assign>
    <copy><from>concat($s, '!')</from><to variable="s"/></copy>
    <copy><from>'k'</from><to>$doc/t:key</to></copy>
  </assign>"#;

/// A `t:Pair` message.
fn pair(a: &str, b: &str) -> Document {
    parse(&format!(
        r#"<message><a>{a}</a><b><t:doc xmlns:t="urn:t">{b}</t:doc></b></message>"#
    ))
}

/// An inbound `t:Pair` for `operation` of `client`.
fn pair_message(env: &TestEnv, operation: &str, exchange: Option<&str>) -> Event {
    env.message(operation, pair("x", "<t:key>y</t:key>"), exchange)
}

fn receive_swap(parts: &str) -> String {
    format!(
        r#"<receive partnerLink="client" operation="swap" createInstance="yes">{parts}</receive>"#
    )
}

fn reply_swap(parts: &str) -> String {
    format!(r#"<reply partnerLink="client" operation="swap">{parts}</reply>"#)
}

#[test]
fn receive_spreads_the_parts_and_reply_builds_the_message_from_variables() {
    let mut env = TestEnv::new(&sequence(&[
        &receive_swap(FROM_PAIR),
        CHANGE,
        &reply_swap(TO_PAIR),
    ]));
    let event = pair_message(&env, "swap", Some("in-1"));
    let output = env.apply(event);
    assert_eq!(
        output.status,
        InstanceStatus::Completed,
        "{:?}",
        env.state.fault
    );
    assert_xml(env.variable("s").unwrap(), "<value>x!</value>");
    assert_xml(
        env.variable("doc").unwrap(),
        r#"<t:doc xmlns:t="urn:t"><t:key>k</t:key></t:doc>"#,
    );
    let expected = pair("x!", "<t:key>k</t:key>");
    assert_xml(
        only_reply(&output, "in-1"),
        &expected.to_xml(expected.root()),
    );
}

#[test]
fn a_part_without_from_part_is_dropped() {
    let mut env = TestEnv::new(&sequence(&[
        &receive_swap(r#"<fromParts><fromPart part="b" toVariable="doc"/></fromParts>"#),
        &reply_swap(TO_PAIR),
    ]));
    let event = pair_message(&env, "swap", Some("in-1"));
    let output = env.apply(event);
    assert!(env.variable("s").is_none());
    assert_xml(
        env.variable("doc").unwrap(),
        r#"<t:doc xmlns:t="urn:t"><t:key>y</t:key></t:doc>"#,
    );
    // The reply's toPart of the unset `s` faults.
    assert_faulted(&env, &output, &bpel("uninitializedVariable"));
}

#[test]
fn a_missing_part_is_a_selection_failure() {
    let mut env = TestEnv::new(&receive_swap(FROM_PAIR));
    let message = parse(r#"<message><a>x</a></message>"#);
    let event = env.message("swap", message, Some("in-1"));
    let output = env.apply(event);
    assert_eq!(
        only_fault_reply(&output, "in-1").name,
        bpel("selectionFailure")
    );
    assert!(env.variable("s").is_none() && env.variable("doc").is_none());
}

#[test]
fn on_message_spreads_the_parts() {
    let mut env = TestEnv::new(&sequence(&[
        RECEIVE_NOTIFY,
        &format!(
            r#"<pick><onMessage partnerLink="client" operation="post">{FROM_PAIR}<empty/></onMessage></pick>"#
        ),
    ]));
    env.notify("start");
    let event = pair_message(&env, "post", None);
    assert_eq!(env.apply(event).status, InstanceStatus::Completed);
    assert_xml(env.variable("s").unwrap(), "<value>x</value>");
    assert_xml(
        env.variable("doc").unwrap(),
        r#"<t:doc xmlns:t="urn:t"><t:key>y</t:key></t:doc>"#,
    );
}

#[test]
fn on_event_declares_its_part_variables_in_its_scope() {
    let mut env = TestEnv::new(&sequence(&[
        RECEIVE_NOTIFY,
        r#"<scope>
             <eventHandlers>
               <onEvent partnerLink="client" operation="post">
                 <fromParts>
                   <fromPart part="a" toVariable="text"/><fromPart part="b" toVariable="body"/>
                 </fromParts>
                 <scope><assign>
                   <copy><from>concat($text, $body/t:key)</from><to variable="s"/></copy>
                 </assign></scope>
               </onEvent>
             </eventHandlers>
             <wait><for>'PT1H'</for></wait>
           </scope>"#,
    ]));
    env.notify("start");
    let event = pair_message(&env, "post", None);
    assert_eq!(env.apply(event).status, InstanceStatus::Running);
    assert_eq!(env.text("s"), "xy");
}

#[test]
fn invoke_builds_its_request_from_parts_and_spreads_its_response() {
    let mut env = TestEnv::new(&sequence(&[
        RECEIVE_NOTIFY,
        r#"<assign>
             <copy><from>'out'</from><to variable="s"/></copy>
             <copy><from>$request.body</from><to variable="doc"/></copy>
           </assign>"#,
        &format!(
            r#"<invoke partnerLink="partner" operation="trade">{TO_PAIR}{FROM_PAIR}</invoke>"#
        ),
    ]));
    let output = env.notify("<t:key>sent</t:key>");
    let exchange = match output.actions.as_slice() {
        [Action::Invoke {
            exchange, message, ..
        }] => {
            let expected = pair("out", "<t:key>sent</t:key>");
            assert_xml(message, &expected.to_xml(expected.root()));
            exchange.clone()
        }
        actions => panic!("expected one invoke, got {actions:?}"),
    };
    let output = env.apply(Event::InvokeDone {
        exchange,
        outcome: InvokeOutcome::Reply(pair("back", "<t:key>got</t:key>")),
    });
    assert_eq!(
        output.status,
        InstanceStatus::Completed,
        "{:?}",
        env.state.fault
    );
    assert_xml(env.variable("s").unwrap(), "<value>back</value>");
    assert_xml(
        env.variable("doc").unwrap(),
        r#"<t:doc xmlns:t="urn:t"><t:key>got</t:key></t:doc>"#,
    );
}

//! The instance state is plain data: stored mid-process and read back (see
//! [`crate::runtime::encoding`]), an instance continues from the copy exactly as it would
//! have from the original; a state stored as JSON by an earlier version reads too.

use super::*;

/// Starts on `call`, waits for a `notify` into `response`, then replies with a mix of both.
fn two_step() -> TestEnv {
    TestEnv::with(
        &Declarations {
            correlation_sets: r#"<correlationSet name="byKey" properties="t:key"/>"#,
            ..Declarations::default()
        },
        &sequence(&[
            RECEIVE,
            r#"<assign><copy><from>$request.body/key</from><to variable="s"/></copy></assign>"#,
            r#"<receive partnerLink="client" operation="notify" variable="response">
                 <correlations><correlation set="byKey" initiate="join"/></correlations>
               </receive>"#,
            r#"<assign><copy>
                 <from>concat($s, '+', $response.body/value)</from>
                 <to>$response.body/value</to>
               </copy></assign>"#,
            REPLY,
        ]),
    )
}

#[test]
fn an_instance_continues_from_a_serialised_copy() {
    let mut original = two_step();
    let (caller, output) = original.call("<key>k1</key>");
    assert_eq!(output.status, InstanceStatus::Running);
    assert!(!original.state.open_exchanges.is_empty());

    let stored = original.state.to_bytes().expect("state serialises");
    let json = serde_json::to_string(&original.state).expect("state serialises as JSON");
    assert!(
        stored.len() < json.len(),
        "{} bytes, {} in JSON",
        stored.len(),
        json.len()
    );
    let mut copy = two_step();
    copy.state = InstanceState::from_bytes(&stored).expect("state deserialises");
    let as_json = |state: &InstanceState| serde_json::to_string(state).expect("serialises");
    assert_eq!(as_json(&copy.state), json);
    let from_json = InstanceState::from_bytes(json.as_bytes()).expect("a JSON state reads");
    assert_eq!(as_json(&from_json), json);
    assert!(InstanceState::from_bytes(b"\xc1").is_err());

    let finish = "<key>k1</key><value>v</value>";
    let from_original = original.notify(finish);
    let from_copy = copy.notify(finish);
    for (env, output) in [(&original, &from_original), (&copy, &from_copy)] {
        assert_eq!(
            output.status,
            InstanceStatus::Completed,
            "{:?}",
            env.state.fault
        );
        assert_eq!(
            output.routes,
            [super::super::step::Route {
                set: "byKey".into(),
                values: vec!["k1".into()],
                shared: false,
            }]
        );
        assert_msg(
            only_reply(output, &caller),
            "<key>k1</key><value>k1+v</value>",
        );
    }
}

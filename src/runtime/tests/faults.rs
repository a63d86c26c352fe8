//! `<throw>`, the process's `<faultHandlers>` (WS-BPEL 2.0 §10.6, §12.5) and `<exit>`
//! (§10.10): which handler catches a fault, what an uncaught fault or an exit does to the
//! instance and to the replies it still owes.

use super::*;

/// Receives `call`, runs `activities` and replies, with `fault_handlers`.
fn guarded(fault_handlers: &str, activities: &[&str]) -> TestEnv {
    let mut all = vec![RECEIVE];
    all.extend_from_slice(activities);
    all.push(REPLY);
    TestEnv::with(
        &Declarations {
            fault_handlers,
            ..Declarations::default()
        },
        &sequence(&all),
    )
}

/// An activity setting `s` to `text`.
fn set_s(text: &str) -> String {
    format!(r#"<assign><copy><from>'{text}'</from><to variable="s"/></copy></assign>"#)
}

const THROW_BAD: &str = r#"<throw faultName="t:bad"/>"#;

#[test]
fn a_catch_by_fault_name_gets_the_fault_data_in_its_variable() {
    let mut env = guarded(
        r#"<catch faultName="t:bad" faultVariable="err" faultMessageType="t:Msg">
             <sequence>
               <assign><copy><from variable="err"/><to variable="response"/></copy></assign>
               <reply partnerLink="client" operation="call" variable="response"/>
             </sequence>
           </catch>"#,
        &[r#"<throw faultName="t:bad" faultVariable="request"/>"#],
    );
    let (caller, output) = env.call("<key>data</key>");
    assert_faulted(&env, &output, &t("bad"));
    assert_msg(only_reply(&output, &caller), "<key>data</key>");
}

#[test]
fn the_catch_naming_the_fault_wins_over_others_and_catch_all() {
    let handlers = format!(
        r#"<catch faultName="t:other">{}</catch>
           <catch faultName="t:bad">{}</catch>
           <catchAll>{}</catchAll>"#,
        set_s("other"),
        set_s("bad"),
        set_s("all"),
    );
    let mut env = guarded(&handlers, &[THROW_BAD]);
    env.call("");
    assert_eq!(env.text("s"), "bad");
    let mut env = guarded(&handlers, &[r#"<throw faultName="t:unnamed"/>"#]);
    env.call("");
    assert_eq!(env.text("s"), "all");
}

#[test]
fn standard_faults_are_caught_by_their_bpel_name() {
    let handlers = format!(
        r#"<catch faultName="bpel:selectionFailure">{}</catch>"#,
        set_s("selection")
    );
    let mut env = guarded(
        &handlers,
        &[r#"<assign><copy><from>$request.body/missing</from><to variable="s"/></copy></assign>"#],
    );
    let (caller, output) = env.call("");
    assert_faulted(&env, &output, &bpel("selectionFailure"));
    assert_eq!(env.text("s"), "selection");
    assert_eq!(
        only_fault_reply(&output, &caller).name,
        bpel("selectionFailure")
    );
}

#[test]
fn an_uncaught_fault_ends_the_instance_and_owed_replies_get_it() {
    let mut env = guarded("", &[THROW_BAD, &set_s("after")]);
    let (caller, output) = env.call("");
    assert_faulted(&env, &output, &t("bad"));
    assert_eq!(only_fault_reply(&output, &caller).name, t("bad"));
    assert!(env.variable("s").is_none());
    assert!(env.state.threads.is_empty() && env.state.open_exchanges.is_empty());
}

#[test]
fn a_fault_inside_a_fault_handler_ends_the_instance() {
    let handlers = format!(
        r#"<catchAll><sequence>{}<throw faultName="t:again"/>{}</sequence></catchAll>"#,
        set_s("handling"),
        set_s("unreachable"),
    );
    let mut env = guarded(&handlers, &[THROW_BAD]);
    let (caller, output) = env.call("");
    assert_faulted(&env, &output, &t("again"));
    assert_eq!(only_fault_reply(&output, &caller).name, t("again"));
    assert_eq!(env.text("s"), "handling");
}

#[test]
fn exit_terminates_and_owed_replies_get_missing_reply() {
    let mut env = guarded("", &["<exit/>", &set_s("after")]);
    let (caller, output) = env.call("");
    assert_eq!(output.status, InstanceStatus::Terminated);
    assert_eq!(
        only_fault_reply(&output, &caller).name,
        bpel("missingReply")
    );
    assert!(env.variable("s").is_none());
    assert!(env.state.fault.is_none());
}

#[test]
fn exit_in_a_fault_handler_terminates() {
    let mut env = guarded("<catchAll><exit/></catchAll>", &[THROW_BAD]);
    let (caller, output) = env.call("");
    assert_eq!(output.status, InstanceStatus::Terminated);
    assert_eq!(
        only_fault_reply(&output, &caller).name,
        bpel("missingReply")
    );
}

#[test]
fn a_finished_instance_ignores_further_events() {
    let mut env = TestEnv::new(&sequence(&[RECEIVE_NOTIFY, "<exit/>"]));
    assert_eq!(env.notify("").status, InstanceStatus::Terminated);
    let output = env.notify("again");
    assert_eq!(output.status, InstanceStatus::Terminated);
    assert!(output.actions.is_empty());
    assert!(env.state.inbox.is_empty());
}

#[test]
fn a_typed_catch_of_a_scope_runs_in_its_own_scope_and_sees_outer_variables() {
    let body = sequence(&[
        RECEIVE,
        r#"<scope>
             <faultHandlers>
               <catch faultName="t:bad" faultVariable="err" faultMessageType="t:Msg">
                 <assign><copy><from>concat('caught ', $err.body)</from><to variable="s"/></copy></assign>
               </catch>
             </faultHandlers>
             <throw faultName="t:bad" faultVariable="request"/>
           </scope>"#,
    ]);
    let mut env = TestEnv::new(&body);
    env.call("<key>data</key>");
    assert_eq!(env.text("s"), "caught data");
}

#[test]
fn a_fault_in_a_flow_runs_the_termination_handler_of_a_sibling_scope_once() {
    let body = sequence(&[
        RECEIVE,
        r#"<assign><copy><from>''</from><to variable="s"/></copy></assign>"#,
        r#"<scope>
             <faultHandlers>
               <catchAll><assign><copy><from>concat($s, 'caught')</from><to variable="s"/></copy></assign></catchAll>
             </faultHandlers>
             <flow>
               <scope>
                 <terminationHandler>
                   <assign><copy><from>concat($s, 'terminated,')</from><to variable="s"/></copy></assign>
                 </terminationHandler>
                 <wait><for>'PT1H'</for></wait>
               </scope>
               <throw faultName="t:bad"/>
             </flow>
           </scope>"#,
    ]);
    let mut env = TestEnv::new(&body);
    env.call("<key>data</key>");
    assert_eq!(env.text("s"), "terminated,caught");
}

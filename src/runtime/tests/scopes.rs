//! Scopes (WS-BPEL 2.0 §12): local declarations, fault handlers at every scope, rethrow,
//! compensation (explicit, default and by target), termination handlers, event handlers
//! and exitOnStandardFault.

use super::*;

/// Appends `text` to `s`.
fn log(text: &str) -> String {
    format!(r#"<assign><copy><from>concat($s, '{text}')</from><to variable="s"/></copy></assign>"#)
}

/// Receives `notify`, starts `s` empty, then runs `activities` with process-level
/// `fault_handlers`.
fn logged_with(fault_handlers: &str, activities: &[&str]) -> TestEnv {
    let start = [
        RECEIVE_NOTIFY,
        r#"<assign><copy><from>''</from><to variable="s"/></copy></assign>"#,
    ];
    TestEnv::with(
        &Declarations {
            fault_handlers,
            ..Declarations::default()
        },
        &sequence(&[&start[..], activities].concat()),
    )
}

fn logged(activities: &[&str]) -> TestEnv {
    logged_with("", activities)
}

/// A scope logging `name` when done and `undo-name` when compensated.
fn compensable(name: &str) -> String {
    format!(
        r#"<scope name="{name}">
             <compensationHandler>{}</compensationHandler>
             {}
           </scope>"#,
        log(&format!("undo-{name},")),
        log(&format!("{name},")),
    )
}

#[test]
fn a_local_variable_shadows_the_outer_one_for_the_scope_only() {
    let mut env = logged(&[
        r#"<scope>
             <variables><variable name="s" type="xsd:string"/></variables>
             <assign><copy><from>'inner'</from><to variable="s"/></copy></assign>
           </scope>"#,
        &log("outer"),
    ]);
    assert_eq!(env.notify("").status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "outer");
}

#[test]
fn a_scope_handles_its_fault_and_the_process_goes_on() {
    let mut env = logged(&[
        &format!(
            r#"<scope>
                 <faultHandlers><catch faultName="t:bad">{}</catch></faultHandlers>
                 <sequence><throw faultName="t:bad"/>{}</sequence>
               </scope>"#,
            log("caught,"),
            log("not-reached,"),
        ),
        &log("after"),
    ]);
    assert_eq!(env.notify("").status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "caught,after");
}

#[test]
fn rethrow_hands_the_fault_to_the_enclosing_scope() {
    let mut env = logged_with(
        &format!(r#"<catch faultName="t:bad">{}</catch>"#, log("outer")),
        &[&format!(
            r#"<scope>
                 <faultHandlers><catchAll><sequence>{}<rethrow/></sequence></catchAll></faultHandlers>
                 <throw faultName="t:bad"/>
               </scope>"#,
            log("inner,"),
        )],
    );
    let output = env.notify("");
    assert_eq!(output.status, InstanceStatus::Faulted);
    assert_eq!(env.text("s"), "inner,outer");
}

#[test]
fn compensate_undoes_completed_scopes_in_reverse_order() {
    let mut env = logged_with(
        "<catchAll><compensate/></catchAll>",
        &[
            &compensable("one"),
            &compensable("two"),
            r#"<throw faultName="t:bad"/>"#,
        ],
    );
    env.notify("");
    assert_eq!(env.text("s"), "one,two,undo-two,undo-one,");
}

#[test]
fn compensate_scope_undoes_only_its_target() {
    let mut env = logged_with(
        r#"<catchAll><compensateScope target="one"/></catchAll>"#,
        &[
            &compensable("one"),
            &compensable("two"),
            r#"<throw faultName="t:bad"/>"#,
        ],
    );
    env.notify("");
    assert_eq!(env.text("s"), "one,two,undo-one,");
}

#[test]
fn the_default_fault_handler_compensates_then_rethrows() {
    let mut env = logged_with(
        &format!("<catchAll>{}</catchAll>", log("outer")),
        &[&format!(
            r#"<scope>{}</scope>"#,
            sequence(&[&compensable("inner"), r#"<throw faultName="t:bad"/>"#])
        )],
    );
    env.notify("");
    assert_eq!(env.text("s"), "inner,undo-inner,outer");
}

#[test]
fn a_fault_terminates_sibling_branches_and_runs_their_termination_handlers() {
    let mut env = logged_with(
        &format!("<catchAll>{}</catchAll>", log("handled")),
        &[&format!(
            r#"<flow>
                 <scope>
                   <terminationHandler>{}</terminationHandler>
                   <receive partnerLink="client" operation="notify" variable="response"/>
                 </scope>
                 <throw faultName="t:bad"/>
               </flow>"#,
            log("terminated,"),
        )],
    );
    let output = env.notify("");
    assert_eq!(output.status, InstanceStatus::Faulted);
    assert_eq!(env.text("s"), "terminated,handled");
}

#[test]
fn exit_on_standard_fault_ends_the_process_at_once() {
    let mut env = logged_with(
        &format!("<catchAll>{}</catchAll>", log("caught")),
        &[r#"<scope exitOnStandardFault="yes">
               <assign><copy><from variable="doc"/><to variable="response" part="body"/></copy></assign>
             </scope>"#],
    );
    let output = env.notify("");
    assert_eq!(output.status, InstanceStatus::Terminated);
    assert_eq!(env.text("s"), "");
}

/// A scope whose event handlers log `event` for each `notify` and `alarm` after a minute,
/// around a body waiting for an hour.
fn with_event_handlers() -> TestEnv {
    logged(&[
        &format!(
            r#"<scope>
                 <eventHandlers>
                   <onEvent partnerLink="client" operation="notify" messageType="t:Msg" variable="event">
                     <scope>{}</scope>
                   </onEvent>
                   <onAlarm><for>'PT1M'</for><scope>{}</scope></onAlarm>
                 </eventHandlers>
                 <wait><for>'PT1H'</for></wait>
               </scope>"#,
            log("event,"),
            log("alarm,"),
        ),
        &log("done"),
    ])
}

#[test]
fn on_event_runs_for_each_message_while_the_scope_runs() {
    let mut env = with_event_handlers();
    env.notify("");
    assert_eq!(env.notify("").status, InstanceStatus::Running);
    assert_eq!(env.notify("").status, InstanceStatus::Running);
    assert_eq!(env.text("s"), "event,event,");
    env.advance(3_600_000);
    assert_eq!(env.fire_timer().status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "event,event,done");
}

#[test]
fn on_alarm_runs_when_its_time_comes() {
    let mut env = with_event_handlers();
    let output = env.notify("");
    let alarm = output
        .actions
        .iter()
        .find_map(|action| match action {
            Action::Timer { timer, due_ms } if *due_ms == START_MS + 60_000 => Some(*timer),
            _ => None,
        })
        .expect("the event handler's alarm is armed");
    env.advance(60_000);
    env.apply(Event::TimerFired { timer: alarm });
    assert_eq!(env.text("s"), "alarm,");
    env.advance(3_600_000);
    assert_eq!(env.fire_timer().status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "alarm,done");
}

#[test]
fn an_on_event_initiates_the_correlation_sets_its_own_scope_declares() {
    let mut env = logged(&[r#"<scope>
             <eventHandlers>
               <onEvent partnerLink="client" operation="notify" messageType="t:Msg" variable="event">
                 <correlations><correlation set="each" initiate="yes"/></correlations>
                 <scope>
                   <correlationSets><correlationSet name="each" properties="t:key"/></correlationSets>
                   <assign><copy><from>concat($s, $event.body/key)</from><to variable="s"/></copy></assign>
                 </scope>
               </onEvent>
             </eventHandlers>
             <wait><for>'PT1H'</for></wait>
           </scope>"#]);
    env.notify("");
    let first = env.notify("<key>a</key>");
    assert_eq!(first.routes.len(), 1, "{:?}", first.routes);
    assert!(
        first.correlated.is_empty(),
        "only the process's own sets are recorded for filters"
    );
    env.notify("<key>b</key>");
    assert_eq!(env.text("s"), "ab");
}

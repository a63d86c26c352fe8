//! `<flow>` with links (WS-BPEL 2.0 §11.6), `<forEach>` (§11.7) and `<pick>` (§11.5):
//! branches that run side by side, links that order them, dead-path elimination, completion
//! conditions, and the first message or alarm winning a pick.

use super::*;

/// Appends `text` to `s` (which [`logged`] starts empty).
fn log(text: &str) -> String {
    format!(r#"<assign><copy><from>concat($s, '{text}')</from><to variable="s"/></copy></assign>"#)
}

/// Receives `notify`, starts `s` empty, then runs `activities`.
fn logged(activities: &[&str]) -> TestEnv {
    let start = [
        RECEIVE_NOTIFY,
        r#"<assign><copy><from>''</from><to variable="s"/></copy></assign>"#,
    ];
    TestEnv::new(&sequence(&[&start[..], activities].concat()))
}

#[test]
fn a_flow_runs_every_branch_then_goes_on() {
    let mut env = logged(&[&format!("<flow>{}{}</flow>", log("a"), log("b")), &log("c")]);
    assert_eq!(env.notify("").status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "abc");
}

#[test]
fn a_link_makes_its_target_wait_for_its_source() {
    let mut env = logged(&[&format!(
        r#"<flow><links><link name="first"/></links>
             <sequence><targets><target linkName="first"/></targets>{}</sequence>
             <sequence><sources><source linkName="first"/></sources>{}</sequence>
           </flow>"#,
        log("second"),
        log("first,"),
    )]);
    assert_eq!(env.notify("").status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "first,second");
}

#[test]
fn a_false_link_skips_its_target_and_dead_paths_propagate() {
    let mut env = logged(&[&format!(
        r#"<flow suppressJoinFailure="yes">
             <links><link name="ab"/><link name="bc"/></links>
             <sequence>
               <sources><source linkName="ab"><transitionCondition>false()</transitionCondition></source></sources>
               {}
             </sequence>
             <sequence>
               <targets><target linkName="ab"/></targets>
               <sources><source linkName="bc"/></sources>
               {}
             </sequence>
             <sequence><targets><target linkName="bc"/></targets>{}</sequence>
           </flow>"#,
        log("a"),
        log("b"),
        log("c"),
    )]);
    assert_eq!(env.notify("").status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "a");
}

#[test]
fn a_false_join_condition_without_suppression_is_a_join_failure() {
    let mut env = logged(&[&format!(
        r#"<flow>
             <links><link name="ab"/></links>
             <empty><sources><source linkName="ab"><transitionCondition>false()</transitionCondition></source></sources></empty>
             <sequence><targets><target linkName="ab"/></targets>{}</sequence>
           </flow>"#,
        log("b"),
    )]);
    let output = env.notify("");
    assert_faulted(&env, &output, &bpel("joinFailure"));
    assert_eq!(env.text("s"), "");
}

#[test]
fn a_join_condition_reads_the_links_status() {
    let mut env = logged(&[&format!(
        r#"<flow suppressJoinFailure="yes">
             <links><link name="yes"/><link name="no"/></links>
             <empty><sources><source linkName="yes"/></sources></empty>
             <empty><sources><source linkName="no"><transitionCondition>false()</transitionCondition></source></sources></empty>
             <sequence>
               <targets><joinCondition>$yes and not($no)</joinCondition>
                 <target linkName="yes"/><target linkName="no"/></targets>
               {}
             </sequence>
           </flow>"#,
        log("joined"),
    )]);
    assert_eq!(env.notify("").status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "joined");
}

#[test]
fn a_flow_branch_may_wait_while_the_others_go_on() {
    let mut env = logged(&[
        &format!(
            r#"<flow>
                 <sequence>
                   <receive partnerLink="client" operation="notify" variable="response"/>{}
                 </sequence>
                 {}
               </flow>"#,
            log("received"),
            log("other,"),
        ),
        &log(",done"),
    ]);
    assert_eq!(env.notify("").status, InstanceStatus::Running);
    assert_eq!(env.text("s"), "other,");
    assert_eq!(env.notify("").status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "other,received,done");
}

/// A forEach over 1..=3 logging its counter, with optional completion condition.
fn for_each(parallel: &str, completion: &str) -> TestEnv {
    logged(&[&format!(
        r#"<forEach counterName="i" parallel="{parallel}">
             <startCounterValue>1</startCounterValue>
             <finalCounterValue>3</finalCounterValue>
             {completion}
             <scope><assign><copy><from>concat($s, $i)</from><to variable="s"/></copy></assign></scope>
           </forEach>"#
    )])
}

#[test]
fn a_serial_for_each_runs_its_scope_per_counter_value() {
    let mut env = for_each("no", "");
    assert_eq!(env.notify("").status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "123");
}

#[test]
fn a_parallel_for_each_runs_every_branch() {
    let mut env = for_each("yes", "");
    assert_eq!(env.notify("").status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "123");
}

#[test]
fn a_completion_condition_ends_the_for_each_early() {
    for parallel in ["no", "yes"] {
        let mut env = for_each(
            parallel,
            "<completionCondition><branches>2</branches></completionCondition>",
        );
        assert_eq!(env.notify("").status, InstanceStatus::Completed);
        assert_eq!(env.text("s"), "12", "parallel={parallel}");
    }
}

#[test]
fn more_branches_than_the_for_each_has_is_an_invalid_branch_condition() {
    let mut env = for_each(
        "no",
        "<completionCondition><branches>4</branches></completionCondition>",
    );
    let output = env.notify("");
    assert_faulted(&env, &output, &bpel("invalidBranchCondition"));
}

/// A pick of `notify` or an alarm after an hour.
fn pick() -> TestEnv {
    logged(&[&format!(
        r#"<pick>
             <onMessage partnerLink="client" operation="notify" variable="response">{}</onMessage>
             <onAlarm><for>'PT1H'</for>{}</onAlarm>
           </pick>"#,
        log("message"),
        log("alarm"),
    )])
}

#[test]
fn a_pick_takes_the_message_that_comes_first() {
    let mut env = pick();
    let output = env.notify("");
    assert_eq!(output.status, InstanceStatus::Running);
    assert!(matches!(output.actions.as_slice(), [Action::Timer { .. }]));
    assert_eq!(env.notify("").status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "message");
}

#[test]
fn a_pick_disarms_its_alarm_when_the_message_comes_first() {
    let mut env = logged(&[
        &format!(
            r#"<pick>
                 <onMessage partnerLink="client" operation="notify" variable="response">{}</onMessage>
                 <onAlarm><for>'PT1H'</for>{}</onAlarm>
               </pick>"#,
            log("message"),
            log("alarm"),
        ),
        r#"<receive partnerLink="client" operation="notify" variable="response"/>"#,
    ]);
    let output = env.notify("");
    let [Action::Timer { timer, .. }] = output.actions.as_slice() else {
        panic!("expected the pick's alarm, got {:?}", output.actions);
    };
    let timer = *timer;
    assert_eq!(env.state.armed_timers().collect::<Vec<_>>(), [timer]);
    assert!(output.disarmed.is_empty());
    let output = env.notify("");
    assert_eq!(output.status, InstanceStatus::Running);
    assert_eq!(env.state.armed_timers().count(), 0);
    assert_eq!(
        output.disarmed,
        [timer],
        "the step says it disarmed the alarm"
    );
}

#[test]
fn a_pick_takes_its_alarm_when_no_message_came() {
    let mut env = pick();
    let output = env.notify("");
    let [Action::Timer { timer, due_ms }] = output.actions.as_slice() else {
        panic!("expected the pick's alarm, got {:?}", output.actions);
    };
    assert_eq!(*due_ms, START_MS + 3_600_000);
    env.advance(3_600_000);
    let output = env.apply(Event::TimerFired { timer: *timer });
    assert_eq!(output.status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "alarm");
}

#[test]
fn a_message_that_came_before_its_receive_waits_for_it() {
    let mut env = logged(&[
        r#"<wait><for>'PT1M'</for></wait>"#,
        r#"<receive partnerLink="client" operation="notify" variable="response"/>"#,
        &log("received"),
    ]);
    env.notify("");
    assert_eq!(env.notify("early").status, InstanceStatus::Running);
    env.advance(60_000);
    assert_eq!(env.fire_timer().status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "received");
}

#[test]
fn two_receives_for_the_same_operation_at_once_are_a_conflicting_receive() {
    let receive = r#"<receive partnerLink="client" operation="notify" variable="response"/>"#;
    let mut env = logged(&[&format!("<flow>{receive}{receive}</flow>")]);
    let output = env.notify("");
    assert_faulted(&env, &output, &bpel("conflictingReceive"));
}

#[test]
fn isolated_scopes_run_one_at_a_time() {
    let mut env = logged(&[&format!(
        r#"<flow>
             <scope isolated="yes">
               <sequence>{}<receive partnerLink="client" operation="notify" variable="response"/>{}</sequence>
             </scope>
             <scope isolated="yes">{}</scope>
           </flow>"#,
        log("a1,"),
        log("a2,"),
        log("b"),
    )]);
    assert_eq!(env.notify("").status, InstanceStatus::Running);
    assert_eq!(env.text("s"), "a1,");
    assert_eq!(env.notify("").status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "a1,a2,b");
}

#[test]
fn a_message_two_activities_with_other_correlation_sets_take_is_an_ambiguous_receive() {
    let mut env = TestEnv::with(
        &Declarations {
            correlation_sets: r#"<correlationSet name="one" properties="t:key"/>
                                 <correlationSet name="two" properties="t:key"/>"#,
            ..Declarations::default()
        },
        &sequence(&[
            RECEIVE_NOTIFY,
            r#"<flow>
                 <receive partnerLink="client" operation="notify" variable="response">
                   <correlations><correlation set="one" initiate="join"/></correlations>
                 </receive>
                 <receive partnerLink="client" operation="notify" variable="response">
                   <correlations><correlation set="two" initiate="join"/></correlations>
                 </receive>
               </flow>"#,
        ]),
    );
    assert_eq!(env.notify("<key>k</key>").status, InstanceStatus::Running);
    let output = env.notify("<key>k</key>");
    assert_faulted(&env, &output, &bpel("ambiguousReceive"));
}

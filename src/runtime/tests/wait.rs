//! `<wait>` (WS-BPEL 2.0 §10.7): `for` a duration and `until` a deadline, the timer actions
//! the machine asks for, and bpel:invalidExpressionValue for values that are not durations.

use super::*;

/// Receives `notify`, waits as `wait` says, then sets `s`.
fn waiting(wait: &str) -> TestEnv {
    TestEnv::new(&sequence(&[
        RECEIVE_NOTIFY,
        wait,
        r#"<assign><copy><from>'woke'</from><to variable="s"/></copy></assign>"#,
    ]))
}

#[test]
fn wait_for_arms_a_timer_and_resumes_when_it_fires() {
    let mut env = waiting("<wait><for>'PT1H30M'</for></wait>");
    let output = env.notify("");
    assert_eq!(output.status, InstanceStatus::Running);
    let (timer, due_ms) = env.timer();
    assert_eq!(due_ms, START_MS + 90 * 60_000);
    match output.actions.as_slice() {
        [Action::Timer {
            timer: timed,
            due_ms: due,
        }] => assert_eq!((*timed, *due), (timer, due_ms)),
        actions => panic!("expected one timer, got {actions:?}"),
    }
    assert!(env.variable("s").is_none());

    env.advance(90 * 60_000);
    let output = env.fire_timer();
    assert!(output.actions.is_empty());
    assert_eq!(output.status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "woke");
}

#[test]
fn a_duration_can_come_from_a_variable() {
    let mut env = waiting("<wait><for>$request.body/key</for></wait>");
    env.notify("<key>P1D</key>");
    assert_eq!(env.timer().1, START_MS + 86_400_000);
}

#[test]
fn an_unknown_timer_is_ignored() {
    let mut env = waiting("<wait><for>'PT1M'</for></wait>");
    env.notify("");
    let (timer, _) = env.timer();
    let output = env.apply(Event::TimerFired { timer: timer + 1 });
    assert_eq!(output.status, InstanceStatus::Running);
    assert_eq!(env.timer().0, timer);
}

#[test]
fn wait_until_a_future_deadline_arms_a_timer() {
    let mut env = waiting("<wait><until>'2024-01-01T01:00:00Z'</until></wait>");
    let output = env.notify("");
    assert_eq!(output.status, InstanceStatus::Running);
    assert_eq!(env.timer().1, START_MS + 3_600_000);
}

#[test]
fn wait_until_a_past_deadline_does_not_wait() {
    let mut env = waiting("<wait><until>'2023-12-31T23:59:59Z'</until></wait>");
    let output = env.notify("");
    assert!(output.actions.is_empty(), "{:?}", output.actions);
    assert_eq!(output.status, InstanceStatus::Completed);
    assert_eq!(env.text("s"), "woke");
}

#[test]
fn an_invalid_duration_is_an_invalid_expression_value() {
    for wait in [
        "<wait><for>'one hour'</for></wait>",
        "<wait><until>'tomorrow'</until></wait>",
    ] {
        let mut env = waiting(wait);
        let output = env.notify("");
        assert_faulted(&env, &output, &bpel("invalidExpressionValue"));
        assert!(output.actions.is_empty());
    }
}

#[test]
fn recover_re_arms_the_timer() {
    let mut env = waiting("<wait><for>'PT10M'</for></wait>");
    env.notify("");
    let (timer, due_ms) = env.timer();
    env.advance(60_000);
    let output = env.apply(Event::Recover);
    assert_eq!(output.status, InstanceStatus::Running);
    match output.actions.as_slice() {
        [Action::Timer {
            timer: timed,
            due_ms: due,
        }] => assert_eq!((*timed, *due), (timer, due_ms)),
        actions => panic!("expected the timer again, got {actions:?}"),
    }
    assert_eq!(env.timer(), (timer, due_ms));
}

#[test]
fn recover_while_waiting_for_a_message_does_nothing() {
    let mut env = TestEnv::new(&sequence(&[
        RECEIVE_NOTIFY,
        r#"<receive partnerLink="client" operation="notify" variable="response"/>"#,
    ]));
    env.notify("first");
    let waiting: Vec<Waiting> = env.waits().cloned().collect();
    let output = env.apply(Event::Recover);
    assert!(output.actions.is_empty());
    assert_eq!(output.status, InstanceStatus::Running);
    assert_eq!(env.waits().cloned().collect::<Vec<_>>(), waiting);
    assert_eq!(env.notify("second").status, InstanceStatus::Completed);
}

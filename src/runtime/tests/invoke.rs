//! `<invoke>` (WS-BPEL 2.0 §10.3): request-response invokes wait for their outcome, one-way
//! invokes do not; a partner's fault is raised in the process, but a standard fault is a
//! failure of the call; a failed call raises the fault of its kind, or, in ODE's way or with
//! ODE's failure handling, is retried, raises activityFailure or waits for an operator's
//! decision; and [`Event::Recover`] re-issues an invoke whose outcome was lost.

use super::super::machine::ACTIVITY_RECOVERY_NS;
use super::super::partner_failure::{FailureKind, PartnerFailureMode, BATON_FAULTS_NS};
use super::super::step::RecoveryAction;
use super::super::InvokeOutcome;
use super::*;

const ASK: &str = r#"<invoke partnerLink="partner" operation="ask" inputVariable="request" outputVariable="response"/>"#;

/// Receives `call`, asks the partner, and replies with the partner's answer.
fn relay(fault_handlers: &str) -> TestEnv {
    TestEnv::with(
        &Declarations {
            fault_handlers,
            ..Declarations::default()
        },
        &sequence(&[RECEIVE, ASK, REPLY]),
    )
}

/// The exchange of the only action of `output`, a request-response invoke of `ask` with
/// `content`.
fn only_ask(env: &TestEnv, output: &StepOutput, content: &str) -> ExchangeId {
    match output.actions.as_slice() {
        [Action::Invoke {
            exchange,
            partner_link,
            operation,
            message,
            one_way: false,
            endpoint: None,
            sessions,
        }] => {
            assert!(sessions.is_empty(), "{sessions:?}");
            assert_eq!(*partner_link, env.partner_link("partner"));
            assert_eq!(operation, "ask");
            assert_msg(message, content);
            exchange.clone()
        }
        actions => panic!("expected one invoke of ask, got {actions:?}"),
    }
}

fn done(exchange: &str, outcome: InvokeOutcome) -> Event {
    Event::InvokeDone {
        exchange: exchange.to_owned(),
        outcome,
    }
}

#[test]
fn a_request_response_invoke_waits_for_the_reply() {
    let mut env = relay("");
    let (caller, output) = env.call("question");
    assert_eq!(output.status, InstanceStatus::Running);
    let exchange = only_ask(&env, &output, "question");
    assert_eq!(exchange, format!("{INSTANCE}.1"));
    assert!(env.variable("response").is_none());
    assert!(output.settled.is_empty());

    let output = env.apply(done(&exchange, InvokeOutcome::Reply(msg("answer"))));
    assert_eq!(output.status, InstanceStatus::Completed);
    let ended = output
        .ended
        .as_ref()
        .expect("the step says which invoke it ended");
    assert_eq!(
        (&ended.exchange, ended.operation.as_str()),
        (&exchange, "ask")
    );
    assert_eq!(
        output.settled,
        [exchange],
        "the step says it settled the invoke"
    );
    assert_msg(only_reply(&output, &caller), "answer");
    assert_msg(env.variable("response").unwrap(), "answer");
}

#[test]
fn a_partner_fault_is_caught_by_name_with_its_data() {
    let mut env = relay(
        r#"<catch faultName="t:oops" faultVariable="err" faultMessageType="t:Msg">
             <sequence>
               <assign><copy><from variable="err"/><to variable="response"/></copy></assign>
               <reply partnerLink="client" operation="call" variable="response"/>
             </sequence>
           </catch>
           <catchAll><empty/></catchAll>"#,
    );
    let (caller, output) = env.call("question");
    let exchange = only_ask(&env, &output, "question");
    let output = env.apply(done(
        &exchange,
        InvokeOutcome::Fault {
            name: t("oops"),
            data: Some(Box::new(msg("<why>because</why>"))),
            reason: "partner said no".into(),
        },
    ));
    assert_faulted(&env, &output, &t("oops"));
    assert_msg(only_reply(&output, &caller), "<why>because</why>");
}

#[test]
fn catch_all_catches_other_faults_and_owed_replies_get_the_fault() {
    let mut env = relay(
        r#"<catch faultName="t:oops"><empty/></catch>
           <catchAll>
             <assign><copy><from>'caught'</from><to variable="s"/></copy></assign>
           </catchAll>"#,
    );
    let (caller, output) = env.call("question");
    let exchange = only_ask(&env, &output, "question");
    let output = env.apply(done(
        &exchange,
        InvokeOutcome::Fault {
            name: t("unexpected"),
            data: None,
            reason: "partner broke".into(),
        },
    ));
    assert_faulted(&env, &output, &t("unexpected"));
    assert_eq!(env.text("s"), "caught");
    assert_eq!(only_fault_reply(&output, &caller).name, t("unexpected"));
}

/// Like [`relay`], with ODE's `failureHandling` on the invoke.
fn relay_handling(retry_for: u32, retry_delay: u32, fault_on_failure: bool) -> TestEnv {
    let ask = format!(
        r#"<invoke partnerLink="partner" operation="ask" inputVariable="request" outputVariable="response">
             <ext:failureHandling xmlns:ext="{ACTIVITY_RECOVERY_NS}">
               <ext:faultOnFailure>{fault_on_failure}</ext:faultOnFailure>
               <ext:retryFor>{retry_for}</ext:retryFor>
               <ext:retryDelay>{retry_delay}</ext:retryDelay>
             </ext:failureHandling>
           </invoke>"#
    );
    TestEnv::new(&sequence(&[RECEIVE, &ask, REPLY]))
}

fn failed(exchange: &str) -> Event {
    done(
        exchange,
        InvokeOutcome::failed(FailureKind::ConnectionRefused, "refused"),
    )
}

/// Like [`relay`], a failed invoke waiting for an operator as in ODE.
fn relay_waiting() -> TestEnv {
    let mut env = relay("");
    env.process.partner_failure = PartnerFailureMode::Recover;
    env
}

#[test]
fn a_failed_call_raises_the_fault_of_its_kind_by_default() {
    let refused = QName::new(BATON_FAULTS_NS, "partnerConnectionRefused");
    let mut env = relay(&format!(
        r#"<catch xmlns:b="{BATON_FAULTS_NS}" faultName="b:partnerConnectionRefused">
             <assign><copy><from>'caught'</from><to variable="s"/></copy></assign>
           </catch>"#
    ));
    let (caller, output) = env.call("question");
    let exchange = only_ask(&env, &output, "question");
    let output = env.apply(failed(&exchange));
    assert_faulted(&env, &output, &refused);
    assert_eq!(env.text("s"), "caught");
    assert!(env.fault().reason.contains("refused"), "{:?}", env.fault());
    assert_eq!(only_fault_reply(&output, &caller).name, refused);
}

#[test]
fn an_invoke_without_an_outcome_in_time_raises_partner_timeout() {
    let mut env = relay("");
    let (caller, output) = env.call("question");
    let exchange = only_ask(&env, &output, "question");
    let output = env.apply(Event::InvokeTimedOut {
        exchange,
        after_ms: 500,
    });
    let timeout = QName::new(BATON_FAULTS_NS, "partnerTimeout");
    assert_faulted(&env, &output, &timeout);
    assert!(env.fault().reason.contains("no reply within 500 ms"));
    assert_eq!(only_fault_reply(&output, &caller).name, timeout);
}

#[test]
fn a_failed_call_waits_for_an_operator_in_the_ode_way() {
    let mut env = relay_waiting();
    let (caller, output) = env.call("question");
    let exchange = only_ask(&env, &output, "question");
    let output = env.apply(failed(&exchange));
    assert_eq!(output.status, InstanceStatus::Running);
    assert!(output.actions.is_empty());
    assert!(matches!(env.waits().next(), Some(Waiting::Recovery { .. })));

    let output = env.apply(Event::Recovery {
        exchange: exchange.clone(),
        action: RecoveryAction::Retry,
    });
    let retried = only_ask(&env, &output, "question");
    let output = env.apply(done(&retried, InvokeOutcome::Reply(msg("answer"))));
    assert_eq!(output.status, InstanceStatus::Completed);
    assert_msg(only_reply(&output, &caller), "answer");
}

#[test]
fn an_operator_may_cancel_or_fault_a_failed_activity() {
    let mut env = relay_waiting();
    let (caller, output) = env.call("question");
    let exchange = only_ask(&env, &output, "question");
    env.apply(failed(&exchange));
    let output = env.apply(Event::Recovery {
        exchange,
        action: RecoveryAction::Fault,
    });
    let activity_failure = QName::new(ACTIVITY_RECOVERY_NS, "activityFailure");
    assert_faulted(&env, &output, &activity_failure);
    assert_eq!(only_fault_reply(&output, &caller).name, activity_failure);

    let mut env = relay_waiting();
    let (_, output) = env.call("question");
    let exchange = only_ask(&env, &output, "question");
    env.apply(failed(&exchange));
    let output = env.apply(Event::Recovery {
        exchange,
        action: RecoveryAction::Cancel,
    });
    // The invoke completed without its output, so the reply finds `response` unset.
    assert_faulted(&env, &output, &bpel("uninitializedVariable"));
}

#[test]
fn a_standard_fault_answering_an_invoke_is_a_failure_of_the_invoke() {
    let mut env = relay_handling(0, 0, true);
    let (caller, output) = env.call("question");
    let exchange = only_ask(&env, &output, "question");
    let output = env.apply(done(
        &exchange,
        InvokeOutcome::Fault {
            name: bpel("conflictingRequest"),
            data: None,
            reason: "a reply is still owed".into(),
        },
    ));
    let activity_failure = QName::new(ACTIVITY_RECOVERY_NS, "activityFailure");
    assert_faulted(&env, &output, &activity_failure);
    assert!(
        env.fault().reason.contains("conflictingRequest"),
        "{:?}",
        env.fault()
    );
    assert_eq!(only_fault_reply(&output, &caller).name, activity_failure);
}

#[test]
fn fault_on_failure_raises_activity_failure() {
    let mut env = relay_handling(3, 10, true);
    let (caller, output) = env.call("question");
    let exchange = only_ask(&env, &output, "question");
    let output = env.apply(failed(&exchange));
    let activity_failure = QName::new(ACTIVITY_RECOVERY_NS, "activityFailure");
    assert_faulted(&env, &output, &activity_failure);
    assert_eq!(only_fault_reply(&output, &caller).name, activity_failure);
}

#[test]
fn a_failed_call_is_retried_after_its_delay_then_waits_for_an_operator() {
    let mut env = relay_handling(1, 30, false);
    let (_, output) = env.call("question");
    let first = only_ask(&env, &output, "question");
    let output = env.apply(failed(&first));
    let [Action::Timer { timer, due_ms }] = output.actions.as_slice() else {
        panic!("expected the retry timer, got {:?}", output.actions);
    };
    assert_eq!(*due_ms, START_MS + 30_000);
    env.advance(30_000);
    let output = env.apply(Event::TimerFired { timer: *timer });
    let second = only_ask(&env, &output, "question");
    assert_ne!(first, second);
    let output = env.apply(failed(&second));
    assert!(output.actions.is_empty());
    assert!(
        matches!(env.waits().next(), Some(Waiting::Recovery { exchange, .. }) if *exchange == second)
    );
}

#[test]
fn an_invoke_timed_out_fails_and_is_retried_and_a_late_time_out_changes_nothing() {
    let mut env = relay_handling(1, 0, false);
    let (_, output) = env.call("question");
    let first = only_ask(&env, &output, "question");
    let output = env.apply(Event::InvokeTimedOut {
        exchange: first.clone(),
        after_ms: 500,
    });
    let [Action::Timer { timer, .. }] = output.actions.as_slice() else {
        panic!("expected the retry timer, got {:?}", output.actions);
    };
    let output = env.apply(Event::TimerFired { timer: *timer });
    let second = only_ask(&env, &output, "question");
    let output = env.apply(Event::InvokeTimedOut {
        exchange: first,
        after_ms: 500,
    });
    assert!(output.actions.is_empty(), "{:?}", output.actions);
    assert!(
        matches!(env.waits().next(), Some(Waiting::Invoke { exchange, .. }) if *exchange == second)
    );
    let output = env.apply(Event::InvokeTimedOut {
        exchange: second.clone(),
        after_ms: 500,
    });
    assert!(output.actions.is_empty());
    assert!(matches!(
        env.waits().next(),
        Some(Waiting::Recovery { exchange, reason, .. })
            if *exchange == second && reason == "no reply within 500 ms"
    ));
}

#[test]
fn a_one_way_invoke_does_not_wait() {
    let mut env = TestEnv::new(&sequence(&[
        RECEIVE_NOTIFY,
        r#"<invoke partnerLink="partner" operation="tell" inputVariable="request"/>"#,
        r#"<assign><copy><from>'told'</from><to variable="s"/></copy></assign>"#,
    ]));
    let output = env.notify("news");
    assert_eq!(output.status, InstanceStatus::Completed);
    match output.actions.as_slice() {
        [Action::Invoke {
            operation,
            message,
            one_way: true,
            ..
        }] => {
            assert_eq!(operation, "tell");
            assert_msg(message, "news");
        }
        actions => panic!("expected one one-way invoke, got {actions:?}"),
    }
    assert_eq!(env.text("s"), "told");
}

#[test]
fn an_outcome_for_another_exchange_is_dropped() {
    let mut env = relay("");
    let (_, output) = env.call("question");
    let exchange = only_ask(&env, &output, "question");
    let output = env.apply(done("7.99", InvokeOutcome::Reply(msg("stray"))));
    assert!(output.actions.is_empty());
    assert_eq!(output.status, InstanceStatus::Running);
    assert!(env.variable("response").is_none());
    let output = env.apply(done(&exchange, InvokeOutcome::Reply(msg("answer"))));
    assert_eq!(output.status, InstanceStatus::Completed);
}

#[test]
fn recover_re_issues_a_lost_invoke() {
    let mut env = relay("");
    let (caller, output) = env.call("question");
    let lost = only_ask(&env, &output, "question");

    let output = env.apply(Event::Recover);
    assert_eq!(output.status, InstanceStatus::Running);
    let reissued = only_ask(&env, &output, "question");
    assert_ne!(reissued, lost);

    // The outcome of the lost exchange no longer matters.
    let output = env.apply(done(&lost, InvokeOutcome::Reply(msg("late"))));
    assert!(output.actions.is_empty());
    assert_eq!(output.status, InstanceStatus::Running);

    let output = env.apply(done(&reissued, InvokeOutcome::Reply(msg("answer"))));
    assert_eq!(output.status, InstanceStatus::Completed);
    assert_msg(only_reply(&output, &caller), "answer");
}

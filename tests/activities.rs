//! End-to-end conformance of WS-BPEL 2.0's structured activities (§11) and scopes (§12): the
//! Structured and Scopes units run one case per request over real SOAP/HTTP, and reply with a
//! trace of what ran.

mod common;

use common::{run_cases, Expect};

async fn structured(cases: &[(&str, i32, Expect)]) {
    run_cases("Structured", cases).await;
}

async fn scopes(cases: &[(&str, i32, Expect)]) {
    run_cases("Scopes", cases).await;
}

#[tokio::test]
async fn flow_links_follow_transition_and_join_conditions_and_dead_paths_are_eliminated() {
    structured(&[
        ("flow", 1, Expect::Result("ABD")),
        ("flow", -1, Expect::Result("AC")),
    ])
    .await;
}

#[tokio::test]
async fn serial_for_each_runs_its_branches_in_counter_order() {
    structured(&[
        ("forEachSerial", 3, Expect::Result("123")),
        ("forEachSerial", 0, Expect::Result("")),
    ])
    .await;
}

#[tokio::test]
async fn for_each_stops_once_its_completion_condition_holds() {
    structured(&[("forEachCompletion", 5, Expect::Result("12"))]).await;
}

#[tokio::test]
async fn parallel_for_each_counts_only_successful_branches_when_asked() {
    structured(&[("forEachParallel", 4, Expect::Result("3"))]).await;
}

#[tokio::test]
async fn if_takes_the_first_true_branch_or_else() {
    structured(&[
        ("if", -5, Expect::Result("negative")),
        ("if", 0, Expect::Result("zero")),
        ("if", 5, Expect::Result("positive")),
    ])
    .await;
}

#[tokio::test]
async fn while_tests_before_and_repeat_until_after_its_body() {
    structured(&[
        ("while", 3, Expect::Result("012")),
        ("while", 0, Expect::Result("")),
        ("repeatUntil", 3, Expect::Result("012")),
        ("repeatUntil", 0, Expect::Result("0")),
    ])
    .await;
}

#[tokio::test]
async fn wait_for_a_duration_then_goes_on() {
    structured(&[("wait", 0, Expect::Result("waited"))]).await;
}

#[tokio::test]
async fn a_scopes_variable_hides_an_outer_one_of_the_same_name() {
    scopes(&[("shadowing", 0, Expect::Result("outer/inner"))]).await;
}

#[tokio::test]
async fn faults_are_caught_by_name_then_by_data_type_then_by_catch_all() {
    scopes(&[
        ("catchName", 0, Expect::Result("name")),
        ("catchMessageType", 0, Expect::Result("message:bad")),
        ("catchElement", 0, Expect::Result("element:bad")),
        ("catchTypeOnly", 0, Expect::Result("type:bad")),
        ("catchAll", 0, Expect::Result("all")),
    ])
    .await;
}

#[tokio::test]
async fn rethrow_passes_the_fault_to_the_enclosing_scope() {
    scopes(&[("rethrow", 0, Expect::Result("inner,outer"))]).await;
}

#[tokio::test]
async fn compensation_runs_completed_scopes_handlers_latest_first() {
    scopes(&[
        ("compensate", 0, Expect::Result("12c2c1")),
        ("compensateScope", 0, Expect::Result("12c1")),
    ])
    .await;
}

#[tokio::test]
async fn default_handlers_compensate_inner_scopes_and_rethrow() {
    scopes(&[("defaultHandlers", 0, Expect::Result("123c3|c2c1"))]).await;
}

#[tokio::test]
async fn a_fault_in_a_flow_terminates_the_sibling_scope_through_its_termination_handler() {
    scopes(&[("termination", 0, Expect::Result("terminated,caught"))]).await;
}

#[tokio::test]
async fn exit_on_standard_fault_ends_the_process_without_its_fault_handlers() {
    scopes(&[("exitOnStandardFault", 0, Expect::NoReply)]).await;
}

#[tokio::test]
async fn an_event_handler_alarm_runs_while_the_scope_does() {
    scopes(&[("eventAlarm", 0, Expect::Result("alarm,body"))]).await;
}

//! End-to-end conformance of the structured activities of WS-BPEL 2.0 (§11): the Structured
//! unit runs one case per request over real SOAP/HTTP, and replies with a trace of what ran.

mod common;

use common::{mismatch, Dirs, Expect, Server};

/// Runs `(case, n)` requests on the Structured unit at once, and fails listing every answer
/// that is not the expected one.
async fn structured(cases: &[(&str, i32, Expect)]) {
    let dirs = Dirs::new();
    dirs.add_test_unit("Structured");
    let server = &Server::start(&dirs).await;
    let answers = futures::future::join_all(cases.iter().map(|(case, n, _)| {
        let body = format!(
            r#"<s:run xmlns:s="urn:baton:test:structured"><s:case>{case}</s:case><s:n>{n}</s:n></s:run>"#
        );
        async move { server.soap("/ode/processes/Structured", &body).await }
    }))
    .await;
    let failures: Vec<String> = cases
        .iter()
        .zip(&answers)
        .filter_map(|((case, n, expect), answer)| {
            mismatch(&format!("{case}({n})"), *expect, answer)
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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

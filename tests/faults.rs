//! End-to-end conformance of WS-BPEL 2.0's standard faults (Appendix A): the StandardFaults
//! unit causes one per request, which nothing catches, and the caller gets a SOAP fault
//! naming it.

mod common;

use common::{run_cases, Expect};

async fn standard_fault(case: &'static str) {
    run_cases("StandardFaults", &[(case, 0, Expect::StandardFault(case))]).await;
}

#[tokio::test]
async fn a_query_selecting_nothing_is_a_selection_failure() {
    standard_fault("selectionFailure").await;
}

#[tokio::test]
async fn reading_an_unset_variable_is_an_uninitialized_variable_fault() {
    standard_fault("uninitializedVariable").await;
}

#[tokio::test]
async fn a_duration_that_is_not_one_is_an_invalid_expression_value() {
    standard_fault("invalidExpressionValue").await;
}

#[tokio::test]
async fn an_expression_failing_at_run_time_is_a_sub_language_execution_fault() {
    standard_fault("subLanguageExecutionFault").await;
}

#[tokio::test]
async fn a_false_join_condition_without_suppression_is_a_join_failure() {
    standard_fault("joinFailure").await;
}

#[tokio::test]
async fn a_completion_condition_asking_for_more_branches_than_exist_is_invalid() {
    standard_fault("invalidBranchCondition").await;
}

#[tokio::test]
async fn a_completion_condition_that_cannot_hold_is_a_completion_condition_failure() {
    standard_fault("completionConditionFailure").await;
}

#[tokio::test]
async fn an_assign_validating_a_value_outside_its_type_is_invalid_variables() {
    standard_fault("invalidVariables").await;
}

#[tokio::test]
async fn a_scope_whose_variable_initialiser_faults_is_a_scope_initialization_failure() {
    standard_fault("scopeInitializationFailure").await;
}

#[tokio::test]
async fn a_message_against_its_uninitiated_correlation_set_is_a_correlation_violation() {
    standard_fault("correlationViolation").await;
}

#[tokio::test]
async fn a_reply_without_its_request_is_a_missing_request() {
    standard_fault("missingRequest").await;
}

#[tokio::test]
async fn transforming_what_is_not_a_node_is_an_invalid_xslt_source() {
    standard_fault("xsltInvalidSource").await;
}

#[tokio::test]
async fn two_receives_waiting_for_the_same_message_are_a_conflicting_receive() {
    standard_fault("conflictingReceive").await;
}

#[tokio::test]
async fn an_instance_completing_without_its_reply_answers_missing_reply() {
    standard_fault("missingReply").await;
}

//! An instance's cleanup when it ends, as deploy.xml's `<cleanup on>` says (ODE's
//! semantics): the categories that apply to how the instance ended are applied to its final
//! step before that is committed, so that what they name is gone in the same transaction.
//!
//! - `instance`: the instance is deleted with everything of it (its exchanges, routes and
//!   jobs); ODE requires `variables` and `correlations` with it, and so does the compiler.
//! - `variables`: the values of its variables and partner links leave its stored state.
//! - `messages`: its message exchanges are deleted with the messages they carry, and the
//!   messages it received but never consumed leave its state.
//! - `correlations`: the values of its correlation sets leave its state and the store (its
//!   routes go whenever an instance ends).
//! - `events`: the server keeps no event log, so there is nothing to delete.
//!
//! `success` applies when the instance completed; `failure` when it faulted or was
//! terminated; `always` both times. A process without `<cleanup>` keeps everything.

use crate::model::{CleanupCategories, ProcessDeployment};
use crate::runtime::{InstanceState, InstanceStatus};
use crate::store::StepCommit;

/// What the cleanup of `deployment` deletes of an instance that ended with `status`; nothing
/// while it runs or is suspended.
pub fn on_end(deployment: &ProcessDeployment, status: InstanceStatus) -> CleanupCategories {
    match status {
        InstanceStatus::Running | InstanceStatus::Suspended => CleanupCategories::default(),
        InstanceStatus::Completed => deployment.cleanup_on_end(true),
        InstanceStatus::Faulted | InstanceStatus::Terminated => deployment.cleanup_on_end(false),
    }
}

/// Drops from an ended instance's state what `categories` delete.
pub fn clean_state(categories: &CleanupCategories, state: &mut InstanceState) {
    for scope in state.scopes.iter_mut().flatten() {
        if categories.variables {
            scope.variables.iter_mut().for_each(|value| *value = None);
            scope.endpoints.iter_mut().for_each(|value| *value = None);
        }
        if categories.correlations {
            scope
                .correlations
                .iter_mut()
                .for_each(|value| *value = None);
        }
    }
    if categories.messages {
        state.inbox.clear();
    }
}

/// Makes the final step delete what `categories` delete in the store.
pub fn clean_commit(categories: &CleanupCategories, commit: &mut StepCommit) {
    commit.delete_exchanges = categories.messages;
    commit.delete_correlation_values = categories.correlations;
    commit.delete_instance = categories.instance;
    commit.delete_events = categories.events;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiler::{compile, UnitSource};
    use crate::model::{Cleanup, CleanupOn};
    use crate::store::{InstanceStatus as StoreStatus, InstanceWrite};

    /// The HelloWorld test unit's process, with `cleanup` as its cleanups.
    fn hello_world(cleanup: Vec<Cleanup>) -> (ProcessDeployment, crate::model::Process) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/units");
        let unit = compile(&UnitSource::from_dir(dir.join("HelloWorld")).unwrap()).unwrap();
        let mut deployment = unit.descriptor.processes[0].clone();
        deployment.cleanup = cleanup;
        (deployment, unit.processes[0].clone())
    }

    fn cleanup(on: CleanupOn, categories: &[&str]) -> Cleanup {
        Cleanup {
            on,
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
            filters: Vec::new(),
        }
    }

    #[test]
    fn success_failure_and_always_apply_to_how_the_instance_ended() {
        let (deployment, _) = hello_world(vec![
            cleanup(CleanupOn::Success, &["messages"]),
            cleanup(CleanupOn::Failure, &["variables"]),
            cleanup(CleanupOn::Always, &["correlations"]),
        ]);
        let completed = on_end(&deployment, InstanceStatus::Completed);
        assert!(completed.messages && completed.correlations && !completed.variables);
        for failed in [InstanceStatus::Faulted, InstanceStatus::Terminated] {
            let failure = on_end(&deployment, failed);
            assert!(failure.variables && failure.correlations && !failure.messages);
        }
        assert_eq!(
            on_end(&deployment, InstanceStatus::Running),
            CleanupCategories::default()
        );
        let (everything, _) = hello_world(vec![cleanup(CleanupOn::Always, &[])]);
        let all = on_end(&everything, InstanceStatus::Faulted);
        assert_eq!(all, CleanupCategories::ALL);
        let (nothing, _) = hello_world(Vec::new());
        let none = on_end(&nothing, InstanceStatus::Completed);
        assert_eq!(none, CleanupCategories::default());
    }

    #[test]
    fn variables_and_correlations_leave_the_state_and_the_commit_deletes_the_rest() {
        let (_, process) = hello_world(Vec::new());
        let filled = || {
            let mut state = InstanceState::for_process(&process);
            let scope = state.scopes[0].as_mut().unwrap();
            for value in &mut scope.variables {
                *value = Some(crate::xml::parse(b"<v>1</v>").unwrap());
            }
            scope.correlations.push(Some(vec!["42".to_owned()]));
            state
        };
        let stored = |state: &InstanceState| {
            let scope = state.scopes[0].as_ref().unwrap();
            let variables = scope.variables.iter().any(Option::is_some);
            (variables, scope.correlations.iter().any(Option::is_some))
        };
        assert!(!process.variables.is_empty());

        let mut state = filled();
        let variables = CleanupCategories {
            variables: true,
            ..CleanupCategories::default()
        };
        clean_state(&variables, &mut state);
        assert_eq!(stored(&state), (false, true));

        let mut state = filled();
        let correlations = CleanupCategories {
            correlations: true,
            ..CleanupCategories::default()
        };
        clean_state(&correlations, &mut state);
        assert_eq!(stored(&state), (true, false));

        let mut commit = StepCommit::new(InstanceWrite {
            id: 1,
            status: StoreStatus::Completed,
            state: Vec::new(),
            failure: None,
            expected_revision: 0,
            create: None,
        });
        clean_commit(&CleanupCategories::default(), &mut commit);
        assert!(!commit.delete_exchanges && !commit.delete_instance);
        assert!(!commit.delete_correlation_values);
        clean_commit(&CleanupCategories::ALL, &mut commit);
        assert!(commit.delete_exchanges && commit.delete_instance);
        assert!(commit.delete_correlation_values);
    }
}

//! Failed activities, as operators see and settle them (ODE's activity recovery).
//!
//! An invoke whose call failed and whose failure handling leaves the decision to an operator
//! keeps its thread waiting in [`Waiting::Recovery`]. [`Engine::failed_activities`] lists
//! them from the instance's stored state; [`Engine::settle_failure`] delivers the operator's
//! [`RecoveryAction`] to the instance as [`Event::Recovery`].

use serde::{Deserialize, Serialize};

use super::{Engine, Error};
use crate::model::{ActivityKind, Process};
use crate::runtime::state::Waiting;
use crate::runtime::step::RecoveryAction;
use crate::runtime::{Event, InstanceState, InstanceStatus};
use crate::store;

/// An activity waiting for an operator's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FailedActivity {
    /// The failed call's exchange: what the decision names.
    pub exchange: String,
    /// The activity's name, if it has one.
    pub activity: Option<String>,
    /// Where the activity is written: `file:line`.
    pub location: String,
    pub partner_link: String,
    pub operation: String,
    /// Why the call failed.
    pub reason: String,
}

/// Why an operator's request about failed activities cannot be carried out.
#[derive(Debug, thiserror::Error)]
pub enum FailureError {
    #[error("there is no instance {0}")]
    NoInstance(i64),
    #[error(
        "instance {instance} is {status}: only running instances have failed activities to settle"
    )]
    NotRunning { instance: i64, status: String },
    #[error("instance {instance} has no failed activity for exchange {exchange}")]
    NoFailure { instance: i64, exchange: String },
    #[error("instance {instance} runs {pid}, which is not deployed")]
    NotDeployed { instance: i64, pid: String },
    #[error("instance {instance} has unreadable state: {reason}")]
    Unreadable { instance: i64, reason: String },
    #[error(transparent)]
    Engine(#[from] Error),
}

impl From<store::Error> for FailureError {
    fn from(error: store::Error) -> Self {
        Self::Engine(Error::Store(error))
    }
}

impl Engine {
    /// The failed activities of running instance `instance`, as last committed.
    pub async fn failed_activities(
        &self,
        instance: i64,
    ) -> Result<Vec<FailedActivity>, FailureError> {
        let (_, process, state) = self.running_instance(instance).await?;
        Ok(failed_activities(&process.compiled.model, &state))
    }

    /// Delivers an operator's `action` for the failed activity of `exchange` to instance
    /// `instance`; answers the instance's status after it.
    pub async fn settle_failure(
        &self,
        instance: i64,
        exchange: &str,
        action: RecoveryAction,
    ) -> Result<InstanceStatus, FailureError> {
        let (pid, process, state) = self.running_instance(instance).await?;
        let failed = failed_activities(&process.compiled.model, &state);
        if !failed.iter().any(|failure| failure.exchange == exchange) {
            return Err(FailureError::NoFailure {
                instance,
                exchange: exchange.to_owned(),
            });
        }
        tracing::info!(instance, %exchange, ?action, "Operator settles a failed activity");
        let event = Event::Recovery {
            exchange: exchange.to_owned(),
            action,
        };
        let status = self.services().deliver(&pid, instance, event).await?;
        self.services().metrics.recovered(action);
        Ok(status)
    }

    /// A running instance's process version and stored state.
    async fn running_instance(
        &self,
        instance: i64,
    ) -> Result<(String, std::sync::Arc<super::ProcessRuntime>, InstanceState), FailureError> {
        let services = self.services();
        let record = services
            .instances
            .of_instance(instance)
            .load_instance(instance)
            .await?
            .ok_or(FailureError::NoInstance(instance))?;
        if record.status != store::InstanceStatus::Running {
            return Err(FailureError::NotRunning {
                instance,
                status: record.status.to_string(),
            });
        }
        let process =
            services
                .registry
                .process(&record.pid)
                .ok_or_else(|| FailureError::NotDeployed {
                    instance,
                    pid: record.pid.clone(),
                })?;
        let state =
            InstanceState::from_bytes(&record.state).map_err(|error| FailureError::Unreadable {
                instance,
                reason: error.to_string(),
            })?;
        Ok((record.pid, process, state))
    }
}

/// How many activities of `state` wait for an operator.
pub fn waiting_for_operator(state: &InstanceState) -> usize {
    state
        .threads
        .iter()
        .flatten()
        .filter(|thread| matches!(thread.waiting, Some(Waiting::Recovery { .. })))
        .count()
}

/// The activities of `state` waiting for an operator, in thread order.
pub fn failed_activities(model: &Process, state: &InstanceState) -> Vec<FailedActivity> {
    state
        .threads
        .iter()
        .flatten()
        .filter_map(|thread| match &thread.waiting {
            Some(Waiting::Recovery {
                activity,
                exchange,
                reason,
            }) => {
                let definition = model.activity(*activity);
                let ActivityKind::Invoke(invoke) = &definition.kind else {
                    return None;
                };
                Some(FailedActivity {
                    exchange: exchange.clone(),
                    activity: definition.name.clone(),
                    location: definition.location.to_string(),
                    partner_link: model.partner_link(invoke.partner_link).name.clone(),
                    operation: invoke.operation.clone(),
                    reason: reason.clone(),
                })
            }
            _ => None,
        })
        .collect()
}

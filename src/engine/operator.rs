//! Operators' actions on whole instances: suspend, resume and terminate
//! ([`Engine::operate`]), and the steps running now, whose cancellation flags those actions,
//! an undeployment and the server's shutdown raise ([`RunningSteps`]).
//!
//! An action is an [`Event::Operator`] delivered to the instance through its mailbox, so it
//! applies between two steps. When the instance is in the middle of a step, that step's
//! cancellation flag is raised first: the step stops at its next budget check (see
//! [`crate::budget`]) without being stored, the instance reloads as last committed, and the
//! action applies to that. An instance in its first step is not stored yet: terminating it
//! stops that step, so that it never is; it cannot be suspended or resumed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::{Engine, Error};
use crate::budget::Cancellation;
use crate::runtime::step::OperatorAction;
use crate::runtime::{Event, InstanceStatus};
use crate::store;

/// The cancellation flags of the steps running now, by instance.
#[derive(Default)]
pub struct RunningSteps {
    inner: Mutex<Steps>,
    /// Set when the server stops: every step starting from then on is stopped at once.
    stopping: AtomicBool,
}

#[derive(Default)]
struct Steps {
    /// The steps running now, by instance.
    running: HashMap<i64, Running>,
    /// Instances an operator acts on, and why: a step of theirs that starts before the
    /// operator's own is stopped at once.
    pending: HashMap<i64, String>,
}

/// A step running now.
struct Running {
    /// The process version of its instance.
    pid: String,
    /// Whether it is the instance's first, which creates it: the instance is not stored yet.
    first: bool,
    cancellation: Arc<Cancellation>,
}

/// Why every step stops when the server does.
const SHUTDOWN: &str = "the server is stopping";

impl RunningSteps {
    /// Registers a step of `instance` of version `pid`, its `first` if it creates the
    /// instance, and answers its flag. The step of an operator's action (`operator`) clears
    /// the stop the operator asked for; any other step of the instance before it is stopped
    /// at once.
    pub fn start(
        &self,
        instance: i64,
        pid: &str,
        operator: bool,
        first: bool,
    ) -> Arc<Cancellation> {
        let cancellation = Arc::new(Cancellation::of_instance(instance));
        if self.stopping.load(Ordering::Acquire) {
            cancellation.raise(SHUTDOWN);
        }
        let mut steps = self.lock();
        match steps.pending.get(&instance) {
            Some(_) if operator => {
                steps.pending.remove(&instance);
            }
            Some(reason) => cancellation.raise(reason),
            None => {}
        }
        let running = Running {
            pid: pid.to_owned(),
            first,
            cancellation: cancellation.clone(),
        };
        steps.running.insert(instance, running);
        cancellation
    }

    /// Forgets the step of `instance`, which ended.
    pub fn end(&self, instance: i64) {
        self.lock().running.remove(&instance);
    }

    /// Stops the step `instance` is running, if any, and any it starts until an operator's
    /// step clears it (see [`RunningSteps::start`]), for `reason`.
    pub fn stop(&self, instance: i64, reason: &str) {
        let mut steps = self.lock();
        if let Some(running) = steps.running.get(&instance) {
            running.cancellation.raise(reason);
        }
        steps.pending.insert(instance, reason.to_owned());
    }

    /// Stops the first step of `instance` if it is running one, for `reason`; answers
    /// whether it was.
    pub fn stop_first(&self, instance: i64, reason: &str) -> bool {
        let steps = self.lock();
        let first = steps.running.get(&instance).filter(|running| running.first);
        if let Some(running) = first {
            running.cancellation.raise(reason);
        }
        first.is_some()
    }

    /// Whether `instance` is running its first step, not stored yet.
    pub fn in_first_step(&self, instance: i64) -> bool {
        let steps = self.lock();
        steps
            .running
            .get(&instance)
            .is_some_and(|running| running.first)
    }

    /// Forgets the stop asked for `instance`, whose operator's action ended.
    pub fn settled(&self, instance: i64) {
        self.lock().pending.remove(&instance);
    }

    /// Stops the steps of the instances of version `pid`, for `reason`.
    pub fn stop_version(&self, pid: &str, reason: &str) {
        for running in self.lock().running.values() {
            if running.pid == pid {
                running.cancellation.raise(reason);
            }
        }
    }

    /// Stops every step, now and from now on.
    pub fn stop_all(&self) {
        self.stopping.store(true, Ordering::Release);
        for running in self.lock().running.values() {
            running.cancellation.raise(SHUTDOWN);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Steps> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Why an operator's action on an instance cannot be carried out.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("there is no instance {0}")]
    NoInstance(i64),
    #[error("instance {0} is in its first step and not stored yet: it can only be terminated")]
    FirstStep(i64),
    #[error("instance {instance} is {status}: only a {allowed} instance can be {done}")]
    Refused {
        instance: i64,
        status: String,
        allowed: &'static str,
        done: &'static str,
    },
    #[error("instance {instance} runs {pid}, which is not deployed")]
    NotDeployed { instance: i64, pid: String },
    #[error(transparent)]
    Engine(#[from] Error),
}

impl From<store::Error> for OperatorError {
    fn from(error: store::Error) -> Self {
        Self::Engine(Error::Store(error))
    }
}

impl Engine {
    /// Carries out an operator's `action` on instance `instance`, stopping the step it
    /// runs, if any; answers the instance's status after it.
    pub async fn operate(
        &self,
        instance: i64,
        action: OperatorAction,
    ) -> Result<InstanceStatus, OperatorError> {
        let services = self.services();
        let record = services
            .instances
            .of_instance(instance)
            .load_instance(instance)
            .await?;
        let Some(record) = record else {
            return self.operate_on_first_step(instance, action);
        };
        let (allowed, done): (&[store::InstanceStatus], _) = match action {
            OperatorAction::Suspend => (&[store::InstanceStatus::Running], "suspended"),
            OperatorAction::Resume => (&[store::InstanceStatus::Suspended], "resumed"),
            OperatorAction::Terminate => (
                &[
                    store::InstanceStatus::Running,
                    store::InstanceStatus::Suspended,
                ],
                "terminated",
            ),
        };
        if !allowed.contains(&record.status) {
            return Err(OperatorError::Refused {
                instance,
                status: record.status.to_string(),
                allowed: match action {
                    OperatorAction::Suspend => "running",
                    OperatorAction::Resume => "suspended",
                    OperatorAction::Terminate => "running or suspended",
                },
                done,
            });
        }
        if services.registry.process(&record.pid).is_none() {
            return Err(OperatorError::NotDeployed {
                instance,
                pid: record.pid,
            });
        }
        tracing::info!(
            instance,
            action = action.as_str(),
            "Operator acts on an instance"
        );
        services
            .steps
            .stop(instance, &format!("{done} by an operator"));
        let event = Event::Operator(action);
        let delivered = services.deliver(&record.pid, instance, event).await;
        services.steps.settled(instance);
        Ok(delivered?)
    }

    /// An operator's `action` on `instance` that is not stored: one in its first step can be
    /// terminated, which stops that step, so that the instance is never stored.
    fn operate_on_first_step(
        &self,
        instance: i64,
        action: OperatorAction,
    ) -> Result<InstanceStatus, OperatorError> {
        let steps = &self.services().steps;
        match action {
            OperatorAction::Terminate if steps.stop_first(instance, TERMINATED) => {
                tracing::info!(
                    instance,
                    "Operator terminates an instance in its first step"
                );
                Ok(InstanceStatus::Terminated)
            }
            _ if steps.in_first_step(instance) => Err(OperatorError::FirstStep(instance)),
            _ => Err(OperatorError::NoInstance(instance)),
        }
    }
}

/// Why the first step of an instance an operator terminated stopped.
const TERMINATED: &str = "terminated by an operator";

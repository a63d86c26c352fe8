//! A process instance as a supervised entity: each [`Delivery`] runs one step of the state
//! machine, commits the new state with its correlation routes, exchanges, jobs, the messages
//! it sends (the outbox) and the id of the message it takes in one transaction, and only then
//! carries out the step's actions (replies, invokes) and hands its jobs to the scheduler. A
//! delivery of a due job commits the job's deletion with the step, so the job runs once. If
//! the commit fails the instance's memory is no longer trusted: the supervisor drops it and
//! the next message reloads it from the store.
//!
//! The store is the one its process version's instances live in (see [`super::stores`]):
//! an in-memory instance commits to the memory store, so evicting it from its actor (idle,
//! under the dehydration policy) loses nothing, and the next message loads it from there.

use std::sync::Arc;

use baton_actors::{Disposition, Entity, Keeper, Outcome, Step};
use futures::future::{FutureExt, LocalBoxFuture};

use super::journal::Opening;
use super::outbox::{Awaited, Calls};
use super::process::ProcessRuntime;
use super::scheduler::Committed;
use super::{jobs, Services};
use crate::runtime::state::InterceptorValues;
use crate::runtime::{Event, InstanceState, InstanceStatus, Machine};
use crate::store::{self, InstanceWrite, JobKey, Received, RouteKey, StepCommit};

/// Why a step did not take effect.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StepError {
    #[error("the step was not committed: {0}")]
    Store(String),
    #[error("the instance state cannot be serialised: {0}")]
    Serialise(String),
    /// The job the step was to run had run already; nothing of the step was stored.
    #[error("{0}")]
    JobGone(String),
}

/// What an instance takes a step on: an event; the job whose run the step is, if the
/// scheduler delivers it; the values interceptors keep with the instance as it takes it
/// (stored with the step's state); and the id of the message the event carries, if its
/// sender gave one (remembered with the step, see [`super::outbox`]).
#[derive(Debug)]
pub struct Delivery {
    pub event: Event,
    pub job: Option<JobKey>,
    pub kept: InterceptorValues,
    pub message_id: Option<String>,
}

impl From<Event> for Delivery {
    fn from(event: Event) -> Self {
        Delivery {
            event,
            job: None,
            kept: InterceptorValues::new(),
            message_id: None,
        }
    }
}

/// The entity of one instance.
pub struct InstanceEntity {
    id: i64,
    process: Arc<ProcessRuntime>,
    services: Arc<Services>,
    state: InstanceState,
    revision: i64,
    /// False until the first commit, which inserts the instance.
    stored: bool,
}

impl InstanceEntity {
    /// A new instance, about to take its first message.
    pub fn new(id: i64, process: Arc<ProcessRuntime>, services: Arc<Services>) -> Self {
        let model = &process.compiled.model;
        let state = InstanceState::for_process(model);
        Self {
            id,
            process,
            services,
            state,
            revision: 0,
            stored: false,
        }
    }
}

impl Entity for InstanceEntity {
    type Key = i64;
    type Message = Delivery;
    type Reply = Result<InstanceStatus, StepError>;

    fn handle(&mut self, delivery: Delivery) -> Step<Self::Reply> {
        let Delivery {
            event,
            job,
            kept,
            message_id,
        } = delivery;
        for (interceptor, values) in kept {
            self.state
                .interceptor_values
                .entry(interceptor)
                .or_default()
                .extend(values);
        }
        let opening = Opening::of(&self.process.compiled.model, &self.state, &event);
        let before = jobs::Before::of(&self.state, &event);
        let awaited = Awaited::of(&self.state, &event);
        let received = match (&event, message_id) {
            (Event::Message(inbound), Some(message_id)) => Some(Received {
                message_id,
                instance_id: self.id,
                exchange: inbound.exchange.clone(),
            }),
            _ => None,
        };
        let now_ms = super::now_ms();
        let output = Machine::step(
            &self.process.compiled,
            &mut self.state,
            self.id,
            now_ms,
            event,
        );
        let calls = Calls::of(
            &self.process,
            self.id,
            &output.actions,
            &self.state.interceptor_values,
        );
        let serialised =
            serde_json::to_vec(&self.state).and_then(|state| Ok((state, calls.entries()?)));
        let (state, outbox) = match serialised {
            Ok(serialised) => serialised,
            Err(error) => {
                let reply = Err(StepError::Serialise(error.to_string()));
                return async move {
                    Outcome {
                        reply,
                        next: Disposition::Reload,
                    }
                }
                .boxed_local();
            }
        };
        let finished = output.status.is_finished();
        let failure = self.state.fault.as_ref().map(ToString::to_string);
        let mut commit = StepCommit::new(InstanceWrite {
            id: self.id,
            status: store_status(output.status),
            state,
            failure,
            expected_revision: self.revision,
            create: (!self.stored).then(|| self.process.pid.clone()),
        });
        let process_name = self.process.name.to_string();
        commit.routes_added = output
            .routes
            .iter()
            .map(|route| RouteKey::new(process_name.clone(), route.key()))
            .collect();
        commit.clear_routes = finished;
        commit.exchanges = opening.with_actions(&self.process.compiled.model, &output.actions);
        let changes = Committed {
            instance_id: self.id,
            scheduled: jobs::scheduled_by(
                self.id,
                &self.process.pid,
                &output.actions,
                now_ms,
                self.services.config.engine.invoke_timeout_ms,
            ),
            cancelled: before.cancelled(&self.state),
            finished,
        };
        commit.job_done = job;
        commit.jobs_cancelled = changes.cancelled.clone();
        commit.jobs = changes.scheduled.clone();
        commit.clear_jobs = finished;
        commit.outbox = outbox;
        commit.outbox_settled = awaited.settled(&self.state);
        commit.received = received;
        self.revision += 1;
        self.stored = true;
        let (id, process, services) = (self.id, self.process.clone(), self.services.clone());
        async move {
            match services.instances.of(&process).commit(commit).await {
                Ok(_) => {
                    services.scheduler.committed(changes);
                    services.perform(id, &process, output.actions, calls);
                    let next = if finished { Disposition::Finished } else { Disposition::Continue };
                    Outcome { reply: Ok(output.status), next }
                }
                Err(error @ store::Error::JobGone { .. }) => {
                    tracing::debug!(instance = id, %error, "Step not committed: its job has run; instance will reload");
                    Outcome { reply: Err(StepError::JobGone(error.to_string())), next: Disposition::Reload }
                }
                Err(error) => {
                    tracing::error!(instance = id, %error, "Step not committed; instance will reload");
                    Outcome { reply: Err(StepError::Store(error.to_string())), next: Disposition::Reload }
                }
            }
        }
        .boxed_local()
    }
}

fn store_status(status: InstanceStatus) -> store::InstanceStatus {
    match status {
        InstanceStatus::Running => store::InstanceStatus::Running,
        InstanceStatus::Completed => store::InstanceStatus::Completed,
        InstanceStatus::Faulted => store::InstanceStatus::Faulted,
        InstanceStatus::Terminated => store::InstanceStatus::Terminated,
    }
}

/// Loads instances of one process version from the store, and records their failures.
pub struct InstanceKeeper {
    pub process: Arc<ProcessRuntime>,
    pub services: Arc<Services>,
}

impl Keeper<InstanceEntity> for InstanceKeeper {
    fn hydrate(&self, id: i64) -> LocalBoxFuture<'static, Result<InstanceEntity, String>> {
        let (process, services) = (self.process.clone(), self.services.clone());
        async move {
            let record = services
                .instances
                .of(&process)
                .load_instance(id)
                .await
                .map_err(|error| error.to_string())?
                .ok_or_else(|| format!("instance {id} does not exist"))?;
            if record.pid != process.pid {
                return Err(format!(
                    "instance {id} belongs to {}, not {}",
                    record.pid, process.pid
                ));
            }
            if record.status != store::InstanceStatus::Running {
                return Err(format!("instance {id} is {}", record.status));
            }
            let state: InstanceState = serde_json::from_slice(&record.state)
                .map_err(|error| format!("instance {id} has unreadable state: {error}"))?;
            Ok(InstanceEntity {
                id,
                process,
                services,
                state,
                revision: record.revision,
                stored: true,
            })
        }
        .boxed_local()
    }

    fn failed(&self, id: i64, reason: String) -> LocalBoxFuture<'static, ()> {
        let (process, services) = (self.process.clone(), self.services.clone());
        async move {
            let store = services.instances.of(&process);
            if let Err(error) = store.mark_failed(id, &reason).await {
                tracing::error!(instance = id, %error, "Could not record the instance's failure");
            }
        }
        .boxed_local()
    }
}

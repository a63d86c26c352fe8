//! A process instance as a supervised entity: each [`Delivery`] runs one step of the state
//! A process instance as a supervised entity: each [`Delivery`] runs one step of the state
//! machine, commits the new state with its correlation routes, exchanges, jobs, the messages
//! it sends (the outbox) and the id of the message it takes in one transaction, and only then
//! carries out the step's actions (replies, invokes) and hands its jobs to the scheduler. A
//! delivery of a due job commits the job's deletion with the step, so the job runs once. The
//! step that ends an instance carries out its deploy.xml cleanup (see [`super::cleanup`]) in
//! the same commit. If the commit fails the instance's memory is no longer trusted: the
//! supervisor drops it and the next message reloads it from the store.
//!
//! A step with something to do inside the durable store before it is durable (a call, or a
//! delivery answered early: see [`super::peer`]) is committed early
//! ([`store::Instances::commit_early`]): those, and its replies to callers answered early, go
//! as soon as it is committed, and whatever leaves the server waits until it is durable. Any
//! other step is answered once durable, as are all its replies.
//!
//! The step itself (the interpreter's work, and serialising the new state) runs on the
//! engine's step threads ([`Services::step_workers`]), not on the thread of the process
//! version's actors, so a long step holds no thread another instance needs, and drops to low
//! priority once it is long; it runs within the step budget of [`crate::budget`]. A
//! step that exceeds it is not stored: the instance is suspended as last committed, with the
//! reason, and its jobs are dropped. A step stopped by an operator (terminate, suspend) or by the
//! server's shutdown is not stored either; the instance reloads from the store. A suspended
//! instance refuses every event but an operator's (resume, terminate).
//!
//! The store is the one its process version's instances live in (see [`super::stores`]):
//! an in-memory instance commits to the memory store, so evicting it from its actor (idle,
//! under the dehydration policy) loses nothing, and the next message loads it from there.

use std::sync::{Arc, Mutex, PoisonError};

use baton_actors::{Disposition, Entity, Keeper, Outcome, Step};
use futures::future::{FutureExt, LocalBoxFuture};

use super::outbox::Calls;
use super::process::ProcessRuntime;
use super::scheduler::Committed;
use super::{cleanup, jobs, journal, Services};
use crate::budget::{self, Exceeded};
use crate::runtime::encoding::EncodingError;
use crate::runtime::state::InterceptorValues;
use crate::runtime::step::{Action, OperatorAction};
use crate::runtime::{Event, InstanceState, InstanceStatus, Machine};
use crate::store::{self, InstanceWrite, JobKey, Received, RouteKey, StepCommit};

/// Why a step did not take effect.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StepError {
    #[error("the step was not committed: {0}")]
    Store(String),
    /// The store could not be reached: nothing of the step was stored, and the same message
    /// may be sent again later.
    #[error("the step was not committed: {0}")]
    StoreUnavailable(String),
    #[error("the instance state cannot be serialised: {0}")]
    Serialise(String),
    /// The job the step was to run had run already; nothing of the step was stored.
    #[error("{0}")]
    JobGone(String),
    /// The instance is suspended: it takes no event until an operator resumes it.
    #[error("instance {instance} is suspended ({reason}): it takes no message until an operator resumes it")]
    Suspended { instance: i64, reason: String },
    /// The step was stopped before it ended, and nothing of it was stored.
    #[error("instance {instance}: {reason}")]
    Stopped { instance: i64, reason: String },
    /// The step initiated a correlation whose values another instance holds; nothing of it
    /// was stored.
    #[error("bpel:correlationViolation: the correlation values {key} are held by instance {owner}; the message was not taken")]
    CorrelationTaken { key: String, owner: i64 },
}

/// Why an operator suspended an instance, as stored with it.
const SUSPENDED_BY_OPERATOR: &str = "suspended by an operator";

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
    /// Whoever waits for the step acts on its answer only through later steps of the
    /// durable store: the step is answered once committed, not once durable (see
    /// [`Instances::commit_early`](crate::store::Instances::commit_early)).
    pub early_answer: bool,
}

impl Delivery {
    /// The delivery of `event` to be answered once its step is committed.
    pub fn early(event: Event) -> Self {
        Delivery {
            early_answer: true,
            ..Delivery::from(event)
        }
    }
}

impl From<Event> for Delivery {
    fn from(event: Event) -> Self {
        Delivery {
            event,
            job: None,
            kept: InterceptorValues::new(),
            message_id: None,
            early_answer: false,
        }
    }
}

/// The entity of one instance.
pub struct InstanceEntity {
    id: i64,
    process: Arc<ProcessRuntime>,
    services: Arc<Services>,
    /// Lent to the blocking thread that runs a step; the mailbox runs one step at a time.
    state: Arc<Mutex<InstanceState>>,
    revision: i64,
    /// False until the first commit, which inserts the instance.
    stored: bool,
    /// Why the instance is suspended, when it was loaded suspended.
    suspension: Option<String>,
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
            state: Arc::new(Mutex::new(state)),
            revision: 0,
            stored: false,
            suspension: None,
        }
    }
}

/// A step run to its end, ready to commit.
struct Prepared {
    commit: StepCommit,
    changes: Committed,
    actions: Vec<Action>,
    status: InstanceStatus,
    /// The partner calls of the step's invokes, as its outbox holds them.
    calls: Calls,
    /// The step's BPEL events, published once it is committed.
    events: Vec<crate::runtime::events::Event>,
    /// When the step ran, in ms since the Unix epoch.
    at_ms: i64,
    /// Whether the step's cleanup deletes the instance's events.
    events_deleted: bool,
    /// How many activities came to wait for an operator in the step.
    activities_failed: usize,
}

/// How a step run on a step thread ended.
enum Ran {
    Done(Box<Prepared>),
    Exceeded(Exceeded),
    Unserialisable(String),
}

/// What a step needs besides the state it runs on.
struct StepInput {
    id: i64,
    process: Arc<ProcessRuntime>,
    services: Arc<Services>,
    delivery: Delivery,
    expected_revision: i64,
    create: bool,
}

/// Runs one step of the state machine within the step budget, and prepares its commit.
fn run_step(state: &mut InstanceState, input: StepInput) -> Ran {
    let StepInput {
        id,
        process,
        services,
        delivery:
            Delivery {
                event,
                job,
                kept,
                message_id,
                ..
            },
        expected_revision,
        create,
    } = input;
    for (interceptor, values) in kept {
        state
            .interceptor_values
            .entry(interceptor)
            .or_default()
            .extend(values);
    }
    let model = &process.compiled.model;
    let opened = journal::opened(model, &event);
    let received = match (&event, message_id) {
        (Event::Message(inbound), Some(message_id)) => Some(Received {
            message_id,
            instance_id: id,
            exchange: inbound.exchange.clone(),
        }),
        _ => None,
    };
    let now_ms = super::now_ms();
    let operator = matches!(event, Event::Operator(_));
    let waiting = super::failures::waiting_for_operator(state);
    let cancellation = services.steps.start(id, &process.pid, operator, create);
    let (mut output, exceeded) =
        budget::metered(services.config.engine.step_limits(), cancellation, || {
            Machine::step(&process.compiled, state, id, now_ms, event)
        });
    services.steps.end(id);
    if let Some(exceeded) = exceeded {
        return Ran::Exceeded(exceeded);
    }
    let activities_failed = super::failures::waiting_for_operator(state).saturating_sub(waiting);
    let deletes = cleanup::on_end(&process.deployment, output.status);
    cleanup::clean_state(&deletes, state);
    let calls = Calls::of(&process, id, &output.actions, &state.interceptor_values);
    let status = store_status(output.status);
    let stores = services.instances.of(&process);
    let kept = !output.status.is_finished() || stores.keeps_ended() && !deletes.instance;
    let state_bytes = match kept {
        true => state.to_bytes(),
        false => Ok(Vec::new()),
    };
    let serialised = state_bytes.and_then(|state| Ok((state, calls.entries()?)));
    let (serialised, outbox) = match serialised {
        Ok(serialised) => serialised,
        Err(error) => return Ran::Unserialisable(error.to_string()),
    };
    let finished = output.status.is_finished();
    let suspended = output.status == InstanceStatus::Suspended;
    let failure = match suspended {
        true => Some(SUSPENDED_BY_OPERATOR.to_owned()),
        false => state.fault.as_ref().map(ToString::to_string),
    };
    let mut commit = StepCommit::new(InstanceWrite {
        id,
        status,
        state: serialised,
        failure,
        expected_revision,
        create: create.then(|| process.pid.clone()),
    });
    let process_name = process.name.to_string();
    commit.routes_added = output
        .routes
        .iter()
        .map(|route| RouteKey {
            shared: route.shared,
            ..RouteKey::new(process_name.clone(), route.key())
        })
        .collect();
    commit.clear_routes = finished;
    // An instance whose state nothing keeps keeps no journal nor correlation values either.
    if kept {
        commit.exchanges = journal::writes(model, opened, output.ended.take(), &output.actions);
        commit.correlation_values = output
            .correlated
            .iter()
            .map(|(property, value)| store::CorrelationValue {
                namespace: property.ns.clone(),
                name: property.local.clone(),
                value: value.clone(),
            })
            .collect();
    }
    let scheduled = jobs::scheduled_by(
        id,
        &process.pid,
        &output.actions,
        now_ms,
        services.config.engine.invoke_timeout_ms,
    );
    // The scheduler holds no job of an instance this step creates but those it schedules:
    // when it schedules none, its end is nothing to tell.
    let unheard = create && scheduled.is_empty();
    let changes = Committed {
        instance_id: id,
        scheduled,
        cancelled: jobs::cancelled_by(&output),
        finished: (finished || suspended) && !unheard,
    };
    commit.job_done = job;
    commit.jobs_cancelled = changes.cancelled.clone();
    commit.jobs = changes.scheduled.clone();
    commit.clear_jobs = finished || suspended;
    commit.outbox = outbox;
    commit.outbox_settled = output.settled.clone();
    commit.received = received;
    cleanup::clean_commit(&deletes, &mut commit);
    Ran::Done(Box::new(Prepared {
        commit,
        changes,
        actions: output.actions,
        status: output.status,
        calls,
        events: output.events,
        at_ms: now_ms,
        events_deleted: deletes.events || deletes.instance,
        activities_failed,
    }))
}

impl Entity for InstanceEntity {
    type Key = i64;
    type Message = Delivery;
    type Reply = Result<InstanceStatus, StepError>;

    fn handle(&mut self, delivery: Delivery) -> Step<Self::Reply> {
        let operator = matches!(delivery.event, Event::Operator(_));
        if let Some(reason) = self.suspension.as_ref().filter(|_| !operator) {
            let reply = Err(StepError::Suspended {
                instance: self.id,
                reason: reason.clone(),
            });
            return async move {
                Outcome {
                    reply,
                    next: Disposition::Continue,
                }
            }
            .boxed_local();
        }
        let input = StepInput {
            id: self.id,
            process: self.process.clone(),
            services: self.services.clone(),
            delivery,
            expected_revision: self.revision,
            create: !self.stored,
        };
        self.revision += 1;
        self.stored = true;
        let (id, process, services) = (self.id, self.process.clone(), self.services.clone());
        let create = input.create;
        let early_answer = input.delivery.early_answer;
        let state = self.state.clone();
        async move {
            let ran = services
                .step_workers
                .run(move || run_step(&mut state.lock().unwrap_or_else(PoisonError::into_inner), input))
                .await;
            let prepared = match ran {
                Ran::Done(prepared) => *prepared,
                Ran::Unserialisable(error) => {
                    return Outcome { reply: Err(StepError::Serialise(error)), next: Disposition::Reload };
                }
                Ran::Exceeded(Exceeded::Cancelled(reason)) => {
                    tracing::info!(instance = id, %reason, "Step stopped; not stored");
                    return Outcome { reply: Err(StepError::Stopped { instance: id, reason }), next: Disposition::Reload };
                }
                Ran::Exceeded(exceeded) => {
                    let reason = exceeded.to_string();
                    tracing::warn!(instance = id, pid = %process.pid, %reason, "Step stopped: over its budget; instance suspended");
                    if let Err(error) = suspend_as_committed(&services, &process, id, create, &reason).await {
                        tracing::error!(instance = id, %error, "Could not suspend the instance");
                    }
                    return Outcome { reply: Err(StepError::Suspended { instance: id, reason }), next: Disposition::Reload };
                }
            };
            let Prepared { commit, changes, actions, status, calls, events, at_ms, events_deleted, activities_failed } = prepared;
            let routes_added = !commit.routes_added.is_empty();
            let finished = status.is_finished();
            let fault = (status == InstanceStatus::Faulted)
                .then(|| commit.instance.failure.clone())
                .flatten();
            // Only a step with something to do before it is durable is answered before.
            let store = services.instances.of(&process);
            let committed = match early_answer || !calls.outgoing.is_empty() {
                true => store.commit_early(commit).await,
                false => store.commit(commit).await.map(store::Committed::durable),
            };
            match committed {
                Ok(committed) => {
                    if let Some(fault) = fault {
                        // Its caller may have had only a 202: the log is where the fault shows.
                        tracing::warn!(instance = id, pid = %process.pid, %fault, "Instance faulted");
                    }
                    process.metrics(&services.metrics).committed(create, status, activities_failed);
                    services.scheduler.committed(changes);
                    services.events.publish(&process.pid, Some(id), at_ms, events);
                    if events_deleted {
                        services.events.forget(id);
                    }
                    if routes_added {
                        services.routes_added.notify_waiters();
                    }
                    services.perform(id, &process, actions, calls, &committed.durable);
                    if !early_answer {
                        if let Err(error) = committed.durable.wait().await {
                            tracing::error!(instance = id, %error, "Step committed but not durable; instance will reload");
                            return Outcome { reply: Err(StepError::StoreUnavailable(error.to_string())), next: Disposition::Reload };
                        }
                    }
                    // After an operator's step the instance reloads, suspended or not.
                    let next = match (finished, operator) {
                        (true, _) => Disposition::Finished,
                        (false, true) => Disposition::Reload,
                        (false, false) => Disposition::Continue,
                    };
                    Outcome { reply: Ok(status), next }
                }
                Err(store::Error::DuplicateRoute { key, owner, .. }) => {
                    tracing::warn!(instance = id, %key, owner, "Step not committed: its correlation values are another instance's");
                    Outcome { reply: Err(StepError::CorrelationTaken { key, owner }), next: Disposition::Reload }
                }
                Err(error @ store::Error::JobGone { .. }) => {
                    tracing::debug!(instance = id, %error, "Step not committed: its job has run; instance will reload");
                    Outcome { reply: Err(StepError::JobGone(error.to_string())), next: Disposition::Reload }
                }
                Err(error) => {
                    tracing::error!(instance = id, %error, "Step not committed; instance will reload");
                    let reply = match error {
                        store::Error::Unavailable(_) => StepError::StoreUnavailable(error.to_string()),
                        _ => StepError::Store(error.to_string()),
                    };
                    Outcome { reply: Err(reply), next: Disposition::Reload }
                }
            }
        }
        .boxed_local()
    }
}

/// Stores instance `id` suspended for `reason`, in its state as last committed (its initial
/// state when it was never stored: `create`), without its jobs.
async fn suspend_as_committed(
    services: &Services,
    process: &ProcessRuntime,
    id: i64,
    create: bool,
    reason: &str,
) -> Result<(), StepError> {
    let store = services.instances.of(process);
    let model = &process.compiled.model;
    let (mut state, revision) = match create {
        true => (InstanceState::for_process(model), 0),
        false => {
            let record = store
                .load_instance(id)
                .await
                .map_err(|error| StepError::Store(error.to_string()))?
                .ok_or_else(|| StepError::Store(format!("instance {id} is not stored")))?;
            let state = InstanceState::from_bytes(&record.state)
                .map_err(|error| StepError::Serialise(error.to_string()))?;
            (state, record.revision)
        }
    };
    let suspend = Event::Operator(OperatorAction::Suspend);
    Machine::step(&process.compiled, &mut state, id, super::now_ms(), suspend);
    let serialised = state
        .to_bytes()
        .map_err(|error| StepError::Serialise(error.to_string()))?;
    let mut commit = StepCommit::new(InstanceWrite {
        id,
        status: store::InstanceStatus::Suspended,
        state: serialised,
        failure: Some(reason.to_owned()),
        expected_revision: revision,
        create: create.then(|| process.pid.clone()),
    });
    commit.clear_jobs = true;
    store
        .commit(commit)
        .await
        .map_err(|error| StepError::Store(error.to_string()))?;
    services.scheduler.committed(Committed {
        instance_id: id,
        finished: true,
        ..Committed::default()
    });
    Ok(())
}

fn store_status(status: InstanceStatus) -> store::InstanceStatus {
    match status {
        InstanceStatus::Running => store::InstanceStatus::Running,
        InstanceStatus::Completed => store::InstanceStatus::Completed,
        InstanceStatus::Faulted => store::InstanceStatus::Faulted,
        InstanceStatus::Terminated => store::InstanceStatus::Terminated,
        InstanceStatus::Suspended => store::InstanceStatus::Suspended,
    }
}

/// Loads instances of one process version from the store, and records their failures.
pub struct InstanceKeeper {
    pub process: Arc<ProcessRuntime>,
    pub services: Arc<Services>,
}

/// Why an instance could not be brought back from the store.
#[derive(Debug, thiserror::Error)]
pub enum HydrationError {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("instance {0} does not exist")]
    Missing(i64),
    #[error("instance {id} belongs to {owner}, not {pid}")]
    OtherProcess { id: i64, owner: String, pid: String },
    #[error("instance {id} is {status}")]
    Ended {
        id: i64,
        status: store::InstanceStatus,
    },
    #[error("instance {id} has unreadable state: {source}")]
    Unreadable { id: i64, source: EncodingError },
}

impl Keeper<InstanceEntity> for InstanceKeeper {
    type Error = HydrationError;

    fn hydrate(&self, id: i64) -> LocalBoxFuture<'static, Result<InstanceEntity, HydrationError>> {
        let (process, services) = (self.process.clone(), self.services.clone());
        async move {
            let record = services
                .instances
                .of(&process)
                .load_instance(id)
                .await?
                .ok_or(HydrationError::Missing(id))?;
            if record.pid != process.pid {
                return Err(HydrationError::OtherProcess {
                    id,
                    owner: record.pid,
                    pid: process.pid.clone(),
                });
            }
            if !matches!(
                record.status,
                store::InstanceStatus::Running | store::InstanceStatus::Suspended
            ) {
                return Err(HydrationError::Ended {
                    id,
                    status: record.status,
                });
            }
            let state = InstanceState::from_bytes(&record.state)
                .map_err(|source| HydrationError::Unreadable { id, source })?;
            process.metrics(&services.metrics).hydrated();
            Ok(InstanceEntity {
                id,
                process,
                services,
                state: Arc::new(Mutex::new(state)),
                revision: record.revision,
                stored: true,
                suspension: (record.status == store::InstanceStatus::Suspended)
                    .then(|| record.failure.unwrap_or_default()),
            })
        }
        .boxed_local()
    }

    fn failed(&self, id: i64, reason: String) -> LocalBoxFuture<'static, ()> {
        let (process, services) = (self.process.clone(), self.services.clone());
        async move {
            let store = services.instances.of(&process);
            match store.mark_failed(id, &reason).await {
                Ok(()) => process.metrics(&services.metrics).failed(),
                Err(error) => {
                    tracing::error!(instance = id, %error, "Could not record the instance's failure")
                }
            }
        }
        .boxed_local()
    }
}

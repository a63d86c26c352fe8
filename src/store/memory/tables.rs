//! The tables of the memory store: plain maps, changed only under the store's lock, so that a
//! step commit checks everything first and then applies all of it or nothing.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::SystemTime;

use crate::store::{
    CorrelationValue, DeploymentRecord, DeploymentSummary, Error, ExchangeDirection,
    ExchangeRecord, ExchangeStatus, InstanceFilter, InstanceOrderKey, InstancePosition,
    InstanceRecord, InstanceStatus, InstanceSummary, Job, JobKey, JobKind, OutboxEntry,
    ProcessRecord, ProcessState, Received, Result, RouteKey, RouteOwner, StepCommit,
};

/// An instance purged from memory, and the callers it leaves without a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgedInstance {
    pub id: i64,
    pub pid: String,
    /// The ids of its inbound exchanges still waiting for a reply.
    pub unanswered: Vec<String>,
}

/// One instance with what it owns.
struct Instance {
    record: InstanceRecord,
    routes: BTreeSet<RouteKey>,
    /// By exchange id; oldest first when sorted by creation.
    exchanges: BTreeMap<String, (u64, ExchangeRecord)>,
    /// The instance's jobs (its timers and invoke time-outs), with when each is due.
    jobs: BTreeMap<JobKey, i64>,
    /// The ids of the messages it took.
    received: Vec<String>,
    /// The values of its correlation properties.
    correlation_values: Vec<CorrelationValue>,
}

impl Instance {
    fn summary(&self) -> InstanceSummary {
        let record = &self.record;
        InstanceSummary {
            id: record.id,
            pid: record.pid.clone(),
            status: record.status,
            failure: record.failure.clone(),
            revision: record.revision,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }

    /// Its exchanges that `keep` selects, oldest first.
    fn exchanges(&self, keep: impl Fn(&ExchangeRecord) -> bool) -> Vec<ExchangeRecord> {
        let mut chosen: Vec<&(u64, ExchangeRecord)> = self
            .exchanges
            .values()
            .filter(|(_, exchange)| keep(exchange))
            .collect();
        chosen.sort_by_key(|(created, _)| *created);
        chosen
            .into_iter()
            .map(|(_, exchange)| exchange.clone())
            .collect()
    }
}

/// Everything the memory store holds.
#[derive(Default)]
pub(super) struct Tables {
    deployments: BTreeMap<(String, i64), DeploymentRecord>,
    processes: BTreeMap<String, ProcessRecord>,
    instances: HashMap<i64, Instance>,
    /// Route (as [`owned`] keys it) → the instance owning it.
    routes: HashMap<RouteKey, i64>,
    /// Exchange id → the instance it belongs to.
    exchanges: HashMap<String, i64>,
    /// Counts insertions, to order instances and exchanges by age.
    inserted: u64,
    /// The messages instances send, by message id; kept when their sender ends.
    outbox: BTreeMap<String, OutboxEntry>,
    /// The messages living instances took, by message id.
    received: HashMap<String, Received>,
}

impl Tables {
    pub(super) fn save_deployment(&mut self, deployment: DeploymentRecord) -> Result<()> {
        let key = (deployment.name.clone(), deployment.version);
        if self.deployments.contains_key(&key) {
            return Err(Error::Duplicate {
                entity: "deployment",
                key: format!("{} version {}", key.0, key.1),
            });
        }
        self.deployments.insert(key, deployment);
        Ok(())
    }

    pub(super) fn list_deployments(&self) -> Vec<DeploymentSummary> {
        self.deployments
            .values()
            .map(|deployment| DeploymentSummary {
                name: deployment.name.clone(),
                version: deployment.version,
                checksum: deployment.checksum.clone(),
                deployed_at: deployment.deployed_at,
                undeployed: deployment.undeployed,
            })
            .collect()
    }

    pub(super) fn load_deployment(&self, name: &str, version: i64) -> Option<DeploymentRecord> {
        self.deployments.get(&(name.to_owned(), version)).cloned()
    }

    pub(super) fn mark_version_undeployed(&mut self, name: &str, version: i64) -> u64 {
        match self.deployments.get_mut(&(name.to_owned(), version)) {
            Some(deployment) if !deployment.undeployed => {
                deployment.undeployed = true;
                1
            }
            _ => 0,
        }
    }

    pub(super) fn mark_undeployed(&mut self, name: &str) -> u64 {
        let mut marked = 0;
        for deployment in self.deployments.values_mut() {
            if deployment.name == name && !deployment.undeployed {
                deployment.undeployed = true;
                marked += 1;
            }
        }
        marked
    }

    pub(super) fn save_process(&mut self, process: ProcessRecord) -> Result<()> {
        if self.processes.contains_key(&process.pid) {
            return Err(Error::Duplicate {
                entity: "process",
                key: process.pid,
            });
        }
        let deployment = (process.deployment.clone(), process.version);
        if !self.deployments.contains_key(&deployment) {
            return Err(Error::NotFound {
                entity: "deployment",
                key: format!("{} version {}", deployment.0, deployment.1),
            });
        }
        self.processes.insert(process.pid.clone(), process);
        Ok(())
    }

    pub(super) fn list_processes(&self) -> Vec<ProcessRecord> {
        let mut processes: Vec<ProcessRecord> = self.processes.values().cloned().collect();
        processes.sort_by(|a, b| (a.version, &a.pid).cmp(&(b.version, &b.pid)));
        processes
    }

    pub(super) fn set_process_state(&mut self, pid: &str, state: ProcessState) -> Result<()> {
        let process = self.processes.get_mut(pid).ok_or_else(|| Error::NotFound {
            entity: "process",
            key: pid.to_owned(),
        })?;
        process.state = state;
        Ok(())
    }

    /// Inserts a running instance `id` of `pid` with empty state at revision 0.
    pub(super) fn create_instance(&mut self, id: i64, pid: &str) {
        let now = SystemTime::now();
        let instance = Instance {
            record: InstanceRecord {
                id,
                pid: pid.to_owned(),
                status: InstanceStatus::Running,
                state: Vec::new(),
                failure: None,
                revision: 0,
                created_at: now,
                updated_at: now,
            },
            routes: BTreeSet::new(),
            exchanges: BTreeMap::new(),
            jobs: BTreeMap::new(),
            received: Vec::new(),
            correlation_values: Vec::new(),
        };
        self.instances.insert(id, instance);
    }

    pub(super) fn load_instance(&self, id: i64) -> Option<InstanceRecord> {
        self.instances
            .get(&id)
            .map(|instance| instance.record.clone())
    }

    pub(super) fn list_instances(&self, filter: &InstanceFilter) -> Vec<InstanceSummary> {
        let mut chosen: Vec<(InstancePosition, InstanceSummary)> = self
            .instances
            .values()
            .filter(|instance| {
                let values = &instance.correlation_values;
                filter.correlations.iter().all(|c| c.accepts(values))
            })
            .map(Instance::summary)
            .filter(|summary| filter.selects(summary))
            .map(|summary| (InstancePosition::of(&summary), summary))
            .filter(|(position, _)| {
                let after = filter.after.as_ref();
                after.is_none_or(|after| ordering(filter, position, after).is_gt())
            })
            .collect();
        chosen.sort_by(|(a, _), (b, _)| ordering(filter, a, b));
        let limit = filter.limit.map_or(usize::MAX, |limit| limit as usize);
        chosen
            .into_iter()
            .take(limit)
            .map(|(_, summary)| summary)
            .collect()
    }

    /// Applies `step` whole, or fails without changing anything. A step that finishes its
    /// instance, or deletes it, removes it with its routes and exchanges.
    pub(super) fn commit(&mut self, step: StepCommit) -> Result<i64> {
        self.check(&step)?;
        let write = step.instance;
        let id = write.id;
        if let Some(pid) = &write.create {
            self.create_instance(id, pid);
        }
        let now = SystemTime::now();
        self.inserted += 1;
        let inserted = self.inserted;
        let instance = self.instances.get_mut(&id).expect("checked above");
        instance.record.status = write.status;
        instance.record.state = write.state;
        instance.record.failure = write.failure;
        instance.record.revision += 1;
        instance.record.updated_at = now;
        let revision = instance.record.revision;
        for route in step.routes_removed {
            let route = owned(&route);
            if instance.routes.remove(&route) {
                self.routes.remove(&route);
            }
        }
        for route in step.routes_added {
            let route = owned(&route);
            if *self.routes.entry(route.clone()).or_insert(id) == id {
                instance.routes.insert(route);
            }
        }
        if step.clear_routes {
            for route in std::mem::take(&mut instance.routes) {
                self.routes.remove(&route);
            }
        }
        for change in step.exchanges {
            self.exchanges.insert(change.id.clone(), id);
            let (_, exchange) = instance
                .exchanges
                .entry(change.id.clone())
                .or_insert_with(|| {
                    (
                        inserted,
                        ExchangeRecord {
                            id: change.id.clone(),
                            instance_id: id,
                            partner_link: change.partner_link.clone(),
                            operation: change.operation.clone(),
                            direction: change.direction,
                            status: change.status,
                            request: None,
                            response: None,
                            created_at: now,
                        },
                    )
                });
            exchange.status = change.status;
            if change.request.is_some() {
                exchange.request = change.request;
            }
            if change.response.is_some() {
                exchange.response = change.response;
            }
        }
        if let Some(done) = &step.job_done {
            instance.jobs.remove(done);
        }
        for cancelled in &step.jobs_cancelled {
            instance.jobs.remove(cancelled);
        }
        for job in step.jobs {
            instance.jobs.entry(job.job).or_insert(job.due_ms);
        }
        if step.clear_jobs {
            instance.jobs.clear();
        }
        if let Some(received) = step.received {
            instance.received.push(received.message_id.clone());
            self.received.insert(received.message_id.clone(), received);
        }
        instance.correlation_values.extend(step.correlation_values);
        if step.delete_correlation_values {
            instance.correlation_values.clear();
        }
        for exchange in &step.outbox_settled {
            self.outbox
                .retain(|_, entry| entry.instance_id != id || &entry.exchange != exchange);
        }
        for entry in step.outbox {
            self.outbox.insert(entry.message_id.clone(), entry);
        }
        if step.delete_exchanges {
            for exchange in std::mem::take(&mut instance.exchanges).into_keys() {
                self.exchanges.remove(&exchange);
            }
        }
        if ended(write.status) || step.delete_instance {
            self.remove(id);
        }
        Ok(revision)
    }

    /// At most `limit` jobs due at or before `until_ms`, soonest first.
    pub(super) fn due_jobs(&self, until_ms: i64, limit: u32) -> Vec<Job> {
        let mut due: Vec<Job> = self.jobs(|_, due_ms| due_ms <= until_ms).collect();
        due.sort_by_key(|job| (job.due_ms, job.instance_id));
        due.truncate(limit as usize);
        due
    }

    /// Every job of `kind`, by instance.
    pub(super) fn jobs_of_kind(&self, kind: JobKind) -> Vec<Job> {
        let mut jobs: Vec<Job> = self.jobs(|job, _| job.kind == kind).collect();
        jobs.sort_by_key(|job| job.instance_id);
        jobs
    }

    /// The jobs of every instance that `wanted` picks.
    fn jobs(&self, wanted: impl Fn(&JobKey, i64) -> bool) -> impl Iterator<Item = Job> {
        let mut picked = Vec::new();
        for (id, instance) in &self.instances {
            for (job, due_ms) in &instance.jobs {
                if wanted(job, *due_ms) {
                    picked.push(Job {
                        instance_id: *id,
                        pid: instance.record.pid.clone(),
                        job: job.clone(),
                        due_ms: *due_ms,
                    });
                }
            }
        }
        picked.into_iter()
    }

    /// Why `step` cannot be applied, if it cannot.
    fn check(&self, step: &StepCommit) -> Result<()> {
        let write = &step.instance;
        let id = write.id;
        if let (Some(done), Some(instance)) = (&step.job_done, self.instances.get(&id)) {
            if !instance.jobs.contains_key(done) {
                return Err(done.gone(id));
            }
        }
        match (&write.create, self.instances.get(&id)) {
            (Some(_), Some(_)) => {
                return Err(Error::Duplicate {
                    entity: "instance",
                    key: id.to_string(),
                })
            }
            (None, None) => {
                return Err(Error::NotFound {
                    entity: "instance",
                    key: id.to_string(),
                })
            }
            (None, Some(instance)) if instance.record.revision != write.expected_revision => {
                return Err(Error::Conflict {
                    id,
                    expected: write.expected_revision,
                    actual: instance.record.revision,
                })
            }
            _ => {}
        }
        for route in &step.routes_added {
            match self.routes.get(&owned(route)) {
                Some(&owner) if owner != id && !route.shared => {
                    return Err(Error::DuplicateRoute {
                        process: route.process.clone(),
                        key: route.key.clone(),
                        owner,
                    })
                }
                _ => {}
            }
        }
        if let Some(received) = &step.received {
            if self.received.contains_key(&received.message_id) {
                return Err(Error::Duplicate {
                    entity: "received message",
                    key: received.message_id.clone(),
                });
            }
        }
        for exchange in &step.exchanges {
            if self
                .exchanges
                .get(&exchange.id)
                .is_some_and(|&owner| owner != id)
            {
                return Err(Error::Duplicate {
                    entity: "message exchange",
                    key: exchange.id.clone(),
                });
            }
        }
        Ok(())
    }

    pub(super) fn find_route(&self, process: &str, key: &str) -> Option<RouteOwner> {
        let owner = *self.routes.get(&RouteKey::new(process, key))?;
        let instance = self.instances.get(&owner)?;
        Some(RouteOwner {
            instance: owner,
            pid: instance.record.pid.clone(),
        })
    }

    /// Forgets a running instance that failed: it can no longer run, and nothing is kept of
    /// an instance that ended.
    pub(super) fn mark_failed(&mut self, id: i64) -> Result<()> {
        let running = self
            .instances
            .get(&id)
            .is_some_and(|instance| instance.record.status == InstanceStatus::Running);
        if !running {
            return Err(Error::NotFound {
                entity: "running instance",
                key: id.to_string(),
            });
        }
        self.remove(id);
        Ok(())
    }

    pub(super) fn instance_routes(&self, id: i64) -> Vec<RouteKey> {
        self.instances
            .get(&id)
            .map(|instance| instance.routes.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub(super) fn exchanges(&self, id: i64, pending_only: bool) -> Vec<ExchangeRecord> {
        self.instances
            .get(&id)
            .map(|instance| {
                instance.exchanges(|exchange| {
                    !pending_only || exchange.status == ExchangeStatus::Pending
                })
            })
            .unwrap_or_default()
    }

    /// Removes every instance whose record `doomed` selects, with its routes and exchanges.
    pub(super) fn purge(
        &mut self,
        doomed: impl Fn(&InstanceRecord) -> bool,
    ) -> Vec<PurgedInstance> {
        let expired: Vec<i64> = self
            .instances
            .values()
            .filter(|instance| doomed(&instance.record))
            .map(|instance| instance.record.id)
            .collect();
        expired
            .into_iter()
            .filter_map(|id| self.remove(id))
            .map(|instance| PurgedInstance {
                id: instance.record.id,
                pid: instance.record.pid.clone(),
                unanswered: instance
                    .exchanges(|exchange| {
                        exchange.direction == ExchangeDirection::In
                            && exchange.status == ExchangeStatus::Pending
                    })
                    .into_iter()
                    .map(|exchange| exchange.id)
                    .collect(),
            })
            .collect()
    }

    /// Removes instance `id` with its routes and exchanges.
    fn remove(&mut self, id: i64) -> Option<Instance> {
        let instance = self.instances.remove(&id)?;
        for route in &instance.routes {
            self.routes.remove(route);
        }
        for exchange in instance.exchanges.keys() {
            self.exchanges.remove(exchange);
        }
        for message in &instance.received {
            self.received.remove(message);
        }
        Some(instance)
    }

    /// Every outbox entry, by instance then message id.
    pub(super) fn outbox(&self) -> Vec<OutboxEntry> {
        let mut entries: Vec<OutboxEntry> = self.outbox.values().cloned().collect();
        entries.sort_by(|a, b| (a.instance_id, &a.message_id).cmp(&(b.instance_id, &b.message_id)));
        entries
    }

    pub(super) fn delivered(&mut self, message_id: &str) {
        self.outbox.remove(message_id);
    }

    pub(super) fn received(&self, message_id: &str) -> Option<Received> {
        self.received.get(message_id).cloned()
    }
}

/// `route` as the tables key it: by process and key alone, whether it was added as shared or
/// not, so that a route has one owner and is found by its key.
fn owned(route: &RouteKey) -> RouteKey {
    RouteKey::new(route.process.clone(), route.key.clone())
}

/// How instances at `a` and `b` compare in `filter`'s order: by its keys, then newest first
/// (instance ids of this store do not grow with time).
fn ordering(filter: &InstanceFilter, a: &InstancePosition, b: &InstancePosition) -> Ordering {
    let by_keys = filter.order.iter().map(|order| {
        let ordering = compare(&order.key, a, b);
        if order.descending {
            ordering.reverse()
        } else {
            ordering
        }
    });
    by_keys
        .fold(Ordering::Equal, Ordering::then)
        .then(b.created_at.cmp(&a.created_at))
        .then(b.id.cmp(&a.id))
}

/// How instances at `a` and `b` compare by `key`.
fn compare(key: &InstanceOrderKey, a: &InstancePosition, b: &InstancePosition) -> Ordering {
    match key {
        InstanceOrderKey::Id => a.id.cmp(&b.id),
        InstanceOrderKey::Pid => a.pid.cmp(&b.pid),
        InstanceOrderKey::Status => a.status.as_str().cmp(b.status.as_str()),
        InstanceOrderKey::Created => a.created_at.cmp(&b.created_at),
        InstanceOrderKey::Updated => a.updated_at.cmp(&b.updated_at),
        InstanceOrderKey::ProcessRank(pids) => {
            let rank = |pid: &String| pids.iter().position(|p| p == pid).unwrap_or(pids.len());
            rank(&a.pid).cmp(&rank(&b.pid))
        }
    }
}

/// Whether an instance with `status` has ended: not running, and not suspended until an
/// operator resumes or terminates it.
fn ended(status: InstanceStatus) -> bool {
    !matches!(status, InstanceStatus::Running | InstanceStatus::Suspended)
}

//! A batch of steps written with a fixed number of statements, whatever its size: one
//! statement per kind of write (the instances created, the instances updated, their routes,
//! exchanges, jobs, outbox, ...), each carrying the rows of every step. Writing step after
//! step costs a round trip to the database per row instead, which under load is most of what
//! a durable step costs.
//!
//! The statements run in the order one step's writes run in (`steps::apply`), so the batch
//! stores what the steps would store one after another, in some order, when every row lands
//! where it should. What a step could be refused for is checked by counting: every
//! instance updated on its revision, every job run found, every route and exchange written.
//! When a count is off or a statement fails, [`write`] answers `false` and the caller rolls
//! the transaction back and writes the batch step by step, where each refusal is told apart.
//! Only batches of distinct instances, on a database that understands `INSERT ... ON
//! CONFLICT` ([`Dialect::ON_CONFLICT`]), come this way.

use super::dialect::{Dialect, Statement, Value};
use crate::store::time::now_millis;
use crate::store::{Result, StepCommit};

/// The most values one statement binds (SQLite allows 32,766, PostgreSQL 65,535).
const MOST_VALUES: usize = 30_000;

/// Whether `steps` can be written with [`write`] on dialect `D`: no two of them are of the
/// same instance.
pub(super) fn fits<D: Dialect>(steps: &[StepCommit]) -> bool {
    if !D::ON_CONFLICT {
        return false;
    }
    let mut ids: Vec<i64> = steps.iter().map(|step| step.instance.id).collect();
    ids.sort_unstable();
    ids.windows(2).all(|pair| pair[0] != pair[1])
}

/// Writes `steps` on `conn`, inside the caller's transaction; `Ok(false)` when a step may be
/// refused (the caller rolls back and writes them step by step), an error when the database
/// failed.
pub(super) async fn write<D: Dialect>(
    conn: &mut D::Connection,
    steps: &[StepCommit],
) -> Result<bool> {
    for statement in statements(steps, now_millis()) {
        let mut written = 0;
        for chunk in statement.rows.statements::<D>() {
            match chunk.execute::<D>(conn).await {
                Ok(done) => written += done.rows,
                Err(_) => return Ok(false),
            }
        }
        if statement
            .expected
            .is_some_and(|expected| written != expected)
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// One statement of the batch, with how many rows it must write if it is checked.
struct Checked<'a> {
    rows: Rows<'a>,
    expected: Option<u64>,
}

/// The statements writing `steps`, in the order of one step's writes; kinds without rows are
/// left out.
fn statements<'a>(steps: &'a [StepCommit], now: i64) -> Vec<Checked<'a>> {
    let mut all = Vec::new();
    let mut push = |rows: Rows<'a>, checked: bool| {
        if !rows.is_empty() {
            let expected = checked.then_some(rows.count as u64);
            all.push(Checked { rows, expected });
        }
    };
    let jobs_done = Rows::new(
        "DELETE FROM baton_jobs WHERE (instance_id, kind, job_key) IN (VALUES ",
        ")",
    )
    .extend(steps.iter().filter_map(|step| {
        let job = step.job_done.as_ref()?;
        Some(vec![
            step.instance.id.into(),
            job.kind.as_str().into(),
            (&job.key).into(),
        ])
    }));
    push(jobs_done, true);
    let created = Rows::new(
        "INSERT INTO baton_instances \
         (id, pid, status, state, failure, revision, created_at, updated_at) VALUES ",
        "",
    )
    .extend(steps.iter().filter_map(|step| {
        let write = &step.instance;
        let pid = write.create.as_ref()?;
        Some(vec![
            write.id.into(),
            pid.into(),
            write.status.as_str().into(),
            (&write.state).into(),
            (&write.failure).into(),
            1_i64.into(),
            now.into(),
            now.into(),
        ])
    }));
    push(created, true);
    let updated = Rows::new(
        "UPDATE baton_instances SET status = v.column2, state = v.column3, \
         failure = v.column4, revision = revision + 1, updated_at = v.column5 FROM (VALUES ",
        ") AS v WHERE baton_instances.id = v.column1 AND baton_instances.revision = v.column6",
    )
    .extend(
        steps
            .iter()
            .filter(|step| step.instance.create.is_none())
            .map(|step| {
                let write = &step.instance;
                vec![
                    write.id.into(),
                    write.status.as_str().into(),
                    (&write.state).into(),
                    (&write.failure).into(),
                    now.into(),
                    write.expected_revision.into(),
                ]
            }),
    );
    push(updated, true);
    let received = Rows::new(
        "INSERT INTO baton_received (message_id, instance_id, exchange_id) VALUES ",
        "",
    )
    .extend(steps.iter().filter_map(|step| {
        let received = step.received.as_ref()?;
        Some(vec![
            (&received.message_id).into(),
            received.instance_id.into(),
            (&received.exchange).into(),
        ])
    }));
    push(received, true);
    let routes_removed = Rows::new(
        "DELETE FROM baton_routes WHERE (process_name, route_key, instance_id) IN (VALUES ",
        ")",
    )
    .extend(steps.iter().flat_map(|step| {
        step.routes_removed.iter().map(|route| {
            vec![
                (&route.process).into(),
                (&route.key).into(),
                step.instance.id.into(),
            ]
        })
    }));
    push(routes_removed, false);
    let routes_added = Rows::new(
        "INSERT INTO baton_routes (process_name, route_key, instance_id) VALUES ",
        " ON CONFLICT (process_name, route_key) DO NOTHING",
    )
    .extend(steps.iter().flat_map(|step| {
        step.routes_added.iter().map(|route| {
            vec![
                (&route.process).into(),
                (&route.key).into(),
                step.instance.id.into(),
            ]
        })
    }));
    push(routes_added, true);
    push(
        of_instances(
            "DELETE FROM baton_routes WHERE instance_id IN (",
            steps.iter().filter(|step| step.clears_stored_routes()),
        ),
        false,
    );
    let exchanges = Rows::new(
        "INSERT INTO baton_exchanges \
         (id, instance_id, partner_link, operation, direction, status, request, response, \
          created_at) VALUES ",
        " ON CONFLICT (id) DO UPDATE SET \
         status = excluded.status, \
         request = COALESCE(excluded.request, baton_exchanges.request), \
         response = COALESCE(excluded.response, baton_exchanges.response) \
         WHERE baton_exchanges.instance_id = excluded.instance_id",
    )
    .extend(steps.iter().flat_map(|step| {
        step.exchanges.iter().map(move |exchange| {
            vec![
                (&exchange.id).into(),
                step.instance.id.into(),
                (&exchange.partner_link).into(),
                (&exchange.operation).into(),
                exchange.direction.as_str().into(),
                exchange.status.as_str().into(),
                (&exchange.request).into(),
                (&exchange.response).into(),
                now.into(),
            ]
        })
    }));
    push(exchanges, true);
    let jobs_cancelled = Rows::new(
        "DELETE FROM baton_jobs WHERE (instance_id, kind, job_key) IN (VALUES ",
        ")",
    )
    .extend(steps.iter().flat_map(|step| {
        step.jobs_cancelled.iter().map(|job| {
            vec![
                step.instance.id.into(),
                job.kind.as_str().into(),
                (&job.key).into(),
            ]
        })
    }));
    push(jobs_cancelled, false);
    let jobs = Rows::new(
        "INSERT INTO baton_jobs (instance_id, kind, job_key, pid, due_ms) VALUES ",
        " ON CONFLICT (instance_id, kind, job_key) DO NOTHING",
    )
    .extend(steps.iter().flat_map(|step| {
        step.jobs.iter().map(|job| {
            vec![
                job.instance_id.into(),
                job.job.kind.as_str().into(),
                (&job.job.key).into(),
                (&job.pid).into(),
                job.due_ms.into(),
            ]
        })
    }));
    push(jobs, false);
    push(
        of_instances(
            "DELETE FROM baton_jobs WHERE instance_id IN (",
            steps.iter().filter(|step| step.clears_stored_jobs()),
        ),
        false,
    );
    let settled = Rows::new(
        "DELETE FROM baton_outbox WHERE (instance_id, exchange_id) IN (VALUES ",
        ")",
    )
    .extend(steps.iter().flat_map(|step| {
        step.outbox_settled
            .iter()
            .map(|exchange| vec![step.instance.id.into(), exchange.into()])
    }));
    push(settled, false);
    let outbox = Rows::new(
        "INSERT INTO baton_outbox (message_id, instance_id, pid, exchange_id, payload) VALUES ",
        "",
    )
    .extend(steps.iter().flat_map(|step| {
        step.outbox.iter().map(|entry| {
            vec![
                (&entry.message_id).into(),
                entry.instance_id.into(),
                (&entry.pid).into(),
                (&entry.exchange).into(),
                (&entry.call).into(),
            ]
        })
    }));
    push(outbox, true);
    push(
        of_instances(
            "DELETE FROM baton_exchanges WHERE instance_id IN (",
            steps
                .iter()
                .filter(|step| step.delete_exchanges || step.delete_instance),
        ),
        false,
    );
    let deleted = || steps.iter().filter(|step| step.delete_instance);
    for head in [
        "DELETE FROM baton_routes WHERE instance_id IN (",
        "DELETE FROM baton_jobs WHERE instance_id IN (",
        "DELETE FROM baton_instances WHERE id IN (",
    ] {
        push(of_instances(head, deleted()), false);
    }
    all
}

/// A list of the ids of the instances of `steps`, closing `head`.
fn of_instances<'a>(head: &'static str, steps: impl Iterator<Item = &'a StepCommit>) -> Rows<'a> {
    Rows::new(head, ")").extend(steps.map(|step| vec![step.instance.id.into()]))
}

/// The rows of one statement: `head`, then a parenthesised list of placeholders per row,
/// comma-separated, then `tail`.
struct Rows<'a> {
    head: &'static str,
    tail: &'static str,
    values: Vec<Value<'a>>,
    width: usize,
    count: usize,
}

impl<'a> Rows<'a> {
    fn new(head: &'static str, tail: &'static str) -> Self {
        Rows {
            head,
            tail,
            values: Vec::new(),
            width: 0,
            count: 0,
        }
    }

    /// These rows and `rows`, all of one width.
    fn extend(mut self, rows: impl Iterator<Item = Vec<Value<'a>>>) -> Self {
        for row in rows {
            self.width = row.len();
            self.values.extend(row);
            self.count += 1;
        }
        self
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The statements in `D`'s form, each binding at most [`MOST_VALUES`] values.
    fn statements<D: Dialect>(&self) -> impl Iterator<Item = Statement<'a>> + '_ {
        let placeholders = format!("({})", vec!["?"; self.width].join(", "));
        let rows_each = (MOST_VALUES / self.width.max(1)).max(1);
        self.values
            .chunks(rows_each * self.width.max(1))
            .map(move |chunk| {
                let rows = chunk.len() / self.width.max(1);
                let mut sql = String::with_capacity(
                    self.head.len() + self.tail.len() + rows * (placeholders.len() + 2),
                );
                sql.push_str(self.head);
                for row in 0..rows {
                    if row > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&placeholders);
                }
                sql.push_str(self.tail);
                chunk
                    .iter()
                    .fold(Statement::built::<D>(sql), |statement, value| {
                        statement.bind(*value)
                    })
            })
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Sqlite;

    use super::*;
    use crate::store::tests::{deployment, process, step};
    use crate::store::{
        Deployments, ExchangeDirection, ExchangeStatus, ExchangeWrite, Inspection, InstanceStatus,
        Instances, Job, JobKey, JobKind, Jobs, RouteKey, SqliteStore,
    };

    /// A step creating instance `id` of `pid` with a route, an exchange and a job of its own.
    fn creating(id: i64, pid: &str) -> StepCommit {
        let mut first = step(id, 0, InstanceStatus::Running, b"born");
        first.instance.create = Some(pid.to_owned());
        first.routes_added = vec![RouteKey::new("{urn:test}orders", format!("order-{id}"))];
        first.exchanges = vec![ExchangeWrite {
            id: format!("exchange-{id}"),
            partner_link: "client".into(),
            operation: "order".into(),
            direction: ExchangeDirection::In,
            status: ExchangeStatus::Pending,
            request: Some(b"<order/>".to_vec()),
            response: None,
        }];
        first.jobs = vec![Job {
            instance_id: id,
            pid: pid.to_owned(),
            job: JobKey::new(JobKind::Timer, "1"),
            due_ms: 1_000,
        }];
        first
    }

    #[tokio::test]
    async fn a_batch_of_distinct_instances_is_written_whole_and_a_refusable_one_is_not() {
        let store = SqliteStore::in_memory().await.unwrap();
        store
            .save_deployment(deployment("orders", 1))
            .await
            .unwrap();
        let pid = process("orders", 1).pid;
        store.save_process(process("orders", 1)).await.unwrap();
        let mut conn = store.pool.acquire().await.unwrap();

        let born = [creating(1, &pid), creating(2, &pid)];
        assert!(fits::<Sqlite>(&born));
        assert!(write::<Sqlite>(&mut conn, &born).await.unwrap());
        let mut next = [1, 2].map(|id| step(id, 1, InstanceStatus::Completed, b"done"));
        next[0].job_done = Some(JobKey::new(JobKind::Timer, "1"));
        next[1].clear_jobs = true;
        assert!(write::<Sqlite>(&mut conn, &next).await.unwrap());
        drop(conn);
        for id in [1, 2] {
            let instance = store.load_instance(id).await.unwrap().unwrap();
            assert_eq!((instance.revision, instance.state), (2, b"done".to_vec()));
            assert_eq!(store.exchanges(id).await.unwrap().len(), 1);
            assert_eq!(store.instance_routes(id).await.unwrap().len(), 1);
        }
        assert!(store.due_jobs(i64::MAX, 10).await.unwrap().is_empty());

        let stale = [step(1, 1, InstanceStatus::Running, b"stale")];
        let mut clash = creating(3, &pid);
        clash.routes_added = vec![RouteKey::new("{urn:test}orders", "order-1")];
        for refusable in [&stale[..], &[clash]] {
            let mut tx = store.pool.begin().await.unwrap();
            assert!(!write::<Sqlite>(&mut tx, refusable).await.unwrap());
            tx.rollback().await.unwrap();
        }
        assert!(!fits::<Sqlite>(&[creating(4, &pid), creating(4, &pid)]));
    }
}

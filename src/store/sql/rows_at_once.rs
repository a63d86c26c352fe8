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
use super::{correlation, delivery, exchanges, instances, jobs};
use crate::store::time::now_millis;
use crate::store::{JobKey, Result, RouteKey, StepCommit};

/// The most values one statement binds (SQLite allows 32,766, PostgreSQL 65,535).
const MOST_VALUES: usize = 30_000;

/// Whether `steps` can be written with [`write`] on dialect `D`: no two of them are of the
/// same instance.
pub(in crate::store) fn fits<D: Dialect>(steps: &[StepCommit]) -> bool {
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

/// [`write`] for a connection driven directly rather than through sqlx: `execute` runs a
/// statement (in SQLite's form) and returns the rows it wrote. `false` when a step may be
/// refused or a statement failed.
pub(in crate::store) fn write_with<E>(
    steps: &[StepCommit],
    mut execute: impl FnMut(Statement<'_>) -> std::result::Result<u64, E>,
) -> bool {
    statements(steps, now_millis()).iter().all(|statement| {
        let mut written = 0;
        for chunk in statement.rows.statements::<sqlx::Sqlite>() {
            match execute(chunk) {
                Ok(rows) => written += rows,
                Err(_) => return false,
            }
        }
        statement
            .expected
            .is_none_or(|expected| written == expected)
    })
}

/// The instances' revisions once `steps` are written.
pub(in crate::store) fn revisions(steps: &[StepCommit]) -> Vec<i64> {
    steps
        .iter()
        .map(|step| step.instance.revision_after())
        .collect()
}

/// One statement of the batch, with how many rows it must write if it is checked.
struct Checked<'a> {
    rows: Rows<'a>,
    expected: Option<u64>,
}

/// The statements writing `steps`, in the order of one step's writes; kinds without rows are
/// left out.
fn statements<'a>(steps: &'a [StepCommit], now: i64) -> Vec<Checked<'a>> {
    let job_rows = |id: i64, jobs: &'a [JobKey]| -> Vec<Vec<Value<'a>>> {
        let row = |job: &'a JobKey| vec![id.into(), job.kind.as_str().into(), (&job.key).into()];
        jobs.iter().map(row).collect()
    };
    let route_rows = |id: i64, routes: &'a [RouteKey]| -> Vec<Vec<Value<'a>>> {
        routes
            .iter()
            .map(|route| correlation::row(id, route))
            .collect()
    };
    let ids = |chosen: fn(&StepCommit) -> bool| {
        let chosen = steps.iter().filter(move |step| chosen(step));
        chosen.map(|step| vec![step.instance.id.into()])
    };
    let updated = |step: &'a StepCommit| {
        let write = &step.instance;
        vec![
            write.id.into(),
            write.status.as_str().into(),
            (&write.state).into(),
            (&write.failure).into(),
            now.into(),
            write.expected_revision.into(),
        ]
    };
    [
        checked(
            JOBS_DONE,
            rows_of(steps, |step| {
                job_rows(step.instance.id, step.job_done.as_slice())
            }),
        ),
        checked(
            concat!(instances::insert_rows!(), "{}"),
            steps.iter().filter_map(|step| {
                let pid = step.instance.create.as_ref()?;
                Some(instances::created_row(&step.instance, pid, now))
            }),
        ),
        checked(
            UPDATED,
            steps
                .iter()
                .filter(|step| step.instance.create.is_none())
                .map(updated),
        ),
        checked(
            concat!(delivery::received_rows!(), "{}"),
            steps
                .iter()
                .filter_map(|step| Some(delivery::received_row(step.received.as_ref()?))),
        ),
        unchecked(
            ROUTES_REMOVED,
            rows_of(steps, |step| {
                route_rows(step.instance.id, &step.routes_removed)
            }),
        ),
        checked(
            concat!(
                correlation::insert_rows!(),
                "{}",
                correlation::on_conflict!()
            ),
            rows_of(steps, |step| {
                route_rows(step.instance.id, &step.routes_added)
            }),
        ),
        unchecked(
            "DELETE FROM baton_routes WHERE instance_id IN ({})",
            ids(StepCommit::clears_stored_routes),
        ),
        checked(
            concat!(exchanges::insert_rows!(), "{}", exchanges::on_conflict!()),
            rows_of(steps, |step| {
                let id = step.instance.id;
                let rows = step.exchanges.iter();
                rows.map(|exchange| exchanges::row(id, exchange, now))
                    .collect()
            }),
        ),
        unchecked(
            JOBS_DONE,
            rows_of(steps, |step| {
                job_rows(step.instance.id, &step.jobs_cancelled)
            }),
        ),
        unchecked(
            concat!(jobs::insert_rows!(), "{}", jobs::on_conflict!()),
            rows_of(steps, |step| step.jobs.iter().map(jobs::row).collect()),
        ),
        unchecked(
            "DELETE FROM baton_jobs WHERE instance_id IN ({})",
            ids(StepCommit::clears_stored_jobs),
        ),
        unchecked(
            SETTLED,
            rows_of(steps, |step| {
                let id = step.instance.id;
                let settled = step.outbox_settled.iter();
                settled
                    .map(|exchange| vec![id.into(), exchange.into()])
                    .collect()
            }),
        ),
        checked(
            concat!(delivery::outbox_rows!(), "{}"),
            rows_of(steps, |step| {
                step.outbox.iter().map(delivery::outbox_row).collect()
            }),
        ),
        unchecked(
            "DELETE FROM baton_exchanges WHERE instance_id IN ({})",
            ids(|step| step.delete_exchanges || step.delete_instance),
        ),
        unchecked(
            "DELETE FROM baton_routes WHERE instance_id IN ({})",
            ids(|step| step.delete_instance),
        ),
        unchecked(
            "DELETE FROM baton_jobs WHERE instance_id IN ({})",
            ids(|step| step.delete_instance),
        ),
        unchecked(
            "DELETE FROM baton_instances WHERE id IN ({})",
            ids(|step| step.delete_instance),
        ),
    ]
    .into_iter()
    .filter(|statement| !statement.rows.is_empty())
    .collect()
}

/// The rows `take` gives for each of `steps`.
fn rows_of<'a>(
    steps: &'a [StepCommit],
    take: impl Fn(&'a StepCommit) -> Vec<Vec<Value<'a>>>,
) -> impl Iterator<Item = Vec<Value<'a>>> {
    steps.iter().flat_map(take)
}

/// Deletes the jobs named by their (instance, kind, key) rows.
const JOBS_DONE: &str = "DELETE FROM baton_jobs WHERE (instance_id, kind, job_key) IN (VALUES {})";
/// Deletes the routes named by their (process, key, instance) rows.
const ROUTES_REMOVED: &str =
    "DELETE FROM baton_routes WHERE (process_name, route_key, instance_id) IN (VALUES {})";
/// Deletes the outbox entries named by their (instance, exchange) rows.
const SETTLED: &str = "DELETE FROM baton_outbox WHERE (instance_id, exchange_id) IN (VALUES {})";
/// Updates instances from (id, status, state, failure, updated, expected revision) rows, each
/// only at its expected revision.
const UPDATED: &str = "UPDATE baton_instances SET status = v.column2, state = v.column3, \
     failure = v.column4, revision = revision + 1, updated_at = v.column5 FROM (VALUES {}) \
     AS v WHERE baton_instances.id = v.column1 AND baton_instances.revision = v.column6";

/// A statement of `rows` (`{}` in `sql` stands for their values) that must write every one.
fn checked<'a>(sql: &'static str, rows: impl Iterator<Item = Vec<Value<'a>>>) -> Checked<'a> {
    let rows = Rows::new(sql, rows);
    let expected = Some(rows.count as u64);
    Checked { rows, expected }
}

/// A statement of `rows` that may write fewer (what it deletes may be gone already).
fn unchecked<'a>(sql: &'static str, rows: impl Iterator<Item = Vec<Value<'a>>>) -> Checked<'a> {
    let rows = Rows::new(sql, rows);
    Checked {
        rows,
        expected: None,
    }
}

/// The rows of one statement: its SQL has `{}` where the rows' parenthesised lists of
/// placeholders go, comma-separated.
struct Rows<'a> {
    sql: &'static str,
    values: Vec<Value<'a>>,
    width: usize,
    count: usize,
}

impl<'a> Rows<'a> {
    fn new(sql: &'static str, rows: impl Iterator<Item = Vec<Value<'a>>>) -> Self {
        let mut all = Rows {
            sql,
            values: Vec::new(),
            width: 1,
            count: 0,
        };
        for row in rows {
            all.width = row.len();
            all.values.extend(row);
            all.count += 1;
        }
        all
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The statements in `D`'s form, each binding at most [`MOST_VALUES`] values.
    fn statements<D: Dialect>(&self) -> impl Iterator<Item = Statement<'a>> + '_ {
        let row = format!("({})", vec!["?"; self.width].join(", "));
        let rows_each = (MOST_VALUES / self.width).max(1);
        self.values
            .chunks(rows_each * self.width)
            .map(move |chunk| {
                let rows = vec![row.as_str(); chunk.len() / self.width].join(", ");
                let sql = self.sql.replacen("{}", &rows, 1);
                Statement::built::<D>(sql).bind_all(chunk.iter().copied())
            })
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Sqlite;

    use super::*;
    use crate::store::tests::{deployment, exchange, job, process, step};
    use crate::store::{
        Deployments, ExchangeDirection, ExchangeStatus, Inspection, InstanceStatus, Instances,
        JobKey, JobKind, Jobs, RouteKey, SqliteStore,
    };

    /// A step creating instance `id` of `pid` with a route, an exchange and a job of its own.
    fn creating(id: i64, pid: &str) -> StepCommit {
        let mut first = step(id, 0, InstanceStatus::Running, b"born");
        first.instance.create = Some(pid.to_owned());
        first.routes_added = vec![RouteKey::new("{urn:test}orders", format!("order-{id}"))];
        let exchange_id = format!("exchange-{id}");
        first.exchanges = vec![exchange(
            &exchange_id,
            ExchangeDirection::In,
            ExchangeStatus::Pending,
        )];
        first.jobs = vec![job(id, pid, JobKind::Timer, "1", 1_000)];
        first
    }

    #[test]
    fn a_batch_costs_the_same_statements_whatever_its_size() {
        let kinds = |count: i64| {
            let steps: Vec<StepCommit> = (1..=count).map(|id| creating(id, "p")).collect();
            let statements = statements(&steps, 0);
            let chunks: usize = statements
                .iter()
                .map(|statement| statement.rows.statements::<Sqlite>().count())
                .sum();
            (statements.len(), chunks)
        };
        assert_eq!(kinds(1), (4, 4), "instance, route, exchange and job rows");
        assert_eq!(kinds(256), kinds(1));
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

//! A batch of steps written with a fixed number of statements, whatever its size: one
//! statement per kind of write (the instances created, the instances updated, their routes,
//! exchanges, jobs, outbox, ...), each carrying the rows of every step. Writing step after
//! step costs a round trip to the database per row instead, which under load is most of what
//! a durable step costs. It is the one way steps are written: a batch holding steps of one
//! instance goes in [`rounds`] of distinct instances, and a step that may be refused is
//! written alone, as a batch of one (`steps`).
//!
//! The statements run in the order one step's writes run in, so the batch stores what the
//! steps would store one after another, in some order, when every row lands where it should.
//! What a step could be refused for is checked by counting: every instance updated on its
//! revision, every job run found, every route and exchange written. MySQL's upserts do not
//! tell a row written from one left alone, so there the routes and exchanges are counted by
//! reading them back. When a count is off or a statement fails, [`write`] says so, and the
//! caller rolls back.
//!
//! Each statement is written once, in standard SQL (`INSERT ... ON CONFLICT`, `VALUES`
//! tables) for SQLite and PostgreSQL, with MySQL's forms beside it where they differ
//! (`ON DUPLICATE KEY UPDATE`, lists of rows, `UNION ALL` tables): [`Dialect::ON_CONFLICT`].

use std::collections::{BTreeSet, HashMap};

use super::dialect::{Dialect, Statement, Value};
use super::{correlation, delivery, exchanges, instances, jobs};
use crate::store::rows::StoredRow;
use crate::store::time::now_millis;
use crate::store::{JobKey, RouteKey, StepCommit};

/// The most values one statement binds (SQLite allows 32,766, PostgreSQL 65,535).
const MOST_VALUES: usize = 30_000;

/// `steps` in rounds of distinct instances, each step in the round after its instance's
/// previous one: written round after round, each instance's steps land in their order.
pub(in crate::store) fn rounds(steps: &[StepCommit]) -> Vec<Vec<&StepCommit>> {
    let mut rounds: Vec<Vec<&StepCommit>> = Vec::new();
    let mut next_round = HashMap::new();
    for step in steps {
        let round = next_round.entry(step.instance.id).or_insert(0);
        if rounds.len() == *round {
            rounds.push(Vec::new());
        }
        rounds[*round].push(step);
        *round += 1;
    }
    rounds
}

/// Writes `steps`, of distinct instances, on `conn` inside the caller's transaction. `Err`
/// when a step may be refused: with the statement's error when one failed, `None` when a
/// count was off. The caller rolls back either way.
pub(super) async fn write<D: Dialect>(
    conn: &mut D::Connection,
    steps: &[&StepCommit],
) -> std::result::Result<(), Option<sqlx::Error>> {
    for statement in statements::<D>(steps, now_millis()) {
        let mut found = 0;
        for chunk in statement.rows.statements::<D>() {
            found += match statement.expected {
                Expected::Counted(_) => {
                    let row = chunk.fetch_one::<D>(conn).await.map_err(Some)?;
                    u64::try_from(row.integer("n").map_err(|_| None)?).unwrap_or_default()
                }
                _ => chunk.execute::<D>(conn).await.map_err(Some)?.rows,
            };
        }
        if !statement.expected.holds(found) {
            return Err(None);
        }
    }
    Ok(())
}

/// [`write`] for a connection driven directly rather than through sqlx: `execute` runs a
/// statement (in SQLite's form, which reads nothing back) and returns the rows it wrote.
/// `false` when a step may be refused or a statement failed.
pub(in crate::store) fn write_with<E>(
    steps: &[&StepCommit],
    mut execute: impl FnMut(Statement<'_>) -> std::result::Result<u64, E>,
) -> bool {
    statements::<sqlx::Sqlite>(steps, now_millis())
        .iter()
        .all(|statement| {
            let mut written = 0;
            for chunk in statement.rows.statements::<sqlx::Sqlite>() {
                match execute(chunk) {
                    Ok(rows) => written += rows,
                    Err(_) => return false,
                }
            }
            statement.expected.holds(written)
        })
}

/// The instances' revisions once `steps` are written.
pub(in crate::store) fn revisions(steps: &[StepCommit]) -> Vec<i64> {
    steps
        .iter()
        .map(|step| step.instance.revision_after())
        .collect()
}

/// What a statement of the batch must find for its steps to be written as they are.
#[derive(Debug, Clone, Copy)]
enum Expected {
    /// Nothing: what it deletes may be gone already, what it inserts may be there.
    Anything,
    /// That it writes this many rows.
    Written(u64),
    /// That it reads back this count (a `SELECT COUNT(*) AS n`).
    Counted(u64),
}

impl Expected {
    fn holds(self, found: u64) -> bool {
        match self {
            Expected::Anything => true,
            Expected::Written(expected) | Expected::Counted(expected) => found == expected,
        }
    }
}

/// One statement of the batch, with what it must find.
struct Checked<'a> {
    rows: Rows<'a>,
    expected: Expected,
}

/// The statements writing `steps` on dialect `D`, in the order of one step's writes; kinds
/// without rows are left out.
fn statements<'a, D: Dialect>(steps: &[&'a StepCommit], now: i64) -> Vec<Checked<'a>> {
    let standard = D::ON_CONFLICT;
    let each = |take: &dyn Fn(&'a StepCommit) -> Vec<Vec<Value<'a>>>| {
        steps.iter().flat_map(|step| take(step)).collect::<Vec<_>>()
    };
    let job_rows = |id: i64, jobs: &'a [JobKey]| -> Vec<Vec<Value<'a>>> {
        let row = |job: &'a JobKey| vec![id.into(), job.kind.as_str().into(), (&job.key).into()];
        jobs.iter().map(row).collect()
    };
    let ids = |chosen: fn(&StepCommit) -> bool| {
        let chosen = steps.iter().filter(|step| chosen(step));
        chosen.map(|step| vec![step.instance.id.into()]).collect()
    };
    // A route added twice by one step is one row: PostgreSQL refuses an upsert that meets
    // its own row.
    let routes = |shared: bool| {
        each(&|step| {
            let mut seen = BTreeSet::new();
            let added = step
                .routes_added
                .iter()
                .filter(|route| route.shared == shared);
            added
                .filter(|route| seen.insert((&route.process, &route.key)))
                .map(|route| correlation::row(step.instance.id, route))
                .collect()
        })
    };
    let exchange_rows = each(&|step| {
        let id = step.instance.id;
        let rows = step.exchanges.iter();
        rows.map(|exchange| exchanges::row(id, exchange, now))
            .collect()
    });
    let updated = each(&|step| {
        let write = &step.instance;
        match write.create {
            Some(_) => vec![],
            None => vec![vec![
                write.id.into(),
                write.status.as_str().into(),
                (&write.state).into(),
                (&write.failure).into(),
                now.into(),
                write.expected_revision.into(),
            ]],
        }
    });
    let unshared = routes(false);
    let mut statements = vec![
        checked(
            JOBS_DONE,
            each(&|step| job_rows(step.instance.id, step.job_done.as_slice())),
        ),
        checked(
            concat!(instances::insert_rows!(), "{rows}"),
            each(&|step| match &step.instance.create {
                Some(pid) => vec![instances::created_row(&step.instance, pid, now)],
                None => vec![],
            }),
        ),
        match standard {
            true => checked(UPDATED, updated),
            false => checked(UPDATED_MYSQL, updated),
        },
        checked(
            concat!(delivery::received_rows!(), "{rows}"),
            each(&|step| step.received.iter().map(delivery::received_row).collect()),
        ),
        unchecked(
            ROUTES_REMOVED,
            each(&|step| route_rows(step.instance.id, &step.routes_removed)),
        ),
    ];
    match standard {
        true => statements.extend([
            checked(ROUTES_ADDED, unshared),
            unchecked(ROUTES_SHARED, routes(true)),
            checked(EXCHANGES, exchange_rows),
        ]),
        false => {
            let exchange_ids = each(&|step| {
                let id = step.instance.id;
                let rows = step.exchanges.iter();
                rows.map(|exchange| vec![(&exchange.id).into(), id.into()])
                    .collect()
            });
            statements.extend([
                unchecked(ROUTES_MYSQL, [unshared.clone(), routes(true)].concat()),
                counted(ROUTES_OWNED, unshared),
                unchecked(EXCHANGES_MYSQL, exchange_rows),
                counted(EXCHANGES_OWNED, exchange_ids),
            ])
        }
    }
    statements.extend([
        unchecked(
            "DELETE FROM baton_routes WHERE instance_id IN ({rows})",
            ids(StepCommit::clears_stored_routes),
        ),
        unchecked(
            JOBS_DONE,
            each(&|step| job_rows(step.instance.id, &step.jobs_cancelled)),
        ),
        unchecked(
            if standard {
                JOBS_ADDED
            } else {
                JOBS_ADDED_MYSQL
            },
            each(&|step| step.jobs.iter().map(jobs::row).collect()),
        ),
        unchecked(
            "DELETE FROM baton_jobs WHERE instance_id IN ({rows})",
            ids(StepCommit::clears_stored_jobs),
        ),
        unchecked(
            SETTLED,
            each(&|step| {
                let id = step.instance.id;
                let settled = step.outbox_settled.iter();
                settled
                    .map(|exchange| vec![id.into(), exchange.into()])
                    .collect()
            }),
        ),
        checked(
            concat!(delivery::outbox_rows!(), "{rows}"),
            each(&|step| step.outbox.iter().map(delivery::outbox_row).collect()),
        ),
        unchecked(
            "INSERT INTO baton_correlation_values (instance_id, namespace, name, value) \
             VALUES {rows}",
            each(&|step| {
                let id = step.instance.id;
                let values = step.correlation_values.iter();
                values
                    .map(|v| {
                        vec![
                            id.into(),
                            (&v.namespace).into(),
                            (&v.name).into(),
                            (&v.value).into(),
                        ]
                    })
                    .collect()
            }),
        ),
        unchecked(
            "DELETE FROM baton_correlation_values WHERE instance_id IN ({rows})",
            ids(|step| step.delete_correlation_values || step.delete_instance),
        ),
        unchecked(
            "DELETE FROM baton_events WHERE instance_id IN ({rows})",
            ids(StepCommit::deletes_events),
        ),
        unchecked(
            "DELETE FROM baton_exchanges WHERE instance_id IN ({rows})",
            ids(|step| step.delete_exchanges || step.delete_instance),
        ),
        unchecked(
            "DELETE FROM baton_routes WHERE instance_id IN ({rows})",
            ids(|step| step.delete_instance),
        ),
        unchecked(
            "DELETE FROM baton_jobs WHERE instance_id IN ({rows})",
            ids(|step| step.delete_instance),
        ),
        unchecked(
            "DELETE FROM baton_instances WHERE id IN ({rows})",
            ids(|step| step.delete_instance),
        ),
    ]);
    statements.retain(|statement| !statement.rows.is_empty());
    statements
}

/// The rows of `routes` owned by `id`.
fn route_rows(id: i64, routes: &[RouteKey]) -> Vec<Vec<Value<'_>>> {
    routes
        .iter()
        .map(|route| correlation::row(id, route))
        .collect()
}

/// Deletes the jobs named by their (instance, kind, key) rows.
const JOBS_DONE: &str = "DELETE FROM baton_jobs WHERE (instance_id, kind, job_key) IN ({set})";
/// Deletes the routes named by their (process, key, instance) rows.
const ROUTES_REMOVED: &str =
    "DELETE FROM baton_routes WHERE (process_name, route_key, instance_id) IN ({set})";
/// Adds jobs; a job stored already stays as it is.
const JOBS_ADDED: &str = concat!(
    jobs::insert_rows!(),
    "{rows} ON CONFLICT (instance_id, kind, job_key) DO NOTHING"
);
/// [`JOBS_ADDED`] in MySQL's form.
const JOBS_ADDED_MYSQL: &str = concat!(
    jobs::insert_rows!(),
    "{rows} ON DUPLICATE KEY UPDATE due_ms = due_ms"
);
/// Deletes the outbox entries named by their (instance, exchange) rows.
const SETTLED: &str = "DELETE FROM baton_outbox WHERE (instance_id, exchange_id) IN ({set})";
/// Updates instances from (id, status, state, failure, updated, expected revision) rows, each
/// only at its expected revision.
const UPDATED: &str = "UPDATE baton_instances SET status = v.column2, state = v.column3, \
     failure = v.column4, revision = revision + 1, updated_at = v.column5 FROM (VALUES {rows}) \
     AS v WHERE baton_instances.id = v.column1 AND baton_instances.revision = v.column6";
/// [`UPDATED`] in MySQL's form.
const UPDATED_MYSQL: &str = "UPDATE baton_instances JOIN ({selects}) AS v \
     ON baton_instances.id = v.column1 AND baton_instances.revision = v.column6 \
     SET baton_instances.status = v.column2, baton_instances.state = v.column3, \
     baton_instances.failure = v.column4, baton_instances.revision = baton_instances.revision + 1, \
     baton_instances.updated_at = v.column5";
/// Adds routes that are not shared: each is its instance's already, or becomes it, unless
/// another instance owns it (then it writes no row).
const ROUTES_ADDED: &str = concat!(
    correlation::insert_rows!(),
    "{rows} ON CONFLICT (process_name, route_key) DO UPDATE SET instance_id = excluded.instance_id \
     WHERE baton_routes.instance_id = excluded.instance_id"
);
/// Adds shared routes: one another instance owns stays its own.
const ROUTES_SHARED: &str = concat!(
    correlation::insert_rows!(),
    "{rows} ON CONFLICT (process_name, route_key) DO NOTHING"
);
/// Adds routes in MySQL's form, any route owned already staying its owner's.
const ROUTES_MYSQL: &str = concat!(
    correlation::insert_rows!(),
    "{rows} ON DUPLICATE KEY UPDATE instance_id = instance_id"
);
/// Counts the routes of (process, key, instance) rows that their instance owns.
const ROUTES_OWNED: &str = "SELECT COUNT(*) AS n FROM baton_routes \
     WHERE (process_name, route_key, instance_id) IN ({set})";
/// Inserts exchanges, or updates the status and messages of one the same instance has.
const EXCHANGES: &str = concat!(
    exchanges::insert_rows!(),
    "{rows} ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
     request = COALESCE(excluded.request, baton_exchanges.request), \
     response = COALESCE(excluded.response, baton_exchanges.response) \
     WHERE baton_exchanges.instance_id = excluded.instance_id"
);
/// [`EXCHANGES`] in MySQL's form: another instance's exchange is set to what it is.
const EXCHANGES_MYSQL: &str = concat!(
    exchanges::insert_rows!(),
    "{rows} ON DUPLICATE KEY UPDATE \
     status = IF(instance_id = VALUES(instance_id), VALUES(status), status), \
     request = IF(instance_id = VALUES(instance_id), COALESCE(VALUES(request), request), request), \
     response = IF(instance_id = VALUES(instance_id), COALESCE(VALUES(response), response), response)"
);
/// Counts the exchanges of (id, instance) rows that their instance has.
const EXCHANGES_OWNED: &str =
    "SELECT COUNT(*) AS n FROM baton_exchanges WHERE (id, instance_id) IN ({set})";

/// A statement of `rows` (where `sql` has the marker of their [`Shape`]) that must write
/// every one.
fn checked<'a>(sql: &'static str, rows: Vec<Vec<Value<'a>>>) -> Checked<'a> {
    let rows = Rows::new(sql, rows);
    let expected = Expected::Written(rows.count as u64);
    Checked { rows, expected }
}

/// A statement of `rows` that may write fewer or none.
fn unchecked<'a>(sql: &'static str, rows: Vec<Vec<Value<'a>>>) -> Checked<'a> {
    let rows = Rows::new(sql, rows);
    Checked {
        rows,
        expected: Expected::Anything,
    }
}

/// A count of the stored rows among `rows` that must find every one.
fn counted<'a>(sql: &'static str, rows: Vec<Vec<Value<'a>>>) -> Checked<'a> {
    let rows = Rows::new(sql, rows);
    let expected = Expected::Counted(rows.count as u64);
    Checked { rows, expected }
}

/// How the rows of a statement are written, at the marker its SQL has for them.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// `{rows}`: `(?, ?), (?, ?)`, the values of an insert, or a column's list for `IN`.
    Values,
    /// `{set}`: a set of rows after a row's `IN`: a `VALUES` table, or in MySQL a list of
    /// rows.
    Set,
    /// `{selects}`: a table for MySQL, `SELECT ? AS column1, ... UNION ALL SELECT ...`.
    Selects,
}

impl Shape {
    /// The shape whose marker `sql` has.
    fn of(sql: &str) -> Shape {
        [Shape::Set, Shape::Selects]
            .into_iter()
            .find(|shape| sql.contains(shape.marker()))
            .unwrap_or(Shape::Values)
    }

    fn marker(self) -> &'static str {
        match self {
            Shape::Values => "{rows}",
            Shape::Set => "{set}",
            Shape::Selects => "{selects}",
        }
    }
}

/// The rows of one statement.
struct Rows<'a> {
    sql: &'static str,
    shape: Shape,
    values: Vec<Value<'a>>,
    width: usize,
    count: usize,
}

impl<'a> Rows<'a> {
    fn new(sql: &'static str, rows: Vec<Vec<Value<'a>>>) -> Self {
        Rows {
            sql,
            shape: Shape::of(sql),
            width: rows.first().map_or(1, Vec::len),
            count: rows.len(),
            values: rows.into_iter().flatten().collect(),
        }
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
                let count = chunk.len() / self.width;
                let rows = match self.shape {
                    Shape::Values => vec![row.as_str(); count].join(", "),
                    Shape::Set if D::ON_CONFLICT => {
                        format!("VALUES {}", vec![row.as_str(); count].join(", "))
                    }
                    Shape::Set => vec![row.as_str(); count].join(", "),
                    Shape::Selects => selects(self.width, count),
                };
                let sql = self.sql.replacen(self.shape.marker(), &rows, 1);
                Statement::built::<D>(sql).bind_all(chunk.iter().copied())
            })
    }
}

/// A table of `count` rows of `width` placeholders as `SELECT`s joined by `UNION ALL`, its
/// columns named `column1, column2, ...` as a `VALUES` table's are.
fn selects(width: usize, count: usize) -> String {
    let first: Vec<String> = (1..=width).map(|n| format!("? AS column{n}")).collect();
    let rest = format!("SELECT {}", vec!["?"; width].join(", "));
    let mut rows = vec![format!("SELECT {}", first.join(", "))];
    rows.extend(std::iter::repeat_n(rest, count.saturating_sub(1)));
    rows.join(" UNION ALL ")
}

#[cfg(test)]
mod tests {
    use sqlx::{MySql, Postgres, Sqlite};

    use super::*;
    use crate::store::group_commit::Batch;
    use crate::store::sql::steps::Steps;
    use crate::store::sql::WriteLock;
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

    /// An in-memory store with process `orders` deployed, and its pid.
    async fn orders() -> (SqliteStore, String) {
        let store = SqliteStore::in_memory().await.unwrap();
        store
            .save_deployment(deployment("orders", 1))
            .await
            .unwrap();
        store.save_process(process("orders", 1)).await.unwrap();
        (store, process("orders", 1).pid)
    }

    /// The statements and their chunks writing `count` new instances on dialect `D`.
    fn kinds<D: Dialect>(count: i64) -> (usize, usize) {
        let steps: Vec<StepCommit> = (1..=count).map(|id| creating(id, "p")).collect();
        let round: Vec<&StepCommit> = steps.iter().collect();
        let statements = statements::<D>(&round, 0);
        let chunks: usize = statements
            .iter()
            .map(|statement| statement.rows.statements::<D>().count())
            .sum();
        (statements.len(), chunks)
    }

    #[test]
    fn a_batch_costs_the_same_statements_whatever_its_size_on_every_database() {
        let what = "instance, route, exchange and job rows";
        assert_eq!(kinds::<Sqlite>(1), (4, 4), "{what}");
        assert_eq!(kinds::<Postgres>(1), (4, 4), "{what}");
        let counted_back = "MySQL counts its routes and exchanges back";
        assert_eq!(kinds::<MySql>(1), (6, 6), "{what}; {counted_back}");
        assert_eq!(kinds::<Sqlite>(256), kinds::<Sqlite>(1));
        assert_eq!(kinds::<Postgres>(256), kinds::<Postgres>(1));
        assert_eq!(kinds::<MySql>(256), kinds::<MySql>(1));
    }

    #[tokio::test]
    async fn successive_steps_of_one_instance_in_one_batch_are_written_whole() {
        let (store, pid) = orders().await;
        let steps = Steps {
            pool: store.pool.clone(),
            writer: WriteLock::default(),
        };
        let born = [creating(1, &pid)];
        assert_eq!(steps.apply_all(&born).await.unwrap(), Some(vec![1]));
        let next = [
            step(1, 1, InstanceStatus::Running, b"second"),
            step(1, 2, InstanceStatus::Completed, b"third"),
        ];
        assert_eq!(steps.apply_all(&next).await.unwrap(), Some(vec![2, 3]));
        let instance = store.load_instance(1).await.unwrap().unwrap();
        assert_eq!((instance.revision, instance.state), (3, b"third".to_vec()));
    }

    #[test]
    fn steps_of_one_instance_go_in_rounds_in_their_order() {
        let steps = [
            creating(1, "p"),
            creating(2, "p"),
            step(1, 1, InstanceStatus::Running, b"second"),
            step(1, 2, InstanceStatus::Completed, b"third"),
            step(2, 1, InstanceStatus::Completed, b"second"),
        ];
        let rounds: Vec<Vec<(i64, i64)>> = rounds(&steps)
            .iter()
            .map(|round| {
                let step = |step: &&StepCommit| (step.instance.id, step.instance.expected_revision);
                round.iter().map(step).collect()
            })
            .collect();
        assert_eq!(
            rounds,
            [vec![(1, 0), (2, 0)], vec![(1, 1), (2, 1)], vec![(1, 2)]]
        );
    }

    #[tokio::test]
    async fn a_batch_of_distinct_instances_is_written_whole_and_a_refusable_one_is_not() {
        let (store, pid) = orders().await;
        let mut conn = store.pool.acquire().await.unwrap();

        let born = [creating(1, &pid), creating(2, &pid)];
        assert!(write::<Sqlite>(&mut conn, &[&born[0], &born[1]])
            .await
            .is_ok());
        let mut next = [1, 2].map(|id| step(id, 1, InstanceStatus::Completed, b"done"));
        next[0].job_done = Some(JobKey::new(JobKind::Timer, "1"));
        next[1].clear_jobs = true;
        assert!(write::<Sqlite>(&mut conn, &[&next[0], &next[1]])
            .await
            .is_ok());
        drop(conn);
        for id in [1, 2] {
            let instance = store.load_instance(id).await.unwrap().unwrap();
            assert_eq!((instance.revision, instance.state), (2, b"done".to_vec()));
            assert_eq!(store.exchanges(id).await.unwrap().len(), 1);
            assert_eq!(store.instance_routes(id).await.unwrap().len(), 1);
        }
        assert!(store.due_jobs(i64::MAX, 10).await.unwrap().is_empty());

        let stale = step(1, 1, InstanceStatus::Running, b"stale");
        let mut clash = creating(3, &pid);
        clash.routes_added = vec![RouteKey::new("{urn:test}orders", "order-1")];
        let twice = creating(1, &pid);
        for (refusable, failed) in [(&stale, false), (&clash, false), (&twice, true)] {
            let mut tx = store.pool.begin().await.unwrap();
            let written = write::<Sqlite>(&mut tx, &[refusable]).await;
            assert_eq!(written.err().map(|error| error.is_some()), Some(failed));
            tx.rollback().await.unwrap();
        }
    }
}

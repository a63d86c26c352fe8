//! Process instances: the `baton_instances` table, with the sequence their ids come from.
//! An instance is inserted by its first step commit; its state is only ever rewritten by a
//! step commit, optimistically on `revision`.

use sqlx::Pool;

use super::dialect::{begin_write, sql, Dialect, Statement, Value};
use crate::store::rows::{self, StoredRow};
use crate::store::time::{now_millis, to_millis};
use crate::store::{
    Error, InstanceFilter, InstanceOrder, InstanceOrderKey, InstancePosition, InstanceRecord,
    InstanceSummary, InstanceWrite, Result,
};

/// Columns of an instance summary, as a literal for `concat!`.
macro_rules! summary_columns {
    () => {
        "id, pid, status, failure, revision, created_at, updated_at"
    };
}

/// The insert of the rows of instances created ([`created_row`]), before their values.
macro_rules! insert_rows {
    () => {
        "INSERT INTO baton_instances \
         (id, pid, status, state, failure, revision, created_at, updated_at) VALUES "
    };
}
pub(super) use insert_rows;

/// The row of the instance `write` creates as a version of `pid` at `now`, in the order of
/// the columns.
pub(super) fn created_row<'a>(write: &'a InstanceWrite, pid: &'a str, now: i64) -> Vec<Value<'a>> {
    vec![
        write.id.into(),
        pid.into(),
        write.status.as_str().into(),
        (&write.state).into(),
        (&write.failure).into(),
        write.revision_after().into(),
        now.into(),
        now.into(),
    ]
}

/// Reserves `count` consecutive instance ids and returns the first. Where the dialect reads
/// a counter back with `LAST_INSERT_ID(expr)`, the statement's result hands it back, on this
/// connection only.
pub(super) async fn reserve_ids<D: Dialect>(conn: &mut D::Connection, count: u32) -> Result<i64> {
    let count = i64::from(count);
    let last = match D::LAST_INSERT_ID {
        false => sql!(
            D,
            "UPDATE baton_sequences SET value = value + ? WHERE name = 'instance_id' \
             RETURNING value"
        )
        .bind(count)
        .fetch_one::<D>(conn)
        .await?
        .integer("value")?,
        true => {
            let done = sql!(
                D,
                "UPDATE baton_sequences SET value = LAST_INSERT_ID(value + ?) \
                 WHERE name = 'instance_id'"
            )
            .bind(count)
            .execute::<D>(conn)
            .await?;
            i64::try_from(done.last_insert_id).map_err(|_| Error::Corrupt {
                entity: "instance id sequence",
                detail: format!("{} is out of range", done.last_insert_id),
            })?
        }
    };
    Ok(last - count + 1)
}

/// Loads one instance with its state.
pub(super) async fn load<D: Dialect>(pool: &Pool<D>, id: i64) -> Result<Option<InstanceRecord>> {
    sql!(
        D,
        concat!(
            "SELECT ",
            summary_columns!(),
            ", state FROM baton_instances WHERE id = ?"
        )
    )
    .bind(id)
    .fetch_optional_on(pool, rows::instance)
    .await
}

/// Lists the instances `filter` selects, in its order, in one query.
pub(super) async fn list<'f, D: Dialect>(
    pool: &Pool<D>,
    filter: &'f InstanceFilter,
) -> Result<Vec<InstanceSummary>> {
    if filter.pids.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Vec::new());
    }
    let mut sql = String::from(concat!(
        "SELECT ",
        summary_columns!(),
        " FROM baton_instances"
    ));
    let mut values: Vec<Value<'f>> = Vec::new();
    let mut conditions = Vec::new();
    let mut one_of = |column: &str, listed: Vec<Value<'f>>| {
        let marks = vec!["?"; listed.len()].join(", ");
        conditions.push(format!("{column} IN ({marks})"));
        values.extend(listed);
    };
    if !filter.ids.is_empty() {
        one_of("id", filter.ids.iter().map(|&id| Value::from(id)).collect());
    }
    if let Some(pids) = &filter.pids {
        one_of("pid", pids.iter().map(Value::from).collect());
    }
    if !filter.statuses.is_empty() {
        let statuses = filter.statuses.iter().map(|s| Value::from(s.as_str()));
        one_of("status", statuses.collect());
    }
    for correlation in &filter.correlations {
        let mut condition =
            String::from("id IN (SELECT instance_id FROM baton_correlation_values WHERE name = ?");
        values.push(Value::from(&correlation.name));
        if let Some(namespace) = &correlation.namespace {
            condition.push_str(" AND namespace = ?");
            values.push(Value::from(namespace));
        }
        let marks = vec!["?"; correlation.values.len()].join(", ");
        condition.push_str(&format!(" AND value IN ({marks}))"));
        values.extend(correlation.values.iter().map(Value::from));
        conditions.push(condition);
    }
    let bounds = (filter.created.iter().map(|bound| ("created_at", bound)))
        .chain(filter.updated.iter().map(|bound| ("updated_at", bound)));
    for (column, bound) in bounds {
        let (operator, millis) = bound.comparison();
        conditions.push(format!("{column} {operator} ?"));
        values.push(Value::from(millis));
    }
    let keys: Vec<&InstanceOrder> = filter.order.iter().chain([&NEWEST_FIRST]).collect();
    if let Some(after) = &filter.after {
        // After `after`: equal on the keys before one, and past it on that one.
        let mut past = Vec::new();
        for last in 0..keys.len() {
            let mut terms = Vec::new();
            for (index, key) in keys[..=last].iter().enumerate() {
                let (expression, binds) = expression(&key.key);
                let operator = match (index == last, key.descending) {
                    (false, _) => "=",
                    (true, true) => "<",
                    (true, false) => ">",
                };
                terms.push(format!("{expression} {operator} ?"));
                values.extend(binds);
                values.push(position(&key.key, after));
            }
            past.push(format!("({})", terms.join(" AND ")));
        }
        conditions.push(format!("({})", past.join(" OR ")));
    }
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    let order: Vec<String> = keys
        .iter()
        .map(|key| {
            let (expression, binds) = expression(&key.key);
            values.extend(binds);
            let direction = if key.descending { "DESC" } else { "ASC" };
            format!("{expression} {direction}")
        })
        .collect();
    sql.push_str(" ORDER BY ");
    sql.push_str(&order.join(", "));
    if let Some(limit) = filter.limit {
        sql.push_str(" LIMIT ?");
        values.push(Value::from(i64::from(limit)));
    }
    Statement::built::<D>(sql)
        .bind_all(values)
        .fetch_all_on(pool, rows::instance_summary)
        .await
}

/// The last key of every order: newest first.
static NEWEST_FIRST: InstanceOrder = InstanceOrder {
    key: InstanceOrderKey::Id,
    descending: true,
};

/// `key` as an SQL expression, with the values its placeholders take.
fn expression(key: &InstanceOrderKey) -> (String, Vec<Value<'_>>) {
    let column = |name: &str| (name.to_owned(), Vec::new());
    match key {
        InstanceOrderKey::Id => column("id"),
        InstanceOrderKey::Pid => column("pid"),
        InstanceOrderKey::Status => column("status"),
        InstanceOrderKey::Created => column("created_at"),
        InstanceOrderKey::Updated => column("updated_at"),
        InstanceOrderKey::ProcessRank(pids) => {
            let ranks: String = (0..pids.len())
                .map(|rank| format!(" WHEN ? THEN {rank}"))
                .collect();
            let expression = format!("CASE pid{ranks} ELSE {} END", pids.len());
            (expression, pids.iter().map(Value::from).collect())
        }
    }
}

/// What `key` is for the instance at `position`.
fn position<'f>(key: &InstanceOrderKey, position: &'f InstancePosition) -> Value<'f> {
    match key {
        InstanceOrderKey::Id => Value::from(position.id),
        InstanceOrderKey::Pid => Value::from(&position.pid),
        InstanceOrderKey::Status => Value::from(position.status.as_str()),
        InstanceOrderKey::Created => Value::from(to_millis(position.created_at)),
        InstanceOrderKey::Updated => Value::from(to_millis(position.updated_at)),
        InstanceOrderKey::ProcessRank(pids) => {
            let rank = pids.iter().position(|pid| *pid == position.pid);
            Value::from(rank.unwrap_or(pids.len()) as i64)
        }
    }
}

/// Marks a running instance failed and drops its routes and jobs, in one transaction.
pub(super) async fn mark_failed<D: Dialect>(pool: &Pool<D>, id: i64, reason: &str) -> Result<()> {
    let mut tx = begin_write(pool).await?;
    let done = sql!(
        D,
        "UPDATE baton_instances SET status = 'failed', failure = ?, revision = revision + 1, \
         updated_at = ? WHERE id = ? AND status = 'running'"
    )
    .bind(reason)
    .bind(now_millis())
    .bind(id)
    .execute::<D>(&mut *tx)
    .await?;
    if done.rows == 0 {
        return Err(Error::NotFound {
            entity: "running instance",
            key: id.to_string(),
        });
    }
    super::correlation::clear::<D>(&mut *tx, id).await?;
    super::jobs::clear::<D>(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(())
}

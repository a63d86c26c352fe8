//! Message exchanges: the `baton_exchanges` table remembering inbound requests awaiting a
//! reply and outbound invokes in flight, so none is lost over a restart. Exchanges are written
//! only inside a step commit; lookups run on the pool.

use sqlx::Pool;

use super::dialect::{sql, Dialect, Value};
use crate::store::error::Constraint;
use crate::store::rows;
use crate::store::time::now_millis;
use crate::store::{Error, ExchangeRecord, ExchangeStatus, ExchangeWrite, Result};

/// Columns of an exchange, as a literal for `concat!`.
macro_rules! columns {
    () => {
        "id, instance_id, partner_link, operation, direction, status, request, response, \
         created_at"
    };
}
pub(super) use columns;

/// The insert of exchange rows ([`row`]), before their values.
macro_rules! insert_rows {
    () => {
        concat!(
            "INSERT INTO baton_exchanges (",
            $crate::store::sql::exchanges::columns!(),
            ") VALUES "
        )
    };
}
pub(super) use insert_rows;

/// After the values of an insert where `ON CONFLICT` is understood: an exchange stored
/// already takes the new status and messages if it is the same instance's, else stays.
macro_rules! on_conflict {
    () => {
        " ON CONFLICT (id) DO UPDATE SET \
         status = excluded.status, \
         request = COALESCE(excluded.request, baton_exchanges.request), \
         response = COALESCE(excluded.response, baton_exchanges.response) \
         WHERE baton_exchanges.instance_id = excluded.instance_id"
    };
}
pub(super) use on_conflict;

/// Inserts `exchange` for `instance_id`, or updates its status and the messages it carries.
/// [`Error::Duplicate`] if the id belongs to another instance. Without `ON CONFLICT`, the
/// update comes first (MySQL counts the rows an update matches, so a matched row is told
/// apart from a missing one), and the insert when it matched none.
pub(super) async fn upsert<D: Dialect>(
    conn: &mut D::Connection,
    instance_id: i64,
    exchange: &ExchangeWrite,
) -> Result<()> {
    if !D::ON_CONFLICT {
        let updated = sql!(
            D,
            "UPDATE baton_exchanges SET status = ?, request = COALESCE(?, request), \
             response = COALESCE(?, response) WHERE id = ? AND instance_id = ?"
        )
        .bind(exchange.status.as_str())
        .bind(&exchange.request)
        .bind(&exchange.response)
        .bind(&exchange.id)
        .bind(instance_id)
        .execute::<D>(conn)
        .await?;
        if updated.rows == 1 {
            return Ok(());
        }
    }
    let insert = match D::ON_CONFLICT {
        true => sql!(
            D,
            concat!(
                insert_rows!(),
                "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                on_conflict!()
            )
        ),
        false => sql!(D, concat!(insert_rows!(), "(?, ?, ?, ?, ?, ?, ?, ?, ?)")),
    };
    let duplicate = || Error::Duplicate {
        entity: "message exchange",
        key: exchange.id.clone(),
    };
    let done = insert
        .bind_all(row(instance_id, exchange, now_millis()))
        .execute::<D>(conn)
        .await
        .map_err(|error| match Constraint::violated_by(&error) {
            Some(Constraint::Unique) => duplicate(),
            _ => error.into(),
        })?;
    match done.rows {
        0 => Err(duplicate()),
        _ => Ok(()),
    }
}

/// The row of `exchange` of `instance_id`, opened at `now`, in the order of the columns.
pub(super) fn row(instance_id: i64, exchange: &ExchangeWrite, now: i64) -> Vec<Value<'_>> {
    vec![
        (&exchange.id).into(),
        instance_id.into(),
        (&exchange.partner_link).into(),
        (&exchange.operation).into(),
        exchange.direction.as_str().into(),
        exchange.status.as_str().into(),
        (&exchange.request).into(),
        (&exchange.response).into(),
        now.into(),
    ]
}

/// The pending exchanges of one instance, oldest first.
pub(super) async fn pending<D: Dialect>(
    pool: &Pool<D>,
    instance_id: i64,
) -> Result<Vec<ExchangeRecord>> {
    sql!(
        D,
        concat!(
            "SELECT ",
            columns!(),
            " FROM baton_exchanges WHERE instance_id = ? AND status = ? ORDER BY created_at, id"
        )
    )
    .bind(instance_id)
    .bind(ExchangeStatus::Pending.as_str())
    .fetch_all_on(pool, rows::exchange)
    .await
}

/// Every exchange of one instance, oldest first.
pub(super) async fn of_instance<D: Dialect>(
    pool: &Pool<D>,
    instance_id: i64,
) -> Result<Vec<ExchangeRecord>> {
    sql!(
        D,
        concat!(
            "SELECT ",
            columns!(),
            " FROM baton_exchanges WHERE instance_id = ? ORDER BY created_at, id"
        )
    )
    .bind(instance_id)
    .fetch_all_on(pool, rows::exchange)
    .await
}

/// Deletes every exchange of one instance, with the messages they carry.
pub(super) async fn clear<D: Dialect>(conn: &mut D::Connection, instance_id: i64) -> Result<()> {
    sql!(D, "DELETE FROM baton_exchanges WHERE instance_id = ?")
        .bind(instance_id)
        .execute::<D>(conn)
        .await?;
    Ok(())
}

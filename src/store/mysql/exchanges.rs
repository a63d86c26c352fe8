//! Message exchanges in MySQL: the `baton_exchanges` table remembering inbound requests
//! awaiting a reply and outbound invokes in flight, so none is lost over a restart. Exchanges
//! are written only inside a step commit; lookups run on the pool.

use sqlx::mysql::{MySqlConnection, MySqlPool};

use crate::store::error::Constraint;
use crate::store::rows;
use crate::store::time::now_millis;
use crate::store::{Error, ExchangeRecord, ExchangeStatus, ExchangeWrite, Result};

/// Inserts `exchange` for `instance_id`, or updates its status and the messages it carries.
/// [`Error::Duplicate`] if the id belongs to another instance. (The connection counts the
/// rows an update matches, so a matched row is told apart from a missing one.)
pub(super) async fn upsert(
    conn: &mut MySqlConnection,
    instance_id: i64,
    exchange: &ExchangeWrite,
) -> Result<()> {
    let updated = sqlx::query(
        "UPDATE baton_exchanges SET status = ?, request = COALESCE(?, request), \
         response = COALESCE(?, response) WHERE id = ? AND instance_id = ?",
    )
    .bind(exchange.status.as_str())
    .bind(&exchange.request)
    .bind(&exchange.response)
    .bind(&exchange.id)
    .bind(instance_id)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 1 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO baton_exchanges \
         (id, instance_id, partner_link, operation, direction, status, request, response, \
          created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&exchange.id)
    .bind(instance_id)
    .bind(&exchange.partner_link)
    .bind(&exchange.operation)
    .bind(exchange.direction.as_str())
    .bind(exchange.status.as_str())
    .bind(&exchange.request)
    .bind(&exchange.response)
    .bind(now_millis())
    .execute(&mut *conn)
    .await
    .map_err(|error| match Constraint::violated_by(&error) {
        Some(Constraint::Unique) => Error::Duplicate {
            entity: "message exchange",
            key: exchange.id.clone(),
        },
        _ => error.into(),
    })?;
    Ok(())
}

/// The pending exchanges of one instance, oldest first.
pub(super) async fn pending(pool: &MySqlPool, instance_id: i64) -> Result<Vec<ExchangeRecord>> {
    sqlx::query(
        "SELECT id, instance_id, partner_link, operation, direction, status, request, response, \
         created_at FROM baton_exchanges WHERE instance_id = ? AND status = ? \
         ORDER BY created_at, id",
    )
    .bind(instance_id)
    .bind(ExchangeStatus::Pending.as_str())
    .fetch_all(pool)
    .await?
    .iter()
    .map(rows::exchange)
    .collect()
}

/// Every exchange of one instance, oldest first.
pub(super) async fn of_instance(pool: &MySqlPool, instance_id: i64) -> Result<Vec<ExchangeRecord>> {
    sqlx::query(
        "SELECT id, instance_id, partner_link, operation, direction, status, request, response, \
         created_at FROM baton_exchanges WHERE instance_id = ? ORDER BY created_at, id",
    )
    .bind(instance_id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(rows::exchange)
    .collect()
}

/// Deletes every exchange of one instance, with the messages they carry.
pub(super) async fn clear(conn: &mut MySqlConnection, instance_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM baton_exchanges WHERE instance_id = ?")
        .bind(instance_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

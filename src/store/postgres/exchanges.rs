//! Message exchanges in PostgreSQL: the `baton_exchanges` table remembering inbound requests
//! awaiting a reply and outbound invokes in flight, so none is lost over a restart. Exchanges
//! are written only inside a step commit; lookups run on the pool.

use sqlx::postgres::{PgConnection, PgPool};

use crate::store::rows;
use crate::store::time::now_millis;
use crate::store::{Error, ExchangeRecord, ExchangeStatus, ExchangeWrite, Result};

/// Inserts `exchange` for `instance_id`, or updates its status and the messages it carries.
/// [`Error::Duplicate`] if the id belongs to another instance.
pub(super) async fn upsert(
    conn: &mut PgConnection,
    instance_id: i64,
    exchange: &ExchangeWrite,
) -> Result<()> {
    let done = sqlx::query(
        "INSERT INTO baton_exchanges \
         (id, instance_id, partner_link, operation, direction, status, request, response, \
          created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (id) DO UPDATE SET \
         status = excluded.status, \
         request = COALESCE(excluded.request, baton_exchanges.request), \
         response = COALESCE(excluded.response, baton_exchanges.response) \
         WHERE baton_exchanges.instance_id = excluded.instance_id",
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
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::Duplicate {
            entity: "message exchange",
            key: exchange.id.clone(),
        });
    }
    Ok(())
}

/// The pending exchanges of one instance, oldest first.
pub(super) async fn pending(pool: &PgPool, instance_id: i64) -> Result<Vec<ExchangeRecord>> {
    sqlx::query(
        "SELECT id, instance_id, partner_link, operation, direction, status, request, response, \
         created_at FROM baton_exchanges WHERE instance_id = $1 AND status = $2 \
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
pub(super) async fn of_instance(pool: &PgPool, instance_id: i64) -> Result<Vec<ExchangeRecord>> {
    sqlx::query(
        "SELECT id, instance_id, partner_link, operation, direction, status, request, response, \
         created_at FROM baton_exchanges WHERE instance_id = $1 ORDER BY created_at, id",
    )
    .bind(instance_id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(rows::exchange)
    .collect()
}

/// Deletes every exchange of one instance, with the messages they carry.
pub(super) async fn clear(conn: &mut PgConnection, instance_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM baton_exchanges WHERE instance_id = $1")
        .bind(instance_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

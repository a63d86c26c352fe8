//! The outbox and the received messages in PostgreSQL: `baton_outbox` holds the messages instances
//! send until their partner has taken them, `baton_received` the ids of the messages
//! instances have taken. Both are written inside step commits; an outbox entry is also
//! deleted on its own once its partner has taken it.

use sqlx::postgres::{PgConnection, PgPool};

use crate::store::rows;
use crate::store::{OutboxEntry, Received, Result};

/// Remembers the message `received` took; [`Error::Duplicate`](crate::store::Error::Duplicate)
/// when its id is stored already.
pub(super) async fn insert_received(conn: &mut PgConnection, received: &Received) -> Result<()> {
    sqlx::query(
        "INSERT INTO baton_received (message_id, instance_id, exchange_id) VALUES ($1, $2, $3)",
    )
    .bind(&received.message_id)
    .bind(received.instance_id)
    .bind(&received.exchange)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores `entry` in the outbox.
pub(super) async fn insert_outbox(conn: &mut PgConnection, entry: &OutboxEntry) -> Result<()> {
    sqlx::query(
        "INSERT INTO baton_outbox (message_id, instance_id, pid, exchange_id, payload) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&entry.message_id)
    .bind(entry.instance_id)
    .bind(&entry.pid)
    .bind(&entry.exchange)
    .bind(&entry.call)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes the outbox entry of `instance_id`'s exchange `exchange`, if stored.
pub(super) async fn settle(
    conn: &mut PgConnection,
    instance_id: i64,
    exchange: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM baton_outbox WHERE instance_id = $1 AND exchange_id = $2")
        .bind(instance_id)
        .bind(exchange)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Deletes the outbox entry of message `message_id`, if stored.
pub(super) async fn delivered(pool: &PgPool, message_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM baton_outbox WHERE message_id = $1")
        .bind(message_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Every outbox entry, by instance then message id.
pub(super) async fn outbox(pool: &PgPool) -> Result<Vec<OutboxEntry>> {
    sqlx::query(
        "SELECT message_id, instance_id, pid, exchange_id, payload FROM baton_outbox \
         ORDER BY instance_id, message_id",
    )
    .fetch_all(pool)
    .await?
    .iter()
    .map(rows::outbox_entry)
    .collect()
}

/// The record of message `message_id`, if an instance took it.
pub(super) async fn received(pool: &PgPool, message_id: &str) -> Result<Option<Received>> {
    sqlx::query(
        "SELECT message_id, instance_id, exchange_id FROM baton_received WHERE message_id = $1",
    )
    .bind(message_id)
    .fetch_optional(pool)
    .await?
    .as_ref()
    .map(rows::received)
    .transpose()
}

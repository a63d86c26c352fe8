//! The outbox and the received messages: `baton_outbox` holds the messages instances send
//! until their partner has taken them, `baton_received` the ids of the messages instances have
//! taken. Both are written inside step commits; an outbox entry is also deleted on its own
//! once its partner has taken it.

use sqlx::Pool;

use super::dialect::{sql, Dialect, Value};
use crate::store::rows;
use crate::store::{OutboxEntry, Received, Result};

/// The insert of the rows of messages taken ([`received_row`]), before their values.
macro_rules! received_rows {
    () => {
        "INSERT INTO baton_received (message_id, instance_id, exchange_id) VALUES "
    };
}
pub(super) use received_rows;

/// The insert of outbox rows ([`outbox_row`]), before their values.
macro_rules! outbox_rows {
    () => {
        "INSERT INTO baton_outbox (message_id, instance_id, pid, exchange_id, payload) VALUES "
    };
}
pub(super) use outbox_rows;

/// The row of a message taken, in the order of the columns.
pub(super) fn received_row(received: &Received) -> Vec<Value<'_>> {
    vec![
        (&received.message_id).into(),
        received.instance_id.into(),
        (&received.exchange).into(),
    ]
}

/// The row of an outbox entry, in the order of the columns.
pub(super) fn outbox_row(entry: &OutboxEntry) -> Vec<Value<'_>> {
    vec![
        (&entry.message_id).into(),
        entry.instance_id.into(),
        (&entry.pid).into(),
        (&entry.exchange).into(),
        (&entry.call).into(),
    ]
}

/// Deletes the outbox entry of message `message_id`, if stored.
pub(super) async fn delivered<D: Dialect>(pool: &Pool<D>, message_id: &str) -> Result<()> {
    sql!(D, "DELETE FROM baton_outbox WHERE message_id = ?")
        .bind(message_id)
        .execute_on(pool)
        .await?;
    Ok(())
}

/// Every outbox entry, by instance then message id.
pub(super) async fn outbox<D: Dialect>(pool: &Pool<D>) -> Result<Vec<OutboxEntry>> {
    sql!(
        D,
        "SELECT message_id, instance_id, pid, exchange_id, payload FROM baton_outbox \
         ORDER BY instance_id, message_id"
    )
    .fetch_all_on(pool, rows::outbox_entry)
    .await
}

/// The record of message `message_id`, if an instance took it.
pub(super) async fn received<D: Dialect>(
    pool: &Pool<D>,
    message_id: &str,
) -> Result<Option<Received>> {
    sql!(
        D,
        "SELECT message_id, instance_id, exchange_id FROM baton_received WHERE message_id = ?"
    )
    .bind(message_id)
    .fetch_optional_on(pool, rows::received)
    .await
}

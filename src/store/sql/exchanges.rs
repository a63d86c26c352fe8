//! Message exchanges: the `baton_exchanges` table remembering inbound requests awaiting a
//! reply and outbound invokes in flight, so none is lost over a restart. Exchanges are written
//! only inside a step commit; lookups run on the pool.

use sqlx::Pool;

use super::dialect::{sql, Dialect, Value};
use crate::store::rows;
use crate::store::{ExchangeRecord, ExchangeStatus, ExchangeWrite, Result};

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

//! Correlation routes: the `baton_routes` table mapping (process QName, route key) to the
//! instance waiting for matching messages. Routes are written only inside a step commit;
//! lookups run on the pool.

use sqlx::Pool;

use super::dialect::{sql, Dialect, Value};
use crate::store::rows::StoredRow;
use crate::store::{Result, RouteKey, RouteOwner};

/// The instance owning route `key` of `process`, with its process version.
pub(super) async fn find<D: Dialect>(
    pool: &Pool<D>,
    process: &str,
    key: &str,
) -> Result<Option<RouteOwner>> {
    sql!(
        D,
        "SELECT r.instance_id, i.pid FROM baton_routes r \
         JOIN baton_instances i ON i.id = r.instance_id \
         WHERE r.process_name = ? AND r.route_key = ?"
    )
    .bind(process)
    .bind(key)
    .fetch_optional_on(pool, |row| {
        Ok(RouteOwner {
            instance: row.integer("instance_id")?,
            pid: row.text("pid")?,
        })
    })
    .await
}

/// The routes of one instance, sorted.
pub(super) async fn of_instance<D: Dialect>(
    pool: &Pool<D>,
    instance_id: i64,
) -> Result<Vec<RouteKey>> {
    sql!(
        D,
        "SELECT process_name, route_key FROM baton_routes WHERE instance_id = ? \
         ORDER BY process_name, route_key"
    )
    .bind(instance_id)
    .fetch_all_on(pool, |row| {
        Ok(RouteKey::new(
            row.text("process_name")?,
            row.text("route_key")?,
        ))
    })
    .await
}

/// The insert of route rows ([`row`]), before their values.
macro_rules! insert_rows {
    () => {
        "INSERT INTO baton_routes (process_name, route_key, instance_id) VALUES "
    };
}
pub(super) use insert_rows;

/// The row of `route` owned by `instance_id`, in the order of the columns.
pub(super) fn row(instance_id: i64, route: &RouteKey) -> Vec<Value<'_>> {
    vec![
        (&route.process).into(),
        (&route.key).into(),
        instance_id.into(),
    ]
}

/// Drops every route of `instance_id`.
pub(super) async fn clear<D: Dialect>(conn: &mut D::Connection, instance_id: i64) -> Result<()> {
    sql!(D, "DELETE FROM baton_routes WHERE instance_id = ?")
        .bind(instance_id)
        .execute::<D>(conn)
        .await?;
    Ok(())
}

//! Correlation routes in MySQL: the `baton_routes` table mapping (process QName, route key)
//! to the instance waiting for matching messages. Routes are written only inside a step
//! commit; lookups run on the pool.

use sqlx::mysql::{MySqlConnection, MySqlPool};
use sqlx::Row;

use crate::store::error::Constraint;
use crate::store::rows::StoredRow;
use crate::store::{Error, Result, RouteKey, RouteOwner};

/// The instance owning route `key` of `process`, with its process version.
pub(super) async fn find(pool: &MySqlPool, process: &str, key: &str) -> Result<Option<RouteOwner>> {
    let row = sqlx::query(
        "SELECT r.instance_id, i.pid FROM baton_routes r \
         JOIN baton_instances i ON i.id = r.instance_id \
         WHERE r.process_name = ? AND r.route_key = ?",
    )
    .bind(process)
    .bind(key)
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        Ok(RouteOwner {
            instance: row.try_get("instance_id")?,
            pid: row.text("pid")?,
        })
    })
    .transpose()
}

/// The routes of one instance, sorted.
pub(super) async fn of_instance(pool: &MySqlPool, instance_id: i64) -> Result<Vec<RouteKey>> {
    sqlx::query(
        "SELECT process_name, route_key FROM baton_routes WHERE instance_id = ? \
         ORDER BY process_name, route_key",
    )
    .bind(instance_id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        Ok(RouteKey::new(
            row.text("process_name")?,
            row.text("route_key")?,
        ))
    })
    .collect()
}

/// Gives `route` to `instance_id`: a no-op if it already owns it, or if another instance does
/// and the route is shared; else [`Error::DuplicateRoute`] if another instance does. A failed insert leaves the transaction usable in MySQL.
pub(super) async fn add(
    conn: &mut MySqlConnection,
    instance_id: i64,
    route: &RouteKey,
) -> Result<()> {
    let inserted = sqlx::query(
        "INSERT INTO baton_routes (process_name, route_key, instance_id) VALUES (?, ?, ?)",
    )
    .bind(&route.process)
    .bind(&route.key)
    .bind(instance_id)
    .execute(&mut *conn)
    .await;
    match inserted {
        Ok(_) => return Ok(()),
        Err(error) if Constraint::violated_by(&error) == Some(Constraint::Unique) => {}
        Err(error) => return Err(error.into()),
    }
    let owner: i64 = sqlx::query_scalar(
        "SELECT instance_id FROM baton_routes WHERE process_name = ? AND route_key = ?",
    )
    .bind(&route.process)
    .bind(&route.key)
    .fetch_one(&mut *conn)
    .await?;
    if owner == instance_id || route.shared {
        return Ok(());
    }
    Err(Error::DuplicateRoute {
        process: route.process.clone(),
        key: route.key.clone(),
        owner,
    })
}

/// Takes `route` away from `instance_id`, if it owns it.
pub(super) async fn remove(
    conn: &mut MySqlConnection,
    instance_id: i64,
    route: &RouteKey,
) -> Result<()> {
    sqlx::query(
        "DELETE FROM baton_routes WHERE process_name = ? AND route_key = ? AND instance_id = ?",
    )
    .bind(&route.process)
    .bind(&route.key)
    .bind(instance_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Drops every route of `instance_id`.
pub(super) async fn clear(conn: &mut MySqlConnection, instance_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM baton_routes WHERE instance_id = ?")
        .bind(instance_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

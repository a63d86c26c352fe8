//! Correlation routes: the `baton_routes` table mapping (process QName, route key) to the
//! instance waiting for matching messages. Routes are written only inside a step commit;
//! lookups run on the pool.

use sqlx::Pool;

use super::dialect::{sql, Dialect, Value};
use crate::store::error::Constraint;
use crate::store::rows::StoredRow;
use crate::store::{Error, Result, RouteKey, RouteOwner};

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

/// After the values of an insert where `ON CONFLICT` is understood: a route owned already
/// stays its owner's.
macro_rules! on_conflict {
    () => {
        " ON CONFLICT (process_name, route_key) DO NOTHING"
    };
}
pub(super) use on_conflict;

/// The row of `route` owned by `instance_id`, in the order of the columns.
pub(super) fn row(instance_id: i64, route: &RouteKey) -> Vec<Value<'_>> {
    vec![
        (&route.process).into(),
        (&route.key).into(),
        instance_id.into(),
    ]
}

/// Gives `route` to `instance_id`: a no-op if it already owns it, or if another instance does
/// and the route is shared; else [`Error::DuplicateRoute`] if another instance does.
pub(super) async fn add<D: Dialect>(
    conn: &mut D::Connection,
    instance_id: i64,
    route: &RouteKey,
) -> Result<()> {
    let insert = match D::ON_CONFLICT {
        true => sql!(D, concat!(insert_rows!(), "(?, ?, ?)", on_conflict!())),
        false => sql!(D, concat!(insert_rows!(), "(?, ?, ?)")),
    };
    let inserted = insert
        .bind_all(row(instance_id, route))
        .execute::<D>(conn)
        .await;
    match inserted {
        Ok(done) if done.rows == 1 => return Ok(()),
        Ok(_) => {}
        Err(error) if Constraint::violated_by(&error) == Some(Constraint::Unique) => {}
        Err(error) => return Err(error.into()),
    }
    let owner = sql!(
        D,
        "SELECT instance_id FROM baton_routes WHERE process_name = ? AND route_key = ?"
    )
    .bind(&route.process)
    .bind(&route.key)
    .fetch_one::<D>(conn)
    .await?
    .integer("instance_id")?;
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
pub(super) async fn remove<D: Dialect>(
    conn: &mut D::Connection,
    instance_id: i64,
    route: &RouteKey,
) -> Result<()> {
    sql!(
        D,
        "DELETE FROM baton_routes WHERE process_name = ? AND route_key = ? AND instance_id = ?"
    )
    .bind(&route.process)
    .bind(&route.key)
    .bind(instance_id)
    .execute::<D>(conn)
    .await?;
    Ok(())
}

/// Drops every route of `instance_id`.
pub(super) async fn clear<D: Dialect>(conn: &mut D::Connection, instance_id: i64) -> Result<()> {
    sql!(D, "DELETE FROM baton_routes WHERE instance_id = ?")
        .bind(instance_id)
        .execute::<D>(conn)
        .await?;
    Ok(())
}

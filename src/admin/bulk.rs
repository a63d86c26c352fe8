//! The management API's bulk operations: deleting the ended instances an instance filter
//! selects, started with one request and followed with another (see
//! [`crate::engine::bulk`]).

use std::time::SystemTime;

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::access::{Allowed, Operator, Viewer};
use super::routes::{error, internal, json};
use super::ErrorBody;
use crate::engine::bulk::Operation;
use crate::engine::sweep::Pace;
use crate::engine::Engine;
use crate::query;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Deletion {
    filter: Option<String>,
}

/// Starts deleting, with everything of them, the ended instances (completed, faulted,
/// failed, terminated) an instance filter selects; running and suspended ones are left.
/// The filter is required: `status=completed` says "every completed instance".
#[utoipa::path(
    tag = "operations",
    params(("filter" = String, Query, description = "An instance filter in ODE's language")),
    responses((status = 202, body = Operation), (status = 400, body = ErrorBody)),
)]
#[post("/instances/delete")]
pub(super) async fn delete_instances(
    _: Allowed<Operator>,
    engine: web::Data<Engine>,
    request: HttpRequest,
) -> HttpResponse {
    let asked = web::Query::<Deletion>::from_query(request.query_string());
    let filter = match asked.map(|asked| asked.into_inner().filter) {
        Ok(Some(filter)) if !filter.trim().is_empty() => filter,
        Ok(_) => {
            let reason = "a filter is required (status=completed selects every completed instance)";
            return error(StatusCode::BAD_REQUEST, reason.into());
        }
        Err(refusal) => {
            let reason = format!("the query string cannot be read: {refusal}");
            return error(StatusCode::BAD_REQUEST, reason);
        }
    };
    let services = engine.services();
    let processes = match services.store.list_processes().await {
        Ok(processes) => processes,
        Err(failure) => return internal(&failure),
    };
    let chosen = match query::instance_listing(&filter, "", &processes, SystemTime::now()) {
        Ok(chosen) => chosen,
        Err(refusal) => return error(StatusCode::BAD_REQUEST, refusal.to_string()),
    };
    let pace = Pace::of(&services.config.cleanup);
    let operation = services
        .bulk
        .delete(services.store.clone(), chosen, &filter, pace);
    json(StatusCode::ACCEPTED, &operation)
}

/// A bulk operation: where it stands and what it did so far.
#[utoipa::path(
    tag = "operations",
    params(("operation" = u64, Path, description = "The operation's id")),
    responses((status = 200, body = Operation), (status = 404, body = ErrorBody)),
)]
#[get("/operations/{operation}")]
pub(super) async fn show_operation(
    _: Allowed<Viewer>,
    engine: web::Data<Engine>,
    path: web::Path<String>,
) -> HttpResponse {
    let found = path
        .parse()
        .ok()
        .and_then(|id| engine.services().bulk.get(id));
    match found {
        Some(operation) => json(StatusCode::OK, &operation),
        None => error(
            StatusCode::NOT_FOUND,
            format!("no operation '{path}' is remembered"),
        ),
    }
}

/// The bulk operations remembered (the last 100), oldest first.
#[utoipa::path(tag = "operations", responses((status = 200, body = Vec<Operation>)))]
#[get("/operations")]
pub(super) async fn list_operations(_: Allowed<Viewer>, engine: web::Data<Engine>) -> HttpResponse {
    json(StatusCode::OK, &engine.services().bulk.all())
}

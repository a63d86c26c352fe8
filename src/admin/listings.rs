//! The listings of the management API: instances and process versions, chosen by ODE's
//! filter languages ([`crate::query`]) given in the query string (`filter`, `order`, and for
//! instances `limit` and `cursor`). A filter that cannot be read is answered 400 with the
//! offending token and where it begins. A full page of instances comes with the [`cursor`]
//! of the next one.

use std::time::SystemTime;

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::access::{Allowed, Viewer};
use super::cursor;
use super::routes::{error, internal, json};
use super::{ErrorBody, InstanceList, InstanceListed, ProcessList, ProcessListed};
use crate::engine::Engine;
use crate::query;
use crate::runtime::xsd;
use crate::store::time::to_millis;

/// How many instances a listing returns unless it says.
const DEFAULT_LIMIT: u32 = 100;
/// The most instances one listing returns.
const MOST: u32 = 1_000;

/// A listing's query string.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Listing {
    #[serde(default)]
    filter: String,
    #[serde(default)]
    order: String,
    limit: Option<u32>,
    cursor: Option<String>,
}

impl Listing {
    /// The listing `request` asks for, or why it cannot be read.
    fn of(request: &HttpRequest) -> Result<Listing, String> {
        web::Query::<Listing>::from_query(request.query_string())
            .map(web::Query::into_inner)
            .map_err(|refusal| format!("the query string cannot be read: {refusal}"))
    }
}

/// The instances of durable processes an instance filter selects, in its order, a page at a
/// time.
#[utoipa::path(
    tag = "instances",
    params(
        ("filter" = Option<String>, Query, description = "An instance filter in ODE's language, e.g. `name=order* status=active started>=-7d`"),
        ("order" = Option<String>, Query, description = "Order keys separated by spaces, each with - for descending"),
        ("limit" = Option<u32>, Query, description = "At most this many instances: 100 unless given, 1,000 at most"),
        ("cursor" = Option<String>, Query, description = "The `next` of the page before, with the same filter and order"),
    ),
    responses((status = 200, body = InstanceList), (status = 400, body = ErrorBody)),
)]
#[get("/instances")]
pub(super) async fn list_instances(
    _: Allowed<Viewer>,
    engine: web::Data<Engine>,
    request: HttpRequest,
) -> HttpResponse {
    let listing = match Listing::of(&request) {
        Ok(listing) => listing,
        Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
    };
    let limit = listing.limit.unwrap_or(DEFAULT_LIMIT);
    if limit > MOST {
        let reason = format!("limit {limit} is over {MOST}, the most one listing returns");
        return error(StatusCode::BAD_REQUEST, reason);
    }
    let store = &engine.services().store;
    let processes = match store.list_processes().await {
        Ok(processes) => processes,
        Err(failure) => return internal(&failure),
    };
    let listed = query::instance_listing(
        &listing.filter,
        &listing.order,
        &processes,
        SystemTime::now(),
    );
    let after = listing
        .cursor
        .as_deref()
        .map(|c| cursor::position(c, &listing.order))
        .transpose();
    let filter = match (listed, after) {
        (Ok(filter), Ok(after)) => crate::store::InstanceFilter {
            after,
            limit: Some(limit),
            ..filter
        },
        (Err(refusal), _) => return error(StatusCode::BAD_REQUEST, refusal.to_string()),
        (_, Err(reason)) => return error(StatusCode::BAD_REQUEST, reason),
    };
    match store.list_instances(&filter).await {
        Ok(listed) => json(
            StatusCode::OK,
            &InstanceList {
                next: match listed.last() {
                    Some(last) if listed.len() == limit as usize => {
                        Some(cursor::after(&listing.order, last))
                    }
                    _ => None,
                },
                instances: listed
                    .into_iter()
                    .map(|instance| InstanceListed {
                        instance: instance.id,
                        pid: instance.pid,
                        status: instance.status.to_string(),
                        reason: instance.failure,
                        started: date_time(instance.created_at),
                        last_active: date_time(instance.updated_at),
                    })
                    .collect(),
            },
        ),
        Err(failure) => internal(&failure),
    }
}

/// The deployed process versions a process filter selects, in its order.
#[utoipa::path(
    tag = "processes",
    params(
        ("filter" = Option<String>, Query, description = "A process filter in ODE's language, e.g. `name=order* status=activated`"),
        ("order" = Option<String>, Query, description = "Order keys separated by spaces, each with - for descending"),
    ),
    responses((status = 200, body = ProcessList), (status = 400, body = ErrorBody)),
)]
#[get("/processes")]
pub(super) async fn list_processes(
    _: Allowed<Viewer>,
    engine: web::Data<Engine>,
    request: HttpRequest,
) -> HttpResponse {
    let listing = match Listing::of(&request) {
        Ok(Listing { limit: Some(_), .. }) => {
            let reason = "a listing of processes takes no limit".to_owned();
            return error(StatusCode::BAD_REQUEST, reason);
        }
        Ok(listing) => listing,
        Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
    };
    let store = &engine.services().store;
    let (records, deployments) =
        match (store.list_processes().await, store.list_deployments().await) {
            (Ok(records), Ok(deployments)) => (records, deployments),
            (Err(failure), _) | (_, Err(failure)) => return internal(&failure),
        };
    let listed = query::process_listing(
        &listing.filter,
        &listing.order,
        &records,
        &deployments,
        SystemTime::now(),
    );
    let chosen = match listed {
        Ok(chosen) => chosen,
        Err(refusal) => return error(StatusCode::BAD_REQUEST, refusal.to_string()),
    };
    let processes = chosen
        .iter()
        .map(|view| ProcessListed {
            pid: view.record.pid.clone(),
            process: view.record.process.clone(),
            version: view.record.version,
            status: view.record.state.to_string(),
            deployed: date_time(view.deployed_at),
        })
        .collect();
    json(StatusCode::OK, &ProcessList { processes })
}

fn date_time(time: SystemTime) -> String {
    xsd::date_time(to_millis(time)).to_string()
}

//! The management API's view of events: an instance's timeline, as the `store` listener kept
//! it, a page at a time; and how each running listener is doing (queued, delivered, dropped
//! and failed events).

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;

use super::access::{Allowed, Viewer};
use super::routes::{error, instance_id, internal, json};
use super::{ErrorBody, Timeline};
use crate::engine::Engine;
use crate::events::{EventRecord, ListenerReport};
use crate::runtime::events::Event;

/// How many steps' events a timeline page holds unless it says.
const DEFAULT_LIMIT: u32 = 100;
/// The most steps' events one page holds.
const MOST: u32 = 1_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    /// The `next` of the page before.
    after: Option<i64>,
    limit: Option<u32>,
}

/// An instance's events, oldest first, as the `store` listener kept them: those of `limit`
/// steps a page.
#[utoipa::path(
    tag = "events",
    params(
        ("instance" = i64, Path, description = "The instance id"),
        ("after" = Option<i64>, Query, description = "The `next` of the page before"),
        ("limit" = Option<u32>, Query, description = "The events of at most this many steps: 100 unless given, 1,000 at most"),
    ),
    responses((status = 200, body = Timeline), (status = 400, body = ErrorBody)),
)]
#[get("/instances/{instance}/events")]
pub(super) async fn timeline(
    _: Allowed<Viewer>,
    engine: web::Data<Engine>,
    path: web::Path<String>,
    request: actix_web::HttpRequest,
) -> HttpResponse {
    let instance = match instance_id(&path) {
        Ok(instance) => instance,
        Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
    };
    let page = match web::Query::<Page>::from_query(request.query_string()) {
        Ok(page) => page.into_inner(),
        Err(refusal) => {
            let reason = format!("the query string cannot be read: {refusal}");
            return error(StatusCode::BAD_REQUEST, reason);
        }
    };
    let limit = page.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MOST).contains(&limit) {
        let reason = format!("limit must be from 1 to {MOST}, not {limit}");
        return error(StatusCode::BAD_REQUEST, reason);
    }
    let store = &engine.services().store;
    let stored = match store
        .instance_events(instance, page.after.unwrap_or(0), limit)
        .await
    {
        Ok(stored) => stored,
        Err(failure) => return internal(&failure),
    };
    let next = (stored.len() == limit as usize)
        .then(|| stored.last().map(|event| event.id))
        .flatten();
    let mut events = Vec::new();
    for row in stored {
        let step: Vec<Event> = match serde_json::from_str(&row.body) {
            Ok(step) => step,
            Err(failure) => return internal(&format!("events {} unreadable: {failure}", row.id)),
        };
        events.extend(step.into_iter().map(|event| EventRecord {
            pid: row.pid.clone(),
            instance: Some(row.instance_id),
            at_ms: row.at_ms,
            event,
        }));
    }
    json(StatusCode::OK, &Timeline { events, next })
}

/// Each running event listener: events queued, delivered, dropped (its queue was full) and
/// failed.
#[utoipa::path(
    tag = "events",
    responses((status = 200, body = Vec<ListenerReport>)),
)]
#[get("/events/listeners")]
pub(super) async fn listeners(_: Allowed<Viewer>, engine: web::Data<Engine>) -> HttpResponse {
    json(StatusCode::OK, &engine.services().events.reports())
}

//! The management API's routes, added to the SOAP/HTTP server through
//! [`baton_transports::http::serve_with`]. Every route is behind [`access::login`]; each
//! states the role it needs with an [`Allowed`] argument.

use actix_web::dev::{ServiceFactory, ServiceRequest};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use serde::Serialize;
use utoipa_actix_web::scope::Scope;

use super::access::{self, Allowed, Operator, Viewer};
use super::{bulk, events, listings, openapi, state};
use super::{ErrorBody, FailureList, InstanceView, Operated, Settled, PREFIX};
use crate::auth::Accounts;
use crate::engine::{Engine, Error, FailureError, OperatorError};
use crate::runtime::step::{OperatorAction, RecoveryAction};

/// The routes under [`PREFIX`], for the callers `accounts` lets in; when not `enabled`,
/// every path there answers 403.
pub fn routes(
    engine: Engine,
    accounts: Accounts,
    enabled: bool,
) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    let document = web::Data::new(openapi::document());
    move |config| {
        if enabled {
            let scope = operations(utoipa_actix_web::scope(PREFIX))
                .app_data(web::Data::new(engine.clone()))
                .app_data(web::Data::new(accounts.clone()))
                .app_data(document.clone())
                .default_service(web::to(unknown))
                .wrap(actix_web::middleware::from_fn(access::login));
            config.service(scope);
        } else {
            config.service(web::scope(PREFIX).default_service(web::to(disabled)));
        }
    }
}

/// Every operation of the API, added to `scope`: as it is served, and as its OpenAPI
/// document describes it ([`openapi::document`]), so that the two cannot differ.
pub(super) fn operations<T>(scope: Scope<T>) -> Scope<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    scope
        .service(listings::list_instances)
        .service(listings::list_processes)
        .service(bulk::delete_instances)
        .service(bulk::list_operations)
        .service(bulk::show_operation)
        .service(state::show_state)
        .service(events::timeline)
        .service(events::listeners)
        .service(list)
        .service(settle)
        .service(show)
        .service(operate)
        .service(openapi::serve)
}

/// An instance: its status and, when it is suspended, failed or faulted, why.
#[utoipa::path(
    tag = "instances",
    params(("instance" = i64, Path, description = "The instance id (negative for in-memory)")),
    responses(
        (status = 200, body = InstanceView),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
)]
#[get("/instances/{instance}")]
async fn show(
    _: Allowed<Viewer>,
    engine: web::Data<Engine>,
    path: web::Path<String>,
) -> HttpResponse {
    let instance = match instance_id(&path) {
        Ok(instance) => instance,
        Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
    };
    let services = engine.services();
    match services
        .instances
        .of_instance(instance)
        .load_instance(instance)
        .await
    {
        Ok(Some(record)) => json(
            StatusCode::OK,
            &InstanceView {
                instance,
                pid: record.pid,
                status: record.status.to_string(),
                reason: record.failure,
            },
        ),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            format!("there is no instance {instance}"),
        ),
        Err(failure) => internal(&failure),
    }
}

/// Suspends, resumes or terminates an instance.
#[utoipa::path(
    tag = "instances",
    params(
        ("instance" = i64, Path, description = "The instance id"),
        ("action" = String, Path, description = "suspend, resume or terminate"),
    ),
    responses(
        (status = 200, body = Operated),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
    ),
)]
#[post("/instances/{instance}/{action}")]
async fn operate(
    _: Allowed<Operator>,
    engine: web::Data<Engine>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (instance, action) = path.into_inner();
    let instance = match instance_id(&instance) {
        Ok(instance) => instance,
        Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
    };
    let action: OperatorAction = match action.parse() {
        Ok(action) => action,
        Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
    };
    match engine.operate(instance, action).await {
        Ok(status) => json(
            StatusCode::OK,
            &Operated {
                instance,
                action,
                status: status.as_str().to_owned(),
            },
        ),
        Err(refusal) => {
            let status = match &refusal {
                OperatorError::NoInstance(_) => StatusCode::NOT_FOUND,
                OperatorError::Refused { .. }
                | OperatorError::FirstStep(_)
                | OperatorError::NotDeployed { .. }
                | OperatorError::Engine(Error::NoProcess(_)) => StatusCode::CONFLICT,
                OperatorError::Engine(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            if status.is_server_error() {
                tracing::error!(error = %refusal, "Management request failed");
            }
            error(status, refusal.to_string())
        }
    }
}

/// An instance's failed activities, and its one-way messages sent again until taken.
#[utoipa::path(
    tag = "instances",
    params(("instance" = i64, Path, description = "The instance id")),
    responses(
        (status = 200, body = FailureList),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
    ),
)]
#[get("/instances/{instance}/failures")]
async fn list(
    _: Allowed<Viewer>,
    engine: web::Data<Engine>,
    path: web::Path<String>,
) -> HttpResponse {
    let instance = match instance_id(&path) {
        Ok(instance) => instance,
        Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
    };
    match engine.failed_activities(instance).await {
        Ok(failures) => {
            let undelivered = engine.services().undelivered.of(instance);
            let list = FailureList {
                instance,
                failures,
                undelivered,
            };
            json(StatusCode::OK, &list)
        }
        Err(error) => refused(&error),
    }
}

/// Settles a failed activity: retry the call, cancel it, or raise ext:activityFailure.
#[utoipa::path(
    tag = "instances",
    params(
        ("instance" = i64, Path, description = "The instance id"),
        ("exchange" = String, Path, description = "The failed call's exchange"),
        ("action" = String, Path, description = "retry, cancel or fault"),
    ),
    responses(
        (status = 200, body = Settled),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
    ),
)]
#[post("/instances/{instance}/failures/{exchange}/{action}")]
async fn settle(
    _: Allowed<Operator>,
    engine: web::Data<Engine>,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    let (instance, exchange, action) = path.into_inner();
    let instance = match instance_id(&instance) {
        Ok(instance) => instance,
        Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
    };
    let action: RecoveryAction = match action.parse() {
        Ok(action) => action,
        Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
    };
    match engine.settle_failure(instance, &exchange, action).await {
        Ok(status) => json(
            StatusCode::OK,
            &Settled {
                instance,
                exchange,
                action,
                status: status.as_str().to_owned(),
            },
        ),
        Err(error) => refused(&error),
    }
}

async fn unknown(_: Allowed<Viewer>) -> HttpResponse {
    error(
        StatusCode::NOT_FOUND,
        format!("no such management resource; see GET {PREFIX}/openapi.json"),
    )
}

async fn disabled() -> HttpResponse {
    error(
        StatusCode::FORBIDDEN,
        "the management API is disabled ([server] admin = false)".into(),
    )
}

pub(super) fn instance_id(text: &str) -> Result<i64, String> {
    text.parse()
        .map_err(|_| format!("'{text}' is not an instance id"))
}

/// The status that answers `failure`.
fn status_of(failure: &FailureError) -> StatusCode {
    match failure {
        FailureError::NoInstance(_) | FailureError::NoFailure { .. } => StatusCode::NOT_FOUND,
        FailureError::NotRunning { .. }
        | FailureError::NotDeployed { .. }
        | FailureError::Engine(Error::NoProcess(_)) => StatusCode::CONFLICT,
        FailureError::Unreadable { .. } | FailureError::Engine(_) => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

fn refused(failure: &FailureError) -> HttpResponse {
    let status = status_of(failure);
    if status.is_server_error() {
        tracing::error!(error = %failure, "Management request failed");
    }
    error(status, failure.to_string())
}

/// The 500 that answers `failure` of the server's own, logged.
pub(super) fn internal(failure: &dyn std::fmt::Display) -> HttpResponse {
    tracing::error!(error = %failure, "Management request failed");
    error(StatusCode::INTERNAL_SERVER_ERROR, failure.to_string())
}

pub(super) fn error(status: StatusCode, error: String) -> HttpResponse {
    json(status, &ErrorBody { error })
}

pub(super) fn json(status: StatusCode, body: &impl Serialize) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(serde_json::to_vec(body).expect("management answers serialise"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_things_are_404_and_things_not_running_409() {
        assert_eq!(
            status_of(&FailureError::NoInstance(3)),
            StatusCode::NOT_FOUND
        );
        let no_failure = FailureError::NoFailure {
            instance: 3,
            exchange: "3.1".into(),
        };
        assert_eq!(status_of(&no_failure), StatusCode::NOT_FOUND);
        let finished = FailureError::NotRunning {
            instance: 3,
            status: "completed".into(),
        };
        assert_eq!(status_of(&finished), StatusCode::CONFLICT);
        let gone = FailureError::Engine(Error::NoProcess("p-1".into()));
        assert_eq!(status_of(&gone), StatusCode::CONFLICT);
    }
}

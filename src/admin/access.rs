//! Who may use the management API. [`login`] wraps the whole `/api/v1` scope: it checks the
//! request's credentials against the [`Accounts`] before anything is looked up, so an
//! anonymous caller or one with wrong credentials gets the same 401 whatever the path, and
//! one over the failed-login limit gets 429. A route states the role it needs by taking an
//! [`Allowed`] argument (`Allowed<Operator>`), which answers 403 to a smaller role.

use std::future::{ready, Ready};
use std::marker::PhantomData;

use actix_web::body::BoxBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};

use super::ErrorBody;
use crate::auth::{Accounts, Denied, Presented, Principal, Role};

/// The challenge of a 401: either scheme is accepted.
const CHALLENGE: &str = "Basic realm=\"baton\", Bearer realm=\"baton\"";

/// Authenticates every request of the scope it wraps, and lets it through with its
/// [`Principal`] in the request's extensions; the [`Accounts`] are the app data.
pub async fn login(
    request: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let accounts = request
        .app_data::<web::Data<Accounts>>()
        .expect("the management API has the accounts")
        .clone();
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(Presented::parse);
    let client = request.peer_addr().map(|address| address.ip());
    let checked = match presented {
        None => Err(Denied::Anonymous),
        // Password hashing is slow on purpose: it runs on the blocking pool.
        Some(presented) => {
            web::block(move || accounts.authenticate(Some(&presented), client)).await?
        }
    };
    match checked {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.call(request).await
        }
        Err(denied) => Ok(request.into_response(denied_response(&denied))),
    }
}

/// The answer to a request that was not let in.
fn denied_response(denied: &Denied) -> HttpResponse {
    let mut response = match denied {
        Denied::Anonymous | Denied::WrongCredentials => {
            let mut response = HttpResponse::Unauthorized();
            response.insert_header((header::WWW_AUTHENTICATE, CHALLENGE));
            response
        }
        Denied::TooManyFailures { retry_after } => {
            let mut response = HttpResponse::TooManyRequests();
            let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            response.insert_header((header::RETRY_AFTER, seconds.max(1).to_string()));
            response
        }
    };
    response.json(ErrorBody {
        error: denied.to_string(),
    })
}

/// A role a route requires, as a type: [`Viewer`], [`Operator`] or [`Admin`].
pub trait Requirement {
    const ROLE: Role;
}

/// Read access.
pub struct Viewer;
/// Instance actions and deployment.
pub struct Operator;
/// Everything.
pub struct Admin;

impl Requirement for Viewer {
    const ROLE: Role = Role::Viewer;
}
impl Requirement for Operator {
    const ROLE: Role = Role::Operator;
}
impl Requirement for Admin {
    const ROLE: Role = Role::Admin;
}

/// The caller of a route that requires the role `R`; taking it as an argument refuses a
/// caller with a smaller role (403).
pub struct Allowed<R: Requirement> {
    pub principal: Principal,
    required: PhantomData<R>,
}

impl<R: Requirement> FromRequest for Allowed<R> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let principal = request.extensions().get::<Principal>().cloned();
        ready(match principal {
            Some(principal) if principal.role >= R::ROLE => Ok(Self {
                principal,
                required: PhantomData,
            }),
            Some(principal) => {
                let reason = format!(
                    "'{}' has the role {}; this needs {}",
                    principal.name,
                    principal.role.as_str(),
                    R::ROLE.as_str()
                );
                Err(refusal(StatusCode::FORBIDDEN, reason))
            }
            None => Err(refusal(
                StatusCode::UNAUTHORIZED,
                Denied::Anonymous.to_string(),
            )),
        })
    }
}

fn refusal(status: StatusCode, error: String) -> actix_web::Error {
    let response = HttpResponse::build(status).json(ErrorBody {
        error: error.clone(),
    });
    actix_web::error::InternalError::from_response(error, response).into()
}

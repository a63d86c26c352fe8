//! Service endpoints that require credentials: a provided service whose deploy.xml
//! `<service>` lists `<baton:credentials>` accepts a SOAP call over HTTP only when its
//! `Authorization` header (HTTP basic or bearer) presents one of them; any other call is
//! answered 401 with a SOAP fault before the engine sees it. So a callback port can be closed
//! to all but its partner. Calls between processes of this server (peer-to-peer) do not
//! cross HTTP and are not checked.
//!
//! [`routes`] adds, beside the SOAP endpoints, a route that matches only the POSTs to such a
//! service that do not present an accepted credential. A password that was accepted once is
//! remembered (by a digest of the header and of the credential), so a partner's calls cost
//! one argon2 check, not one each. Wrong credentials count as failed logins of the client's
//! address, limited as the management endpoints' are (`[auth] max-failed-logins` within
//! `failed-login-window-ms`): beyond the limit a call is answered 429 without being checked,
//! so guessing costs the server no more than a few hashes per window.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use actix_web::guard::{self, GuardContext};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use baton_transports::soap::{self, FaultCode, SoapFault, SoapVersion};
use sha2::Digest;

use crate::auth::limiter::FailedLogins;
use crate::auth::{Denied, Presented, ServiceCredential};
use crate::engine::Engine;

/// The challenge of a 401.
const CHALLENGE: &str = "Basic realm=\"baton\", Bearer realm=\"baton\"";

/// The route refusing calls without the credentials their service requires.
pub(super) fn routes(engine: Engine) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    let failures = FailedLogins::new(engine.services().config.auth.login_limit());
    let admission = Admission {
        engine,
        accepted: Arc::default(),
        failures: Arc::new(failures),
    };
    move |config| {
        let admission = admission.clone();
        config.service(
            web::scope("")
                .guard(guard::Post())
                .guard(guard::fn_guard(move |context| admission.refuses(context)))
                .default_service(web::to(refusal)),
        );
    }
}

#[derive(Clone)]
struct Admission {
    engine: Engine,
    /// Digests of (header, credential) pairs that were accepted.
    accepted: Arc<Mutex<HashSet<[u8; 32]>>>,
    /// Wrong credentials, per client address.
    failures: Arc<FailedLogins>,
}

impl Admission {
    /// Whether the request is for a service requiring credentials and presents none of
    /// them.
    fn refuses(&self, context: &GuardContext<'_>) -> bool {
        let head = context.head();
        let Some(endpoint) = self.engine.services().registry.endpoint(head.uri.path()) else {
            return false;
        };
        if endpoint.credentials.is_empty() {
            return false;
        }
        let header = head
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        let Some((header, presented)) = header.and_then(|h| Some((h, Presented::parse(h)?))) else {
            return true;
        };
        let client = head.peer_addr.map(|address| address.ip());
        if let Err(denied) = self.failures.check(client, None) {
            context.req_data_mut().insert(Throttled(denied));
            return true;
        }
        let accepted = endpoint
            .credentials
            .iter()
            .any(|credential| self.accepts(credential, header, &presented));
        if !accepted {
            self.failures.record(client, None);
        }
        !accepted
    }

    fn accepts(&self, credential: &ServiceCredential, header: &str, presented: &Presented) -> bool {
        let ServiceCredential::User { password_hash, .. } = credential else {
            return credential.accepts(presented);
        };
        let mut digest = sha2::Sha256::new();
        digest.update(header.as_bytes());
        digest.update([0]);
        digest.update(password_hash.as_bytes());
        let key: [u8; 32] = digest.finalize().into();
        if self.accepted.lock().expect("accepted lock").contains(&key) {
            return true;
        }
        let accepted = credential.accepts(presented);
        if accepted {
            self.accepted.lock().expect("accepted lock").insert(key);
        }
        accepted
    }
}

/// Marks a call refused unchecked, its address having failed too often lately.
#[derive(Clone)]
struct Throttled(Denied);

/// The answer to a refused call: 429 when it was refused unchecked, else 401.
async fn refusal(request: HttpRequest) -> HttpResponse {
    let throttled = request.extensions().get::<Throttled>().cloned();
    let Some(Throttled(denied)) = throttled else {
        return unauthorized(&request);
    };
    tracing::info!(
        path = request.path(),
        "Call refused: too many wrong credentials"
    );
    let fault = SoapFault::new(FaultCode::Sender, denied.to_string());
    let version = soap_version(&request);
    let mut answer = HttpResponse::build(StatusCode::TOO_MANY_REQUESTS);
    if let Denied::TooManyFailures { retry_after } = denied {
        let seconds = retry_after.as_secs().max(1);
        answer.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    answer
        .content_type(version.content_type())
        .body(soap::write_fault(version, &fault))
}

/// The SOAP version the request's media type announces.
fn soap_version(request: &HttpRequest) -> SoapVersion {
    let soap12 = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("application/soap+xml")
        });
    if soap12 {
        SoapVersion::Soap12
    } else {
        SoapVersion::Soap11
    }
}

/// The 401 answer: a SOAP fault of the version the request's media type announces.
fn unauthorized(request: &HttpRequest) -> HttpResponse {
    let version = soap_version(request);
    tracing::info!(
        path = request.path(),
        "Call without the credentials the service requires refused"
    );
    let fault = SoapFault::new(
        FaultCode::Sender,
        "this service requires credentials: HTTP basic or a bearer token",
    );
    HttpResponse::build(StatusCode::UNAUTHORIZED)
        .insert_header((header::WWW_AUTHENTICATE, CHALLENGE))
        .content_type(version.content_type())
        .body(soap::write_fault(version, &fault))
}

//! The inbound SOAP/HTTP server, on actix-web.
//!
//! Routes: `GET /health` reports [`Dispatcher::ready`]; `GET <path>?wsdl` serves
//! [`Dispatcher::describe`]; `POST <path>` reads a SOAP envelope, hands the [`Request`] to
//! [`Dispatcher::dispatch`] and writes the [`Response`] back; a request with a mandatory
//! header block the dispatcher does not understand gets the MustUnderstand fault instead.
//! Whatever is refused on the way (size, media type, malformed envelope, XML limits, a body
//! slower than its read time-out) is answered with a SOAP fault. Large bodies are read on the
//! blocking thread pool, so that the workers stay free. [`serve_with`] lets the application
//! add routes of its own beside these (a management API, say); they take precedence over the
//! SOAP endpoints.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{ConnectionType, Method, StatusCode};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, SoapError};
use crate::http::{fault_status, HttpServerConfig};
use crate::message::{Dispatcher, Request, Response};
use crate::soap::{self, ContentType, FaultCode, SoapFault, SoapVersion};
use crate::xml::XmlLimits;

/// The header carrying the SOAP 1.1 action.
const SOAP_ACTION: &str = "SOAPAction";

/// What every worker shares.
struct State<D> {
    dispatcher: D,
    max_body_bytes: usize,
    body_read_timeout: Duration,
    blocking_parse_bytes: usize,
    xml_limits: XmlLimits,
    /// The base URL of service descriptions, unless the request's headers are trusted.
    public_url: Option<String>,
}

/// Serves SOAP over HTTP on `listener` until `shutdown` is cancelled, then stops accepting and
/// lets requests in flight finish (within the configured shutdown time-out).
pub async fn serve<D: Dispatcher>(
    listener: TcpListener,
    config: &HttpServerConfig,
    dispatcher: D,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    serve_with(listener, config, dispatcher, |_| {}, shutdown).await
}

/// As [`serve`], with the application's own `routes` added to every worker's app.
pub async fn serve_with<D, R>(
    listener: TcpListener,
    config: &HttpServerConfig,
    dispatcher: D,
    routes: R,
    shutdown: CancellationToken,
) -> Result<(), Error>
where
    D: Dispatcher,
    R: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    config.validate()?;
    let address = listener.local_addr()?;
    let public_url = match (&config.public_url, config.trust_forwarded_headers) {
        (Some(url), _) => Some(url.trim_end_matches('/').to_owned()),
        (None, true) => None,
        (None, false) => Some(format!("http://{address}")),
    };
    let config_for_workers = config.clone();
    let server = HttpServer::new(move || {
        let state = State {
            dispatcher: dispatcher.clone(),
            max_body_bytes: config_for_workers.max_body_bytes,
            body_read_timeout: Duration::from_millis(config_for_workers.body_read_timeout_ms),
            blocking_parse_bytes: config_for_workers.blocking_parse_bytes,
            xml_limits: config_for_workers.xml_limits.clone(),
            public_url: public_url.clone(),
        };
        let routes = routes.clone();
        App::new()
            .app_data(web::Data::new(state))
            .configure(move |config| routes(config))
            .service(
                web::resource("/health")
                    .route(web::get().to(health::<D>))
                    .route(web::head().to(health::<D>)),
            )
            .default_service(web::to(endpoint::<D>))
    })
    .workers(config.workers)
    .keep_alive(Duration::from_secs(config.keep_alive_secs))
    .client_request_timeout(Duration::from_millis(config.client_request_timeout_ms))
    .shutdown_timeout(config.shutdown_timeout_secs)
    .shutdown_signal(shutdown.cancelled_owned())
    .listen(listener)?
    .run();
    tracing::info!(%address, "SOAP/HTTP server listening");
    server.await?;
    tracing::info!(%address, "SOAP/HTTP server stopped");
    Ok(())
}

async fn health<D: Dispatcher>(state: web::Data<State<D>>) -> HttpResponse {
    if state.dispatcher.ready() {
        HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ok")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body("starting")
    }
}

/// Every path but `/health`: SOAP on POST, service descriptions on `GET ?wsdl`.
async fn endpoint<D: Dispatcher>(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<State<D>>,
) -> HttpResponse {
    match *req.method() {
        Method::POST => post(&req, payload, &state).await,
        Method::GET if wants_description(req.query_string()) => describe(&req, &state),
        _ => HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "GET, POST"))
            .content_type("text/plain; charset=utf-8")
            .body("POST SOAP messages here; GET ?wsdl for the service description"),
    }
}

/// Whether the query asks for the service description (`?wsdl`, in any case).
fn wants_description(query: &str) -> bool {
    query.split('&').any(|pair| {
        let key = pair.split_once('=').map_or(pair, |(key, _)| key);
        key.eq_ignore_ascii_case("wsdl")
    })
}

/// The service description, its addresses based on the configured public URL, or on the
/// request's (forwarding) headers only when the configuration trusts them.
fn describe<D: Dispatcher>(req: &HttpRequest, state: &State<D>) -> HttpResponse {
    let base_url = match &state.public_url {
        Some(url) => url.clone(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    };
    match state.dispatcher.describe(req.path(), &base_url) {
        Some(description) => HttpResponse::Ok()
            .content_type(SoapVersion::Soap11.content_type())
            .body(description),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body(format!("no service at {}", req.path())),
    }
}

async fn post<D: Dispatcher>(
    req: &HttpRequest,
    payload: web::Payload,
    state: &State<D>,
) -> HttpResponse {
    let headers = req.headers();
    let content_type = header_str(headers, header::CONTENT_TYPE.as_str());
    // Faults about the request itself use the version its media type announces.
    let version = content_type
        .and_then(|ct| ContentType::parse(ct).ok())
        .map_or(SoapVersion::Soap11, |ct| ct.version);
    let reading = read_body(headers, payload, state.max_body_bytes);
    let body = match tokio::time::timeout(state.body_read_timeout, reading).await {
        Err(_) => {
            let reason = format!(
                "the request body did not arrive within {} ms",
                state.body_read_timeout.as_millis()
            );
            let fault = SoapFault::new(FaultCode::Sender, reason);
            let mut response = fault_response(version, StatusCode::REQUEST_TIMEOUT, &fault);
            response
                .head_mut()
                .set_connection_type(ConnectionType::Close);
            return response;
        }
        Ok(Ok(body)) => body,
        Ok(Err(BodyError::TooLarge)) => {
            let reason = format!("the request body exceeds {} bytes", state.max_body_bytes);
            let fault = SoapFault::new(FaultCode::Sender, reason);
            return fault_response(version, StatusCode::PAYLOAD_TOO_LARGE, &fault);
        }
        Ok(Err(BodyError::Read(reason))) => {
            let fault = SoapFault::new(FaultCode::Sender, reason);
            return fault_response(version, StatusCode::BAD_REQUEST, &fault);
        }
    };
    let action = header_str(headers, SOAP_ACTION);
    let envelope = if body.len() > state.blocking_parse_bytes {
        let (limits, content_type, action) = (
            state.xml_limits.clone(),
            content_type.map(str::to_owned),
            action.map(str::to_owned),
        );
        let parsing = web::block(move || {
            soap::parse_envelope_with(&limits, content_type.as_deref(), action.as_deref(), &body)
        });
        match parsing.await {
            Ok(parsed) => parsed,
            Err(error) => {
                tracing::warn!(%error, "a request body could not be read on the blocking pool");
                let fault =
                    SoapFault::new(FaultCode::Receiver, "the server cannot read requests now");
                return fault_response(version, StatusCode::SERVICE_UNAVAILABLE, &fault);
            }
        }
    } else {
        soap::parse_envelope_with(&state.xml_limits, content_type, action, &body)
    };
    let envelope = match envelope {
        Ok(envelope) => envelope,
        Err(error) => return refused(version, req.path(), &error),
    };
    let version = envelope.version;
    let understood =
        |ns: &str, local: &str| state.dispatcher.understands_header(req.path(), ns, local);
    let not_understood = match soap::not_understood(&envelope, understood) {
        Ok(not_understood) => not_understood,
        Err(error) => return refused(version, req.path(), &error),
    };
    if !not_understood.is_empty() {
        let status = status(fault_status(version, FaultCode::MustUnderstand));
        return HttpResponse::build(status)
            .content_type(version.content_type())
            .body(soap::write_must_understand_fault(version, &not_understood));
    }
    let request: Request = envelope.into_request(req.path());
    render(version, state.dispatcher.dispatch(request).await)
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

enum BodyError {
    TooLarge,
    Read(String),
}

/// Reads the request body, refusing it as soon as it is known to exceed `limit`.
async fn read_body(
    headers: &HeaderMap,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let declared = header_str(headers, header::CONTENT_LENGTH.as_str())
        .and_then(|length| length.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(BodyError::TooLarge);
    }
    let mut body = BytesMut::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| BodyError::Read(format!("cannot read the request: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The fault answering a request whose envelope was refused.
fn refused(version: SoapVersion, path: &str, error: &SoapError) -> HttpResponse {
    tracing::debug!(path, %error, "SOAP request refused");
    let fault = error.to_fault();
    let status = match error {
        SoapError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        _ => status(fault_status(version, fault.code)),
    };
    fault_response(version, status, &fault)
}

/// The HTTP response for the engine's answer.
fn render(version: SoapVersion, response: Response) -> HttpResponse {
    match response {
        Response::Reply { body, headers } => HttpResponse::Ok()
            .content_type(version.content_type())
            .body(soap::write_envelope(version, &headers, &body)),
        Response::Accepted => HttpResponse::Accepted().finish(),
        Response::Fault(fault) => {
            fault_response(version, status(fault_status(version, fault.code)), &fault)
        }
    }
}

fn fault_response(version: SoapVersion, status: StatusCode, fault: &SoapFault) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(version.content_type())
        .body(soap::write_fault(version, fault))
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

#[cfg(test)]
mod tests {
    use super::wants_description;

    #[test]
    fn wsdl_query_in_any_case_and_position() {
        assert!(wants_description("wsdl"));
        assert!(wants_description("WSDL"));
        assert!(wants_description("x=1&wsdl="));
        assert!(!wants_description(""));
        assert!(!wants_description("wsdlx"));
    }
}

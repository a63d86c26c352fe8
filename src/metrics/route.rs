//! `GET /metrics` on the server's HTTP port, added beside the SOAP endpoints and the
//! management API. Who may read it is `[server] metrics`: anyone (`open`); only the users
//! and tokens the management API lets in, with the role viewer or above (`viewer`), checked
//! by [`access::login`] as there; nobody (`off`: 404).

use actix_web::{web, HttpResponse};

use crate::admin::access::{self, Allowed, Viewer};
use crate::auth::Accounts;
use crate::config::MetricsAccess;
use crate::engine::Engine;

/// Where the metrics are served.
pub const PATH: &str = "/metrics";

/// The route of [`PATH`], for the `readers` the configuration names.
pub fn route(
    engine: Engine,
    accounts: Accounts,
    readers: MetricsAccess,
) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    move |config| {
        let resource = web::resource(PATH).app_data(web::Data::new(engine.clone()));
        let resource = match readers {
            MetricsAccess::Open => resource.route(web::get().to(open)),
            MetricsAccess::Viewer => resource.route(web::get().to(viewed)),
            MetricsAccess::Off => resource.to(off),
        };
        match readers {
            MetricsAccess::Viewer => config.service(
                resource
                    .app_data(web::Data::new(accounts.clone()))
                    .wrap(actix_web::middleware::from_fn(access::login)),
            ),
            MetricsAccess::Open | MetricsAccess::Off => config.service(resource),
        };
    }
}

async fn open(engine: web::Data<Engine>) -> HttpResponse {
    scrape(&engine).await
}

async fn viewed(_: Allowed<Viewer>, engine: web::Data<Engine>) -> HttpResponse {
    scrape(&engine).await
}

async fn scrape(engine: &Engine) -> HttpResponse {
    match super::snapshot::exposition(engine.services()).await {
        Ok(text) => HttpResponse::Ok()
            .content_type(prometheus::TEXT_FORMAT)
            .body(text),
        Err(error) => {
            tracing::error!(%error, "Metrics not written");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body(error.to_string())
        }
    }
}

async fn off() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("the metrics are off ([server] metrics = \"off\")")
}

//! The API's OpenAPI 3.1 document, made once from [`routes::operations`] (the routes as
//! they are served, each described by its `#[utoipa::path]`), with the two ways of logging
//! in, and served at `GET /api/v1/openapi.json`.

use actix_web::{get, web, App, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi};
use utoipa_actix_web::AppExt;

use super::access::{Allowed, Viewer};
use super::routes;
use super::PREFIX;

/// The document, as JSON.
pub(super) struct Document(String);

/// The document of every operation [`routes::operations`] serves.
pub(super) fn document() -> Document {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .service(routes::operations(utoipa_actix_web::scope(PREFIX)))
        .split_for_parts();
    describe(&mut api);
    Document(api.to_pretty_json().expect("the document serialises"))
}

/// Names the API and says how callers log in: HTTP basic (a user) or a bearer token.
fn describe(api: &mut OpenApi) {
    api.info = InfoBuilder::new()
        .title("Baton management API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Deployments, processes and instances of a Baton server. Every request needs a \
             login: the role viewer reads, operator acts on instances.",
        ))
        .build();
    let components = api.components.get_or_insert_with(Default::default);
    for (name, scheme) in [
        ("basic", HttpAuthScheme::Basic),
        ("bearer", HttpAuthScheme::Bearer),
    ] {
        let scheme = SecurityScheme::Http(HttpBuilder::new().scheme(scheme).build());
        components.security_schemes.insert(name.to_owned(), scheme);
    }
    api.security = Some(
        ["basic", "bearer"]
            .map(|name| SecurityRequirement::new(name, Vec::<String>::new()))
            .to_vec(),
    );
}

/// The document.
#[utoipa::path(tag = "api", responses((status = 200, description = "The OpenAPI document")))]
#[get("/openapi.json")]
pub(super) async fn serve(_: Allowed<Viewer>, document: web::Data<Document>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document.0.clone())
}

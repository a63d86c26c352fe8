//! The HTTP server of ODE's REST extension activity tests (`TestRest*`), served by the
//! runner's mock server under [`PATH`]: `/test` answers GET with `GET response data`, DELETE
//! with `DELETE Method Test`, and POST and PUT with the request's `value` followed by
//! ` Result`, each in an element of the tests' `restApi` namespace; `/test/resource` answers
//! 404.

/// Where the server answers.
pub(crate) const PATH: &str = "/restlight";

const API_NS: &str = "http://www.example.org/restApi";

/// The status, content type and body answering `method` on `path` (below [`PATH`]) with
/// `body`.
pub(crate) fn answer(method: &str, path: &str, body: &str) -> (&'static str, &'static str, String) {
    let value = crate::mock::part_text(body, "value").unwrap_or_default();
    let element = |name: &str, text: &str| {
        let xml = format!(
            r#"<api:{name} xmlns:api="{API_NS}"><api:value>{text}</api:value></api:{name}>"#
        );
        ("200 OK", "application/xml", xml)
    };
    match (method, path) {
        ("GET", "/test") => element("getResponse", "GET response data"),
        ("DELETE", "/test") => element("deleteResponse", "DELETE Method Test"),
        ("POST", "/test") => element("postResponse", &format!("{value} Result")),
        ("PUT", "/test") => element("putResponse", &format!("{value} Result")),
        _ => ("404 Not Found", "text/plain", String::new()),
    }
}

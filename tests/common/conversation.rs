//! The test unit OdeConversation as the tests deploy and drive it: a conversation id in a
//! SOAP header bound to a part of another message, a trace header no binding names, a
//! checker partner (a process of the same unit) called on the peer-to-peer channel, over
//! HTTP or over AMQP, and a later call correlated on the header.

use super::{Dirs, Server};

/// The namespace of the unit's messages.
const NS: &str = "urn:baton:test:odeconversation";

/// Puts OdeConversation into `dirs` with `edit` applied to its WSDL and deploy.xml.
pub(crate) fn place(dirs: &Dirs, edit: &dyn Fn(String) -> String) {
    dirs.place_unit(
        &super::repo().join("tests/data/units/OdeConversation"),
        "OdeConversation",
        edit,
    );
}

/// The text of `envelope` between its `Header>` tags.
fn header_of(envelope: &str) -> &str {
    envelope.split("Header>").nth(1).unwrap_or_default()
}

/// Starts two conversations and checks each reply's body and header, then follows the
/// second one.
pub(crate) async fn run(server: &Server) {
    let path = "/ode/processes/OdeConversation";
    let xml = "text/xml; charset=utf-8";
    let conversation =
        |id: &str| format!(r#"<c:conversation xmlns:c="{NS}"><c:id>{id}</c:id></c:conversation>"#);
    for (id, item) in [("c-1", "book"), ("c-2", "lamp")] {
        let trace = format!(r#"<t:trace xmlns:t="urn:baton:test:trace">T-{id}</t:trace>"#);
        let start = format!(r#"<c:start xmlns:c="{NS}"><c:item>{item}</c:item></c:start>"#);
        let request = envelope(&format!("{}{trace}", conversation(id)), &start);
        let (code, body) = server.post(path, xml, request).await;
        assert_eq!(code, 200, "{body}");
        assert!(body.contains(&format!("started checked {item}")), "{body}");
        let header = header_of(&body);
        assert!(
            header.contains(&format!(">{id}<")) && header.contains("conversation"),
            "the conversation header came back from the checker: {body}"
        );
        assert!(
            header.contains("receipt") && header.contains(&format!(">T-{id}<")),
            "the checker's receipt names the trace header it was sent: {body}"
        );
    }
    let follow = format!(r#"<c:note xmlns:c="{NS}">hi</c:note>"#);
    let (code, body) = server
        .post(path, xml, envelope(&conversation("c-2"), &follow))
        .await;
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("lamp noted hi"),
        "correlated on the header: {body}"
    );
}

/// A SOAP 1.1 envelope with `header` and `body`.
fn envelope(header: &str, body: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"#
    )
}

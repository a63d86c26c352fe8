//! End-to-end conformance of correlated messaging (WS-BPEL 2.0 §9, §10.4, §11.5): the
//! Messaging unit over real SOAP/HTTP.

mod common;

use common::{element_text, Dirs, Server};

/// The request of `operation` (start or poke) for `key`.
fn key(operation: &str, key: &str) -> String {
    format!(r#"<m:{operation} xmlns:m="urn:baton:test:messaging">{key}</m:{operation}>"#)
}

#[tokio::test]
async fn a_correlated_message_sent_before_its_pick_waits_is_kept_and_taken_by_its_instance() {
    let dirs = Dirs::new();
    dirs.add_test_unit("Messaging");
    let server = Server::start(&dirs).await;
    let path = "/ode/processes/Messaging";
    for k in ["k-1", "k-2"] {
        let (status, body) = server.soap(path, &key("start", k)).await;
        assert_eq!(status, 202, "{body}");
    }
    let (poke_1, poke_2) = (key("poke", "k-1"), key("poke", "k-2"));
    let (second, first) = futures::join!(server.soap(path, &poke_2), server.soap(path, &poke_1));
    for ((status, body), k) in [(first, "k-1"), (second, "k-2")] {
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            element_text(&body, "result").as_deref(),
            Some(&*format!("message:{k}"))
        );
    }
    let (status, body) = server.soap(path, &key("poke", "k-1")).await;
    assert_eq!(status, 500, "the instance of k-1 is over: {body}");
}

//! What deployment units written for ODE and BPS rely on, each shown with a unit of
//! tests/data/units in its ODE form, deployed unchanged and called over SOAP.
//!
//! - OdeAliases: property aliases whose query is an absolute path from the part's element
//!   (`/tns:order/tns:id`), for correlation and for `bpel:getVariableProperty`; a one-way
//!   message that creates an instance which then faults is logged, as its caller only got 202.
//! - OdeEmpty: a reply and an invoke of a message type without parts, whose variables are
//!   never assigned, send the empty message.

mod common;

use baton::store::{InstanceFilter, InstanceStatus};
use common::{Dirs, Server, PATIENCE};

const ORDERS: &str = "/ode/processes/OdeAliases";

fn order(id: Option<&str>, item: &str) -> String {
    let id = id
        .map(|id| format!("<o:id>{id}</o:id>"))
        .unwrap_or_default();
    format!(r#"<o:order xmlns:o="urn:baton:test:odealiases">{id}<o:item>{item}</o:item></o:order>"#)
}

fn status(id: &str) -> String {
    format!(r#"<o:status xmlns:o="urn:baton:test:odealiases"><o:id>{id}</o:id></o:status>"#)
}

/// Waits until the store holds `count` instances with `status`.
async fn await_instances(dirs: &Dirs, status: InstanceStatus, count: usize) {
    let store = dirs.store().await.unwrap();
    let filter = InstanceFilter {
        status: Some(status),
        ..InstanceFilter::default()
    };
    let deadline = std::time::Instant::now() + PATIENCE;
    while store.list_instances(&filter).await.unwrap().len() != count {
        assert!(
            std::time::Instant::now() < deadline,
            "no {count} instances became {status}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absolute_alias_queries_select_from_the_part_element_as_in_ode() {
    let dirs = Dirs::new();
    dirs.add_test_unit("OdeAliases");
    let server = Server::start(&dirs).await;
    for (id, item) in [("o-1", "book"), ("o-2", "lamp")] {
        let (code, body) = server.soap(ORDERS, &order(Some(id), item)).await;
        assert_eq!(code, 202, "{body}");
    }
    await_instances(&dirs, InstanceStatus::Running, 2).await;
    for (id, item) in [("o-2", "lamp"), ("o-1", "book")] {
        let (code, body) = server.soap(ORDERS, &status(id)).await;
        assert_eq!(code, 200, "{body}");
        assert!(body.contains(&format!("{id}: {item}")), "{body}");
    }
    await_instances(&dirs, InstanceStatus::Completed, 2).await;

    // An order without an id has no value for the property: the caller got 202, the
    // instance faults, and the log says so.
    let (code, body) = server.soap(ORDERS, &order(None, "chair")).await;
    assert_eq!(code, 202, "{body}");
    await_instances(&dirs, InstanceStatus::Faulted, 1).await;
    server.await_log(&["Instance faulted", "selectionFailure"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_without_parts_need_no_assignment() {
    let dirs = Dirs::new();
    dirs.add_test_unit("OdeEmpty");
    let server = Server::start(&dirs).await;
    let ping = r#"<e:ping xmlns:e="urn:baton:test:odeempty">hello</e:ping>"#;
    let (code, body) = server.soap("/ode/processes/OdeEmpty", ping).await;
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("Body/>") || body.contains("Body></"),
        "{body}"
    );
    assert!(!body.contains("Fault"), "{body}");
    // Both the pinged process and the one it signalled completed.
    await_instances(&dirs, InstanceStatus::Completed, 2).await;
}

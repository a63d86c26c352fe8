//! End-to-end: bulk operations of the management API on a real server, over HTTP. Deleting
//! by filter takes exactly the ended instances the filter selects, with everything of them,
//! in transactions of `[cleanup] batch`, and tells its progress; a running instance the filter
//! selects is left; a missing or unreadable filter is refused, and so is a viewer.

mod common;

use common::{eventually, Dirs, Server, PATIENCE};
use serde_json::Value;

const HELLO: &str = r#"<h:hello xmlns:h="urn:baton:samples:hello"><h:name>Bulk</h:name></h:hello>"#;

async fn post(server: &Server, path: &str) -> (u16, Value) {
    let (status, body) = server.post(path, "text/plain", String::new()).await;
    (status, serde_json::from_str(&body).unwrap())
}

/// The ids of the instances the instance listing with `filter` gives.
async fn listed(server: &Server, filter: &str) -> Vec<i64> {
    let (status, body) = server
        .get(&format!("/api/v1/instances?filter={filter}"))
        .await;
    assert_eq!(status, 200, "{body}");
    let listing: Value = serde_json::from_str(&body).unwrap();
    let instances = listing["instances"].as_array().unwrap();
    instances
        .iter()
        .map(|i| i["instance"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn deleting_by_filter_takes_exactly_the_ended_instances_it_selects_in_batches() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    dirs.add_test_unit("Messaging");
    let settings = [("BATON_CLEANUP__BATCH", "2")];
    let server = Server::start_configured(&dirs, "info", false, &settings).await;
    for _ in 0..5 {
        let (status, body) = server.soap("/ode/processes/HelloWorld", HELLO).await;
        assert_eq!(status, 200, "{body}");
    }
    let start = r#"<m:start xmlns:m="urn:baton:test:messaging">k-1</m:start>"#;
    let (status, body) = server.soap("/ode/processes/Messaging", start).await;
    assert_eq!(status, 202, "{body}");
    let running = listed(&server, "name=Messaging").await;
    assert_eq!(running.len(), 1);

    let (status, started) = post(&server, "/api/v1/instances/delete?filter=name=*").await;
    assert_eq!(status, 202, "{started}");
    assert_eq!(started["kind"], "delete");
    assert_eq!(started["filter"], "name=*");
    let id = started["id"].as_u64().unwrap();
    let path = format!("/api/v1/operations/{id}");
    let done = eventually("the deletion's end", PATIENCE, || async {
        let (status, body) = server.get(&path).await;
        assert_eq!(status, 200, "{body}");
        let operation: Value = serde_json::from_str(&body).unwrap();
        (operation["status"] != "running").then_some(operation)
    })
    .await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["deleted"], 5, "{done}");
    assert_eq!(done["skipped"], 0, "{done}");
    assert_eq!(
        done["batches"], 3,
        "five instances, two a transaction: {done}"
    );
    assert!(listed(&server, "name=HelloWorld").await.is_empty());
    assert_eq!(listed(&server, "name=*").await, running);

    let (_, all) = server.get("/api/v1/operations").await;
    let all: Value = serde_json::from_str(&all).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
    let (status, missing) = server.get("/api/v1/operations/999").await;
    assert_eq!(status, 404, "{missing}");

    let (status, refused) = post(&server, "/api/v1/instances/delete").await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused["error"]
        .as_str()
        .unwrap()
        .contains("a filter is required"));
    let (status, refused) = post(&server, "/api/v1/instances/delete?filter=status=done").await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("'done'"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_viewer_may_follow_operations_but_not_start_one() {
    let dirs = Dirs::new();
    let token = "baton_viewer-token";
    let tokens = format!(
        r#"[{{ name = "viewer", role = "viewer", hash = "{}" }}]"#,
        baton::auth::token_hash(token)
    );
    let server =
        Server::start_configured(&dirs, "info", false, &[("BATON_AUTH__TOKENS", &tokens)]).await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", server.address);
    let refused = client
        .post(url("/api/v1/instances/delete?filter=status=completed"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let anonymous = client
        .post(url("/api/v1/instances/delete?filter=status=completed"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let read = client
        .get(url("/api/v1/operations"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status().as_u16(), 200);
}

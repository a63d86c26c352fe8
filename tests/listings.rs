//! End-to-end: the management API's listings on a real server, over HTTP. Instances and
//! process versions are chosen by ODE's filter languages in the query string, in the order
//! asked; a filter, an order or a limit that cannot be taken is answered 400 with why, and
//! nobody without credentials gets an answer.

mod common;

use common::{Dirs, Server};
use serde_json::Value;

const MESSAGING_PID: &str = "{urn:baton:test:messaging:process}Messaging-1";
const HELLO_PID: &str = "{urn:baton:samples:hello:process}HelloWorld-1";

/// `path` with the query string of `pairs`, each value encoded.
fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .map(|(name, value)| {
            let value: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            format!("{name}={value}")
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// The listing `path` answers with `pairs`, which must be 200.
async fn listed(server: &Server, path: &str, pairs: &[(&str, &str)]) -> Vec<Value> {
    let (status, body) = server.get(&with_query(path, pairs)).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    let key = path.rsplit('/').next().unwrap();
    answer[key].as_array().unwrap().clone()
}

/// The error of a listing `path` refuses with 400.
async fn refused(server: &Server, path: &str, pairs: &[(&str, &str)]) -> String {
    let (status, body) = server.get(&with_query(path, pairs)).await;
    assert_eq!(status, 400, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    answer["error"].as_str().unwrap().to_owned()
}

fn field<'a>(listed: &'a [Value], name: &str) -> Vec<&'a str> {
    listed
        .iter()
        .map(|item| item[name].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn instances_and_processes_are_listed_as_their_filters_and_orders_say() {
    let dirs = Dirs::new();
    dirs.add_test_unit("Messaging");
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    for key in ["k-1", "k-2"] {
        let start = format!(r#"<m:start xmlns:m="urn:baton:test:messaging">{key}</m:start>"#);
        let (status, body) = server.soap("/ode/processes/Messaging", &start).await;
        assert_eq!(status, 202, "{body}");
    }
    let hello = r#"<h:hello xmlns:h="urn:baton:samples:hello"><h:name>API</h:name></h:hello>"#;
    let (status, body) = server.soap("/ode/processes/HelloWorld", hello).await;
    assert_eq!(status, 200, "{body}");

    let instances = "/api/v1/instances";
    let all = listed(&server, instances, &[]).await;
    assert_eq!(all.len(), 3, "{all:?}");
    let ids = |listed: &[Value]| -> Vec<i64> {
        listed
            .iter()
            .map(|i| i["instance"].as_i64().unwrap())
            .collect()
    };
    let second = &listed(&server, instances, &[("filter", "$key=k-2")]).await;
    assert_eq!(field(second, "pid"), [MESSAGING_PID]);
    assert_eq!(field(second, "status"), ["running"]);
    assert!(field(second, "started")[0].ends_with('Z'), "{second:?}");
    let messaging = listed(
        &server,
        instances,
        &[("filter", "name=messag*"), ("order", "iid")],
    )
    .await;
    assert_eq!(messaging.len(), 2);
    assert!(ids(&messaging)[0] < ids(&messaging)[1], "{messaging:?}");
    assert_eq!(
        ids(&listed(
            &server,
            instances,
            &[("filter", "$key=k-1|k-2"), ("order", "-iid")]
        )
        .await),
        ids(&messaging).into_iter().rev().collect::<Vec<_>>()
    );
    let completed = listed(
        &server,
        instances,
        &[("filter", "status=completed started>=-1d")],
    )
    .await;
    assert_eq!(field(&completed, "pid"), [HELLO_PID]);
    assert_eq!(listed(&server, instances, &[("limit", "1")]).await.len(), 1);

    // Pages of one, each from the cursor of the one before, list them all in order.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut pairs = vec![("limit", "1"), ("order", "status -iid")];
        if let Some(cursor) = &cursor {
            pairs.push(("cursor", cursor));
        }
        let (status, body) = server.get(&with_query(instances, &pairs)).await;
        assert_eq!(status, 200, "{body}");
        let page: Value = serde_json::from_str(&body).unwrap();
        paged.extend(ids(page["instances"].as_array().unwrap()));
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let whole = listed(&server, instances, &[("order", "status -iid")]).await;
    assert_eq!(paged, ids(&whole));
    let pairs = [("limit", "1"), ("order", "status -iid")];
    let (_, body) = server.get(&with_query(instances, &pairs)).await;
    let next = serde_json::from_str::<Value>(&body).unwrap()["next"]
        .as_str()
        .unwrap()
        .to_owned();
    let error = refused(&server, instances, &[("cursor", &next)]).await;
    assert!(error.contains("continues a listing in order"), "{error}");
    let error = refused(&server, instances, &[("cursor", "nonsense")]).await;
    assert!(error.contains("is not one a listing returned"), "{error}");

    let error = refused(&server, instances, &[("filter", "status=done")]).await;
    assert!(
        error.contains("at character 8, 'done': not a status"),
        "{error}"
    );
    let error = refused(&server, instances, &[("order", "-nme")]).await;
    assert!(
        error.starts_with("order \"-nme\": at character 1"),
        "{error}"
    );
    let error = refused(&server, instances, &[("limit", "5000")]).await;
    assert!(error.contains("limit 5000 is over 1000"), "{error}");
    let error = refused(&server, instances, &[("fliter", "x")]).await;
    assert!(
        error.starts_with("the query string cannot be read"),
        "{error}"
    );

    let processes = "/api/v1/processes";
    let by_name = listed(&server, processes, &[("order", "-name")]).await;
    assert_eq!(field(&by_name, "pid"), [MESSAGING_PID, HELLO_PID]);
    let hello_only = listed(
        &server,
        processes,
        &[("filter", "name=hello* status=activated")],
    )
    .await;
    assert_eq!(field(&hello_only, "pid"), [HELLO_PID]);
    assert_eq!(hello_only[0]["version"], 1);
    let error = refused(&server, processes, &[("filter", "status=running")]).await;
    assert!(error.contains("'running': not a status"), "{error}");

    let anonymous = reqwest::get(format!("{}{instances}", server.address))
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}

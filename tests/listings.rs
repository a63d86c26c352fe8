//! End-to-end: the management API's listings and its OpenAPI document on a real server, over
//! HTTP. Instances and process versions are chosen by ODE's filter languages in the query
//! string, in the order asked; a filter, an order or a limit that cannot be taken is answered
//! 400 with why, and nobody without credentials, or with wrong ones, gets an answer. The
//! document lists every operation the API serves, and each one it lists is served.

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

    let url = format!("{}{instances}", server.address);
    let anonymous = reqwest::get(&url).await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let client = reqwest::Client::new();
    let wrong = client
        .get(&url)
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
}

/// Every `"$ref"` in `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.push(target.clone());
            }
            map.values().for_each(|inner| references(inner, found));
        }
        Value::Array(items) => items.iter().for_each(|inner| references(inner, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_the_api_serves() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs).await;
    let (status, body) = server.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200, "{body}");
    let document: Value = serde_json::from_str(&body).unwrap();
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{document}"
    );
    assert_eq!(document["info"]["title"], "Baton management API");

    let mut operations: Vec<(String, String)> = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let answers = &operation["responses"];
            assert!(
                answers["200"].is_object() || answers["202"].is_object(),
                "{method} {path} documents its answer"
            );
            operations.push((method.to_uppercase(), path.clone()));
        }
    }
    operations.sort();
    let expected = [
        ("GET", "/api/v1/events/listeners"),
        ("GET", "/api/v1/instances"),
        ("GET", "/api/v1/instances/{instance}"),
        ("GET", "/api/v1/instances/{instance}/events"),
        ("GET", "/api/v1/instances/{instance}/failures"),
        ("GET", "/api/v1/instances/{instance}/state"),
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/api/v1/operations"),
        ("GET", "/api/v1/operations/{operation}"),
        ("GET", "/api/v1/processes"),
        ("POST", "/api/v1/instances/delete"),
        (
            "POST",
            "/api/v1/instances/{instance}/failures/{exchange}/{action}",
        ),
        ("POST", "/api/v1/instances/{instance}/{action}"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    assert_eq!(operations, expected);

    let mut targets = Vec::new();
    references(&document, &mut targets);
    assert!(!targets.is_empty());
    for target in targets {
        let name = target
            .strip_prefix("#/components/schemas/")
            .expect("a schema");
        assert!(
            document["components"]["schemas"][name].is_object(),
            "{target} resolves"
        );
    }
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["basic"]["scheme"], "basic");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");

    // Each documented operation is served: a real answer, not the API's unknown-resource one.
    let client = reqwest::Client::new();
    for (method, path) in &operations {
        let concrete = path
            .replace("{instance}", "999999")
            .replace("{exchange}", "999999.1")
            .replace("{operation}", "999999")
            .replace("/instances/delete", "/instances/delete?filter=iid=999999")
            .replace(
                "{action}",
                if path.contains("failures") {
                    "retry"
                } else {
                    "resume"
                },
            );
        let url = format!("{}{concrete}", server.address);
        let request = match method.as_str() {
            "GET" => client.get(url),
            _ => client.post(url),
        };
        let response = request
            .bearer_auth(common::ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert!(
            !body.contains("no such management resource"),
            "{method} {concrete}: {body}"
        );
        assert!(
            [200, 202, 404].contains(&status),
            "{method} {concrete}: {status} {body}"
        );
    }
}

#[tokio::test]
async fn an_instances_state_shows_its_scopes_variables_and_correlation_sets() {
    let dirs = Dirs::new();
    dirs.add_test_unit("Messaging");
    let server = Server::start(&dirs).await;
    let start = r#"<m:start xmlns:m="urn:baton:test:messaging">k-7</m:start>"#;
    let (status, body) = server.soap("/ode/processes/Messaging", start).await;
    assert_eq!(status, 202, "{body}");
    let running = listed(&server, "/api/v1/instances", &[]).await;
    let instance = running[0]["instance"].as_i64().unwrap();

    let (status, body) = server
        .get(&format!("/api/v1/instances/{instance}/state"))
        .await;
    assert_eq!(status, 200, "{body}");
    let state: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(state["pid"], MESSAGING_PID);
    assert_eq!(state["status"], "running");
    let process = &state["scopes"][0];
    assert_eq!(process["name"], "Messaging");
    assert_eq!(process["phase"], "running");
    assert_eq!(process["parent"], Value::Null);
    let named = |list: &Value, name: &str| -> Value {
        let found = list
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["name"] == name);
        found.unwrap_or_else(|| panic!("no {name} in {list}"))["value"].clone()
    };
    let started = named(&process["variables"], "started");
    assert!(started.as_str().unwrap().contains("k-7"), "{started}");
    assert_eq!(named(&process["variables"], "poked"), Value::Null);
    assert_eq!(named(&process["correlation_sets"], "byKey"), "k-7");
    assert_eq!(state["open_exchanges"], Value::Array(Vec::new()));

    let (status, body) = server.get("/api/v1/instances/999999/state").await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = server.get("/api/v1/instances/x/state").await;
    assert_eq!(status, 400, "{body}");
}

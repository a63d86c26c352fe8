//! End-to-end: deploy.xml `<cleanup>` deletes what it names when an instance ends, in the
//! final step's own commit, on the store `TEST_STORE_URL` chooses (SQLite when unset).
//! Without it every HelloWorld call leaves its instance and its messages behind.

mod common;

use common::{Dirs, Server, PATIENCE};

const HELLO_PATH: &str = "/ode/processes/HelloWorld";
const CALLS: usize = 5;

fn hello(name: &str) -> String {
    format!(r#"<h:hello xmlns:h="urn:baton:samples:hello"><h:name>{name}</h:name></h:hello>"#)
}

/// Runs the HelloWorld sample with `cleanup` added to its process in deploy.xml, calls it
/// [`CALLS`] times and returns its server.
async fn hello_world_with(dirs: &Dirs, cleanup: &str) -> Server {
    dirs.add_sample("HelloWorld");
    dirs.rewrite("HelloWorld", "deploy.xml", &|text| {
        text.replace("</process>", &format!("{cleanup}\n  </process>"))
    });
    let server = Server::start(dirs).await;
    for n in 0..CALLS {
        let (status, body) = server.soap(HELLO_PATH, &hello(&format!("n{n}"))).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(&format!("Hello, n{n}!")), "{body}");
    }
    server
}

/// Waits until the table `table` holds `rows` rows, and returns how many it holds.
async fn await_rows(dirs: &Dirs, table: &str, rows: i64) -> i64 {
    let what = format!("{rows} rows in {table}");
    common::eventually(&what, PATIENCE, || async {
        let count = dirs.count_rows(table).await;
        (count == rows).then_some(count)
    })
    .await
}

#[tokio::test]
async fn hello_world_cleaning_up_its_instance_on_success_leaves_no_rows() {
    let dirs = Dirs::new();
    let cleanup = r#"<cleanup on="success">
      <category>instance</category>
      <category>variables</category>
      <category>correlations</category>
    </cleanup>"#;
    let server = hello_world_with(&dirs, cleanup).await;

    assert_eq!(await_rows(&dirs, "baton_instances", 0).await, 0);
    for table in ["baton_exchanges", "baton_routes", "baton_jobs"] {
        assert_eq!(dirs.count_rows(table).await, 0, "{table}");
    }
    let listed = dirs.baton(&["instances", "--server", &server.address]);
    assert!(listed.status.success(), "{listed:?}");
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert_eq!(stdout.lines().skip(1).count(), 0, "{stdout}");
}

#[tokio::test]
async fn a_cleanup_of_messages_keeps_the_completed_instances_without_their_exchanges() {
    let dirs = Dirs::new();
    let cleanup = r#"<cleanup on="always"><category>messages</category></cleanup>"#;
    let _server = hello_world_with(&dirs, cleanup).await;

    let store = dirs.store().await.unwrap();
    let filter = baton::store::InstanceFilter::with_status(baton::store::InstanceStatus::Completed);
    let completed = common::eventually(&format!("{CALLS} completed"), PATIENCE, || async {
        let completed = store.list_instances(&filter).await.unwrap();
        (completed.len() == CALLS).then_some(completed)
    })
    .await;
    for instance in completed {
        assert!(store.exchanges(instance.id).await.unwrap().is_empty());
    }
    assert_eq!(dirs.count_rows("baton_exchanges").await, 0);
}

#[tokio::test]
async fn without_cleanup_every_call_leaves_its_instance_and_its_messages() {
    let dirs = Dirs::new();
    let _server = hello_world_with(&dirs, "").await;

    let instances = await_rows(&dirs, "baton_instances", CALLS as i64).await;
    assert_eq!(instances, CALLS as i64);
    assert_eq!(
        await_rows(&dirs, "baton_exchanges", CALLS as i64).await,
        CALLS as i64
    );
}

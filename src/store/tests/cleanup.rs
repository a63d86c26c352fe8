//! What an instance's cleanup deletes in its final step: the messages (its exchanges), or the
//! instance with everything of it (its correlation values too), in the same transaction,
//! leaving other instances alone.

use super::{exchange, job, query, sqlite_url, step, Fixture, TestDb};
use crate::store::{
    CorrelationValue, ExchangeDirection, ExchangeStatus, ExchangeWrite, InstanceFilter,
    InstanceStatus, JobKind, RouteKey, StepCommit,
};

const ORDERS: &str = "{urn:test}orders";

/// An inbound exchange `id` answered with a reply.
fn replied(id: &str) -> ExchangeWrite {
    ExchangeWrite {
        response: Some(b"reply".to_vec()),
        ..exchange(id, ExchangeDirection::In, ExchangeStatus::Replied)
    }
}

/// Creates an instance of `pid` and gives it a route, an exchange, a timer and a
/// correlation value, in a first step.
pub(super) async fn busy(fixture: &Fixture, pid: &str) -> i64 {
    let id = fixture.create(pid).await.unwrap();
    let mut first = step(id, 1, InstanceStatus::Running, b"waiting");
    first.routes_added = vec![RouteKey::new(ORDERS, format!("client|ship|{id}"))];
    first.correlation_values = vec![CorrelationValue {
        namespace: "urn:test".to_owned(),
        name: "orderId".to_owned(),
        value: format!("order-{id}"),
    }];
    first.exchanges = vec![replied(&format!("in-{id}"))];
    first.jobs = vec![job(id, pid, JobKind::Timer, "1", 1_000)];
    fixture.store.commit(first).await.unwrap();
    id
}

/// The final step of a [`busy`] instance `id`, replying once more, completing it and
/// dropping its routes and jobs.
fn last_step(id: i64) -> StepCommit {
    let mut last = step(id, 2, InstanceStatus::Completed, b"done");
    last.exchanges = vec![replied(&format!("in-{id}-2"))];
    last.clear_routes = true;
    last.clear_jobs = true;
    last
}

async fn a_final_step_deleting_its_instance_leaves_nothing_of_it(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let pid = fixture.deploy("orders").await;
    let (gone, kept) = (busy(&fixture, &pid).await, busy(&fixture, &pid).await);

    let mut last = last_step(gone);
    last.delete_instance = true;
    fixture.store.commit(last).await.unwrap();

    let store = &fixture.store;
    assert_eq!(store.load_instance(gone).await.unwrap(), None);
    assert!(store.exchanges(gone).await.unwrap().is_empty());
    assert!(store.instance_routes(gone).await.unwrap().is_empty());
    let listed = store.list_instances(&InstanceFilter::default()).await;
    let listed: Vec<i64> = listed.unwrap().iter().map(|i| i.id).collect();
    assert_eq!(listed, [kept]);
    let jobs = store.due_jobs(i64::MAX, u32::MAX).await.unwrap();
    let owners: Vec<i64> = jobs.iter().map(|job| job.instance_id).collect();
    assert_eq!(owners, [kept]);
    let values = "SELECT CONCAT(instance_id, '') FROM baton_correlation_values";
    let owners = query(&sqlite_url(&fixture.datasource.url), values).await;
    assert_eq!(owners, [kept.to_string()]);
    assert_eq!(store.exchanges(kept).await.unwrap().len(), 1);
    assert_eq!(store.instance_routes(kept).await.unwrap().len(), 1);
}

async fn an_instance_created_and_deleted_in_one_step_leaves_nothing(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let pid = fixture.deploy("orders").await;
    let id = fixture.store.reserve_instance_ids(1).await.unwrap();
    let mut only = step(id, 0, InstanceStatus::Completed, b"done");
    only.instance.create = Some(pid);
    only.exchanges = vec![replied("in-1")];
    only.clear_routes = true;
    only.clear_jobs = true;
    only.delete_instance = true;
    fixture.store.commit(only).await.unwrap();

    let store = &fixture.store;
    assert_eq!(store.load_instance(id).await.unwrap(), None);
    assert!(store.exchanges(id).await.unwrap().is_empty());
    let listed = store.list_instances(&InstanceFilter::default()).await;
    assert!(listed.unwrap().is_empty());
}

async fn a_final_step_deleting_messages_keeps_the_instance(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let pid = fixture.deploy("orders").await;
    let (cleaned, kept) = (busy(&fixture, &pid).await, busy(&fixture, &pid).await);

    let mut last = last_step(cleaned);
    last.delete_exchanges = true;
    fixture.store.commit(last).await.unwrap();

    let store = &fixture.store;
    let record = store.load_instance(cleaned).await.unwrap().expect("kept");
    assert_eq!(record.status, InstanceStatus::Completed);
    assert_eq!(record.state, b"done");
    assert!(store.exchanges(cleaned).await.unwrap().is_empty());
    assert_eq!(store.exchanges(kept).await.unwrap().len(), 1);
}

backend_tests!(
    a_final_step_deleting_its_instance_leaves_nothing_of_it,
    an_instance_created_and_deleted_in_one_step_leaves_nothing,
    a_final_step_deleting_messages_keeps_the_instance,
);

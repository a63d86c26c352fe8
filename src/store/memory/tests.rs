//! The memory store keeps the contract of a step commit (all or nothing, optimistic on the
//! revision, routes and exchanges owned by one instance, a message taken once) and forgets
//! what ends or expires, but the messages instances sent that their partners have not taken.

use std::time::{Duration, SystemTime};

use super::MemoryStore;
use crate::store::{
    CorrelationFilter, CorrelationValue, Error, ExchangeDirection, ExchangeStatus, ExchangeWrite,
    Inspection, InstanceFilter, InstanceOrder, InstanceOrderKey, InstancePosition, InstanceStatus,
    InstanceWrite, Instances, OutboxEntry, Received, RouteKey, StepCommit, TimeBound,
};

const PID: &str = "{urn:test}orders-1";

/// The first step of instance `id`, owning `routes`.
fn first_step(id: i64, routes: &[&str]) -> StepCommit {
    let mut step = next_step(id, 0, InstanceStatus::Running);
    step.instance.create = Some(PID.to_owned());
    step.routes_added = routes
        .iter()
        .map(|key| RouteKey::new("orders", *key))
        .collect();
    step
}

/// A step of instance `id` based on `revision`.
fn next_step(id: i64, revision: i64, status: InstanceStatus) -> StepCommit {
    StepCommit::new(InstanceWrite {
        id,
        status,
        state: format!("state {revision}").into_bytes(),
        failure: None,
        expected_revision: revision,
        create: None,
    })
}

fn inbound(id: &str, status: ExchangeStatus) -> ExchangeWrite {
    ExchangeWrite {
        id: id.to_owned(),
        partner_link: "client".into(),
        operation: "order".into(),
        direction: ExchangeDirection::In,
        status,
        request: Some(b"<order/>".to_vec()),
        response: None,
    }
}

#[tokio::test]
async fn ids_are_negative_consecutive_and_never_reused() {
    let store = MemoryStore::new();
    let first = store.reserve_instance_ids(4).await.unwrap();
    let second = store.reserve_instance_ids(4).await.unwrap();
    assert_eq!((first, second), (-4, -8));
    let created = store.reserve_instance_ids(1).await.unwrap();
    assert_eq!(created, -9);
    assert!([first, second, created].into_iter().all(MemoryStore::holds));
    assert!(!MemoryStore::holds(1));
}

#[tokio::test]
async fn a_shared_route_is_found_and_one_another_instance_owns_stays_its_own() {
    let store = MemoryStore::new();
    let (one, two) = (-1, -2);
    let shared = |key: &str| RouteKey {
        shared: true,
        ..RouteKey::new("orders", key)
    };
    let mut first = first_step(one, &[]);
    first.routes_added = vec![shared("customer|7")];
    store.commit(first).await.unwrap();
    let mut second = first_step(two, &["customer+order|7|2"]);
    second.routes_added.push(shared("customer|7"));
    store.commit(second).await.unwrap();

    let owner = |key: &'static str| {
        let store = &store;
        async move {
            store
                .find_route("orders", key)
                .await
                .unwrap()
                .map(|owner| owner.instance)
        }
    };
    assert_eq!(owner("customer|7").await, Some(one));
    assert_eq!(owner("customer+order|7|2").await, Some(two));
    assert_eq!(
        store.instance_routes(two).await.unwrap(),
        [RouteKey::new("orders", "customer+order|7|2")]
    );
    let mut leaving = next_step(two, 1, InstanceStatus::Running);
    leaving.routes_removed = vec![shared("customer|7")];
    store.commit(leaving).await.unwrap();
    assert_eq!(
        owner("customer|7").await,
        Some(one),
        "not the leaver's to remove"
    );
}

#[tokio::test]
async fn a_failing_step_changes_nothing() {
    let store = MemoryStore::new();
    let (one, two) = (-1, -2);
    store.commit(first_step(one, &["a"])).await.unwrap();
    store.commit(first_step(two, &["b"])).await.unwrap();

    let mut stealing = next_step(two, 1, InstanceStatus::Running);
    stealing.routes_added = vec![RouteKey::new("orders", "c"), RouteKey::new("orders", "a")];
    stealing.exchanges = vec![inbound("x", ExchangeStatus::Pending)];
    assert!(matches!(
        store.commit(stealing).await,
        Err(Error::DuplicateRoute { owner: -1, .. })
    ));
    assert!(matches!(
        store
            .commit(next_step(two, 0, InstanceStatus::Running))
            .await,
        Err(Error::Conflict {
            expected: 0,
            actual: 1,
            ..
        })
    ));
    assert!(matches!(
        store.commit(first_step(two, &[])).await,
        Err(Error::Duplicate {
            entity: "instance",
            ..
        })
    ));
    let loaded = store.load_instance(two).await.unwrap().unwrap();
    assert_eq!((loaded.revision, loaded.state), (1, b"state 0".to_vec()));
    assert_eq!(
        store.instance_routes(two).await.unwrap(),
        [RouteKey::new("orders", "b")]
    );
    assert!(store.exchanges(two).await.unwrap().is_empty());
    assert_eq!(store.find_route("orders", "c").await.unwrap(), None);

    let mut taking = next_step(one, 1, InstanceStatus::Running);
    taking.exchanges = vec![inbound("x", ExchangeStatus::Pending)];
    store.commit(taking).await.unwrap();
    let mut duplicate = next_step(two, 1, InstanceStatus::Running);
    duplicate.exchanges = vec![inbound("x", ExchangeStatus::Pending)];
    assert!(matches!(
        store.commit(duplicate).await,
        Err(Error::Duplicate {
            entity: "message exchange",
            ..
        })
    ));
    let stats = store.commit_stats();
    assert_eq!(
        (stats.steps, stats.refused, stats.transactions),
        (3, 4, 7),
        "each step is a transaction of its own"
    );
}

#[tokio::test]
async fn exchanges_are_updated_in_place_and_routes_found() {
    let store = MemoryStore::new();
    let mut first = first_step(-1, &["a"]);
    first.exchanges = vec![inbound("x", ExchangeStatus::Pending)];
    store.commit(first).await.unwrap();
    let owner = store.find_route("orders", "a").await.unwrap().unwrap();
    assert_eq!((owner.instance, owner.pid.as_str()), (-1, PID));
    assert_eq!(store.pending_exchanges(-1).await.unwrap().len(), 1);

    let mut reply = next_step(-1, 1, InstanceStatus::Running);
    reply.exchanges = vec![ExchangeWrite {
        request: None,
        response: Some(b"<done/>".to_vec()),
        ..inbound("x", ExchangeStatus::Replied)
    }];
    reply.routes_removed = vec![RouteKey::new("orders", "a")];
    assert_eq!(store.commit(reply).await.unwrap(), 2);
    let exchanges = store.exchanges(-1).await.unwrap();
    assert_eq!(exchanges.len(), 1);
    assert_eq!(exchanges[0].status, ExchangeStatus::Replied);
    assert_eq!(exchanges[0].request.as_deref(), Some(&b"<order/>"[..]));
    assert_eq!(exchanges[0].response.as_deref(), Some(&b"<done/>"[..]));
    assert!(store.pending_exchanges(-1).await.unwrap().is_empty());
    assert_eq!(store.find_route("orders", "a").await.unwrap(), None);
}

#[tokio::test]
async fn an_instance_that_ends_is_forgotten_with_what_it_owned() {
    let store = MemoryStore::new();
    let mut first = first_step(-1, &["a"]);
    first.exchanges = vec![inbound("x", ExchangeStatus::Pending)];
    store.commit(first).await.unwrap();
    store.commit(first_step(-2, &["b"])).await.unwrap();

    let mut last = next_step(-1, 1, InstanceStatus::Completed);
    last.clear_routes = true;
    assert_eq!(store.commit(last).await.unwrap(), 2);
    assert_eq!(store.load_instance(-1).await.unwrap(), None);
    assert!(store.exchanges(-1).await.unwrap().is_empty());
    assert_eq!(store.find_route("orders", "a").await.unwrap(), None);

    store.mark_failed(-2, "panicked").await.unwrap();
    assert_eq!(store.load_instance(-2).await.unwrap(), None);
    assert_eq!(store.find_route("orders", "b").await.unwrap(), None);
    assert!(matches!(
        store.mark_failed(-2, "again").await,
        Err(Error::NotFound { .. })
    ));
    let all = store
        .list_instances(&InstanceFilter::default())
        .await
        .unwrap();
    assert!(all.is_empty());
}

#[tokio::test]
async fn instances_created_before_a_cutoff_are_purged_with_their_waiting_callers() {
    let store = MemoryStore::new();
    let mut old = first_step(-1, &["a"]);
    old.exchanges = vec![
        inbound("waiting", ExchangeStatus::Pending),
        inbound("answered", ExchangeStatus::Replied),
    ];
    store.commit(old).await.unwrap();
    let cutoff = SystemTime::now() + Duration::from_millis(1);
    while SystemTime::now() <= cutoff {
        tokio::task::yield_now().await;
    }
    store.commit(first_step(-2, &["b"])).await.unwrap();

    let purged = store.purge_created_before(cutoff);
    assert_eq!(purged.len(), 1);
    assert_eq!((purged[0].id, purged[0].pid.as_str()), (-1, PID));
    assert_eq!(purged[0].unanswered, ["waiting"]);
    assert_eq!(store.load_instance(-1).await.unwrap(), None);
    assert_eq!(store.find_route("orders", "a").await.unwrap(), None);
    let left = store
        .list_instances(&InstanceFilter::default())
        .await
        .unwrap();
    assert_eq!(
        left.iter().map(|summary| summary.id).collect::<Vec<_>>(),
        [-2]
    );
    assert!(store.purge_created_before(cutoff).is_empty());

    assert!(store.purge_process("{urn:test}other-1").is_empty());
    let purged = store.purge_process(PID);
    assert_eq!(
        purged.iter().map(|purged| purged.id).collect::<Vec<_>>(),
        [-2]
    );
    assert_eq!(store.find_route("orders", "b").await.unwrap(), None);
}

#[tokio::test]
async fn sent_messages_outlive_their_instance_and_taken_ids_go_with_it() {
    let store = MemoryStore::new();
    let id = store.reserve_instance_ids(1).await.unwrap();
    let taken = Received {
        message_id: "urn:test:in".to_owned(),
        instance_id: id,
        exchange: None,
    };
    let sent = OutboxEntry {
        message_id: "urn:test:out".to_owned(),
        instance_id: id,
        pid: PID.to_owned(),
        exchange: "1.1".to_owned(),
        call: b"call".to_vec(),
    };
    let mut first = first_step(id, &[]);
    first.received = Some(taken.clone());
    store.commit(first).await.unwrap();
    let mut again = next_step(id, 1, InstanceStatus::Running);
    again.received = Some(taken.clone());
    let refused = store.commit(again).await;
    assert!(
        matches!(refused, Err(Error::Duplicate { .. })),
        "{refused:?}"
    );
    assert_eq!(store.received("urn:test:in").await.unwrap(), Some(taken));
    let mut last = next_step(id, 1, InstanceStatus::Completed);
    last.outbox = vec![sent.clone()];
    store.commit(last).await.unwrap();
    assert_eq!(store.received("urn:test:in").await.unwrap(), None);
    assert_eq!(store.outbox().await.unwrap(), [sent]);
    store.delivered("urn:test:out").await.unwrap();
    assert!(store.outbox().await.unwrap().is_empty());
}

#[tokio::test]
async fn instances_list_as_their_filter_selects_and_orders_them() {
    let store = MemoryStore::new();
    for id in [-1, -2, -3] {
        let before = SystemTime::now();
        while SystemTime::now() == before {
            tokio::task::yield_now().await;
        }
        store.commit(first_step(id, &[])).await.unwrap();
    }
    let suspended = next_step(-2, 1, InstanceStatus::Suspended);
    store.commit(suspended).await.unwrap();
    let ids = |filter: InstanceFilter| {
        let listed = store.tables().list_instances(&filter);
        listed.iter().map(|summary| summary.id).collect::<Vec<_>>()
    };
    assert_eq!(ids(InstanceFilter::default()), [-3, -2, -1]);
    let newest = store.tables().list_instances(&InstanceFilter::default());
    let next_page = InstanceFilter {
        after: Some(InstancePosition::of(&newest[0])),
        ..InstanceFilter::default()
    };
    assert_eq!(ids(next_page), [-2, -1]);
    assert_eq!(
        ids(InstanceFilter::with_status(InstanceStatus::Running)),
        [-3, -1]
    );
    let by_status = InstanceOrder {
        key: InstanceOrderKey::Status,
        descending: true,
    };
    let suspended_first = InstanceFilter {
        order: vec![by_status],
        limit: Some(2),
        ..InstanceFilter::default()
    };
    assert_eq!(ids(suspended_first), [-2, -3]);
    let chosen = InstanceFilter {
        ids: vec![-1, -2],
        order: vec![InstanceOrder {
            key: InstanceOrderKey::Id,
            descending: false,
        }],
        ..InstanceFilter::of_process(PID)
    };
    assert_eq!(ids(chosen), [-2, -1]);
    assert!(ids(InstanceFilter::of_process("{urn:test}other-1")).is_empty());
    let mut keyed = next_step(-3, 1, InstanceStatus::Running);
    keyed.correlation_values = vec![CorrelationValue {
        namespace: "urn:test".to_owned(),
        name: "orderId".to_owned(),
        value: "A-1".to_owned(),
    }];
    store.commit(keyed).await.unwrap();
    let by_value = |namespace: Option<&str>, value: &str| InstanceFilter {
        correlations: vec![CorrelationFilter {
            namespace: namespace.map(str::to_owned),
            name: "orderId".to_owned(),
            values: vec!["B-2".to_owned(), value.to_owned()],
        }],
        ..InstanceFilter::default()
    };
    assert_eq!(ids(by_value(None, "A-1")), [-3]);
    assert_eq!(ids(by_value(Some("urn:test"), "A-1")), [-3]);
    assert!(ids(by_value(Some("urn:other"), "A-1")).is_empty());
    assert!(ids(by_value(None, "A-2")).is_empty());
    let later = SystemTime::now() + Duration::from_secs(60);
    let created_later = InstanceFilter {
        created: vec![TimeBound::After(later)],
        ..InstanceFilter::default()
    };
    assert!(ids(created_later).is_empty());
}

#[tokio::test]
async fn a_suspended_instance_is_kept_until_it_is_resumed() {
    let store = MemoryStore::new();
    store.commit(first_step(-1, &["a"])).await.unwrap();
    store
        .commit(next_step(-1, 1, InstanceStatus::Suspended))
        .await
        .unwrap();
    let kept = store.load_instance(-1).await.unwrap().expect("kept");
    assert_eq!(kept.status, InstanceStatus::Suspended);
    assert_eq!(
        store
            .find_route("orders", "a")
            .await
            .unwrap()
            .map(|o| o.instance),
        Some(-1)
    );
    let resumed = store
        .commit(next_step(-1, 2, InstanceStatus::Running))
        .await;
    assert_eq!(resumed.unwrap(), 3);
}

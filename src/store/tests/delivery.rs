//! The outbox and the received messages: outbox entries are stored with the step that sends
//! them, survive a reopen, outlive the instance that sent them, and go either when their
//! partner took them or with the step that settles their exchange; a message id is taken
//! once, and a step taking it again stores nothing.

use super::{step, Fixture, TestDb};
use crate::store::{Error, InstanceStatus, OutboxEntry, Received};

/// The outbox entry of `message_id` for exchange `exchange` of instance `instance`.
fn entry(instance: i64, pid: &str, exchange: &str, message_id: &str) -> OutboxEntry {
    OutboxEntry {
        message_id: message_id.to_owned(),
        instance_id: instance,
        pid: pid.to_owned(),
        exchange: exchange.to_owned(),
        call: format!("call {message_id}").into_bytes(),
    }
}

async fn outbox_entries_outlive_their_instance_until_delivered(db: TestDb) {
    let mut fixture = Fixture::new(&db).await;
    let id = fixture.instance("sender").await;
    let pid = fixture.load(id).await.pid;
    let (one_way, request) = (entry(id, &pid, "1.1", "m-1"), entry(id, &pid, "1.2", "m-2"));
    let mut sending = step(id, 1, InstanceStatus::Completed, b"sent");
    sending.outbox = vec![one_way.clone(), request.clone()];
    sending.clear_routes = true;
    sending.clear_jobs = true;
    fixture.store.commit(sending).await.unwrap();
    fixture.reopen().await;
    assert_eq!(
        fixture.store.outbox().await.unwrap(),
        [one_way.clone(), request.clone()]
    );
    fixture.store.delivered("m-1").await.unwrap();
    fixture.store.delivered("m-unknown").await.unwrap();
    assert_eq!(fixture.store.outbox().await.unwrap(), [request]);
}

async fn a_step_settles_the_outbox_entries_of_its_exchanges(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let id = fixture.instance("requester").await;
    let other = fixture.instance("other").await;
    let pid = fixture.load(id).await.pid;
    let mut sending = step(id, 1, InstanceStatus::Running, b"asked");
    sending.outbox = vec![entry(id, &pid, "1.1", "m-1"), entry(id, &pid, "1.2", "m-2")];
    fixture.store.commit(sending).await.unwrap();
    let mut elsewhere = step(other, 1, InstanceStatus::Running, b"asked too");
    elsewhere.outbox = vec![entry(other, &pid, "1.1", "m-3")];
    fixture.store.commit(elsewhere).await.unwrap();
    let mut answered = step(id, 2, InstanceStatus::Running, b"answered");
    answered.outbox_settled = vec!["1.1".to_owned(), "9.9".to_owned()];
    fixture.store.commit(answered).await.unwrap();
    let left: Vec<String> = fixture
        .store
        .outbox()
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.message_id)
        .collect();
    assert_eq!(left, ["m-2", "m-3"]);
}

async fn a_message_is_taken_once(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let id = fixture.instance("receiver").await;
    let pid = fixture.load(id).await.pid;
    let taken = Received {
        message_id: "urn:test:1".to_owned(),
        instance_id: id,
        exchange: Some("in-1".to_owned()),
    };
    assert_eq!(fixture.store.received("urn:test:1").await.unwrap(), None);
    let mut first = step(id, 1, InstanceStatus::Running, b"took it");
    first.received = Some(taken.clone());
    fixture.store.commit(first).await.unwrap();
    assert_eq!(
        fixture.store.received("urn:test:1").await.unwrap(),
        Some(taken.clone())
    );
    let mut again = step(id, 2, InstanceStatus::Running, b"took it twice");
    again.received = Some(taken);
    again.outbox = vec![entry(id, &pid, "1.1", "m-1")];
    let refused = fixture.store.commit(again).await;
    assert!(
        matches!(refused, Err(Error::Duplicate { .. })),
        "{refused:?}"
    );
    let instance = fixture.load(id).await;
    assert_eq!(
        (instance.revision, instance.state),
        (2, b"took it".to_vec())
    );
    assert!(fixture.store.outbox().await.unwrap().is_empty());
}

backend_tests!(
    outbox_entries_outlive_their_instance_until_delivered,
    a_step_settles_the_outbox_entries_of_its_exchanges,
    a_message_is_taken_once,
);

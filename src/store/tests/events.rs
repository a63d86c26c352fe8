//! The event log ([`crate::store::EventLog`]) on every backend: events come back per
//! instance in the order appended, paged by number; an instance's events go with it, or with
//! a step cleaning them; and retention deletes exactly those older than its cut, in batches.

use super::{step, Fixture, TestDb};
use crate::store::{InstanceStatus, StoredEvents};

fn event(instance_id: i64, at_ms: i64, kind: &str) -> StoredEvents {
    StoredEvents {
        id: 0,
        instance_id,
        pid: "{urn:test}orders-1".into(),
        at_ms,
        body: format!(r#"[{{"type":"{kind}"}}]"#),
    }
}

/// The (instance, time, type) of `events`.
fn described(events: &[StoredEvents]) -> Vec<(i64, i64, String)> {
    events
        .iter()
        .map(|event| {
            let kind = event.body.split('"').nth(3).unwrap_or_default().to_owned();
            (event.instance_id, event.at_ms, kind)
        })
        .collect()
}

async fn events_are_read_per_instance_in_order_and_deleted_with_it_or_by_age(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let store = &fixture.store;
    let first = [event(1, 10, "A"), event(2, 11, "B"), event(1, 12, "C")];
    store.append_events(&first).await.unwrap();
    store
        .append_events(&[event(1, 20, "D"), event(2, 21, "E")])
        .await
        .unwrap();
    store.append_events(&[]).await.unwrap();

    let all = store.instance_events(1, 0, 100).await.unwrap();
    let expected = vec![
        (1, 10, "A".into()),
        (1, 12, "C".into()),
        (1, 20, "D".into()),
    ];
    assert_eq!(described(&all), expected);
    assert!(
        all.windows(2).all(|pair| pair[0].id < pair[1].id),
        "{all:?}"
    );
    assert_eq!(all[0].body, r#"[{"type":"A"}]"#);
    assert_eq!(all[0].pid, "{urn:test}orders-1");
    let page = store.instance_events(1, all[0].id, 1).await.unwrap();
    assert_eq!(described(&page), vec![(1, 12, "C".into())]);

    assert_eq!(store.delete_instance_events(2).await.unwrap(), 2);
    assert!(store.instance_events(2, 0, 100).await.unwrap().is_empty());

    let many: Vec<StoredEvents> = (0..7).map(|n| event(3, 100 + n, "F")).collect();
    store.append_events(&many).await.unwrap();
    assert_eq!(store.delete_events_before(105, 2).await.unwrap(), 3 + 5);
    assert!(store.instance_events(1, 0, 100).await.unwrap().is_empty());
    let left = store.instance_events(3, 0, 100).await.unwrap();
    assert_eq!(
        described(&left),
        vec![(3, 105, "F".into()), (3, 106, "F".into())]
    );
}

async fn a_step_deleting_an_instance_or_its_events_deletes_its_events_alone(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let store = &fixture.store;
    let pid = fixture.deploy("orders").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(fixture.create(&pid).await.unwrap());
    }
    let events: Vec<StoredEvents> = ids.iter().map(|&id| event(id, 1, "A")).collect();
    store.append_events(&events).await.unwrap();
    let [cleaned, deleted, kept] = [ids[0], ids[1], ids[2]];

    let mut clean = step(cleaned, 1, InstanceStatus::Completed, b"done");
    clean.delete_events = true;
    store.commit(clean).await.unwrap();
    let mut delete = step(deleted, 1, InstanceStatus::Completed, b"done");
    delete.delete_instance = true;
    store.commit(delete).await.unwrap();

    for gone in [cleaned, deleted] {
        assert!(store.instance_events(gone, 0, 10).await.unwrap().is_empty());
    }
    assert!(store.load_instance(cleaned).await.unwrap().is_some());
    assert_eq!(store.instance_events(kept, 0, 10).await.unwrap().len(), 1);
}

backend_tests!(
    events_are_read_per_instance_in_order_and_deleted_with_it_or_by_age,
    a_step_deleting_an_instance_or_its_events_deletes_its_events_alone,
);

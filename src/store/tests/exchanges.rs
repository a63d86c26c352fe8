//! The `baton_exchanges` table: exchanges written by step commits and found again pending.

use super::{exchange, step, Fixture, TestDb};
use crate::store::{
    Error, ExchangeDirection, ExchangeRecord, ExchangeStatus, ExchangeWrite, InstanceStatus,
};

/// A pending exchange `id` with a request.
fn pending(id: &str, direction: ExchangeDirection) -> ExchangeWrite {
    exchange(id, direction, ExchangeStatus::Pending)
}

/// The fields of a stored exchange the engine wrote, without its timestamp.
fn written(record: &ExchangeRecord) -> (i64, ExchangeWrite) {
    let write = ExchangeWrite {
        id: record.id.clone(),
        partner_link: record.partner_link.clone(),
        operation: record.operation.clone(),
        direction: record.direction,
        status: record.status,
        request: record.request.clone(),
        response: record.response.clone(),
    };
    (record.instance_id, write)
}

async fn pending_exchanges_survive_reopen_and_leave_once_answered(db: TestDb) {
    let mut fixture = Fixture::new(&db).await;
    let id = fixture.instance("orders").await;
    let inbound = pending("in-1", ExchangeDirection::In);
    let outbound = pending("out-1", ExchangeDirection::Out);
    let mut first = step(id, 1, InstanceStatus::Running, b"one");
    first.exchanges = vec![inbound.clone(), outbound.clone()];
    fixture.store.commit(first).await.unwrap();
    fixture.reopen().await;

    let found: Vec<_> = fixture.pending(id).await.iter().map(written).collect();
    assert_eq!(found, [(id, inbound.clone()), (id, outbound.clone())]);

    // The reply keeps the stored request when the write carries none.
    let replied = ExchangeWrite {
        status: ExchangeStatus::Replied,
        request: None,
        response: Some(b"reply".to_vec()),
        ..inbound.clone()
    };
    let mut second = step(id, 2, InstanceStatus::Running, b"two");
    second.exchanges = vec![replied];
    fixture.store.commit(second).await.unwrap();
    fixture.reopen().await;

    let found: Vec<_> = fixture.pending(id).await.iter().map(written).collect();
    assert_eq!(found, [(id, outbound.clone())]);
    let all = fixture.store.exchanges(id).await.unwrap();
    let statuses: Vec<_> = all.iter().map(|e| (e.id.as_str(), e.status)).collect();
    assert_eq!(
        statuses,
        [
            ("in-1", ExchangeStatus::Replied),
            ("out-1", ExchangeStatus::Pending)
        ]
    );
    assert_eq!(all[0].request.as_deref(), inbound.request.as_deref());
    assert_eq!(all[0].response.as_deref(), Some(&b"reply"[..]));

    // Every status other than pending takes an exchange off the pending list.
    let mut third = step(id, 3, InstanceStatus::Running, b"three");
    third.exchanges = vec![ExchangeWrite {
        status: ExchangeStatus::Faulted,
        ..outbound
    }];
    fixture.store.commit(third).await.unwrap();
    assert!(fixture.pending(id).await.is_empty());
}

async fn exchanges_are_listed_per_instance(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let first = fixture.instance("orders").await;
    let second = fixture.instance("billing").await;
    for (id, exchange) in [(first, "a"), (second, "b")] {
        let mut commit = step(id, 1, InstanceStatus::Running, b"");
        commit.exchanges = vec![pending(exchange, ExchangeDirection::In)];
        fixture.store.commit(commit).await.unwrap();
    }
    let of_second = fixture.pending(second).await;
    let ids: Vec<_> = of_second
        .iter()
        .map(|exchange| exchange.id.as_str())
        .collect();
    assert_eq!(ids, ["b"]);
    assert!(fixture.pending(second + 1).await.is_empty());
}

async fn an_exchange_id_of_another_instance_fails_the_whole_commit(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let owner = fixture.instance("orders").await;
    let other = fixture.instance("billing").await;
    let mut first = step(owner, 1, InstanceStatus::Running, b"owner");
    first.exchanges = vec![pending("shared", ExchangeDirection::In)];
    fixture.store.commit(first).await.unwrap();

    let mut stolen = step(other, 1, InstanceStatus::Completed, b"other");
    stolen.exchanges = vec![
        pending("mine", ExchangeDirection::Out),
        ExchangeWrite {
            status: ExchangeStatus::Failed,
            ..pending("shared", ExchangeDirection::In)
        },
    ];
    match fixture.store.commit(stolen).await {
        Err(Error::Duplicate {
            entity: "message exchange",
            key,
        }) => assert_eq!(key, "shared"),
        other => panic!("expected a duplicate exchange, got {other:?}"),
    }

    let other_instance = fixture.load(other).await;
    assert_eq!(
        (other_instance.revision, other_instance.status),
        (1, InstanceStatus::Running)
    );
    assert!(fixture.pending(other).await.is_empty());
    let of_owner = fixture.pending(owner).await;
    assert_eq!(of_owner.len(), 1);
    assert_eq!(of_owner[0].status, ExchangeStatus::Pending);
}

backend_tests!(
    pending_exchanges_survive_reopen_and_leave_once_answered,
    exchanges_are_listed_per_instance,
    an_exchange_id_of_another_instance_fails_the_whole_commit,
);

//! The `baton_instances` table: creation, optimistic saves, listing and recovery.

use super::{step, Fixture, TestDb};
use crate::store::{Error, InstanceFilter, InstanceStatus, RouteKey};

async fn created_instances_are_running_with_increasing_ids(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let pid = fixture.deploy("orders").await;
    let first = fixture.create(&pid).await.unwrap();
    let second = fixture.create(&pid).await.unwrap();
    assert!(second > first);

    let loaded = fixture.load(first).await;
    assert_eq!(loaded.id, first);
    assert_eq!(loaded.pid, pid);
    assert_eq!(loaded.status, InstanceStatus::Running);
    assert!(loaded.state.is_empty());
    assert_eq!(loaded.failure, None);
    assert_eq!(loaded.revision, 1);
    assert_eq!(loaded.created_at, loaded.updated_at);
    assert_eq!(fixture.store.load_instance(second + 1).await.unwrap(), None);
}

async fn instance_of_an_unknown_process_cannot_be_created(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    match fixture.create("{urn:test}none-1").await {
        Err(Error::NotFound {
            entity: "process",
            key,
        }) => assert_eq!(key, "{urn:test}none-1"),
        other => panic!("expected a missing process, got {other:?}"),
    }
}

async fn commits_save_state_and_advance_the_revision_across_reopen(db: TestDb) {
    let mut fixture = Fixture::new(&db).await;
    let id = fixture.instance("orders").await;
    let commit = fixture
        .store
        .commit(step(id, 1, InstanceStatus::Running, b"one"));
    assert_eq!(commit.await.unwrap(), 2);
    let mut failed = step(id, 2, InstanceStatus::Failed, b"two");
    failed.instance.failure = Some("partner unreachable".to_owned());
    assert_eq!(fixture.store.commit(failed).await.unwrap(), 3);
    fixture.reopen().await;

    let loaded = fixture.load(id).await;
    assert_eq!(loaded.status, InstanceStatus::Failed);
    assert_eq!(loaded.state, b"two");
    assert_eq!(loaded.failure.as_deref(), Some("partner unreachable"));
    assert_eq!(loaded.revision, 3);
    assert!(loaded.updated_at >= loaded.created_at);
}

async fn a_stale_revision_conflicts_and_changes_nothing(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let id = fixture.instance("orders").await;
    fixture
        .store
        .commit(step(id, 1, InstanceStatus::Running, b"one"))
        .await
        .unwrap();
    match fixture
        .store
        .commit(step(id, 1, InstanceStatus::Completed, b"stale"))
        .await
    {
        Err(Error::Conflict {
            id: conflicting,
            expected: 1,
            actual: 2,
        }) => {
            assert_eq!(conflicting, id)
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let loaded = fixture.load(id).await;
    assert_eq!(
        (loaded.status, loaded.state, loaded.revision),
        (InstanceStatus::Running, b"one".to_vec(), 2)
    );
}

async fn concurrent_commits_on_one_revision_let_exactly_one_win(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let id = fixture.instance("orders").await;
    let commits = (0..8u8).map(|n| {
        fixture
            .store
            .commit(step(id, 1, InstanceStatus::Running, &[n]))
    });
    let results = futures::future::join_all(commits).await;
    let won = results.iter().filter(|result| result.is_ok()).count();
    let conflicts = results
        .iter()
        .filter(|result| matches!(result, Err(Error::Conflict { .. })))
        .count();
    assert_eq!((won, conflicts), (1, 7));
    assert_eq!(fixture.load(id).await.revision, 2);
}

async fn committing_an_unknown_instance_fails(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    match fixture
        .store
        .commit(step(42, 0, InstanceStatus::Running, b""))
        .await
    {
        Err(Error::NotFound {
            entity: "instance",
            key,
        }) => assert_eq!(key, "42"),
        other => panic!("expected a missing instance, got {other:?}"),
    }
}

async fn instances_list_by_pid_status_and_limit_newest_first(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let orders = fixture.deploy("orders").await;
    let billing = fixture.deploy("billing").await;
    let mut ids = Vec::new();
    for pid in [&orders, &billing, &orders, &orders] {
        ids.push(fixture.create(pid).await.unwrap());
    }
    fixture
        .store
        .commit(step(ids[2], 1, InstanceStatus::Completed, b"done"))
        .await
        .unwrap();

    let list = |filter: InstanceFilter| {
        let store = fixture.store.clone();
        async move {
            let found = store.list_instances(&filter).await.unwrap();
            found
                .into_iter()
                .map(|summary| summary.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(InstanceFilter::default()).await,
        [ids[3], ids[2], ids[1], ids[0]]
    );
    let of_orders = InstanceFilter::of_process(&orders);
    assert_eq!(list(of_orders).await, [ids[3], ids[2], ids[0]]);
    let completed = InstanceFilter::with_status(InstanceStatus::Completed);
    assert_eq!(list(completed).await, [ids[2]]);
    let running_orders = InstanceFilter {
        statuses: vec![InstanceStatus::Running],
        limit: Some(1),
        ..InstanceFilter::of_process(&orders)
    };
    assert_eq!(list(running_orders).await, [ids[3]]);
    let none = InstanceFilter {
        limit: Some(0),
        ..InstanceFilter::default()
    };
    assert!(list(none).await.is_empty());

    let summaries = fixture
        .store
        .list_instances(&InstanceFilter::default())
        .await
        .unwrap();
    let completed = &summaries[1];
    assert_eq!(completed.id, ids[2]);
    assert_eq!(completed.pid, orders);
    assert_eq!(
        (completed.status, completed.revision),
        (InstanceStatus::Completed, 2)
    );
}

async fn marking_failed_keeps_the_state_and_drops_the_routes(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let id = fixture.instance("orders").await;
    let mut first = step(id, 1, InstanceStatus::Running, b"kept");
    first.routes_added = vec![RouteKey::new("{urn:test}orders", "k")];
    fixture.store.commit(first).await.unwrap();
    fixture.store.mark_failed(id, "panicked").await.unwrap();
    let loaded = fixture.load(id).await;
    assert_eq!(loaded.status, InstanceStatus::Failed);
    assert_eq!(loaded.failure.as_deref(), Some("panicked"));
    assert_eq!(loaded.state, b"kept");
    assert!(fixture.routes(id).await.is_empty());
    assert!(matches!(
        fixture.store.mark_failed(id, "again").await,
        Err(Error::NotFound { .. })
    ));
}

async fn a_first_commit_inserts_the_instance_under_a_reserved_id(db: TestDb) {
    let mut fixture = Fixture::new(&db).await;
    let pid = fixture.deploy("orders").await;
    let first = fixture.store.reserve_instance_ids(10).await.unwrap();
    let next = fixture.store.reserve_instance_ids(10).await.unwrap();
    assert_eq!(next, first + 10);
    let created = fixture.create(&pid).await.unwrap();
    assert_eq!(
        created,
        first + 20,
        "a created instance draws from the same sequence"
    );
    let mut insert = step(first + 3, 0, InstanceStatus::Running, b"born");
    insert.instance.create = Some(pid.clone());
    assert_eq!(fixture.store.commit(insert.clone()).await.unwrap(), 1);
    assert!(matches!(
        fixture.store.commit(insert).await,
        Err(Error::Duplicate { .. })
    ));
    let mut unknown = step(first + 4, 0, InstanceStatus::Running, b"");
    unknown.instance.create = Some("{urn:test}none-1".into());
    assert!(matches!(
        fixture.store.commit(unknown).await,
        Err(Error::NotFound { .. })
    ));
    fixture.reopen().await;
    let loaded = fixture.load(first + 3).await;
    assert_eq!(
        (loaded.pid, loaded.state, loaded.revision),
        (pid, b"born".to_vec(), 1)
    );
    assert!(fixture.store.reserve_instance_ids(1).await.unwrap() > created);
}

async fn concurrent_reservations_get_distinct_ids(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let requests = (0..16).map(|_| fixture.store.reserve_instance_ids(4));
    let mut firsts = futures::future::try_join_all(requests).await.unwrap();
    firsts.sort_unstable();
    assert_eq!(firsts, (0..16).map(|n| 1 + 4 * n).collect::<Vec<i64>>());
}

backend_tests!(
    created_instances_are_running_with_increasing_ids,
    instance_of_an_unknown_process_cannot_be_created,
    commits_save_state_and_advance_the_revision_across_reopen,
    a_stale_revision_conflicts_and_changes_nothing,
    concurrent_commits_on_one_revision_let_exactly_one_win,
    committing_an_unknown_instance_fails,
    instances_list_by_pid_status_and_limit_newest_first,
    marking_failed_keeps_the_state_and_drops_the_routes,
    a_first_commit_inserts_the_instance_under_a_reserved_id,
    concurrent_reservations_get_distinct_ids,
);

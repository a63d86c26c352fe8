//! The `baton_routes` table: correlation routes added and removed by step commits, their
//! uniqueness, and the atomicity of a commit that violates it.

use super::{exchange, step, Fixture, TestDb};
use crate::store::{Error, ExchangeDirection, ExchangeStatus, InstanceStatus, RouteKey};

const ORDERS: &str = "{urn:test}orders";

/// A route of the orders process.
fn route(key: &str) -> RouteKey {
    RouteKey::new(ORDERS, key)
}

async fn routes_are_found_and_survive_reopen(db: TestDb) {
    let mut fixture = Fixture::new(&db).await;
    let id = fixture.instance("orders").await;
    let mut commit = step(id, 1, InstanceStatus::Running, b"waiting");
    commit.routes_added = vec![
        route("client|ship|order|42"),
        route("client|cancel|order|42"),
    ];
    fixture.store.commit(commit).await.unwrap();
    fixture.reopen().await;

    for (process, key, owner) in [
        (ORDERS, "client|ship|order|42", Some(id)),
        (ORDERS, "client|ship|order|43", None),
        ("{urn:test}billing", "client|ship|order|42", None),
    ] {
        assert_eq!(fixture.route_owner(process, key).await, owner, "{key}");
    }
    assert_eq!(
        fixture.routes(id).await,
        [
            route("client|cancel|order|42"),
            route("client|ship|order|42")
        ]
    );
}

async fn routes_are_removed_and_cleared(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let id = fixture.instance("orders").await;
    let other = fixture.instance("billing").await;
    let mut first = step(id, 1, InstanceStatus::Running, b"");
    first.routes_added = vec![route("a"), route("b"), route("c")];
    fixture.store.commit(first).await.unwrap();
    let mut others = step(other, 1, InstanceStatus::Running, b"");
    others.routes_added = vec![route("z")];
    fixture.store.commit(others).await.unwrap();

    // Removing a route of another instance leaves it alone.
    let mut second = step(id, 2, InstanceStatus::Running, b"");
    second.routes_removed = vec![route("a"), route("z")];
    fixture.store.commit(second).await.unwrap();
    assert_eq!(fixture.routes(id).await, [route("b"), route("c")]);
    assert_eq!(fixture.route_owner(ORDERS, "z").await, Some(other));

    // Clearing wins over routes added in the same commit.
    let mut last = step(id, 3, InstanceStatus::Completed, b"");
    last.routes_added = vec![route("d")];
    last.clear_routes = true;
    fixture.store.commit(last).await.unwrap();
    assert!(fixture.routes(id).await.is_empty());
    assert_eq!(fixture.route_owner(ORDERS, "d").await, None);
    assert_eq!(fixture.routes(other).await, [route("z")]);
}

async fn adding_an_owned_route_again_is_a_no_op(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let id = fixture.instance("orders").await;
    for revision in 1..3 {
        let mut commit = step(id, revision, InstanceStatus::Running, b"");
        commit.routes_added = vec![route("a")];
        fixture.store.commit(commit).await.unwrap();
    }
    assert_eq!(fixture.routes(id).await, [route("a")]);
}

async fn the_same_key_may_route_different_processes(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let first = fixture.instance("orders").await;
    let second = fixture.instance("billing").await;
    for (id, process) in [(first, ORDERS), (second, "{urn:test}billing")] {
        let mut commit = step(id, 1, InstanceStatus::Running, b"");
        commit.routes_added = vec![RouteKey::new(process, "key")];
        fixture.store.commit(commit).await.unwrap();
    }
    assert_eq!(fixture.route_owner(ORDERS, "key").await, Some(first));
    let billing = fixture.route_owner("{urn:test}billing", "key").await;
    assert_eq!(billing, Some(second));
}

async fn a_route_owned_by_another_instance_rolls_the_whole_commit_back(db: TestDb) {
    let mut fixture = Fixture::new(&db).await;
    let owner = fixture.instance("orders").await;
    let other = fixture.instance("billing").await;
    let mut claim = step(owner, 1, InstanceStatus::Running, b"owner");
    claim.routes_added = vec![route("taken")];
    fixture.store.commit(claim).await.unwrap();
    let mut setup = step(other, 1, InstanceStatus::Running, b"before");
    setup.routes_added = vec![route("kept")];
    fixture.store.commit(setup).await.unwrap();

    let mut clash = step(other, 2, InstanceStatus::Completed, b"after");
    clash.routes_removed = vec![route("kept")];
    clash.routes_added = vec![route("fresh"), route("taken")];
    clash.exchanges = vec![exchange(
        "in-1",
        ExchangeDirection::In,
        ExchangeStatus::Pending,
    )];
    match fixture.store.commit(clash).await {
        Err(Error::DuplicateRoute {
            process,
            key,
            owner: found,
        }) => {
            assert_eq!(
                (process.as_str(), key.as_str(), found),
                (ORDERS, "taken", owner)
            );
        }
        other => panic!("expected a duplicate route, got {other:?}"),
    }
    fixture.reopen().await;

    // Nothing of the failed commit is visible.
    let instance = fixture.load(other).await;
    assert_eq!(instance.revision, 2);
    assert_eq!(instance.status, InstanceStatus::Running);
    assert_eq!(instance.state, b"before");
    assert_eq!(fixture.routes(other).await, [route("kept")]);
    assert_eq!(fixture.route_owner(ORDERS, "fresh").await, None);
    assert_eq!(fixture.route_owner(ORDERS, "taken").await, Some(owner));
    assert!(fixture.pending(other).await.is_empty());

    // The store is still usable: the same step without the clash goes through.
    let mut retry = step(other, 2, InstanceStatus::Running, b"after");
    retry.routes_added = vec![route("fresh")];
    assert_eq!(fixture.store.commit(retry).await.unwrap(), 3);
    assert_eq!(fixture.routes(other).await, [route("fresh"), route("kept")]);
}

async fn a_shared_route_another_instance_owns_stays_its_own(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let first = fixture.instance("orders").await;
    let second = fixture.instance("orders").await;
    let mut commit = step(first, 1, InstanceStatus::Running, b"first");
    commit.routes_added = vec![route("customer|7"), route("customer+order|7|1")];
    fixture.store.commit(commit).await.unwrap();
    let mut commit = step(second, 1, InstanceStatus::Running, b"second");
    let shared = RouteKey {
        shared: true,
        ..route("customer|7")
    };
    commit.routes_added = vec![shared, route("customer+order|7|2")];
    fixture.store.commit(commit).await.unwrap();
    for (key, owner) in [
        ("customer|7", first),
        ("customer+order|7|1", first),
        ("customer+order|7|2", second),
    ] {
        assert_eq!(fixture.route_owner(ORDERS, key).await, Some(owner), "{key}");
    }
    assert_eq!(fixture.routes(second).await, [route("customer+order|7|2")]);
}

backend_tests!(
    routes_are_found_and_survive_reopen,
    a_shared_route_another_instance_owns_stays_its_own,
    routes_are_removed_and_cleared,
    adding_an_owned_route_again_is_a_no_op,
    the_same_key_may_route_different_processes,
    a_route_owned_by_another_instance_rolls_the_whole_commit_back,
);

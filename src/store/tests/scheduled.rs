//! Scheduled cleanups over the store: a run deletes exactly the ended instances its filter
//! selects, in transactions of at most a batch; the store refuses to clean an instance saved
//! since it was read, alone; one version of a deployment is undeployed alone.

use std::collections::BTreeSet;
use std::time::SystemTime;

use super::cleanup::busy;
use super::{step, Fixture, TestDb};
use crate::engine::sweep::{sweep, Swept};
use crate::model::CleanupCategories;
use crate::query::instance_listing;
use crate::store::{Error, InstanceFilter, InstanceStatus};

/// Creates an instance of `pid` that ends with `status` (or goes on running).
async fn ended(fixture: &Fixture, pid: &str, status: InstanceStatus) -> i64 {
    let id = fixture.create(pid).await.unwrap();
    if status != InstanceStatus::Running {
        fixture
            .store
            .commit(step(id, 1, status, b""))
            .await
            .unwrap();
    }
    id
}

/// The ids of every stored instance.
async fn stored(fixture: &Fixture) -> BTreeSet<i64> {
    let all = fixture
        .store
        .list_instances(&InstanceFilter::default())
        .await;
    all.unwrap().iter().map(|i| i.id).collect()
}

/// The store filter of the instance filter `text`.
async fn filter(fixture: &Fixture, text: &str) -> InstanceFilter {
    let processes = fixture.store.list_processes().await.unwrap();
    instance_listing(text, "", &processes, SystemTime::now()).unwrap()
}

async fn a_scheduled_cleanup_deletes_exactly_the_ended_instances_its_filter_selects(db: TestDb) {
    use InstanceStatus::*;
    let fixture = Fixture::new(&db).await;
    let orders = fixture.deploy("orders").await;
    let billing = fixture.deploy("billing").await;
    let mut selected = BTreeSet::new();
    for status in [Completed, Completed, Faulted] {
        selected.insert(ended(&fixture, &orders, status).await);
    }
    let running_order = ended(&fixture, &orders, Running).await;
    let suspended_order = ended(&fixture, &orders, Suspended).await;
    let terminated_order = ended(&fixture, &orders, Terminated).await;
    let completed_bill = ended(&fixture, &billing, Completed).await;
    let failed_bill = ended(&fixture, &billing, Failed).await;
    let running_bill = ended(&fixture, &billing, Running).await;
    let waiting = busy(&fixture, &orders).await;
    fixture
        .store
        .commit(step(waiting, 2, Completed, b""))
        .await
        .unwrap();
    selected.insert(waiting);

    // Running and suspended instances of orders are selected by the filter, and skipped.
    let chosen = filter(
        &fixture,
        "name=orders status=completed|failed|active|suspended",
    )
    .await;
    let all = CleanupCategories::ALL;
    let swept = sweep(fixture.store.as_ref(), &[chosen], all, 100)
        .await
        .unwrap();

    assert_eq!(
        swept,
        Swept {
            cleaned: 4,
            refused: 0,
            transactions: 1
        }
    );
    let kept = BTreeSet::from([
        running_order,
        suspended_order,
        terminated_order,
        completed_bill,
        failed_bill,
        running_bill,
    ]);
    assert_eq!(stored(&fixture).await, kept);
    for id in &selected {
        assert_eq!(fixture.store.load_instance(*id).await.unwrap(), None);
        assert!(fixture.store.exchanges(*id).await.unwrap().is_empty());
        assert!(fixture.store.instance_routes(*id).await.unwrap().is_empty());
    }
}

async fn a_cleanup_of_more_than_a_batch_takes_one_transaction_per_batch(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let orders = fixture.deploy("orders").await;
    for _ in 0..7 {
        ended(&fixture, &orders, InstanceStatus::Completed).await;
    }
    let running = ended(&fixture, &orders, InstanceStatus::Running).await;
    let chosen = filter(&fixture, "name=orders").await;
    let all = CleanupCategories::ALL;

    let swept = sweep(
        fixture.store.as_ref(),
        std::slice::from_ref(&chosen),
        all,
        3,
    )
    .await
    .unwrap();
    assert_eq!(
        (swept.cleaned, swept.transactions),
        (7, 7usize.div_ceil(3) as u64)
    );
    assert_eq!(stored(&fixture).await, BTreeSet::from([running]));

    for _ in 0..6 {
        ended(&fixture, &orders, InstanceStatus::Terminated).await;
    }
    let swept = sweep(fixture.store.as_ref(), &[chosen], all, 3)
        .await
        .unwrap();
    assert_eq!((swept.cleaned, swept.transactions), (6, 2));
    assert_eq!(stored(&fixture).await, BTreeSet::from([running]));
}

async fn a_cleanup_step_of_an_instance_saved_since_is_refused_alone(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let orders = fixture.deploy("orders").await;
    let (gone, kept) = (
        ended(&fixture, &orders, InstanceStatus::Completed).await,
        ended(&fixture, &orders, InstanceStatus::Completed).await,
    );
    let mut deleting = step(gone, 2, InstanceStatus::Completed, b"");
    deleting.delete_instance = true;
    let mut stale = step(kept, 1, InstanceStatus::Completed, b"");
    stale.delete_instance = true;

    let outcomes = fixture.store.clean_up(vec![deleting, stale]).await.unwrap();

    assert!(outcomes[0].is_ok(), "{outcomes:?}");
    assert!(
        matches!(outcomes[1], Err(Error::Conflict { .. })),
        "{outcomes:?}"
    );
    assert_eq!(stored(&fixture).await, BTreeSet::from([kept]));
}

async fn one_version_of_a_deployment_is_undeployed_alone(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    fixture
        .save_deployments(&[("orders", 1), ("orders", 2), ("billing", 1)])
        .await;
    assert_eq!(
        fixture
            .store
            .mark_version_undeployed("orders", 1)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        fixture
            .store
            .mark_version_undeployed("orders", 1)
            .await
            .unwrap(),
        0
    );
    let undeployed: Vec<(String, i64, bool)> = fixture
        .store
        .list_deployments()
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.name, d.version, d.undeployed))
        .collect();
    assert_eq!(
        undeployed,
        [
            ("billing".to_owned(), 1, false),
            ("orders".to_owned(), 1, true),
            ("orders".to_owned(), 2, false),
        ]
    );
}

backend_tests!(
    a_scheduled_cleanup_deletes_exactly_the_ended_instances_its_filter_selects,
    a_cleanup_of_more_than_a_batch_takes_one_transaction_per_batch,
    a_cleanup_step_of_an_instance_saved_since_is_refused_alone,
    one_version_of_a_deployment_is_undeployed_alone,
);

//! The `baton_deployments` table.

use super::{deployment, Fixture, TestDb};
use crate::store::{DeploymentSummary, Error};

async fn saved_deployments_load_and_list_across_reopen(db: TestDb) {
    let mut fixture = Fixture::new(&db).await;
    let orders = deployment("orders", 1);
    let billing = deployment("billing", 2);
    let orders_again = deployment("orders", 3);
    for record in [&orders, &billing, &orders_again] {
        fixture.store.save_deployment(record.clone()).await.unwrap();
    }
    fixture.reopen().await;

    assert_eq!(
        fixture.store.load_deployment("orders", 1).await.unwrap(),
        Some(orders.clone())
    );
    assert_eq!(
        fixture.store.load_deployment("orders", 3).await.unwrap(),
        Some(orders_again)
    );
    assert_eq!(
        fixture.store.load_deployment("orders", 2).await.unwrap(),
        None
    );
    assert_eq!(
        fixture.store.load_deployment("shipping", 1).await.unwrap(),
        None
    );

    let listed: Vec<(String, i64)> = fixture
        .store
        .list_deployments()
        .await
        .unwrap()
        .into_iter()
        .map(|summary| (summary.name, summary.version))
        .collect();
    let expected = [("billing", 2), ("orders", 1), ("orders", 3)];
    assert_eq!(
        listed,
        expected.map(|(name, version)| (name.to_owned(), version))
    );

    let first = &fixture.store.list_deployments().await.unwrap()[1];
    let summary = DeploymentSummary {
        name: orders.name,
        version: orders.version,
        checksum: orders.checksum,
        deployed_at: orders.deployed_at,
        undeployed: false,
    };
    assert_eq!(first, &summary);
}

async fn saving_the_same_name_and_version_twice_fails(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    fixture
        .store
        .save_deployment(deployment("orders", 1))
        .await
        .unwrap();
    let mut changed = deployment("orders", 1);
    changed.checksum = "sha256:other".to_owned();
    match fixture.store.save_deployment(changed).await {
        Err(Error::Duplicate {
            entity: "deployment",
            key,
        }) => {
            assert_eq!(key, "orders version 1")
        }
        other => panic!("expected a duplicate deployment, got {other:?}"),
    }
    let stored = fixture
        .store
        .load_deployment("orders", 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, deployment("orders", 1));
}

async fn undeploying_marks_every_version_once(db: TestDb) {
    let mut fixture = Fixture::new(&db).await;
    for (name, version) in [("orders", 1), ("billing", 2), ("orders", 3)] {
        fixture
            .store
            .save_deployment(deployment(name, version))
            .await
            .unwrap();
    }
    assert_eq!(fixture.store.mark_undeployed("orders").await.unwrap(), 2);
    assert_eq!(fixture.store.mark_undeployed("orders").await.unwrap(), 0);
    assert_eq!(fixture.store.mark_undeployed("shipping").await.unwrap(), 0);
    fixture.reopen().await;

    let undeployed: Vec<(String, bool)> = fixture
        .store
        .list_deployments()
        .await
        .unwrap()
        .into_iter()
        .map(|summary| (summary.name, summary.undeployed))
        .collect();
    let expected = [("billing", false), ("orders", true), ("orders", true)];
    assert_eq!(
        undeployed,
        expected.map(|(name, flag)| (name.to_owned(), flag))
    );
    let loaded = fixture
        .store
        .load_deployment("orders", 3)
        .await
        .unwrap()
        .unwrap();
    assert!(loaded.undeployed);
}

backend_tests!(
    saved_deployments_load_and_list_across_reopen,
    saving_the_same_name_and_version_twice_fails,
    undeploying_marks_every_version_once,
);

//! The `baton_deployments` table.

use super::{deployment, Fixture, TestDb};
use crate::store::{DeploymentSummary, Error};

async fn saved_deployments_load_and_list_across_reopen(db: TestDb) {
    let mut fixture = Fixture::new(&db).await;
    let deployments = [("orders", 1), ("billing", 2), ("orders", 3)];
    fixture.save_deployments(&deployments).await;
    fixture.reopen().await;

    let orders = deployment("orders", 1);
    for (name, version, expected) in [
        ("orders", 1, Some(orders.clone())),
        ("orders", 3, Some(deployment("orders", 3))),
        ("orders", 2, None),
        ("shipping", 1, None),
    ] {
        let loaded = fixture.store.load_deployment(name, version).await.unwrap();
        assert_eq!(loaded, expected, "{name} {version}");
    }

    let listed = fixture.store.list_deployments().await.unwrap();
    let keys: Vec<_> = listed
        .iter()
        .map(|s| (s.name.as_str(), s.version))
        .collect();
    assert_eq!(keys, [("billing", 2), ("orders", 1), ("orders", 3)]);

    let first = &listed[1];
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
    fixture.save_deployments(&[("orders", 1)]).await;
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
    let stored = fixture.store.load_deployment("orders", 1).await.unwrap();
    assert_eq!(stored, Some(deployment("orders", 1)));
}

async fn undeploying_marks_every_version_once(db: TestDb) {
    let mut fixture = Fixture::new(&db).await;
    let deployments = [("orders", 1), ("billing", 2), ("orders", 3)];
    fixture.save_deployments(&deployments).await;
    assert_eq!(fixture.store.mark_undeployed("orders").await.unwrap(), 2);
    assert_eq!(fixture.store.mark_undeployed("orders").await.unwrap(), 0);
    assert_eq!(fixture.store.mark_undeployed("shipping").await.unwrap(), 0);
    fixture.reopen().await;

    let listed = fixture.store.list_deployments().await.unwrap();
    let undeployed: Vec<_> = listed
        .iter()
        .map(|s| (s.name.as_str(), s.undeployed))
        .collect();
    assert_eq!(
        undeployed,
        [("billing", false), ("orders", true), ("orders", true)]
    );
    let loaded = fixture.store.load_deployment("orders", 3).await.unwrap();
    assert!(loaded.expect("stored").undeployed);
}

backend_tests!(
    saved_deployments_load_and_list_across_reopen,
    saving_the_same_name_and_version_twice_fails,
    undeploying_marks_every_version_once,
);

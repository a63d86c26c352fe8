//! The `baton_processes` table.

use super::{process, Fixture, TestDb};
use crate::store::{Error, ProcessRecord, ProcessState};

async fn processes_save_list_and_change_state_across_reopen(db: TestDb) {
    let mut fixture = Fixture::new(&db).await;
    fixture
        .save_deployments(&[("orders", 1), ("orders", 2)])
        .await;
    let old = process("orders", 1);
    let new = process("orders", 2);
    fixture.store.save_process(new.clone()).await.unwrap();
    fixture.store.save_process(old.clone()).await.unwrap();

    // A new version retires the old one.
    fixture
        .store
        .set_process_state(&old.pid, ProcessState::Retired)
        .await
        .unwrap();
    fixture.reopen().await;

    let listed = fixture.store.list_processes().await.unwrap();
    let retired = ProcessRecord {
        state: ProcessState::Retired,
        ..old
    };
    assert_eq!(listed, [retired, new]);
}

async fn every_state_round_trips(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let pid = fixture.deploy("orders").await;
    for state in [
        ProcessState::Disabled,
        ProcessState::Retired,
        ProcessState::Active,
    ] {
        fixture.store.set_process_state(&pid, state).await.unwrap();
        assert_eq!(
            fixture.store.list_processes().await.unwrap()[0].state,
            state
        );
    }
}

async fn duplicate_pid_fails(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let pid = fixture.deploy("orders").await;
    match fixture.store.save_process(process("orders", 1)).await {
        Err(Error::Duplicate {
            entity: "process",
            key,
        }) => assert_eq!(key, pid),
        other => panic!("expected a duplicate process, got {other:?}"),
    }
}

async fn process_of_an_unknown_deployment_fails(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    match fixture.store.save_process(process("orders", 1)).await {
        Err(Error::NotFound {
            entity: "deployment",
            key,
        }) => assert_eq!(key, "orders version 1"),
        other => panic!("expected a missing deployment, got {other:?}"),
    }
    assert!(fixture.store.list_processes().await.unwrap().is_empty());
}

async fn state_of_an_unknown_process_cannot_be_set(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    match fixture
        .store
        .set_process_state("{urn:test}none-1", ProcessState::Retired)
        .await
    {
        Err(Error::NotFound {
            entity: "process", ..
        }) => {}
        other => panic!("expected a missing process, got {other:?}"),
    }
}

backend_tests!(
    processes_save_list_and_change_state_across_reopen,
    every_state_round_trips,
    duplicate_pid_fails,
    process_of_an_unknown_deployment_fails,
    state_of_an_unknown_process_cannot_be_set,
);

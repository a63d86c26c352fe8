//! Group commit, seen from outside: concurrent steps of different instances share
//! transactions, as the writer's counts tell and as another PostgreSQL session sees, steps
//! of one instance land in their order, and a step refused inside a batch leaves the others
//! stored.

use std::time::{Duration, Instant};

use super::{step, Fixture, TestDb};
use crate::store::{CommitStats, Error, InstanceStatus};

/// How many instances step at once.
const INSTANCES: usize = 64;

/// `INSTANCES` instances of one process, each at revision 1.
async fn instances(fixture: &Fixture) -> Vec<i64> {
    let pid = fixture.deploy("orders").await;
    let mut ids = Vec::new();
    for _ in 0..INSTANCES {
        ids.push(fixture.create_with(&pid, b"created").await.unwrap());
    }
    ids
}

/// What the commits since `before` did.
fn since(before: CommitStats, after: CommitStats) -> CommitStats {
    CommitStats {
        steps: after.steps - before.steps,
        refused: after.refused - before.refused,
        transactions: after.transactions - before.transactions,
        failed_transactions: after.failed_transactions - before.failed_transactions,
        rewritten: after.rewritten - before.rewritten,
        checkpoints: after.checkpoints - before.checkpoints,
        checkpoints_by_writer: after.checkpoints_by_writer - before.checkpoints_by_writer,
        log_syncs: after.log_syncs - before.log_syncs,
    }
}

async fn concurrent_steps_of_many_instances_share_transactions(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let ids = instances(&fixture).await;
    let before = fixture.store.commit_stats();
    assert_eq!(
        (before.steps, before.refused),
        (INSTANCES as u64, 0),
        "one step per instance so far"
    );

    let commits = ids.iter().map(|&id| {
        fixture
            .store
            .commit(step(id, 1, InstanceStatus::Running, b"next"))
    });
    let revisions = futures::future::try_join_all(commits).await.unwrap();
    assert!(revisions.iter().all(|&revision| revision == 2));
    let done = since(before, fixture.store.commit_stats());
    assert_eq!((done.steps, done.rewritten), (INSTANCES as u64, 0));
    assert!(
        done.transactions >= 1 && done.transactions < done.steps,
        "{done:?}"
    );
    for &id in &ids {
        let loaded = fixture.load(id).await;
        assert_eq!((loaded.revision, loaded.state), (2, b"next".to_vec()));
    }
}

async fn a_step_refused_inside_a_batch_leaves_the_others_stored(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let ids = instances(&fixture).await;
    let stale = |index: usize| index % 8 == 3;
    let before = fixture.store.commit_stats();

    let commits = ids.iter().enumerate().map(|(index, &id)| {
        let revision = if stale(index) { 0 } else { 1 };
        fixture
            .store
            .commit(step(id, revision, InstanceStatus::Running, b"next"))
    });
    let outcomes = futures::future::join_all(commits).await;
    let done = since(before, fixture.store.commit_stats());
    // The writer may take the first steps before the last are queued (on SQLite it runs on
    // a thread of its own): each batch holding a stale step is written again, step by step.
    assert!(
        done.rewritten >= 1 && done.rewritten <= done.transactions,
        "the batches holding a stale step are written again: {done:?}"
    );
    let refused = (0..INSTANCES).filter(|&index| stale(index)).count() as u64;
    assert_eq!(
        (done.steps, done.refused),
        (INSTANCES as u64 - refused, refused)
    );
    for (index, (&id, outcome)) in ids.iter().zip(outcomes).enumerate() {
        let loaded = fixture.load(id).await;
        if stale(index) {
            assert!(
                matches!(outcome, Err(Error::Conflict { .. })),
                "{outcome:?}"
            );
            assert_eq!((loaded.revision, loaded.state), (1, b"created".to_vec()));
        } else {
            assert_eq!(outcome.unwrap(), 2);
            assert_eq!((loaded.revision, loaded.state), (2, b"next".to_vec()));
        }
    }
}

/// Each instance's next two steps, queued together, are written whole in their order.
async fn successive_steps_of_one_instance_land_in_their_order(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let ids = instances(&fixture).await;
    let before = fixture.store.commit_stats();

    let commits = ids.iter().flat_map(|&id| {
        [(1, b"second"), (2, b"third!")].map(|(revision, state)| {
            let commit = step(id, revision, InstanceStatus::Running, state);
            fixture.store.commit(commit)
        })
    });
    let revisions = futures::future::try_join_all(commits).await.unwrap();
    assert!(
        revisions.chunks(2).all(|pair| pair == [2, 3]),
        "{revisions:?}"
    );
    let done = since(before, fixture.store.commit_stats());
    assert_eq!(
        (done.steps, done.refused, done.rewritten),
        (2 * INSTANCES as u64, 0, 0)
    );
    for &id in &ids {
        let loaded = fixture.load(id).await;
        assert_eq!((loaded.revision, loaded.state), (3, b"third!".to_vec()));
    }
}

/// A step committed early is answered with what it stored, readable at once, and is
/// durable later (on these stores, by the time it is asked); a refused one is refused as a
/// step committed whole is.
async fn a_step_committed_early_is_readable_at_once_and_durable_after(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let id = instances(&fixture).await[0];

    let committed = fixture
        .store
        .commit_early(step(id, 1, InstanceStatus::Running, b"early"))
        .await
        .unwrap();
    assert_eq!(committed.revision, 2);
    let loaded = fixture.load(id).await;
    assert_eq!((loaded.revision, loaded.state), (2, b"early".to_vec()));
    committed.durable.wait().await.unwrap();

    let stale = fixture
        .store
        .commit_early(step(id, 1, InstanceStatus::Running, b"stale"))
        .await;
    assert!(matches!(stale, Err(Error::Conflict { .. })), "{stale:?}");
}

backend_tests!(
    concurrent_steps_of_many_instances_share_transactions,
    successive_steps_of_one_instance_land_in_their_order,
    a_step_refused_inside_a_batch_leaves_the_others_stored,
    a_step_committed_early_is_readable_at_once_and_durable_after,
);

/// On PostgreSQL, another session holds the row of the last instance while the others step:
/// the batch waits for it with every other step applied and none of them visible outside,
/// so they are in one transaction; once the row is free, all commit together.
#[tokio::test]
async fn a_batch_is_one_transaction_as_another_postgres_session_sees() {
    let Some(db) = TestDb::server("TEST_POSTGRES_URL") else {
        return;
    };
    let fixture = Fixture::new(&db).await;
    let ids = instances(&fixture).await;
    let observer = sqlx::PgPool::connect(&fixture.datasource.url)
        .await
        .unwrap();
    let mut holder = observer.begin().await.unwrap();
    sqlx::query("SELECT id FROM baton_instances WHERE id = $1 FOR UPDATE")
        .bind(ids[INSTANCES - 1])
        .execute(&mut *holder)
        .await
        .unwrap();
    let before = fixture.store.commit_stats();

    let commits = ids.iter().map(|&id| {
        fixture
            .store
            .commit(step(id, 1, InstanceStatus::Running, b"next"))
    });
    let observing = async {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let blocked: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&observer)
            .await
            .unwrap();
            if blocked > 0 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the batch never waited for the held row"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let visible: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM baton_instances WHERE revision = 2")
                .fetch_one(&observer)
                .await
                .unwrap();
        assert_eq!(
            visible, 0,
            "no step of the waiting batch is visible outside it"
        );
        holder.rollback().await.unwrap();
    };
    let (revisions, ()) = futures::join!(futures::future::try_join_all(commits), observing);
    assert!(revisions.unwrap().iter().all(|&revision| revision == 2));
    let done = since(before, fixture.store.commit_stats());
    assert_eq!((done.steps, done.transactions), (INSTANCES as u64, 1));
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM baton_instances WHERE revision = 2")
        .fetch_one(&observer)
        .await
        .unwrap();
    assert_eq!(stored, INSTANCES as i64);
    observer.close().await;
}

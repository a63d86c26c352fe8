//! The schema on every backend: the scripts in `dbscripts/` create what the engine creates
//! and expects, an empty database is brought to the current version, an older one is
//! upgraded (its running instances resumed once), and a newer one is refused.

use super::{job, query, sqlite_url, Fixture, TestDb};
use crate::store::{
    Backend, Datasource, Error, InstanceStatus, JobKind, Migration, SCHEMA_VERSION,
};

/// The scripts that create the schema of `backend`, in order.
fn scripts(backend: Backend) -> [&'static str; SCHEMA_VERSION as usize] {
    match backend {
        Backend::Sqlite => [
            include_str!("../../../dbscripts/sqlite.sql"),
            include_str!("../../../dbscripts/sqlite-2.sql"),
            include_str!("../../../dbscripts/sqlite-3.sql"),
            include_str!("../../../dbscripts/sqlite-4.sql"),
            include_str!("../../../dbscripts/sqlite-5.sql"),
            include_str!("../../../dbscripts/sqlite-6.sql"),
        ],
        Backend::Postgres => [
            include_str!("../../../dbscripts/postgresql.sql"),
            include_str!("../../../dbscripts/postgresql-2.sql"),
            include_str!("../../../dbscripts/postgresql-3.sql"),
            include_str!("../../../dbscripts/postgresql-4.sql"),
            include_str!("../../../dbscripts/postgresql-5.sql"),
            include_str!("../../../dbscripts/postgresql-6.sql"),
        ],
        Backend::MySql => [
            include_str!("../../../dbscripts/mysql.sql"),
            include_str!("../../../dbscripts/mysql-2.sql"),
            include_str!("../../../dbscripts/mysql-3.sql"),
            include_str!("../../../dbscripts/mysql-4.sql"),
            include_str!("../../../dbscripts/mysql-5.sql"),
            include_str!("../../../dbscripts/mysql-6.sql"),
        ],
    }
}

/// Every table's columns (name, type, nullability) and every index of the database, sorted.
const DESCRIBE_SQLITE: &str = "\
    SELECT m.name || '.' || p.name || ' ' || p.type || ' ' || p.\"notnull\" FROM sqlite_master m \
    JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name LIKE 'baton%' \
    UNION ALL SELECT 'index ' || name || ' ' || sql FROM sqlite_master \
    WHERE type = 'index' AND sql IS NOT NULL ORDER BY 1";
const DESCRIBE_POSTGRES: &str = "\
    SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable \
    FROM information_schema.columns WHERE table_schema = current_schema() \
    UNION ALL SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes \
    WHERE schemaname = current_schema() ORDER BY 1";
const DESCRIBE_MYSQL: &str = "\
    SELECT CONCAT(table_name, '.', column_name, ' ', column_type, ' ', is_nullable, ' ', \
    COALESCE(collation_name, '')) AS d FROM information_schema.columns \
    WHERE table_schema = DATABASE() \
    UNION ALL SELECT CONCAT('index ', table_name, '.', index_name, ' ', seq_in_index, ' ', \
    column_name) FROM information_schema.statistics WHERE table_schema = DATABASE() \
    ORDER BY 1";

/// The description of the database `datasource` names.
async fn describe(datasource: &Datasource) -> Vec<String> {
    let sql = match datasource.backend().unwrap() {
        Backend::Sqlite => DESCRIBE_SQLITE,
        Backend::Postgres => DESCRIBE_POSTGRES,
        Backend::MySql => DESCRIBE_MYSQL,
    };
    query(&sqlite_url(&datasource.url), sql).await
}

async fn the_script_creates_what_the_engine_creates(db: TestDb) {
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let by_script = db.datasource(&first).await;
    let by_engine = db.datasource(&second).await;
    let backend = by_script.backend().unwrap();
    for script in scripts(backend) {
        query(&sqlite_url(&by_script.url), script).await;
    }
    by_engine.open().await.unwrap().close().await;

    let described = describe(&by_script).await;
    for table in [
        "deployments",
        "processes",
        "instances",
        "exchanges",
        "routes",
        "jobs",
    ] {
        let prefix = format!("baton_{table}.");
        assert!(
            described.iter().any(|line| line.starts_with(&prefix)),
            "{described:?}"
        );
    }
    assert_eq!(described, describe(&by_engine).await);
    let migration = by_script.setup().await.unwrap();
    let current = Migration {
        from: SCHEMA_VERSION,
        to: SCHEMA_VERSION,
    };
    assert_eq!(migration, current);
}

async fn setup_creates_the_schema_once(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let datasource = db.datasource(&dir).await;
    let created = datasource.setup().await.unwrap();
    assert_eq!(
        created,
        Migration {
            from: 0,
            to: SCHEMA_VERSION
        }
    );
    let again = datasource.setup().await.unwrap();
    assert_eq!(again.from, SCHEMA_VERSION);
    let versions = query(
        &sqlite_url(&datasource.url),
        "SELECT CONCAT(version, '') FROM baton_schema_version",
    )
    .await;
    assert_eq!(versions, [SCHEMA_VERSION.to_string()]);
}

async fn an_upgrade_to_the_job_table_resumes_each_running_instance_once(db: TestDb) {
    let mut fixture = Fixture::new(&db).await;
    let running = fixture.instance("orders").await;
    let finished = fixture.instance("invoices").await;
    let done = super::step(finished, 1, InstanceStatus::Completed, b"done");
    fixture.store.commit(done).await.unwrap();
    fixture.store.close().await;
    query(
        &sqlite_url(&fixture.datasource.url),
        "DROP TABLE baton_jobs; DROP TABLE baton_outbox; DROP TABLE baton_received; \
         UPDATE baton_schema_version SET version = 1",
    )
    .await;
    let upgraded = fixture.datasource.setup().await.unwrap();
    assert_eq!(
        upgraded,
        Migration {
            from: 1,
            to: SCHEMA_VERSION
        }
    );
    fixture.reopen().await;
    let pid = fixture.load(running).await.pid;
    let resume = job(running, &pid, JobKind::Recover, "", 0);
    assert_eq!(
        fixture.store.due_jobs(i64::MAX, 10).await.unwrap(),
        [resume]
    );
}

async fn a_newer_schema_is_refused(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    fixture.store.close().await;
    let url = sqlite_url(&fixture.datasource.url);
    query(
        &url,
        "UPDATE baton_schema_version SET version = version + 1",
    )
    .await;
    match fixture.datasource.open().await {
        Err(Error::SchemaVersion { found, supported }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected a schema version error, got {:?}", other.err()),
    }
}

backend_tests!(
    the_script_creates_what_the_engine_creates,
    setup_creates_the_schema_once,
    an_upgrade_to_the_job_table_resumes_each_running_instance_once,
    a_newer_schema_is_refused,
);

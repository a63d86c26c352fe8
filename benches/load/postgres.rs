//! Scratch databases on a PostgreSQL server for one scenario each, dropped afterwards.

use anyhow::Context;
use sqlx::{Connection, Executor, PgConnection};

/// A database created for a scenario on the server at `server`.
pub(crate) struct Scratch {
    server: String,
    name: String,
    /// The database's own URL.
    pub url: String,
}

impl Scratch {
    /// Creates `baton_bench_{purpose}_{pid}` on the server whose (maintenance database) URL
    /// is `server`, replacing one left by an earlier run.
    pub(crate) async fn create(server: &str, purpose: &str) -> anyhow::Result<Scratch> {
        let name = format!("baton_bench_{purpose}_{}", std::process::id());
        let mut admin = PgConnection::connect(server)
            .await
            .with_context(|| format!("connecting to {server}"))?;
        admin
            .execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
            .await?;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await?;
        admin.close().await?;
        let (base, _) = server
            .rsplit_once('/')
            .context("BENCH_POSTGRES_URL names no database")?;
        Ok(Scratch {
            server: server.to_owned(),
            url: format!("{base}/{name}"),
            name,
        })
    }

    /// Drops the database.
    pub(crate) async fn drop_database(self) -> anyhow::Result<()> {
        let mut admin = PgConnection::connect(&self.server).await?;
        admin
            .execute(format!("DROP DATABASE IF EXISTS {}", self.name).as_str())
            .await?;
        admin.close().await?;
        Ok(())
    }
}

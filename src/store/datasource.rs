//! Where the store lives and how to reach it: a [`Datasource`] names a database by URL
//! (`sqlite:…`, `postgres://…`, `mysql://…`), with optional credentials given apart from the
//! URL and the pool settings, and opens the matching backend behind `Arc<dyn Store>`.
//!
//! [`Datasource::setup`] is what `baton setup` does: it creates the database on its server
//! when missing and brings its schema up to date.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use sqlx::migrate::MigrateDatabase;
use sqlx::mysql::MySqlConnectOptions;
use sqlx::postgres::PgConnectOptions;

use super::mysql::MySqlStore;
use super::postgres::PostgresStore;
use super::schema::Migration;
use super::sqlite::{SqliteConfig, SqliteStore};
use super::{Error, PoolSettings, Result, Store};

/// The kinds of database a store can live in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite database file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
    /// A MySQL or MariaDB server.
    MySql,
}

impl Backend {
    /// The backend `url` names: `sqlite:` URLs and plain file paths are SQLite,
    /// `postgres://` and `postgresql://` PostgreSQL, `mysql://` MySQL or MariaDB.
    pub fn of(url: &str) -> Result<Backend> {
        let scheme = url.split_once(':').map(|(scheme, _)| scheme);
        match scheme {
            Some("sqlite") => Ok(Backend::Sqlite),
            Some("postgres" | "postgresql") => Ok(Backend::Postgres),
            Some("mysql") => Ok(Backend::MySql),
            _ if !url.contains("://") && !url.is_empty() => Ok(Backend::Sqlite),
            _ => Err(Error::Location(url.to_owned())),
        }
    }
}

/// A database and how to connect to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datasource {
    /// The database's URL, or a SQLite file path.
    pub url: String,
    /// The user to connect as, replacing the URL's.
    pub user: Option<String>,
    /// The user's password, replacing the URL's.
    pub password: Option<String>,
    /// The connection pool of a database server.
    pub pool: PoolSettings,
    /// The settings of an embedded SQLite database.
    pub sqlite: SqliteConfig,
}

impl Datasource {
    /// A datasource of `url` with default settings.
    pub fn new(url: impl Into<String>) -> Self {
        Datasource {
            url: url.into(),
            user: None,
            password: None,
            pool: PoolSettings::default(),
            sqlite: SqliteConfig::default(),
        }
    }

    /// Which kind of database this is.
    pub fn backend(&self) -> Result<Backend> {
        Backend::of(&self.url)
    }

    /// The URL to connect with: [`Datasource::url`] with the user and password given apart.
    pub fn connect_url(&self) -> Result<String> {
        if self.backend()? == Backend::Sqlite || (self.user.is_none() && self.password.is_none()) {
            return Ok(self.url.clone());
        }
        let mut url =
            url::Url::parse(&self.url).map_err(|_| Error::Location(self.display_url()))?;
        let unusable = || Error::Location(self.display_url());
        if let Some(user) = &self.user {
            url.set_username(user).map_err(|()| unusable())?;
        }
        if let Some(password) = &self.password {
            url.set_password(Some(password)).map_err(|()| unusable())?;
        }
        Ok(url.into())
    }

    /// Checks that the URL (with the credentials given apart) is one the backend's driver
    /// can connect with, without connecting.
    pub fn check(&self) -> Result<()> {
        let url = self.connect_url()?;
        let parsed = match self.backend()? {
            Backend::Sqlite => return Ok(()),
            Backend::Postgres => PgConnectOptions::from_str(&url).map(drop),
            Backend::MySql => MySqlConnectOptions::from_str(&url).map(drop),
        };
        parsed.map_err(|error| Error::Location(format!("{} ({error})", self.display_url())))
    }

    /// The URL without its password, fit for a log.
    pub fn display_url(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.into()
            }
            _ => self.url.clone(),
        }
    }

    /// The file of an embedded SQLite database; `None` for a database server.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        if self.backend().ok()? != Backend::Sqlite {
            return None;
        }
        let path = self.url.strip_prefix("sqlite:").unwrap_or(&self.url);
        let path = path.strip_prefix("//").unwrap_or(path);
        Some(PathBuf::from(path.split('?').next().unwrap_or_default()))
    }

    /// Opens the store, bringing its schema up to date.
    pub async fn open(&self) -> Result<Arc<dyn Store>> {
        Ok(self.open_migrating().await?.0)
    }

    /// Creates the database on its server when missing, then opens it and brings its schema
    /// up to date; tells what that did.
    pub async fn setup(&self) -> Result<Migration> {
        let url = self.connect_url()?;
        match self.backend()? {
            Backend::Sqlite => {}
            Backend::Postgres => create_missing::<sqlx::Postgres>(&url).await?,
            Backend::MySql => create_missing::<sqlx::MySql>(&url).await?,
        }
        let (store, migration) = self.open_migrating().await?;
        store.close().await;
        Ok(migration)
    }

    async fn open_migrating(&self) -> Result<(Arc<dyn Store>, Migration)> {
        let url = self.connect_url()?;
        Ok(match self.backend()? {
            Backend::Sqlite => shared(SqliteStore::open_migrating(&url, &self.sqlite).await?),
            Backend::Postgres => shared(PostgresStore::open_migrating(&url, &self.pool).await?),
            Backend::MySql => shared(MySqlStore::open_migrating(&url, &self.pool).await?),
        })
    }
}

/// Creates the database `url` names on its server when missing.
async fn create_missing<DB: MigrateDatabase>(url: &str) -> Result<()> {
    if !DB::database_exists(url).await? {
        DB::create_database(url).await?;
    }
    Ok(())
}

/// An opened store, behind `Arc<dyn Store>`, with what opening it did.
fn shared((store, migration): (impl Store, Migration)) -> (Arc<dyn Store>, Migration) {
    (Arc::new(store), migration)
}

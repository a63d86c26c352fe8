//! What differs between the SQL databases the store runs on, said once per database, and the
//! one way the tables run a statement on any of them.
//!
//! The tables write their SQL once, with `?` placeholders, through [`sql!`]; a [`Dialect`]
//! numbers the placeholders where its database wants `$1, $2, ...`, and says how a write
//! transaction begins, whether standard upserts are understood, and whether the
//! database takes one writer at a time. A [`Statement`] carries its SQL and its bound
//! [`Value`]s to the dialect, which runs it on its sqlx connection: so the tables are generic
//! over the database without naming sqlx's per-database traits.

use std::borrow::Cow;
use std::sync::OnceLock;

use futures::future::BoxFuture;
use sqlx::query::Query;
use sqlx::{Database, Encode, Pool, Transaction, Type};

use crate::store::rows::StoredRow;
use crate::store::Result;

/// A SQL database the store can keep its tables in: SQLite, PostgreSQL, or MySQL/MariaDB.
pub trait Dialect: Database + sealed::Sealed {
    /// Whether placeholders are numbered (`$1`) rather than `?`.
    #[doc(hidden)]
    const NUMBERED: bool;
    /// Whether `INSERT ... ON CONFLICT (...) DO ...` and `VALUES` tables are understood
    /// (SQLite, PostgreSQL); MySQL's forms are used where they are not.
    #[doc(hidden)]
    const ON_CONFLICT: bool;
    /// The statement beginning a transaction that writes, when not plain `BEGIN`.
    #[doc(hidden)]
    const BEGIN_WRITE: Option<&'static str>;
    /// Whether the database takes one writer at a time, so that the store queues its writes
    /// rather than let them contend for the database's lock.
    #[doc(hidden)]
    const ONE_WRITER: bool;
    /// Whether a counter is read back with `LAST_INSERT_ID(expr)` rather than `RETURNING`.
    #[doc(hidden)]
    const LAST_INSERT_ID: bool;

    /// A row as the database's driver gives it.
    #[doc(hidden)]
    type Record: StoredRow + Send;

    /// Runs `statement`, which returns no row.
    #[doc(hidden)]
    fn execute<'c>(
        conn: &'c mut Self::Connection,
        statement: Statement<'c>,
    ) -> BoxFuture<'c, sqlx::Result<Done>>;

    /// Runs `statement` and returns its rows.
    #[doc(hidden)]
    fn fetch_all<'c>(
        conn: &'c mut Self::Connection,
        statement: Statement<'c>,
    ) -> BoxFuture<'c, sqlx::Result<Vec<Self::Record>>>;

    /// Runs `statement` and returns its first row, if any.
    #[doc(hidden)]
    fn fetch_optional<'c>(
        conn: &'c mut Self::Connection,
        statement: Statement<'c>,
    ) -> BoxFuture<'c, sqlx::Result<Option<Self::Record>>>;

    /// Runs `script`, statements without arguments, as plain text (a schema migration, a
    /// connection's validation query).
    #[doc(hidden)]
    fn run_script<'c>(
        conn: &'c mut Self::Connection,
        script: &'c str,
    ) -> BoxFuture<'c, sqlx::Result<()>>;
}

/// Only the three databases below are dialects.
mod sealed {
    #[allow(unreachable_pub)]
    pub trait Sealed {}
    impl Sealed for sqlx::Sqlite {}
    impl Sealed for sqlx::Postgres {}
    impl Sealed for sqlx::MySql {}
}

/// What a statement that returns no row did.
#[derive(Debug, Clone, Copy)]
#[doc(hidden)]
pub struct Done {
    /// The rows it inserted, changed or deleted (MySQL: matched).
    pub(crate) rows: u64,
    /// MySQL's `LAST_INSERT_ID()` after it; 0 elsewhere.
    pub(crate) last_insert_id: u64,
}

/// A value bound to a placeholder: the few column types the store uses.
#[derive(Debug, Clone, Copy)]
#[doc(hidden)]
pub(crate) enum Value<'a> {
    Int(i64),
    Flag(bool),
    Text(Option<&'a str>),
    Bytes(Option<&'a [u8]>),
}

/// `Value::$variant` from `$type` by `$convert`.
macro_rules! value_from {
    ($($type:ty => $variant:ident($value:ident) $convert:expr;)+) => {
        $(impl<'a> From<$type> for Value<'a> {
            fn from($value: $type) -> Self {
                Value::$variant($convert)
            }
        })+
    };
}

value_from! {
    i64 => Int(value) value;
    bool => Flag(value) value;
    &'a str => Text(value) Some(value);
    &'a String => Text(value) Some(value);
    Option<&'a str> => Text(value) value;
    &'a Option<String> => Text(value) value.as_deref();
    &'a [u8] => Bytes(value) Some(value);
    &'a Vec<u8> => Bytes(value) Some(value);
    &'a Option<Vec<u8>> => Bytes(value) value.as_deref();
}

/// A statement in a dialect's SQL with the values bound to its placeholders, in order.
#[derive(Debug)]
#[doc(hidden)]
pub struct Statement<'a> {
    pub(crate) sql: Cow<'static, str>,
    pub(crate) values: Vec<Value<'a>>,
}

impl<'a> Statement<'a> {
    /// A statement of SQL already in the dialect's form (see [`sql!`]).
    pub(crate) fn new(sql: impl Into<Cow<'static, str>>) -> Self {
        Statement {
            sql: sql.into(),
            values: Vec::new(),
        }
    }

    /// A statement of `sql` written with `?` placeholders, put into `D`'s form now: for SQL
    /// built at run time; fixed SQL goes through [`sql!`], which does this once.
    pub(crate) fn built<D: Dialect>(sql: String) -> Self {
        Statement::new(if D::NUMBERED { numbered(&sql) } else { sql })
    }

    /// Binds the next placeholder.
    pub(crate) fn bind(mut self, value: impl Into<Value<'a>>) -> Self {
        self.values.push(value.into());
        self
    }

    /// Binds the next placeholders to `values`, in order.
    pub(crate) fn bind_all(mut self, values: impl IntoIterator<Item = Value<'a>>) -> Self {
        self.values.extend(values);
        self
    }

    /// Runs the statement, which returns no row.
    pub(crate) async fn execute<D: Dialect>(
        self,
        conn: &'a mut D::Connection,
    ) -> sqlx::Result<Done> {
        D::execute(conn, self).await
    }

    /// Runs the statement and returns its first row, if any.
    pub(crate) async fn fetch_optional<D: Dialect>(
        self,
        conn: &'a mut D::Connection,
    ) -> sqlx::Result<Option<D::Record>> {
        D::fetch_optional(conn, self).await
    }

    /// Runs the statement and returns its first row, which must exist.
    pub(crate) async fn fetch_one<D: Dialect>(
        self,
        conn: &'a mut D::Connection,
    ) -> sqlx::Result<D::Record> {
        D::fetch_optional(conn, self)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// Runs the statement on a connection of `pool`, returning no row.
    pub(crate) async fn execute_on<D: Dialect>(self, pool: &Pool<D>) -> sqlx::Result<Done> {
        let mut conn = pool.acquire().await?;
        D::execute(&mut *conn, self).await
    }

    /// Runs the statement on a connection of `pool` and decodes its rows with `decode`.
    pub(crate) async fn fetch_all_on<D: Dialect, T>(
        self,
        pool: &Pool<D>,
        decode: impl Fn(&D::Record) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut conn = pool.acquire().await?;
        D::fetch_all(&mut *conn, self)
            .await?
            .iter()
            .map(decode)
            .collect()
    }

    /// Runs the statement on a connection of `pool` and decodes its first row, if any, with
    /// `decode`.
    pub(crate) async fn fetch_optional_on<D: Dialect, T>(
        self,
        pool: &Pool<D>,
        decode: impl FnOnce(&D::Record) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut conn = pool.acquire().await?;
        let row = D::fetch_optional(&mut *conn, self).await?;
        row.as_ref().map(decode).transpose()
    }
}

/// `text` in `D`'s form, made once per call site and dialect: `cache` is the call site's.
#[doc(hidden)]
pub(crate) fn text<D: Dialect>(
    text: &'static str,
    cache: &'static OnceLock<String>,
) -> &'static str {
    match D::NUMBERED {
        true => cache.get_or_init(|| numbered(text)),
        false => text,
    }
}

/// `sql` with its `?` placeholders numbered `$1, $2, ...` (the store's SQL has no `?` in
/// its literals).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 0;
    for c in sql.chars() {
        match c {
            '?' => {
                next += 1;
                out.push('$');
                out.push_str(&next.to_string());
            }
            c => out.push(c),
        }
    }
    out
}

/// The [`Statement`] of fixed SQL written with `?` placeholders, in dialect `$dialect`'s form.
macro_rules! sql {
    ($dialect:ty, $text:expr) => {{
        static NUMBERED: ::std::sync::OnceLock<String> = ::std::sync::OnceLock::new();
        $crate::store::sql::dialect::Statement::new($crate::store::sql::dialect::text::<$dialect>(
            $text, &NUMBERED,
        ))
    }};
}
pub(crate) use sql;

/// Begins a transaction that writes, as `D` wants it begun.
pub(crate) async fn begin_write<D: Dialect>(
    pool: &Pool<D>,
) -> sqlx::Result<Transaction<'static, D>> {
    match D::BEGIN_WRITE {
        Some(statement) => pool.begin_with(statement).await,
        None => pool.begin().await,
    }
}

/// `sql` as a query of `DB` with `values` bound to its placeholders, in order.
fn query<'q, DB: Database>(sql: &'q str, values: Vec<Value<'q>>) -> Query<'q, DB, DB::Arguments<'q>>
where
    i64: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
{
    let mut query = sqlx::query(sql);
    for value in values {
        query = match value {
            Value::Int(value) => query.bind(value),
            Value::Flag(value) => query.bind(value),
            Value::Text(value) => query.bind(value),
            Value::Bytes(value) => query.bind(value),
        };
    }
    query
}

/// Implements [`Dialect`] for a sqlx database whose connection, through `&mut`, is an
/// executor and which can bind every [`Value`]: its constants and row type as given, and its
/// statement runners, with `last_insert_id` reading MySQL's `LAST_INSERT_ID()` from a
/// statement's result.
macro_rules! dialect {
    (
        impl Dialect for $db:ty {
            $(const $constant:ident: $type:ty = $value:expr;)+
            type Record = $row:ty;
        }
        $last_insert_id:item
    ) => {
        impl Dialect for $db {
            $(const $constant: $type = $value;)+
            type Record = $row;

            fn execute<'c>(
                conn: &'c mut Self::Connection,
                statement: Statement<'c>,
            ) -> BoxFuture<'c, sqlx::Result<Done>> {
                $last_insert_id
                Box::pin(async move {
                    let Statement { sql, values } = statement;
                    let done = query(&sql, values).execute(conn).await?;
                    Ok(Done {
                        rows: done.rows_affected(),
                        last_insert_id: last_insert_id(&done),
                    })
                })
            }

            fn fetch_all<'c>(
                conn: &'c mut Self::Connection,
                statement: Statement<'c>,
            ) -> BoxFuture<'c, sqlx::Result<Vec<Self::Record>>> {
                Box::pin(async move {
                    let Statement { sql, values } = statement;
                    query(&sql, values).fetch_all(conn).await
                })
            }

            fn fetch_optional<'c>(
                conn: &'c mut Self::Connection,
                statement: Statement<'c>,
            ) -> BoxFuture<'c, sqlx::Result<Option<Self::Record>>> {
                Box::pin(async move {
                    let Statement { sql, values } = statement;
                    query(&sql, values).fetch_optional(conn).await
                })
            }

            fn run_script<'c>(
                conn: &'c mut Self::Connection,
                script: &'c str,
            ) -> BoxFuture<'c, sqlx::Result<()>> {
                Box::pin(async move {
                    sqlx::Executor::execute(conn, sqlx::raw_sql(script)).await?;
                    Ok(())
                })
            }
        }
    };
}

dialect! {
    impl Dialect for sqlx::Sqlite {
        const NUMBERED: bool = false;
        const ON_CONFLICT: bool = true;
        const BEGIN_WRITE: Option<&'static str> = Some("BEGIN IMMEDIATE");
        const ONE_WRITER: bool = true;
        const LAST_INSERT_ID: bool = false;
        type Record = sqlx::sqlite::SqliteRow;
    }
    fn last_insert_id(_: &sqlx::sqlite::SqliteQueryResult) -> u64 {
        0
    }
}

dialect! {
    impl Dialect for sqlx::Postgres {
        const NUMBERED: bool = true;
        const ON_CONFLICT: bool = true;
        const BEGIN_WRITE: Option<&'static str> = None;
        const ONE_WRITER: bool = false;
        const LAST_INSERT_ID: bool = false;
        type Record = sqlx::postgres::PgRow;
    }
    fn last_insert_id(_: &sqlx::postgres::PgQueryResult) -> u64 {
        0
    }
}

dialect! {
    impl Dialect for sqlx::MySql {
        const NUMBERED: bool = false;
        const ON_CONFLICT: bool = false;
        const BEGIN_WRITE: Option<&'static str> = None;
        const ONE_WRITER: bool = false;
        const LAST_INSERT_ID: bool = true;
        type Record = sqlx::mysql::MySqlRow;
    }
    fn last_insert_id(done: &sqlx::mysql::MySqlQueryResult) -> u64 {
        done.last_insert_id()
    }
}

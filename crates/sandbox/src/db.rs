//! The database: one sqlx `Any` pool for SQLite (default) or PostgreSQL, chosen by URL, its
//! migrations (`migrations/`), and the column conventions every table shares: ids as TEXT,
//! timestamps as BIGINT unix milliseconds, flags as BIGINT 0/1, JSON as TEXT. Queries use `$1`
//! placeholders, which both databases accept.
//!
//! Writes that must see and change shared state atomically (money, payout methods) go through
//! [`begin_write`]: `BEGIN IMMEDIATE` on SQLite (the write lock is taken up front, waiting
//! under the busy timeout, so two writers never deadlock upgrading a read lock) and a
//! READ COMMITTED transaction on PostgreSQL that first locks the `ledger` sequence row, so
//! writers queue instead of racing and each one reads what the previous one committed.

use crate::error::Error;
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use uuid::Uuid;

/// A pool of connections to SQLite or PostgreSQL.
pub type Db = sqlx::AnyPool;

/// The schema, embedded at compile time from `migrations/`.
static MIGRATOR: Migrator = sqlx::migrate!();

/// Opens the database at `database_url` and brings its schema up to date.
///
/// - `sqlite://path/to/file.sqlite` (or `sqlite:file.sqlite`): the file is created if missing
///   (`mode=rwc` is added unless the URL sets a `mode`).
/// - `sqlite::memory:`: a private in-memory database, on a single connection that the pool
///   never closes (each SQLite connection would otherwise see its own empty database).
/// - `postgres://user:password@host/db`: an existing PostgreSQL database.
pub async fn connect(database_url: &str) -> anyhow::Result<Db> {
    sqlx::any::install_default_drivers();
    let url = with_create_mode(database_url);
    let options = if is_sqlite_memory(&url) {
        AnyPoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        AnyPoolOptions::new().max_connections(8)
    };
    let db = options
        .connect(&url)
        .await
        .with_context(|| format!("cannot open the database {}", redact(database_url)))?;
    if is_sqlite(&url) && !is_sqlite_memory(&url) {
        // Readers never wait for the writer, and it for them (the setting stays with the file).
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&db)
            .await
            .context("cannot switch the database to write-ahead logging")?;
    }
    MIGRATOR
        .run(&db)
        .await
        .context("cannot bring the database schema up to date")?;
    Ok(db)
}

/// A transaction for writes that read shared state first (see the module docs); commit it, or
/// drop it to roll back. Never use the pool while holding one: on in-memory SQLite the pool has
/// a single connection.
pub(crate) async fn begin_write(db: &Db) -> Result<sqlx::Transaction<'static, sqlx::Any>, Error> {
    if db.connect_options().database_url.scheme() == "sqlite" {
        return Ok(db.begin_with("BEGIN IMMEDIATE").await?);
    }
    let mut tx = db
        .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
        .await?;
    sqlx::query("UPDATE sequences SET value = value WHERE name = 'ledger'")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// Takes the next `count` numbers of sequence `name` (inside a write transaction); returns the
/// first.
pub(crate) async fn next_seq(
    conn: &mut sqlx::AnyConnection,
    name: &str,
    count: i64,
) -> Result<i64, Error> {
    let last: i64 = sqlx::query_scalar(
        "UPDATE sequences SET value = value + $1 WHERE name = $2 RETURNING value",
    )
    .bind(count)
    .bind(name)
    .fetch_one(conn)
    .await?;
    Ok(last - count + 1)
}

/// Whether `e` is a unique (or primary key) violation: a concurrent writer got there first.
pub(crate) fn is_unique_violation(e: &Error) -> bool {
    matches!(e, Error::Constraint(v) if v.kind == crate::store::constraints::ConstraintKind::Unique)
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

fn is_sqlite_memory(url: &str) -> bool {
    is_sqlite(url) && (url.contains(":memory:") || url.contains("mode=memory"))
}

/// Adds `mode=rwc` to a SQLite file URL that sets no mode, so a first start creates the file.
fn with_create_mode(url: &str) -> String {
    if !is_sqlite(url) || is_sqlite_memory(url) || url.contains("mode=") {
        return url.to_owned();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}mode=rwc")
}

/// `url` with any password replaced, for error messages and logs.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// A timestamp as stored: unix milliseconds.
pub(crate) fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A stored timestamp back; a value out of range is a corrupt row.
pub(crate) fn from_millis(ms: i64) -> Result<DateTime<Utc>, Error> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| Error::Internal(format!("stored timestamp {ms} is out of range")))
}

/// A flag as stored: 0 or 1.
pub(crate) fn to_flag(b: bool) -> i64 {
    i64::from(b)
}

/// A stored id back; anything but a UUID is a corrupt row.
pub(crate) fn parse_stored_id(id: &str) -> Result<Uuid, Error> {
    Uuid::try_parse(id).map_err(|e| Error::Internal(format!("stored id {id:?} is not a uuid: {e}")))
}

/// A stored optional id back.
pub(crate) fn parse_stored_opt_id(id: Option<&str>) -> Result<Option<Uuid>, Error> {
    id.map(parse_stored_id).transpose()
}

/// A stored JSON column back into `T`; a parse failure is a corrupt row.
pub(crate) fn parse_stored_json<T: serde::de::DeserializeOwned>(
    column: &str,
    json: &str,
) -> Result<T, Error> {
    serde_json::from_str(json)
        .map_err(|e| Error::Internal(format!("stored {column} is not valid json: {e}")))
}

/// `value` as a JSON column.
pub(crate) fn to_json_text<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::Internal(format!("cannot serialize: {e}")))
}

/// A stored enum column (written as the enum's `as_str`, its wire name) back; an unknown name is a corrupt row.
pub(crate) fn enum_from_text<T: serde::de::DeserializeOwned>(
    column: &str,
    text: &str,
) -> Result<T, Error> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| Error::Internal(format!("stored {column} {text:?}: {e}")))
}

/// Optional metadata as a nullable JSON column (`None` and JSON `null` are both stored as NULL).
pub(crate) fn metadata_to_text(
    metadata: &Option<payout_model::Metadata>,
) -> Result<Option<String>, Error> {
    match metadata {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(m) => to_json_text(m).map(Some),
    }
}

/// A nullable metadata column back.
pub(crate) fn metadata_from_text(
    text: Option<&str>,
) -> Result<Option<payout_model::Metadata>, Error> {
    text.map(|t| parse_stored_json("metadata", t)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_file_urls_get_create_mode() {
        assert_eq!(
            with_create_mode("sqlite://payout-sandbox.sqlite"),
            "sqlite://payout-sandbox.sqlite?mode=rwc"
        );
        assert_eq!(
            with_create_mode("sqlite://x.sqlite?cache=shared"),
            "sqlite://x.sqlite?cache=shared&mode=rwc"
        );
        assert_eq!(
            with_create_mode("sqlite://x.sqlite?mode=ro"),
            "sqlite://x.sqlite?mode=ro"
        );
        assert_eq!(with_create_mode("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(with_create_mode("postgres://h/db"), "postgres://h/db");
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://sandbox:s3cret@db:5432/payouts"),
            "postgres://sandbox:***@db:5432/payouts"
        );
        assert_eq!(redact("sqlite://x.sqlite"), "sqlite://x.sqlite");
    }
}

//! The database: one sqlx `Any` pool for SQLite (default) or PostgreSQL, chosen by URL, its
//! migrations (`migrations/`), and the column conventions every table shares: ids as TEXT,
//! timestamps as BIGINT unix milliseconds, flags as BIGINT 0/1, JSON as TEXT. Queries use `$1`
//! placeholders, which both databases accept.
//!
//! SQLite runs in write-ahead-log mode with `synchronous = NORMAL` on every connection (a commit
//! is durable once the log is synced at a checkpoint; a power cut may lose the last commits, never
//! corrupt the file) and a busy timeout, so readers never wait for the writer. On a file, the
//! checkpoints run beside the writers, soon after a commit ([`checkpoint_soon`]), instead of
//! inside the commit that filled the log.
//!
//! Writes that must see and change shared state atomically go through one of two transactions:
//!
//! - [`begin_ledger_write`] (money): on SQLite, this process's writers first take turns in a
//!   fair queue, then `BEGIN IMMEDIATE` (the write lock taken up front, another process's writer
//!   waited for under the busy timeout, so two writers never deadlock upgrading a read lock); on
//!   PostgreSQL a READ COMMITTED transaction that locks nothing up front: the ledger locks the
//!   rows it reads-then-writes ([`for_update`]), accounts always in id order, so payouts of
//!   unrelated wallets run side by side and never deadlock (issue 10).
//! - [`begin_write`] (everything else: sign-in, identity, payout methods): the same on SQLite;
//!   on PostgreSQL it also takes one transaction-scoped advisory lock, so these writers queue
//!   behind each other (not behind the ledger) and each reads what the previous one committed.
//!
//! Writes of their own rows (a new user or flow, a session, a step's completion, the purge,
//! the webhook worker's claims) also use [`begin_ledger_write`], never the pool's own `BEGIN`:
//! on SQLite they then wait their turn behind the payouts, where SQLite's busy handler gave up
//! after its timeout under a long run of them (a 500).
//!
//! On SQLite, transfers asked for at once are written in one such transaction, each in a
//! savepoint, with one commit ([`crate::group_commit`], issue 10).
//!
//! [`Batch`] sends several statements at once: on SQLite as one multi-statement query, one trip
//! to the connection's thread instead of one per statement (issue 10: those trips, not the
//! statements, were most of a payout's time under the write lock). Its placeholders reach
//! SQLite anonymous (`?`, [`renumber`]): named ones cost each statement time in the square of
//! their number, and a group of transfers' inserts have hundreds. Reads of one value each
//! ([`Batch::push_value`]: a key's earlier use, whether a user exists, an app's setting, a
//! sum; [`Batch::push_row`]: a row's columns) pushed one after another are one statement,
//! `SELECT (…), (…)`: on PostgreSQL, which takes a statement a trip, a host payout's checks
//! went from seven trips to one, a flow payout's from ten to two ([`read_once`] runs such
//! reads alone).
//!
//! Counters ([`next_seq`]) are PostgreSQL sequences on PostgreSQL ([`PG_SEQUENCES`]): taking a
//! number there locks nothing, where the `sequences` row would stay locked until commit.

use crate::error::Error;
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::Connection as _;
use uuid::Uuid;

/// A pool of connections to SQLite or PostgreSQL.
pub type Db = sqlx::AnyPool;

/// A new id for a row written many times a second (a transfer, an event, a webhook delivery):
/// a UUID v7, time-ordered, so the inserts of a group of payouts append to the end of each index
/// on it (the primary key, the status history's, the transactions' `transfer_id`) instead of
/// landing on a page of their own each, every one of which the commit writes (issue 10). Never
/// for an id that is a capability (a flow's, a token): those stay v4, 122 random bits.
pub(crate) fn row_id() -> Uuid {
    Uuid::now_v7()
}

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
    connect_with(database_url, None).await
}

/// [`connect`] with a pool of at most `max_connections` (default: 8 on a SQLite file, 16 on
/// PostgreSQL; an in-memory SQLite database always has one).
pub async fn connect_with(database_url: &str, max_connections: Option<u32>) -> anyhow::Result<Db> {
    sqlx::any::install_default_drivers();
    let url = with_create_mode(database_url);
    let options = if is_sqlite_memory(&url) {
        AnyPoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else if is_sqlite(&url) {
        AnyPoolOptions::new().max_connections(max_connections.unwrap_or(SQLITE_CONNECTIONS))
    } else {
        AnyPoolOptions::new().max_connections(max_connections.unwrap_or(POSTGRES_CONNECTIONS))
    };
    // A SQLite file (not in memory): checkpointed beside its writers ([`checkpoint_soon`]).
    // In memory, the one connection is the database: it is never closed.
    let memory = is_sqlite_memory(&url);
    let file = is_sqlite(&url) && !memory;
    let db = options
        // sqlx pings every connection it hands out by default: on SQLite that is a round trip
        // to the connection's thread, on PostgreSQL to the server, doubling the cost of a short
        // query. Only a connection idle for a while is checked.
        .test_before_acquire(false)
        .before_acquire(move |conn, meta| {
            Box::pin(async move {
                // SQLite ends a transaction by itself on some errors (a full disk, an I/O
                // error): sqlx's rollback when the transaction is dropped then fails, and the
                // connection comes back believing it is still in it, where every later
                // `BEGIN IMMEDIATE` would fail. Such a connection is closed instead (the pool
                // opens another); its rollback was flushed when it came back.
                if conn.is_in_transaction() && !memory {
                    tracing::warn!("closed a database connection left inside a transaction");
                    return Ok(false);
                }
                if meta.idle_for >= PING_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if !is_postgres(conn) {
                    // Per connection: neither setting is kept in the file.
                    sqlx::query("PRAGMA synchronous = NORMAL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query(&format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}"))
                        .execute(&mut *conn)
                        .await?;
                    if file {
                        // Checkpoints run beside the writers ([`checkpoint_soon`]).
                        sqlx::query("PRAGMA wal_autocheckpoint = 0")
                            .execute(&mut *conn)
                            .await?;
                    }
                }
                Ok(())
            })
        })
        .connect(&url)
        .await
        .with_context(|| format!("cannot open the database {}", redact(database_url)))?;
    if file {
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
    if !is_sqlite(&url) {
        ensure_pg_sequences(&db)
            .await
            .context("cannot create the PostgreSQL sequences")?;
    }
    let filled = crate::store::users::fill_phone_e164(&db)
        .await
        .context("cannot fill the users' E.164 phone numbers")?;
    if filled > 0 {
        tracing::info!(rows = filled, "users' E.164 phone numbers filled");
    }
    let cut = crate::store::payout_methods::keep_last4_only(&db)
        .await
        .context("cannot cut the stored bank account numbers to their last four digits")?;
    if cut > 0 {
        tracing::info!(
            rows = cut,
            "stored bank account numbers cut to their last four digits"
        );
    }
    Ok(db)
}

/// After values were cut or replaced for privacy (whole account numbers, unkeyed tax id
/// digests), rewrites the space they were freed from, so a copy of the database taken later is
/// less likely to hold them: SQLite is vacuumed and its log checkpointed and truncated;
/// PostgreSQL's `tables` (a list, as SQL writes it) are vacuumed, which frees their dead rows
/// for reuse (it does not zero them, and the write-ahead log keeps its own copy until
/// recycled). Best effort: a failure (the database busy, no room for SQLite's copy) is logged,
/// not raised.
pub(crate) async fn rewrite_freed_space(db: &Db, tables: &str) {
    let statements: Vec<String> = if is_postgres_pool(db) {
        vec![format!("VACUUM {tables}")]
    } else {
        vec![
            "VACUUM".to_owned(),
            "PRAGMA wal_checkpoint(TRUNCATE)".to_owned(),
        ]
    };
    for sql in statements {
        if let Err(e) = sqlx::query(&sql).execute(db).await {
            tracing::warn!(error = %e, "could not rewrite the database's freed space ({sql})");
            return;
        }
    }
}

/// Connections of a SQLite file's pool: one writer at a time (WAL) and readers beside it.
const SQLITE_CONNECTIONS: u32 = 8;

/// Connections of a PostgreSQL pool: ledger writers of unrelated wallets run side by side, each
/// holding a connection while it waits for its rows.
const POSTGRES_CONNECTIONS: u32 = 16;

/// How long a pooled connection may have been idle before it is checked (pinged) on its way out.
const PING_AFTER_IDLE: std::time::Duration = std::time::Duration::from_secs(30);

/// How long a SQLite connection waits for the write lock before failing.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// The advisory lock [`begin_write`] takes on PostgreSQL ("payw").
const WRITE_LOCK: i64 = 0x7061_7977;

/// The advisory lock held while a starting process creates the sequences ("pays").
const SEQUENCES_LOCK: i64 = 0x7061_7973;

/// The counters that are sequences named `<counter>_seq` on PostgreSQL. A counter not listed
/// stays a row of `sequences` on both databases: correct, but its row is locked until commit.
/// A sandbox from before issue 10 counts in those rows, so it must not share a PostgreSQL
/// database with this one (their numbers would collide, and the loser's write fail).
pub(crate) const PG_SEQUENCES: [&str; 5] = [
    "ledger",
    "payout_methods",
    "bank_accounts",
    "background_checks",
    "app_notifications",
];

/// Creates the sequences of [`PG_SEQUENCES`] unless they exist, each starting after the
/// `sequences` row it replaces (a database written by an earlier version). Safe at every start
/// and from several processes at once.
async fn ensure_pg_sequences(db: &Db) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SEQUENCES_LOCK)
        .execute(&mut *tx)
        .await?;
    for name in PG_SEQUENCES {
        sqlx::query(&format!("CREATE SEQUENCE IF NOT EXISTS {name}_seq"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!(
            "SELECT setval('{name}_seq', s.value) FROM sequences s WHERE s.name = $1 \
             AND s.value > (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {name}_seq)"
        ))
        .bind(name)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// Whether `conn` is a PostgreSQL connection (else SQLite).
pub(crate) fn is_postgres(conn: &sqlx::AnyConnection) -> bool {
    conn.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME
}

/// ` FOR NO KEY UPDATE` on PostgreSQL, to end a `SELECT` of rows the transaction reads and then
/// changes (not their keys): the lock an `UPDATE` takes, which leaves other transactions free to
/// insert rows that reference them (a foreign key's `KEY SHARE`). Nothing on SQLite, whose write
/// transaction holds the whole database.
pub(crate) fn for_update(conn: &sqlx::AnyConnection) -> &'static str {
    if is_postgres(conn) {
        " FOR NO KEY UPDATE"
    } else {
        ""
    }
}

/// A transaction for writes that read shared state first, other than the ledger's (see the
/// module docs); commit it, or drop it to roll back. Never use the pool while holding one: on
/// in-memory SQLite the pool has a single connection.
pub(crate) async fn begin_write(db: &Db) -> Result<WriteTx, Error> {
    let mut tx = begin_ledger_write(db).await?;
    if is_postgres(&tx) {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    Ok(tx)
}

/// A transaction for ledger writes (see the module docs): on PostgreSQL it locks nothing by
/// itself, so the caller must lock, in a fixed order, every row it reads and then changes.
/// Never use the pool while holding one.
pub(crate) async fn begin_ledger_write(db: &Db) -> Result<WriteTx, Error> {
    if is_postgres_pool(db) {
        let tx = db
            .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
            .await?;
        return Ok(WriteTx {
            tx,
            _turn: None,
            checkpoint: None,
        });
    }
    let url = &db.connect_options().database_url;
    // This process's writers take turns here, in order, before asking SQLite: a writer that
    // found the database locked would sleep in SQLite's busy handler (up to 100 ms a time)
    // while the lock went free. Another process's writers still meet the busy timeout.
    let turn = if is_sqlite_memory(url.as_str()) {
        None
    } else {
        Some(writer_turns(url.as_str()).lock_owned().await)
    };
    let tx = db.begin_with("BEGIN IMMEDIATE").await?;
    Ok(WriteTx {
        tx,
        checkpoint: turn.is_some().then(|| db.clone()),
        _turn: turn,
    })
}

/// Whether `db` is a PostgreSQL pool (else SQLite).
pub(crate) fn is_postgres_pool(db: &Db) -> bool {
    db.connect_options().database_url.scheme() != "sqlite"
}

/// Runs `work` on this process's writer thread, a runtime of its own: work that holds SQLite's
/// write lock across several trips to the database ([`crate::group_commit`]) resumes after each
/// at once, where on the server's runtime it would wait behind every request's work, and every
/// other writer behind it. The work runs to its end whoever waits for it.
pub(crate) fn spawn_on_writer(work: impl std::future::Future<Output = ()> + Send + 'static) {
    static WRITER: std::sync::LazyLock<Option<tokio::runtime::Handle>> =
        std::sync::LazyLock::new(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            let handle = runtime.handle().clone();
            std::thread::Builder::new()
                .name("ledger-writer".to_owned())
                .spawn(move || runtime.block_on(std::future::pending::<()>()))
                .ok()?;
            Some(handle)
        });
    match WRITER.as_ref() {
        Some(writer) => drop(writer.spawn(work)),
        // No thread could be made: the caller's runtime runs it.
        None => drop(tokio::spawn(work)),
    }
}

/// A write transaction ([`begin_write`], [`begin_ledger_write`]): the connection (it derefs to
/// it), and on a SQLite file this process's turn to write, held until it commits or is dropped
/// (which rolls it back).
pub(crate) struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    // Dropped after `tx`, so the next writer starts once this one has ended.
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// A SQLite file's pool, whose write-ahead log is checkpointed after a commit.
    checkpoint: Option<Db>,
}

impl WriteTx {
    /// Commits the transaction, then lets the next writer go; on a SQLite file, a checkpoint
    /// follows soon ([`checkpoint_soon`]).
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        let WriteTx {
            tx,
            _turn,
            checkpoint,
        } = self;
        tx.commit().await?;
        drop(_turn);
        if let Some(db) = checkpoint {
            checkpoint_soon(&db);
        }
        Ok(())
    }
}

/// The least time between two checkpoints of one SQLite file ([`checkpoint_soon`]).
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// The checkpoints of one SQLite file.
struct Checkpoints {
    /// Whether one is under way.
    running: bool,
    /// When the last one started.
    last: std::time::Instant,
    /// How many have ended.
    done: tokio::sync::watch::Sender<u64>,
}

/// The checkpoints of each SQLite file this process writes, by URL.
static CHECKPOINTS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, Checkpoints>>,
> = std::sync::LazyLock::new(Default::default);

/// Copies the write-ahead log of SQLite file pool `db` back into its database, on a pool
/// connection of its own, unless a checkpoint is under way or one started in the last
/// [`CHECKPOINT_EVERY`] (issue 10). SQLite would do it inside the commit that took the log past
/// 1,000 pages, holding the write lock, so every writer waited for the copy and its syncs: a
/// third of a group of payouts' time. A passive checkpoint waits for no one and no one waits
/// for it; the log starts over once a checkpoint has copied all of it. Durability stays as
/// `synchronous = NORMAL` makes it: a commit is synced at the next checkpoint, now within a
/// tenth of a second of a write rather than after 1,000 pages.
fn checkpoint_soon(db: &Db) {
    let url = db.connect_options().database_url.to_string();
    {
        let mut all = CHECKPOINTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = std::time::Instant::now();
        match all.get_mut(&url) {
            Some(c) if c.running || now.duration_since(c.last) < CHECKPOINT_EVERY => return,
            Some(c) => {
                c.running = true;
                c.last = now;
            }
            None => {
                let (done, _) = tokio::sync::watch::channel(0);
                all.insert(
                    url.clone(),
                    Checkpoints {
                        running: true,
                        last: now,
                        done,
                    },
                );
            }
        }
    }
    let db = db.clone();
    tokio::spawn(async move {
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&db)
            .await
        {
            // The next commit tries again.
            tracing::warn!(error = %e, "a checkpoint of the write-ahead log failed");
        }
        let mut all = CHECKPOINTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = all.get_mut(&url) {
            c.running = false;
            c.done.send_modify(|n| *n += 1);
        }
    });
}

/// Counts the checkpoints of SQLite file pool `db` that end from now on.
#[cfg(test)]
pub(crate) fn checkpoints_ended(db: &Db) -> tokio::sync::watch::Receiver<u64> {
    let url = db.connect_options().database_url.to_string();
    let mut all = CHECKPOINTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    all.entry(url)
        .or_insert_with(|| Checkpoints {
            running: false,
            last: {
                let now = std::time::Instant::now();
                now.checked_sub(CHECKPOINT_EVERY).unwrap_or(now)
            },
            done: tokio::sync::watch::channel(0).0,
        })
        .done
        .subscribe()
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// The queue of this process's writers to the SQLite database at `url` (one per database).
fn writer_turns(url: &str) -> std::sync::Arc<tokio::sync::Mutex<()>> {
    type Turns = std::collections::HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>;
    static TURNS: std::sync::LazyLock<std::sync::Mutex<Turns>> =
        std::sync::LazyLock::new(Default::default);
    let mut turns = TURNS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    turns.entry(url.to_owned()).or_default().clone()
}

/// Takes the next `count` numbers of counter `name` (inside a write transaction); returns the
/// first. They are consecutive, so on PostgreSQL only one number (`count` 1) comes from the
/// counter's sequence ([`next_seqs`]); more come from its `sequences` row, as on SQLite.
pub(crate) async fn next_seq(
    conn: &mut sqlx::AnyConnection,
    name: &str,
    count: i64,
) -> Result<i64, Error> {
    if count == 1 && is_postgres(conn) {
        if let Some(first) = next_seqs(conn, name, 1).await?.first() {
            return Ok(*first);
        }
    }
    let last: i64 = sqlx::query_scalar(
        "UPDATE sequences SET value = value + $1 WHERE name = $2 RETURNING value",
    )
    .bind(count)
    .bind(name)
    .fetch_one(conn)
    .await?;
    Ok(last - count + 1)
}

/// Takes `count` numbers of counter `name` (inside a write transaction), rising, in one
/// statement. On PostgreSQL a [`PG_SEQUENCES`] counter's come from its sequence: unique and
/// rising, but not always consecutive nor in commit order, and a rolled-back transaction leaves
/// a gap; otherwise they are consecutive, from the counter's `sequences` row.
pub(crate) async fn next_seqs(
    conn: &mut sqlx::AnyConnection,
    name: &str,
    count: usize,
) -> Result<Vec<i64>, Error> {
    let n = i64::try_from(count).map_err(|e| Error::Internal(e.to_string()))?;
    if n == 0 {
        return Ok(Vec::new());
    }
    let mut batch = Batch::new(conn);
    let at = batch.push_next_seqs(name, n);
    batch.run(conn).await?.seqs(at, n)
}

/// A value bound to a [`Batch`] statement: every column is TEXT or BIGINT (module docs).
#[derive(Clone, Debug)]
pub(crate) enum Arg {
    /// A TEXT value, or NULL.
    Text(Option<String>),
    /// A BIGINT value, or NULL.
    Int(Option<i64>),
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}

impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(Some(v.clone()))
    }
}

impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}

/// Statements sent together, in order, inside the caller's transaction (or on one connection):
/// on SQLite one multi-statement query, so one trip to the connection's thread for all of them;
/// on PostgreSQL one after another (its extended protocol takes one statement at a time). Each
/// statement is written as usual, with its own `$1…` placeholders (no `$` followed by a digit
/// may appear elsewhere in it); [`Batch::run`] answers each one's rows and changed-row count by
/// the index [`Batch::push`] gave it. The first statement that fails stops the batch: on SQLite the ones
/// before it have run, so the caller must roll the transaction back (drop it), as after any
/// failed statement.
///
/// Reads of one value each ([`Batch::push_value`]) and of one row's columns
/// ([`Batch::push_row`]) pushed one after another are sent as one statement, `SELECT (…), (…)`,
/// each row joined once for all its columns: on PostgreSQL each statement is a trip to the
/// server, and a payout's checks are mostly such values (issue 10).
///
/// Writes that do not read each other's rows ([`Batch::writes_together`]) are sent to
/// PostgreSQL as one statement too, each a data-modifying `WITH` of it: a transfer's six inserts
/// and its balances' update, under its wallets' locks, one trip where they were seven.
#[derive(Debug)]
pub(crate) struct Batch {
    postgres: bool,
    together: bool,
    statements: Vec<Statement>,
}

/// One statement of a [`Batch`].
#[derive(Debug)]
enum Statement {
    /// As written, with its values.
    Sql(String, Vec<Arg>),
    /// Reads of one value each, each a `SELECT` with its values, and of one row's columns,
    /// sent as one `SELECT (…), (…), r2.c0, r2.c1 FROM (SELECT 1) AS one LEFT JOIN (…) AS r2
    /// ON TRUE`; the columns in the order they were pushed.
    Values(Vec<Read>),
}

/// One read of a [`Statement::Values`].
#[derive(Debug)]
enum Read {
    /// `SELECT <column> FROM …` (one column, at most one row), with its values.
    Value(String, Vec<Arg>),
    /// The columns of the row `FROM …` picks (at most one), with its values.
    Row {
        columns: Vec<String>,
        from: String,
        args: Vec<Arg>,
    },
}

impl Read {
    /// How many columns of the statement's answer it is.
    fn width(&self) -> usize {
        match self {
            Read::Value(..) => 1,
            Read::Row { columns, .. } => columns.len(),
        }
    }
}

impl Statement {
    /// The SQL and values sent: a [`Statement::Values`]'s reads become its columns, their
    /// placeholders numbered on across them ([`renumber`]).
    fn into_sql(self) -> Result<(String, Vec<Arg>), Error> {
        use std::fmt::Write as _;
        match self {
            Statement::Sql(sql, args) => Ok((sql, args)),
            Statement::Values(reads) => {
                let mut sql = String::from("SELECT ");
                let mut args = Vec::new();
                let mut first = true;
                for (i, read) in reads.iter().enumerate() {
                    for c in 0..read.width() {
                        if !std::mem::take(&mut first) {
                            sql.push_str(", ");
                        }
                        match read {
                            Read::Value(read, read_args) => {
                                sql.push('(');
                                renumber(
                                    read,
                                    read_args,
                                    Placeholders::Numbered,
                                    &mut sql,
                                    &mut args,
                                )?;
                                sql.push(')');
                            }
                            Read::Row { .. } => {
                                let _ = write!(sql, "r{i}.c{c}");
                            }
                        }
                    }
                }
                // A row is read once, whichever of its columns are asked for: its search and
                // sort run once rather than once a column.
                let mut joined = false;
                for (i, read) in reads.iter().enumerate() {
                    let Read::Row {
                        columns,
                        from,
                        args: read_args,
                    } = read
                    else {
                        continue;
                    };
                    if !std::mem::replace(&mut joined, true) {
                        sql.push_str(" FROM (SELECT 1) AS one");
                    }
                    sql.push_str(" LEFT JOIN (SELECT ");
                    for (c, column) in columns.iter().enumerate() {
                        if c > 0 {
                            sql.push_str(", ");
                        }
                        let _ = write!(sql, "{column} AS c{c}");
                    }
                    sql.push(' ');
                    renumber(from, read_args, Placeholders::Numbered, &mut sql, &mut args)?;
                    let _ = write!(sql, ") AS r{i} ON TRUE");
                }
                Ok((sql, args))
            }
        }
    }
}

/// Where the value a [`Batch::push_value`] read is among a batch's answers: read it with
/// [`Answers::value`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct ValueAt {
    statement: usize,
    column: usize,
}

/// What one statement of a [`Batch`] answered.
#[derive(Default)]
pub(crate) struct Answer {
    /// Its rows (a `SELECT`'s, or a write's `RETURNING`).
    pub rows: Vec<sqlx::any::AnyRow>,
    /// Rows it changed (an `INSERT`, `UPDATE` or `DELETE`; meaningless for a `SELECT`).
    pub rows_affected: u64,
}

impl Batch {
    /// An empty batch for `conn`'s database.
    pub(crate) fn new(conn: &sqlx::AnyConnection) -> Self {
        Self {
            postgres: is_postgres(conn),
            together: false,
            statements: Vec::new(),
        }
    }

    /// An empty batch of writes (`INSERT`, `UPDATE`, `DELETE`, each without `RETURNING`) where
    /// none reads or changes a row another one writes, and whose answers are only their
    /// changed-row counts: on PostgreSQL they are sent as one statement,
    /// `WITH w0 AS (… RETURNING 1), … SELECT (SELECT count(*) FROM w0), …`. PostgreSQL runs the
    /// parts of one statement on one snapshot, so a part would not see another's rows (the
    /// foreign keys between them are checked at the statement's end, when all are written).
    pub(crate) fn writes_together(conn: &sqlx::AnyConnection) -> Self {
        Self {
            together: true,
            ..Self::new(conn)
        }
    }

    /// Whether the batch runs on PostgreSQL (else SQLite), for SQL that differs.
    pub(crate) fn is_postgres(&self) -> bool {
        self.postgres
    }

    /// Adds statement `sql` with `args` for its `$1…`; its index in [`Batch::run`]'s answer.
    pub(crate) fn push(&mut self, sql: impl Into<String>, args: Vec<Arg>) -> usize {
        let sql = sql.into();
        // Checked on both databases (SQLite's tests too), though only PostgreSQL sends the
        // writes as one statement; but for the release of a SQLite savepoint, which closes a
        // SQLite batch of a group commit ([`crate::group_commit`]) and never reaches PostgreSQL.
        debug_assert!(
            !self.together || sql.starts_with("RELEASE ") || not_together(&sql).is_none(),
            "{sql}: {:?}",
            not_together(&sql)
        );
        self.statements.push(Statement::Sql(sql, args));
        self.statements.len() - 1
    }

    /// Adds the read of one value: `sql` is a `SELECT` of one column and at most one row (by a
    /// key, or an aggregate), with `args` for its `$1…`. Its value is `None` when it finds no
    /// row (or the value is NULL). Joins the statement of the value pushed just before, if
    /// any: no statement runs between reads sent together.
    pub(crate) fn push_value(&mut self, sql: impl Into<String>, args: Vec<Arg>) -> ValueAt {
        self.push_read(Read::Value(sql.into(), args))
    }

    /// Adds `read` to the statement of the values pushed just before, or to a new one; where
    /// its first column is.
    fn push_read(&mut self, read: Read) -> ValueAt {
        let last = self.statements.len().saturating_sub(1);
        if let Some(Statement::Values(reads)) = self.statements.last_mut() {
            let column = reads.iter().map(Read::width).sum();
            reads.push(read);
            return ValueAt {
                statement: last,
                column,
            };
        }
        self.statements.push(Statement::Values(vec![read]));
        ValueAt {
            statement: self.statements.len() - 1,
            column: 0,
        }
    }

    /// Adds the read of `columns` of the row `from` picks (`FROM … WHERE …`, at most one row),
    /// sent with the values pushed before and after it ([`Batch::push_value`]) and read once
    /// for all its columns; each column's value is `None` when there is no row.
    pub(crate) fn push_row<const N: usize>(
        &mut self,
        columns: [&str; N],
        from: &str,
        args: &[Arg],
    ) -> [ValueAt; N] {
        // Only `from` is renumbered: a column is a name, or an expression without values.
        debug_assert!(columns.iter().all(|c| !c.contains('$')), "{columns:?}");
        let first = self.push_read(Read::Row {
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            from: from.to_owned(),
            args: args.to_vec(),
        });
        std::array::from_fn(|c| ValueAt {
            statement: first.statement,
            column: first.column + c,
        })
    }

    /// ` FOR NO KEY UPDATE` on PostgreSQL, nothing on SQLite (see [`for_update`]).
    pub(crate) fn for_update(&self) -> &'static str {
        if self.postgres {
            " FOR NO KEY UPDATE"
        } else {
            ""
        }
    }

    /// Adds the taking of the next `count` numbers of counter `name` (see [`next_seqs`]); read
    /// them from its answer with [`Answers::seqs`].
    pub(crate) fn push_next_seqs(&mut self, name: &str, count: i64) -> usize {
        if self.postgres {
            if let Some(name) = PG_SEQUENCES.iter().find(|n| **n == name) {
                return self.push(
                    format!("SELECT nextval('{name}_seq') FROM generate_series(1, $1)"),
                    vec![Arg::from(count)],
                );
            }
        }
        self.push(
            "UPDATE sequences SET value = value + $1 WHERE name = $2 RETURNING value",
            vec![Arg::from(count), Arg::from(name)],
        )
    }

    /// Runs the statements in order; one [`Answer`] each.
    pub(crate) async fn run(self, conn: &mut sqlx::AnyConnection) -> Result<Answers, Error> {
        if self.statements.is_empty() {
            return Ok(Answers(Vec::new()));
        }
        let count = self.statements.len();
        if self.postgres && self.together && count > 1 {
            return run_together(conn, self.statements).await;
        }
        if self.postgres {
            let mut answers = Vec::with_capacity(count);
            for statement in self.statements {
                let (sql, args) = statement.into_sql()?;
                answers.extend(run_statements(conn, &sql, args, 1).await?);
            }
            return Ok(Answers(answers));
        }
        // One query, its placeholders anonymous (`?`), each statement's values in the order
        // they appear in it.
        let mut sql = String::new();
        let mut args = Vec::new();
        for statement in self.statements {
            let (statement, statement_args) = statement.into_sql()?;
            renumber(
                &statement,
                &statement_args,
                Placeholders::Anonymous,
                &mut sql,
                &mut args,
            )?;
            sql.push_str(";\n");
        }
        Ok(Answers(run_statements(conn, &sql, args, count).await?))
    }
}

/// The writes of a [`Batch::writes_together`] on PostgreSQL, as one statement
/// ([`together_sql`]): each answer has its changed-row count and no rows.
async fn run_together(
    conn: &mut sqlx::AnyConnection,
    statements: Vec<Statement>,
) -> Result<Answers, Error> {
    use sqlx::Row as _;
    let (sql, args) = together_sql(statements)?;
    let answer = run_statements(conn, &sql, args, 1).await?;
    let row = answer
        .first()
        .and_then(|answer| answer.rows.first())
        .ok_or_else(|| Error::Internal("writes sent together answered no row".to_owned()))?;
    (0..row.len())
        .map(|i| {
            Ok(Answer {
                rows: Vec::new(),
                rows_affected: u64::try_from(row.try_get::<i64, _>(i)?)
                    .map_err(|e| Error::Internal(e.to_string()))?,
            })
        })
        .collect::<Result<_, Error>>()
        .map(Answers)
}

/// Why `sql` may not be one of [`Batch::writes_together`], if it may not: each must be an
/// `INSERT … VALUES`, an `UPDATE` or a `DELETE` that reads no other table (no `SELECT`,
/// `UPDATE … FROM`, `DELETE … USING`), with no `RETURNING` and no `ON CONFLICT` (whose update
/// could meet a row another part inserts).
fn not_together(sql: &str) -> Option<&'static str> {
    let upper = sql.trim_start().to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .collect();
    let has = |word: &str| words.contains(&word);
    match words.first().copied() {
        Some("INSERT") if has("VALUES") && !has("SELECT") => {}
        Some("UPDATE") if !has("FROM") && !has("SELECT") => {}
        Some("DELETE") if !has("USING") && !has("SELECT") => {}
        _ => return Some("not an INSERT … VALUES, UPDATE or DELETE reading no other table"),
    }
    if has("RETURNING") {
        return Some("RETURNING");
    }
    if upper.contains("ON CONFLICT") {
        return Some("ON CONFLICT");
    }
    None
}

/// The table an `UPDATE` or `DELETE` of writes sent together changes: two parts changing one
/// table could meet the same row, which one statement may change only once.
fn changed_table(sql: &str) -> Option<String> {
    let upper = sql.trim_start().to_ascii_uppercase();
    let mut words = upper.split_whitespace();
    match words.next()? {
        "UPDATE" => words.next().map(str::to_owned),
        "DELETE" => words.nth(1).map(str::to_owned),
        _ => None,
    }
}

/// `WITH w0 AS (… RETURNING 1), … SELECT (SELECT count(*) FROM w0), …` of `statements`, their
/// placeholders numbered on across them, and their values; an error for a statement that may
/// not be sent together ([`not_together`]), or for a second `UPDATE` or `DELETE` of one table.
fn together_sql(statements: Vec<Statement>) -> Result<(String, Vec<Arg>), Error> {
    let mut sql = String::from("WITH ");
    let mut args = Vec::new();
    let mut counts = String::from(" SELECT ");
    let mut changed = Vec::new();
    for (i, statement) in statements.into_iter().enumerate() {
        let Statement::Sql(write, write_args) = statement else {
            return Err(Error::Internal(
                "a read among writes sent together".to_owned(),
            ));
        };
        if let Some(why) = not_together(&write) {
            return Err(Error::Internal(format!(
                "{why}, among writes sent together: {write}"
            )));
        }
        if let Some(table) = changed_table(&write) {
            if changed.contains(&table) {
                return Err(Error::Internal(format!(
                    "{table} changed twice, among writes sent together: {write}"
                )));
            }
            changed.push(table);
        }
        if i > 0 {
            sql.push_str(", ");
            counts.push_str(", ");
        }
        sql.push_str(&format!("w{i} AS ("));
        renumber(
            &write,
            &write_args,
            Placeholders::Numbered,
            &mut sql,
            &mut args,
        )?;
        sql.push_str(" RETURNING 1)");
        counts.push_str(&format!("(SELECT count(*) FROM w{i})"));
    }
    sql.push_str(&counts);
    Ok((sql, args))
}

/// Reads on a connection of the pool, in one [`Batch`]: `push` adds the reads, `answer` takes
/// what they answered (for the `…_in` of a `push_…`).
pub(crate) async fn read_once<A, T>(
    db: &Db,
    push: impl FnOnce(&mut Batch) -> A,
    answer: impl FnOnce(&Answers, A) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut conn = db.acquire().await?;
    let mut batch = Batch::new(&conn);
    let at = push(&mut batch);
    answer(&batch.run(&mut conn).await?, at)
}

/// The rows of one multi-row `INSERT`, gathered one by one and added to a [`Batch`] as one
/// statement ([`Rows::push_into`]): a group of transfers writes each table in one statement
/// ([`crate::group_commit`]), where each statement is parsed afresh.
#[derive(Debug)]
pub(crate) struct Rows {
    head: &'static str,
    columns: usize,
    tail: &'static str,
    args: Vec<Arg>,
}

impl Rows {
    /// No rows yet of `head` (`INSERT INTO t (a, b)`, without `VALUES`), `columns` values a
    /// row, followed by `tail` (an `ON CONFLICT` clause, or nothing).
    pub(crate) fn new(head: &'static str, columns: usize, tail: &'static str) -> Self {
        Self {
            head,
            columns,
            tail,
            args: Vec::new(),
        }
    }

    /// Adds one row: exactly `columns` values.
    pub(crate) fn add(&mut self, row: impl IntoIterator<Item = Arg>) {
        let before = self.args.len();
        self.args.extend(row);
        debug_assert_eq!(self.args.len() - before, self.columns, "{}", self.head);
    }

    /// How many rows.
    pub(crate) fn len(&self) -> usize {
        self.args.len() / self.columns.max(1)
    }

    /// Adds the insert of every row to `batch`: its index there, `None` (and nothing added)
    /// without rows.
    pub(crate) fn push_into(self, batch: &mut Batch) -> Option<usize> {
        let rows = self.len();
        if rows == 0 {
            return None;
        }
        let sql = format!(
            "{} VALUES {}{}",
            self.head,
            value_rows(rows, self.columns),
            self.tail
        );
        Some(batch.push(sql, self.args))
    }
}

/// `($1, …, $columns), ($columns+1, …)`: the placeholders of `rows` rows of a multi-row insert.
pub(crate) fn value_rows(rows: usize, columns: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 1..=columns {
            if c > 1 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(r * columns + c).to_string());
        }
        out.push(')');
    }
    out
}

/// What a [`Batch`]'s statements answered, by the index [`Batch::push`] gave each.
pub(crate) struct Answers(Vec<Answer>);

impl Answers {
    /// Statement `index`'s answer.
    pub(crate) fn get(&self, index: usize) -> Result<&Answer, Error> {
        self.0
            .get(index)
            .ok_or_else(|| Error::Internal(format!("no answer for statement {index}")))
    }

    /// The value a [`Batch::push_value`] read at `at`: `None` when it found no row.
    pub(crate) fn value<T>(&self, at: ValueAt) -> Result<Option<T>, Error>
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        use sqlx::Row as _;
        let row = match self.get(at.statement)?.rows.as_slice() {
            [row] => row,
            [] => {
                return Err(Error::Internal(
                    "a read of values answered no row".to_owned(),
                ))
            }
            _ => {
                return Err(Error::Internal(
                    "a read of one row found more than one".to_owned(),
                ))
            }
        };
        Ok(row.try_get::<Option<T>, _>(at.column)?)
    }

    /// The `count` numbers a [`Batch::push_next_seqs`] at `index` took, rising.
    pub(crate) fn seqs(&self, index: usize, count: i64) -> Result<Vec<i64>, Error> {
        use sqlx::Row as _;
        let answer = self.get(index)?;
        let mut numbers = answer
            .rows
            .iter()
            .map(|row| row.try_get::<i64, _>(0))
            .collect::<Result<Vec<_>, _>>()?;
        if let ([last], true) = (numbers.as_slice(), count > 1) {
            // A `sequences` row answers its last number only.
            let last = *last;
            numbers = (last - count + 1..=last).collect();
        }
        numbers.sort_unstable();
        if numbers.len() as i64 != count {
            return Err(Error::Internal(format!(
                "a counter gave {} numbers for {count}",
                numbers.len()
            )));
        }
        Ok(numbers)
    }
}

/// Runs `sql` (`count` statements) with `args`, splitting what it answers by statement.
async fn run_statements(
    conn: &mut sqlx::AnyConnection,
    sql: &str,
    args: Vec<Arg>,
    count: usize,
) -> Result<Vec<Answer>, Error> {
    use futures_util::TryStreamExt as _;
    use sqlx::Executor as _;
    let mut query = sqlx::query(sql);
    for arg in args {
        query = match arg {
            Arg::Text(v) => query.bind(v),
            Arg::Int(v) => query.bind(v),
        };
    }
    let mut answers = Vec::with_capacity(count);
    let mut current = Answer::default();
    let mut results = conn.fetch_many(query);
    while let Some(item) = results.try_next().await? {
        match item {
            sqlx::Either::Left(done) => {
                current.rows_affected = done.rows_affected();
                answers.push(std::mem::take(&mut current));
            }
            sqlx::Either::Right(row) => current.rows.push(row),
        }
    }
    if answers.len() != count {
        return Err(Error::Internal(format!(
            "a batch of {count} statements answered {}",
            answers.len()
        )));
    }
    Ok(answers)
}

/// How [`renumber`] writes placeholders.
#[derive(Clone, Copy)]
enum Placeholders {
    /// `?`, for SQLite.
    Anonymous,
    /// `$k`, `k` the value's position in the values gathered so far.
    Numbered,
}

/// Appends `sql` to `out` with each placeholder `$n` renumbered (`how`), and the value each
/// stands for to `values`, in the order they appear (a value used twice is bound twice).
///
/// SQLite looks a named placeholder up by name, through a list, both when it parses the
/// statement and when sqlx binds each value (`sqlite3_bind_parameter_name`): a statement of
/// `n` placeholders costs about `n²/2` string comparisons at each, where anonymous ones cost
/// `n`. A group of transfers' inserts ([`Rows`]) hold hundreds of values each (issue 10).
/// Anonymous placeholders also number on across the statements of one query, so the statements
/// of a SQLite batch need no renumbering among themselves; the reads of a
/// [`Statement::Values`] are numbered on across them (`$k`) on both databases.
fn renumber(
    sql: &str,
    args: &[Arg],
    how: Placeholders,
    out: &mut String,
    values: &mut Vec<Arg>,
) -> Result<(), Error> {
    out.reserve(sql.len());
    let mut rest = sql;
    // Whether the scan is inside a '…' literal (a doubled '' leaves and re-enters it).
    let mut quoted = false;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        quoted ^= rest[..at].bytes().filter(|b| *b == b'\'').count() % 2 == 1;
        let after = &rest[at + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            out.push('$');
            rest = after;
            continue;
        }
        if quoted {
            // SQLite would not count it: every later value would bind one column over.
            return Err(Error::Internal(format!(
                "a placeholder inside a string literal in {sql}"
            )));
        }
        let n: usize = after[..digits]
            .parse()
            .map_err(|_| Error::Internal(format!("a placeholder out of range in {sql}")))?;
        let value = n
            .checked_sub(1)
            .and_then(|i| args.get(i))
            .ok_or_else(|| Error::Internal(format!("${n} has no value in {sql}")))?;
        values.push(value.clone());
        match how {
            Placeholders::Anonymous => out.push('?'),
            Placeholders::Numbered => {
                out.push('$');
                out.push_str(&values.len().to_string());
            }
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    Ok(())
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

/// SQLite files for tests: each in a directory of its own, removed when the test is done.
#[cfg(test)]
pub(crate) mod test_files {
    use super::Db;
    use std::path::{Path, PathBuf};

    /// A new, empty directory under the system's temporary one, named after `label`.
    pub(crate) fn new_dir(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("{label}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The URL of SQLite file `db.sqlite` in `dir`.
    pub(crate) fn url_in(dir: &Path) -> String {
        format!("sqlite://{}", dir.join("db.sqlite").display())
    }

    /// Closes `db`, then removes its directory `dir`.
    pub(crate) async fn close(db: Db, dir: &Path) {
        db.close().await;
        std::fs::remove_dir_all(dir).ok();
    }
}

#[cfg(test)]
mod tests {
    use super::test_files::{close, new_dir, url_in};
    use super::*;

    /// Row ids made one after another sort, as the text the tables store, in the order they
    /// were made, in the same millisecond too: what keeps a group of payouts' index inserts
    /// at each index's end (issue 10).
    #[test]
    fn row_ids_sort_as_stored_in_the_order_they_were_made() {
        let made: Vec<String> = (0..2_000).map(|_| row_id().to_string()).collect();
        let mut sorted = made.clone();
        sorted.sort();
        assert_eq!(made, sorted);
        assert_eq!(row_id().get_version_num(), 7);
    }

    /// Review: writes beside the ledger's (a host's new user, the purge of expired sessions, an
    /// ID picture's upload; an old key's salting, which is put off instead)
    /// asked SQLite for its lock through the busy handler, not in turn with the ledger's
    /// writers; under a run of payouts holding the lock past the busy timeout they failed with
    /// a 500. They now wait their turn, however long the writers before them take. (The lock
    /// is held past the timeout: that is the case, not a wait for an event.)
    #[tokio::test]
    async fn other_writes_wait_their_turn_past_the_busy_timeout() {
        let dir = new_dir("turns");
        let db = connect(&url_in(&dir)).await.unwrap();
        let app_id = crate::ensure_default_app(&db, Some(("pk_test", "sk_test")))
            .await
            .unwrap()
            .id;
        let now = chrono::Utc::now();
        let new_user = |email: &str| {
            serde_json::from_value(serde_json::json!({
                "first_name": "Ada", "last_name": "Lovelace", "email": email,
                "country_code": "1", "phone_number": "4155550123"
            }))
            .unwrap()
        };
        let pictured = crate::store::users::create_host_user(
            &db,
            app_id,
            new_user("a@example.com"),
            None,
            now,
        )
        .await
        .unwrap();
        let picture = payout_model::identity::UploadedDocument {
            side: payout_model::identity::DocumentSide::Front,
            content_type: "image/png".to_owned(),
            size: 1,
            uploaded_at: now,
        };
        // A key stored before keys were salted, salted at its next use.
        sqlx::query("UPDATE app_keys SET key_salt = NULL, key_hash = $1")
            .bind(crate::secret::sha256_hex("sk_test"))
            .execute(&db)
            .await
            .unwrap();
        let held = begin_ledger_write(&db).await.unwrap();
        // All wait at once (one after another, only the first would wait).
        let writes = tokio::spawn({
            let db = db.clone();
            let new_user = new_user("ada@example.com");
            async move {
                let (user, purged, uploaded, key) = tokio::join!(
                    crate::store::users::create_host_user(&db, app_id, new_user, None, now),
                    crate::purge_expired(&db, now),
                    crate::store::id_verification::upsert_document(
                        &db,
                        pictured.id,
                        &picture,
                        "00"
                    ),
                    // A right key is let in, its salting put off (the database is busy).
                    crate::store::apps::authenticate(&db, "pk_test", "sk_test", now),
                );
                user?;
                purged?;
                uploaded?;
                assert!(key?.is_some());
                Ok::<_, Error>(())
            }
        });
        let past_timeout = u64::from(SQLITE_BUSY_TIMEOUT_MS) + 500;
        tokio::time::sleep(std::time::Duration::from_millis(past_timeout)).await;
        held.commit().await.unwrap();
        writes.await.unwrap().unwrap();
        close(db, &dir).await;
    }

    /// On a SQLite file, SQLite's own checkpoint (inside the commit that filled the log, under
    /// the write lock) is off: a commit leaves the database file as it was, and the checkpoint
    /// that follows it, beside the writers, copies the commit in.
    #[tokio::test]
    async fn a_commit_to_a_sqlite_file_is_checkpointed_beside_the_writers() {
        let dir = new_dir("checkpoint");
        let file = dir.join("db.sqlite");
        let db = connect(&url_in(&dir)).await.unwrap();
        let automatic: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(automatic, 0);
        let mut ended = checkpoints_ended(&db);
        let size = || std::fs::metadata(&file).unwrap().len();
        let before = size();
        let mut tx = begin_write(&db).await.unwrap();
        sqlx::query("CREATE TABLE filler (x TEXT)")
            .execute(&mut *tx)
            .await
            .unwrap();
        // About 1 MB, 250 pages.
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) \
             INSERT INTO filler SELECT hex(randomblob(1000)) FROM n",
        )
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        // The checkpoint has not run yet: this test's runtime has not been free to start it.
        assert_eq!(size(), before);
        ended.changed().await.unwrap();
        assert!(size() > before + 900_000, "{before} -> {}", size());
        close(db, &dir).await;
    }

    /// A transaction SQLite ended by itself leaves sqlx's rollback on drop failing and the
    /// connection believing it is still inside it; the pool does not hand it out again, so the
    /// next writer begins, writes and commits (on the same pool of one connection).
    #[tokio::test]
    async fn a_connection_whose_transaction_sqlite_ended_is_not_used_again() {
        let dir = new_dir("ended");
        let db = connect_with(&url_in(&dir), Some(1)).await.unwrap();
        let mut tx = begin_write(&db).await.unwrap();
        // What SQLite does itself after some errors: the transaction ends under sqlx.
        sqlx::query("ROLLBACK").execute(&mut *tx).await.unwrap();
        drop(tx);
        let mut tx = begin_write(&db).await.unwrap();
        sqlx::query("CREATE TABLE written_after (x TEXT)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let tables: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'written_after'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(tables, 1);
        close(db, &dir).await;
    }

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

    /// [`renumber`] as a SQLite batch sends each statement.
    fn in_order(
        sql: &str,
        args: &[Arg],
        out: &mut String,
        values: &mut Vec<Arg>,
    ) -> Result<(), Error> {
        renumber(sql, args, Placeholders::Anonymous, out, values)
    }

    #[test]
    fn placeholders_become_anonymous_with_their_values_in_order() {
        let (mut sql, mut values) = (String::new(), Vec::new());
        let args = [Arg::from(1), Arg::from("b"), Arg::from(3)];
        in_order("SELECT $1", &args[..1], &mut sql, &mut values).unwrap();
        in_order(
            "UPDATE a SET b = $3, c = $2 WHERE d = $3 OR '$' = $1",
            &args,
            &mut sql,
            &mut values,
        )
        .unwrap();
        assert_eq!(
            sql,
            "SELECT ?UPDATE a SET b = ?, c = ? WHERE d = ? OR '$' = ?"
        );
        let shown: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
        assert_eq!(
            shown,
            [
                "Int(Some(1))",
                "Int(Some(3))",
                "Text(Some(\"b\"))",
                "Int(Some(3))",
                "Int(Some(1))"
            ]
        );
        assert!(in_order("SELECT $4", &args, &mut sql, &mut values).is_err());
        // Not a placeholder to SQLite, so not one here: refused rather than bound off by one.
        assert!(in_order("SELECT 'it''s $1', $2", &args, &mut sql, &mut values).is_err());
        let before = values.len();
        in_order("SELECT 'it''s', $2", &args, &mut sql, &mut values).unwrap();
        assert_eq!(values.len(), before + 1);
        assert!(in_order("SELECT $0", &args, &mut sql, &mut values).is_err());
    }

    /// Values pushed one after another are one statement, their placeholders numbered on, a
    /// row's columns among them read by one join; a statement pushed between them starts
    /// another.
    #[test]
    fn values_read_together_are_one_statement() {
        let mut batch = Batch {
            postgres: true,
            together: false,
            statements: Vec::new(),
        };
        let a = batch.push_value(
            "SELECT x FROM t WHERE a = $1 AND b = $2",
            vec![Arg::from(1), Arg::from("b")],
        );
        let b = batch.push_value("SELECT y FROM u WHERE c = $1 OR d = $1", vec![Arg::from(3)]);
        let [r0, r1] = batch.push_row(["p", "q"], "FROM w WHERE k = $1", &[Arg::from(4)]);
        let after = batch.push_value("SELECT s FROM t", Vec::new());
        let other = batch.push("UPDATE t SET x = 1", Vec::new());
        let c = batch.push_value("SELECT z FROM v", Vec::new());
        assert_eq!((a.statement, a.column), (0, 0));
        assert_eq!((b.statement, b.column), (0, 1));
        assert_eq!((r0.statement, r0.column), (0, 2));
        assert_eq!((r1.statement, r1.column), (0, 3));
        assert_eq!((after.statement, after.column), (0, 4));
        assert_eq!(other, 1);
        assert_eq!((c.statement, c.column), (2, 0));
        let mut sent = batch.statements.into_iter().map(|s| s.into_sql().unwrap());
        let (sql, args) = sent.next().unwrap();
        assert_eq!(
            sql,
            "SELECT (SELECT x FROM t WHERE a = $1 AND b = $2), \
             (SELECT y FROM u WHERE c = $3 OR d = $4), r2.c0, r2.c1, (SELECT s FROM t) \
             FROM (SELECT 1) AS one \
             LEFT JOIN (SELECT p AS c0, q AS c1 FROM w WHERE k = $5) AS r2 ON TRUE"
        );
        let shown: Vec<String> = args.iter().map(|v| format!("{v:?}")).collect();
        assert_eq!(
            shown,
            [
                "Int(Some(1))",
                "Text(Some(\"b\"))",
                "Int(Some(3))",
                "Int(Some(3))",
                "Int(Some(4))"
            ]
        );
        assert_eq!(sent.next().unwrap().0, "UPDATE t SET x = 1");
        assert_eq!(sent.next().unwrap().0, "SELECT (SELECT z FROM v)");
    }

    /// Writes sent together become one statement on PostgreSQL, each a `WITH` whose changed
    /// rows are counted, their placeholders numbered on; a read among them is refused.
    #[test]
    fn writes_together_are_one_statement_on_postgres() {
        let mut batch = Batch {
            postgres: true,
            together: true,
            statements: Vec::new(),
        };
        batch.push(
            "INSERT INTO t (a, b) VALUES ($1, $2)",
            vec![Arg::from(1), Arg::from("b")],
        );
        batch.push("UPDATE u SET c = $1 WHERE d = $1", vec![Arg::from(3)]);
        let (sql, args) = together_sql(batch.statements).unwrap();
        assert_eq!(
            sql,
            "WITH w0 AS (INSERT INTO t (a, b) VALUES ($1, $2) RETURNING 1), \
             w1 AS (UPDATE u SET c = $3 WHERE d = $4 RETURNING 1) \
             SELECT (SELECT count(*) FROM w0), (SELECT count(*) FROM w1)"
        );
        assert_eq!(args.len(), 4);
        for refused in [
            "SELECT a FROM t",
            "UPDATE t SET a = 1 RETURNING a",
            "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2",
            "INSERT INTO t (a) SELECT a FROM u",
            "UPDATE t SET a = u.a FROM u WHERE t.id = u.id",
            "DELETE FROM t USING u WHERE t.id = u.id",
            "UPDATE t SET a = (SELECT max(a) FROM u)",
        ] {
            assert!(not_together(refused).is_some(), "{refused}");
            let statements = vec![Statement::Sql(refused.to_owned(), Vec::new())];
            assert!(together_sql(statements).is_err(), "{refused}");
        }
        // One table changed twice: the parts could meet the same row.
        let twice = [
            "UPDATE t SET a = 1 WHERE id = 1",
            "update t SET b = 2 WHERE id = 2",
        ]
        .map(|sql| Statement::Sql(sql.to_owned(), Vec::new()));
        assert!(together_sql(twice.into()).is_err());
        assert!(not_together("DELETE FROM t WHERE id = $1").is_none());
    }

    /// On a database (SQLite, and PostgreSQL when `PAYOUT_SANDBOX_TEST_POSTGRES` is set): writes
    /// sent together answer each its changed-row count, and one may refer to a row another of
    /// them inserts (the foreign key is checked once all are written).
    #[tokio::test]
    async fn writes_together_answer_each_its_count() {
        use sqlx::Connection as _;
        sqlx::any::install_default_drivers();
        let urls = std::iter::once("sqlite::memory:".to_owned())
            .chain(std::env::var("PAYOUT_SANDBOX_TEST_POSTGRES").ok());
        for url in urls {
            let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
            for table in [
                "CREATE TEMP TABLE parent (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)",
                "CREATE TEMP TABLE child (id BIGINT PRIMARY KEY, \
                 parent BIGINT NOT NULL REFERENCES parent (id))",
                "INSERT INTO parent (id, n) VALUES (1, 0), (2, 0), (3, 0)",
            ] {
                sqlx::query(table).execute(&mut conn).await.unwrap();
            }
            let mut batch = Batch::writes_together(&conn);
            let inserted = batch.push(
                "INSERT INTO parent (id, n) VALUES ($1, 0), ($2, 0)",
                vec![Arg::from(10), Arg::from(11)],
            );
            let child = batch.push(
                "INSERT INTO child (id, parent) VALUES ($1, $2)",
                vec![Arg::from(1), Arg::from(10)],
            );
            let updated = batch.push(
                "UPDATE parent SET n = n + $1 WHERE id IN ($2, $3, $4)",
                vec![Arg::from(5), Arg::from(1), Arg::from(2), Arg::from(99)],
            );
            let answers = batch.run(&mut conn).await.unwrap();
            let counts =
                [inserted, child, updated].map(|at| answers.get(at).unwrap().rows_affected);
            assert_eq!(counts, [2, 1, 2], "{url}");
            let sum: i64 = sqlx::query_scalar("SELECT CAST(SUM(n) AS BIGINT) FROM parent")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            assert_eq!(sum, 10, "{url}");
        }
    }

    /// On a database (SQLite, and PostgreSQL when `PAYOUT_SANDBOX_TEST_POSTGRES` is set): each
    /// value read together answers its own, `None` for a read that found no row (a row's
    /// columns too, wherever the row stands among the values); the statement between them ran
    /// in its place; a row read that finds two rows is an error, not the first of them.
    #[tokio::test]
    async fn values_read_together_answer_each_its_own() {
        use sqlx::Connection as _;
        sqlx::any::install_default_drivers();
        let urls = std::iter::once("sqlite::memory:".to_owned())
            .chain(std::env::var("PAYOUT_SANDBOX_TEST_POSTGRES").ok());
        for url in urls {
            let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
            sqlx::query("CREATE TEMP TABLE kv (name TEXT PRIMARY KEY, value BIGINT NOT NULL)")
                .execute(&mut conn)
                .await
                .unwrap();
            let mut batch = Batch::new(&conn);
            let count = |batch: &mut Batch| {
                batch.push_value("SELECT CAST(COUNT(*) AS BIGINT) FROM kv", Vec::new())
            };
            let row = |batch: &mut Batch, name: &str| {
                batch.push_row(
                    ["name", "value"],
                    "FROM kv WHERE name = $1",
                    &[Arg::from(name)],
                )
            };
            let before = count(&mut batch);
            let [gone_name, gone_value] = row(&mut batch, "values-test");
            let missing = batch.push_value(
                "SELECT name FROM kv WHERE name = $1",
                vec![Arg::from("no such name")],
            );
            batch.push(
                "INSERT INTO kv (name, value) VALUES ($1, 7), ($2, 8)",
                vec![Arg::from("values-test"), Arg::from("other")],
            );
            let [name, value] = row(&mut batch, "values-test");
            let after = count(&mut batch);
            let [no_name, no_value] = row(&mut batch, "no such name");
            let found = batch.push_value(
                "SELECT value FROM kv WHERE name = $1",
                vec![Arg::from("other")],
            );
            let read = batch.run(&mut conn).await.unwrap();
            assert_eq!(read.value::<i64>(before).unwrap(), Some(0), "{url}");
            assert_eq!(read.value::<String>(gone_name).unwrap(), None, "{url}");
            assert_eq!(read.value::<i64>(gone_value).unwrap(), None, "{url}");
            assert_eq!(read.value::<String>(missing).unwrap(), None, "{url}");
            assert_eq!(
                read.value::<String>(name).unwrap().as_deref(),
                Some("values-test"),
                "{url}"
            );
            assert_eq!(read.value::<i64>(value).unwrap(), Some(7), "{url}");
            assert_eq!(read.value::<i64>(after).unwrap(), Some(2), "{url}");
            assert_eq!(read.value::<String>(no_name).unwrap(), None, "{url}");
            assert_eq!(read.value::<i64>(no_value).unwrap(), None, "{url}");
            assert_eq!(read.value::<i64>(found).unwrap(), Some(8), "{url}");

            let mut batch = Batch::new(&conn);
            let [two] = batch.push_row(["name"], "FROM kv", &[]);
            let read = batch.run(&mut conn).await.unwrap();
            assert!(read.value::<String>(two).is_err(), "{url}");
        }
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

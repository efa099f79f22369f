//! The webhook tables (issue 10, migration 0011): the app's endpoints (`webhooks`), its events
//! (`events`), the outbox of deliveries owed (`webhook_deliveries`) and the log of attempts
//! (`webhook_attempts`). [`record_event`] is how a change reports itself: it runs inside the
//! change's own write transaction, so the event and its deliveries exist exactly when the change
//! does; [`EventSlot`] is the same in two [`Batch`]es, for a change that batches its own
//! statements (a new transfer). The worker that drains the outbox is [`crate::webhooks`]; it claims and settles rows
//! through the functions at the end of this module.

use crate::db::{
    enum_from_text, from_millis, is_postgres, next_seq, parse_stored_id, parse_stored_json,
    to_json_text, to_millis, Answer, Answers, Arg, Batch, Rows,
};
use crate::error::Error;
use crate::pagination::Page;
use crate::secret::SecretsKey;
use chrono::{DateTime, Utc};
use payout_model::webhook::{
    DeliveryAttempt, Event, EventType, NewWebhook, Webhook, WebhookSecret, WebhookUpdate,
};
use sqlx::AnyConnection;
use uuid::Uuid;

/// The 404 for an endpoint that does not exist or is another app's.
pub(crate) fn webhook_not_found() -> Error {
    Error::NotFound("webhook not found".to_owned())
}

/// The 404 for an event that does not exist or is another app's.
pub(crate) fn event_not_found() -> Error {
    Error::NotFound("event not found".to_owned())
}

/// The wire id of event `id`: `evt_` and its 32 hex digits.
pub(crate) fn event_wire_id(id: Uuid) -> String {
    format!("evt_{}", id.simple())
}

/// Event wire id `id` back to its UUID (`None` for anything else).
pub(crate) fn parse_event_id(id: &str) -> Option<Uuid> {
    Uuid::try_parse(id.strip_prefix("evt_")?).ok()
}

/// Records event `kind` of app `app_id` about `data` (the object as the host API shows it), and
/// one pending delivery, due at `now`, to each of the app's endpoints that takes `kind`. Inside
/// the caller's write transaction ([`crate::db::begin_write`]); after it commits, call
/// [`crate::webhooks::wake`] so the worker delivers at once. Two trips to the database on
/// SQLite ([`EventSlot`]).
pub(crate) async fn record_event(
    conn: &mut AnyConnection,
    app_id: Uuid,
    kind: EventType,
    data: &impl serde::Serialize,
    now: DateTime<Utc>,
) -> Result<Event, Error> {
    let mut reads = Batch::new(conn);
    let slot = EventSlot::push_reads(&mut reads, app_id);
    let read = reads.run(&mut *conn).await?;
    let mut writes = Batch::new(conn);
    let event = slot.push_writes(&read, &mut writes, kind, data, now)?;
    writes.run(conn).await?;
    Ok(event)
}

/// An event being recorded in two [`Batch`]es of a write transaction, so a change can send its
/// event with its own statements ([`crate::ledger`]'s transfers): [`EventSlot::push_reads`]
/// takes the app's next event number and reads its endpoints, [`EventSlot::push_writes`] adds
/// the event and one pending delivery per endpoint that takes its type, in two statements.
#[derive(Debug)]
pub(crate) struct EventSlot {
    app_id: Uuid,
    seq: usize,
    hooks: usize,
}

impl EventSlot {
    /// Adds to `batch` the taking of app `app_id`'s next event number (its `sequences` row,
    /// created on first use, in one statement) and the read of its endpoints.
    pub(crate) fn push_reads(batch: &mut Batch, app_id: Uuid) -> Self {
        let seq = batch.push(
            "INSERT INTO sequences (name, value) VALUES ($1, 1) \
             ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1 RETURNING value",
            vec![Arg::from(event_counter(app_id))],
        );
        let hooks = push_hooks_read(batch, &[app_id]);
        Self { app_id, seq, hooks }
    }

    /// Adds to `batch` event `kind` about `data`, numbered as `read` (the answers of the batch
    /// [`EventSlot::push_reads`] went into) says, and its deliveries; the event.
    pub(crate) fn push_writes(
        self,
        read: &Answers,
        batch: &mut Batch,
        kind: EventType,
        data: &impl serde::Serialize,
        now: DateTime<Utc>,
    ) -> Result<Event, Error> {
        let seq = read.seqs(self.seq, 1)?.first().copied().unwrap_or_default();
        let hooks = hooks_by_app(read.get(self.hooks)?)?;
        let hooks = hooks.get(&self.app_id).map_or(&[][..], Vec::as_slice);
        let mut rows = EventRows::new();
        let event = rows.add(self.app_id, seq, hooks, kind, data, now)?;
        rows.push_into(batch);
        Ok(event)
    }
}

/// The name of app `app_id`'s event counter in `sequences`.
pub(crate) fn event_counter(app_id: Uuid) -> String {
    format!("events:{app_id}")
}

/// Adds to `batch` the read of the endpoints of every app of `app_ids` (at least one); read
/// its answer with [`hooks_by_app`]. Locked ([`KEY_SHARE`]) on PostgreSQL.
pub(crate) fn push_hooks_read(batch: &mut Batch, app_ids: &[Uuid]) -> usize {
    let marks = (1..=app_ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let lock = if batch.is_postgres() { KEY_SHARE } else { "" };
    batch.push(
        format!("SELECT app_id, id, events FROM webhooks WHERE app_id IN ({marks}){lock}"),
        app_ids.iter().map(|id| Arg::from(id.to_string())).collect(),
    )
}

/// How a change reads the endpoints it writes deliveries to, on PostgreSQL: `FOR KEY SHARE`,
/// the lock a delivery's foreign key takes anyway, taken before the insert. An endpoint being
/// deleted makes the read wait and then leaves it out (read committed skips a row deleted
/// meanwhile), where a plain read would name it and the insert's key check would then fail;
/// and an endpoint read this way is deleted only after the change commits
/// ([`delete_webhook`] locks it first). Every endpoint of the app is locked, those not taking
/// the event's type too (they are filtered after the read): a delete of one waits for the
/// changes under way. SQLite's write transaction holds the whole database.
const KEY_SHARE: &str = " FOR KEY SHARE";

/// The endpoints a [`push_hooks_read`] answered, by app (an app without any is absent).
pub(crate) fn hooks_by_app(
    answer: &Answer,
) -> Result<std::collections::HashMap<Uuid, Vec<(String, String)>>, Error> {
    use sqlx::Row as _;
    let mut hooks: std::collections::HashMap<Uuid, Vec<(String, String)>> = Default::default();
    for row in &answer.rows {
        let app_id = parse_stored_id(&row.try_get::<String, _>(0)?)?;
        hooks
            .entry(app_id)
            .or_default()
            .push((row.try_get(1)?, row.try_get(2)?));
    }
    Ok(hooks)
}

/// Events and their deliveries, one insert each however many events (a group of transfers'
/// `transfer.updated`, [`crate::group_commit`]).
#[derive(Debug)]
pub(crate) struct EventRows {
    events: Rows,
    deliveries: Rows,
}

impl EventRows {
    /// No events yet.
    pub(crate) fn new() -> Self {
        Self {
            events: Rows::new(
                "INSERT INTO events (id, app_id, kind, payload, created, seq)",
                6,
                "",
            ),
            deliveries: delivery_rows(),
        }
    }

    /// Adds event `kind` of app `app_id` about `data`, numbered `seq` (the app's event counter,
    /// taken by the caller), and one pending delivery to each endpoint of `hooks` (the app's
    /// `id, events` rows) that takes its type. The event.
    pub(crate) fn add(
        &mut self,
        app_id: Uuid,
        seq: i64,
        hooks: &[(String, String)],
        kind: EventType,
        data: &impl serde::Serialize,
        now: DateTime<Utc>,
    ) -> Result<Event, Error> {
        let event = Event {
            id: event_wire_id(crate::db::row_id()),
            kind,
            created: now,
            app_id,
            data: serde_json::to_value(data)
                .map_err(|e| Error::Internal(format!("cannot serialize event data: {e}")))?,
        };
        self.events.add([
            Arg::from(&event.id),
            Arg::from(app_id.to_string()),
            Arg::from(kind.as_str()),
            Arg::from(to_json_text(&event)?),
            Arg::from(to_millis(now)),
            Arg::from(seq),
        ]);
        add_deliveries(&mut self.deliveries, hooks, &event, now)?;
        tracing::debug!(%app_id, kind = kind.as_str(), "event recorded");
        Ok(event)
    }

    /// Adds the events' insert, then their deliveries', to `batch`.
    pub(crate) fn push_into(self, batch: &mut Batch) {
        self.events.push_into(batch);
        self.deliveries.push_into(batch);
    }
}

/// Adds to `batch` one pending delivery of `event`, due at `now`, to each endpoint of `hooks`
/// (`id, events` rows of the app's `webhooks`) that takes its type, in one statement; how many.
fn push_deliveries(
    batch: &mut Batch,
    hooks: &[(String, String)],
    event: &Event,
    now: DateTime<Utc>,
) -> Result<usize, Error> {
    let mut rows = delivery_rows();
    let count = add_deliveries(&mut rows, hooks, event, now)?;
    rows.push_into(batch);
    Ok(count)
}

/// No pending deliveries yet.
fn delivery_rows() -> Rows {
    Rows::new(
        "INSERT INTO webhook_deliveries (id, webhook_id, event_id, status, attempts, \
         next_attempt_at, created)",
        7,
        "",
    )
}

/// Adds to `rows` one pending delivery of `event`, due at `now`, to each endpoint of `hooks`
/// that takes its type; how many.
fn add_deliveries(
    rows: &mut Rows,
    hooks: &[(String, String)],
    event: &Event,
    now: DateTime<Utc>,
) -> Result<usize, Error> {
    let mut count = 0;
    for (hook_id, events) in hooks {
        if !takes(events, event.kind)? {
            continue;
        }
        rows.add([
            Arg::from(crate::db::row_id().to_string()),
            Arg::from(hook_id),
            Arg::from(&event.id),
            Arg::from("pending"),
            Arg::from(0_i64),
            Arg::from(to_millis(now)),
            Arg::from(to_millis(now)),
        ]);
        count += 1;
    }
    Ok(count)
}

/// Whether an endpoint whose stored `events` filter is `events` takes events of type `kind` (an
/// empty filter takes every type).
fn takes(events: &str, kind: EventType) -> Result<bool, Error> {
    let events: Vec<EventType> = parse_stored_json("events", events)?;
    Ok(events.is_empty() || events.contains(&kind))
}

/// `event` due at `now` at each of app `app_id`'s endpoints that takes its type: a delivery of
/// it still pending there (waiting for its next retry, hours off) is brought forward to `now`
/// with the whole retry schedule ahead of it again, as a new one would have, and a new one is
/// added where none is pending; how many were added. A claim whose lease ran out is dropped
/// with it, so the worker that held it cannot settle the delivery back onto the old schedule;
/// one due but not yet claimed keeps its turn with its retries counted afresh.
/// (A new one beside a pending one would send the same event twice at once, and let an app
/// pile up deliveries without bound.) An attempt under way (claimed and due) is left to
/// finish, asked to settle the delivery due at `now` if it fails (`resend_asked`). A pending
/// delivery to an endpoint that no longer takes the event's type is left as it is.
async fn enqueue_deliveries(
    conn: &mut AnyConnection,
    app_id: Uuid,
    event: &Event,
    now: DateTime<Utc>,
) -> Result<usize, Error> {
    let lock = if is_postgres(conn) { KEY_SHARE } else { "" };
    // The event's pending deliveries, each to an endpoint that still takes its type (one that
    // no longer does is left as it is).
    let pending: Vec<(String, String)> = sqlx::query_as(
        "SELECT d.id, w.events FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
         WHERE d.event_id = $1 AND d.status = 'pending' AND w.app_id = $2",
    )
    .bind(&event.id)
    .bind(app_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    for (delivery_id, events) in pending {
        if !takes(&events, event.kind)? {
            continue;
        }
        // One statement, its cases read from the row as it is when the statement takes it (on
        // PostgreSQL, after a settle it waited for): claimed and due, an attempt is under way
        // (or its worker died and the next claim's is the resend), and a failure of it settles
        // the delivery due now ([`settle_attempt`]); otherwise the delivery is due now (at
        // once, or still, if it already was), its retries counted afresh, a claim whose lease
        // ran out dropped.
        sqlx::query(
            "UPDATE webhook_deliveries SET \
             resend_asked = CASE WHEN claim IS NOT NULL AND next_attempt_at <= CAST($1 AS BIGINT) \
             THEN 1 ELSE resend_asked END, \
             attempts = CASE WHEN claim IS NOT NULL AND next_attempt_at <= CAST($1 AS BIGINT) \
             THEN attempts ELSE 0 END, \
             next_attempt_at = CASE WHEN next_attempt_at > CAST($1 AS BIGINT) \
             THEN CAST($1 AS BIGINT) ELSE next_attempt_at END, \
             lease_until = CASE WHEN claim IS NOT NULL AND next_attempt_at <= CAST($1 AS BIGINT) \
             THEN lease_until ELSE NULL END, \
             claim = CASE WHEN claim IS NOT NULL AND next_attempt_at <= CAST($1 AS BIGINT) \
             THEN claim ELSE NULL END \
             WHERE id = $2 AND status = 'pending'",
        )
        .bind(to_millis(now))
        .bind(&delivery_id)
        .execute(&mut *conn)
        .await?;
    }
    let hooks: Vec<(String, String)> = sqlx::query_as(&format!(
        "SELECT id, events FROM webhooks w WHERE app_id = $1 AND NOT EXISTS \
         (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.event_id = $2 \
         AND d.status = 'pending'){lock}"
    ))
    .bind(app_id.to_string())
    .bind(&event.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut batch = Batch::new(conn);
    let count = push_deliveries(&mut batch, &hooks, event, now)?;
    batch.run(conn).await?;
    Ok(count)
}

/// Delivers app `app_id`'s event `id` again, at `now`, to each endpoint that takes its type
/// (a delivery still waiting for a retry is brought forward, else a new one added); 404 for
/// another app's. Inside a write transaction.
pub(crate) async fn resend_event(
    conn: &mut AnyConnection,
    app_id: Uuid,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Event, Error> {
    let payload: Option<String> =
        sqlx::query_scalar("SELECT payload FROM events WHERE id = $1 AND app_id = $2")
            .bind(id)
            .bind(app_id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let event: Event = parse_stored_json("payload", &payload.ok_or_else(event_not_found)?)?;
    enqueue_deliveries(conn, app_id, &event, now).await?;
    Ok(event)
}

/// The position of app `app_id`'s event `id` in its list, for a page cursor.
pub(crate) async fn event_seq(
    conn: &mut AnyConnection,
    app_id: Uuid,
    id: &str,
) -> Result<Option<i64>, Error> {
    Ok(
        sqlx::query_scalar("SELECT seq FROM events WHERE id = $1 AND app_id = $2")
            .bind(id)
            .bind(app_id.to_string())
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// One page of app `app_id`'s events, newest first, and whether there are more.
pub(crate) async fn list_events(
    conn: &mut AnyConnection,
    app_id: Uuid,
    page: Page,
    limit: i64,
) -> Result<(Vec<Event>, bool), Error> {
    let select = "SELECT payload FROM events WHERE app_id = $1";
    let (rows, has_more) = page
        .fetch::<(String,)>(conn, select, app_id.to_string(), limit)
        .await?;
    let data = rows
        .iter()
        .map(|(payload,)| parse_stored_json("payload", payload))
        .collect::<Result<Vec<Event>, Error>>()?;
    Ok((data, has_more))
}

/// A `webhooks` row as stored.
#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: String,
    url: String,
    events: String,
    description: Option<String>,
    created: i64,
}

impl WebhookRow {
    fn into_webhook(self) -> Result<Webhook, Error> {
        Ok(Webhook {
            id: parse_stored_id(&self.id)?,
            url: self.url,
            events: parse_stored_json("events", &self.events)?,
            description: self.description,
            created: from_millis(self.created)?,
            secret: None,
        })
    }
}

const WEBHOOK_COLUMNS: &str = "id, url, events, description, created";

/// The most endpoints an app may have: each event writes one delivery row per endpoint in the
/// change's own transaction (a payout's, on SQLite while every other writer waits), and each
/// sends a request; without a cap, one app's key could make every write slow, or too big for
/// one statement, and aim any number of requests at a third party.
pub(crate) const MOST_ENDPOINTS_PER_APP: i64 = 20;

/// Inserts endpoint `new` (its URL already checked and normalized) of app `app_id` with
/// `secret`, stored sealed with `key`; answers it with the secret. 409 when the app has
/// [`MOST_ENDPOINTS_PER_APP`] already (counted under the app's row lock on PostgreSQL, so two
/// at once cannot pass it).
pub(crate) async fn insert_webhook(
    conn: &mut AnyConnection,
    key: &SecretsKey,
    app_id: Uuid,
    new: NewWebhook,
    secret: WebhookSecret,
    now: DateTime<Utc>,
) -> Result<Webhook, Error> {
    if crate::db::is_postgres(conn) {
        sqlx::query("SELECT id FROM apps WHERE id = $1 FOR NO KEY UPDATE")
            .bind(app_id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    }
    let endpoints: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM webhooks WHERE app_id = $1")
            .bind(app_id.to_string())
            .fetch_one(&mut *conn)
            .await?;
    if endpoints >= MOST_ENDPOINTS_PER_APP {
        return Err(Error::Conflict(format!(
            "an app has at most {MOST_ENDPOINTS_PER_APP} webhook endpoints; delete one first, \
             or give one endpoint more event types"
        )));
    }
    let id = Uuid::new_v4();
    let events = dedup(new.events.unwrap_or_default());
    let seq = next_seq(conn, "webhooks", 1).await?;
    sqlx::query(
        "INSERT INTO webhooks (id, app_id, url, events, description, secret, created, seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.to_string())
    .bind(app_id.to_string())
    .bind(new.url.trim())
    .bind(to_json_text(&events)?)
    .bind(&new.description)
    .bind(key.seal(secret.expose(), &id.to_string()))
    .bind(to_millis(now))
    .bind(seq)
    .execute(&mut *conn)
    .await?;
    Ok(Webhook {
        id,
        url: new.url.trim().to_owned(),
        events,
        description: new.description,
        created: now,
        secret: Some(secret),
    })
}

fn dedup(events: Vec<EventType>) -> Vec<EventType> {
    let mut out: Vec<EventType> = Vec::with_capacity(events.len());
    for e in events {
        if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

/// App `app_id`'s endpoint `id`, or 404.
pub(crate) async fn find_webhook(
    conn: &mut AnyConnection,
    app_id: Uuid,
    id: Uuid,
) -> Result<Webhook, Error> {
    let row: Option<WebhookRow> = sqlx::query_as(&format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1 AND app_id = $2"
    ))
    .bind(id.to_string())
    .bind(app_id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    row.ok_or_else(webhook_not_found)?.into_webhook()
}

/// Applies `update` (its URL already checked) to app `app_id`'s endpoint `id`; answers it, or
/// 404. One statement, each field kept unless given: two changes of different fields at once
/// both hold (a read, then a write of every field, let the last undo the first).
pub(crate) async fn update_webhook(
    conn: &mut AnyConnection,
    app_id: Uuid,
    id: Uuid,
    update: WebhookUpdate,
) -> Result<Webhook, Error> {
    let events = update.events.map(|e| to_json_text(&dedup(e))).transpose()?;
    let row: Option<WebhookRow> = sqlx::query_as(&format!(
        "UPDATE webhooks SET url = COALESCE($1, url), events = COALESCE($2, events), \
         description = COALESCE($3, description) WHERE id = $4 AND app_id = $5 \
         RETURNING {WEBHOOK_COLUMNS}"
    ))
    .bind(update.url.map(|url| url.trim().to_owned()))
    .bind(events)
    .bind(update.description)
    .bind(id.to_string())
    .bind(app_id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    row.ok_or_else(webhook_not_found)?.into_webhook()
}

/// Sets app `app_id`'s endpoint `id`'s secret to `secret`, stored sealed with `key`; answers
/// the endpoint with it, or 404 (also for one deleted meanwhile).
pub(crate) async fn set_secret(
    conn: &mut AnyConnection,
    key: &SecretsKey,
    app_id: Uuid,
    id: Uuid,
    secret: WebhookSecret,
) -> Result<Webhook, Error> {
    let row: Option<WebhookRow> = sqlx::query_as(&format!(
        "UPDATE webhooks SET secret = $1 WHERE id = $2 AND app_id = $3 \
         RETURNING {WEBHOOK_COLUMNS}"
    ))
    .bind(key.seal(secret.expose(), &id.to_string()))
    .bind(id.to_string())
    .bind(app_id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let mut hook = row.ok_or_else(webhook_not_found)?.into_webhook()?;
    hook.secret = Some(secret);
    Ok(hook)
}

/// Removes app `app_id`'s endpoint `id` with its deliveries (the attempt log stays); 404 for
/// another app's. On PostgreSQL the endpoint is locked (`FOR UPDATE`) before its deliveries
/// go: a change writing a delivery to it ([`KEY_SHARE`]) commits first, and its delivery is
/// then among those deleted (else it would be left referring to the endpoint, and the delete
/// would fail on the foreign key).
pub(crate) async fn delete_webhook(
    conn: &mut AnyConnection,
    app_id: Uuid,
    id: Uuid,
) -> Result<(), Error> {
    find_webhook(conn, app_id, id).await?;
    if is_postgres(conn) {
        sqlx::query("SELECT id FROM webhooks WHERE id = $1 FOR UPDATE")
            .bind(id.to_string())
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM webhooks WHERE id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The position of app `app_id`'s endpoint `id` in its list, for a page cursor.
pub(crate) async fn webhook_seq(
    conn: &mut AnyConnection,
    app_id: Uuid,
    id: Uuid,
) -> Result<Option<i64>, Error> {
    Ok(
        sqlx::query_scalar("SELECT seq FROM webhooks WHERE id = $1 AND app_id = $2")
            .bind(id.to_string())
            .bind(app_id.to_string())
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// One page of app `app_id`'s endpoints, newest first, and whether there are more.
pub(crate) async fn list_webhooks(
    conn: &mut AnyConnection,
    app_id: Uuid,
    page: Page,
    limit: i64,
) -> Result<(Vec<Webhook>, bool), Error> {
    let select = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE app_id = $1");
    let (rows, has_more) = page
        .fetch::<WebhookRow>(conn, &select, app_id.to_string(), limit)
        .await?;
    let data = rows
        .into_iter()
        .map(WebhookRow::into_webhook)
        .collect::<Result<Vec<_>, Error>>()?;
    Ok((data, has_more))
}

/// The position of attempt `id` of endpoint `webhook_id` in its log, for a page cursor.
pub(crate) async fn attempt_seq(
    conn: &mut AnyConnection,
    webhook_id: Uuid,
    id: Uuid,
) -> Result<Option<i64>, Error> {
    Ok(
        sqlx::query_scalar("SELECT seq FROM webhook_attempts WHERE id = $1 AND webhook_id = $2")
            .bind(id.to_string())
            .bind(webhook_id.to_string())
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// A `webhook_attempts` row as stored.
#[derive(sqlx::FromRow)]
struct AttemptRow {
    id: String,
    event_id: String,
    event_type: String,
    attempt: i64,
    response_status: Option<i64>,
    response_body: Option<String>,
    error: Option<String>,
    succeeded: i64,
    attempted: i64,
    next_retry: Option<i64>,
}

/// One page of endpoint `webhook_id`'s delivery attempts, newest first.
pub(crate) async fn list_attempts(
    conn: &mut AnyConnection,
    webhook_id: Uuid,
    page: Page,
    limit: i64,
) -> Result<(Vec<DeliveryAttempt>, bool), Error> {
    let select = "SELECT id, event_id, event_type, attempt, response_status, response_body, \
                  error, succeeded, attempted, next_retry FROM webhook_attempts \
                  WHERE webhook_id = $1";
    let (rows, has_more) = page
        .fetch::<AttemptRow>(conn, select, webhook_id.to_string(), limit)
        .await?;
    let data = rows
        .into_iter()
        .map(|r| {
            Ok(DeliveryAttempt {
                id: parse_stored_id(&r.id)?,
                event_id: r.event_id,
                event_type: enum_from_text("event_type", &r.event_type)?,
                attempt: u32::try_from(r.attempt).unwrap_or(u32::MAX),
                response_status: r.response_status.and_then(|s| u16::try_from(s).ok()),
                response_body: r.response_body,
                error: r.error,
                succeeded: r.succeeded != 0,
                attempted: from_millis(r.attempted)?,
                next_retry: r.next_retry.map(from_millis).transpose()?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok((data, has_more))
}

/// A delivery the worker claimed: what to send, where, signed with what.
pub(crate) struct ClaimedDelivery {
    /// The `webhook_deliveries` row.
    pub id: String,
    /// The endpoint.
    pub webhook_id: String,
    /// Where to POST.
    pub url: String,
    /// The endpoint's secret.
    pub secret: WebhookSecret,
    /// The event's wire id.
    pub event_id: String,
    /// The event's type as stored.
    pub event_type: String,
    /// The body to send, exactly as stored.
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i64,
    /// This claim's random token, on the delivery's row while the claim holds it:
    /// [`settle_attempt`] settles only under it (migration 0020).
    pub claim: String,
}

impl std::fmt::Debug for ClaimedDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimedDelivery")
            .field("id", &self.id)
            .field("webhook_id", &self.webhook_id)
            .field("event_id", &self.event_id)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// How long a delivery whose secret this process's key does not open waits before it is looked
/// at again ([`claim_due`]).
const UNOPENED_SECRET_WAIT: chrono::Duration = chrono::Duration::minutes(5);

/// Claims up to `limit` deliveries due at `now` that no live lease holds, at most as many of one
/// app's as bring its deliveries in flight to `per_app`, leasing them until `lease_until`,
/// inside the caller's transaction (`BEGIN IMMEDIATE` on SQLite, so one writer
/// claims at a time). On PostgreSQL the rows are taken with `FOR UPDATE SKIP LOCKED`, so two
/// processes claiming at once take different rows instead of queuing; on both, the lease's
/// compare-and-set (`… AND (lease_until IS NULL OR lease_until <= now)`) makes a row one
/// worker's only. The oldest due deliveries go first, whoever's: read in time order
/// ([`oldest_due`]), a few more than `limit`; when their apps' room leaves the claim short (an
/// app with all its attempts in flight, or with many due), found by endpoint ([`ENDPOINTS_DUE`], [`endpoint_due`]), never by going
/// through a full app's whole backlog. `walk_from`: where the next walk of the endpoints goes on
/// from, kept by the caller between claims (`None`: from the first).
pub(crate) async fn claim_due(
    conn: &mut AnyConnection,
    key: &SecretsKey,
    walk_from: &mut Option<String>,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
    per_app: i64,
) -> Result<Vec<ClaimedDelivery>, Error> {
    let postgres = crate::db::is_postgres(conn);
    // Rows taken with `FOR UPDATE SKIP LOCKED` on PostgreSQL (`of` names the joined table).
    let lock = |of: &str| {
        if postgres {
            format!(" FOR UPDATE{of} SKIP LOCKED")
        } else {
            String::new()
        }
    };
    // How many of each app's deliveries are in flight (leased) now: an app with `per_app` in
    // flight has none picked, so its backlog never hides other apps'.
    let busy: Vec<(String, i64)> = sqlx::query_as(IN_FLIGHT_BY_APP)
        .bind(to_millis(now))
        .fetch_all(&mut *conn)
        .await?;
    let mut taken: std::collections::HashMap<String, i64> = busy.into_iter().collect();
    // The oldest due deliveries, whoever's: the first entries of the due index, a few more
    // than `limit` for the apps with little or no room left.
    let scan = limit.saturating_mul(4);
    let rows: Vec<(String, String, i64)> = sqlx::query_as(&oldest_due(&lock(" OF d")))
        .bind(to_millis(now))
        .bind(scan)
        .fetch_all(&mut *conn)
        .await?;
    let seen_all = i64::try_from(rows.len()).unwrap_or(i64::MAX) < scan;
    let mut candidates: Vec<(i64, String, String)> = rows
        .into_iter()
        .map(|(id, app, at)| (at, id, app))
        .collect();
    if !seen_all
        && within_room(candidates.clone(), &mut taken.clone(), per_app, limit).len()
            < usize::try_from(limit).unwrap_or(usize::MAX)
    {
        // Those were mostly of apps with little or no room left, whose backlog may be of any
        // size: read further in time order, a claim would go through all of it (stop
        // 42: 100,000 due, 27 ms a claim inside SQLite's write lock). The endpoints with
        // deliveries due instead, in the order of their oldest due: as many as the claim may
        // take, no more of an app's than it has room for; and of each, its oldest due. A walk
        // visits at most [`WALK_VISITS`] endpoints, from where the last one stopped (a claim
        // follows each attempt, and endpoints whose retries are hours away are pending too).
        let visited: Vec<(String, String, Option<i64>)> = sqlx::query_as(ENDPOINTS_DUE)
            .bind(to_millis(now))
            .bind(walk_from.as_deref().unwrap_or(""))
            .bind(WALK_VISITS)
            .fetch_all(&mut *conn)
            .await?;
        *walk_from = match visited.last() {
            Some((last, _, _)) if i64::try_from(visited.len()).unwrap_or(0) >= WALK_VISITS => {
                Some(last.clone())
            }
            _ => None,
        };
        let mut endpoints: Vec<(String, String, i64)> = visited
            .into_iter()
            .filter_map(|(webhook_id, app, first)| first.map(|first| (webhook_id, app, first)))
            .collect();
        endpoints.sort_by_key(|(_, _, first)| *first);
        let mut chosen: std::collections::HashMap<String, i64> = Default::default();
        let mut reads = Vec::new();
        for (webhook_id, app, _) in endpoints {
            let room = per_app - taken.get(&app).copied().unwrap_or(0);
            let of_app = chosen.entry(app.clone()).or_insert(0);
            if *of_app >= room {
                continue;
            }
            *of_app += 1;
            reads.push((webhook_id, app, room));
            if i64::try_from(reads.len()).unwrap_or(i64::MAX) >= limit {
                break;
            }
        }
        for (webhook_id, app, room) in reads {
            let rows: Vec<(String, i64)> = sqlx::query_as(&endpoint_due(&lock("")))
                .bind(&webhook_id)
                .bind(to_millis(now))
                .bind(room.min(limit))
                .fetch_all(&mut *conn)
                .await?;
            candidates.extend(rows.into_iter().map(|(id, at)| (at, id, app.clone())));
        }
        // A delivery both reads found, once.
        candidates.sort();
        candidates.dedup();
    }
    let due = within_room(candidates, &mut taken, per_app, limit);
    let mut claimed = Vec::with_capacity(due.len());
    for id in due {
        let claim = Uuid::new_v4().to_string();
        let took = sqlx::query(
            "UPDATE webhook_deliveries SET lease_until = $1, claim = $4 WHERE id = $2 \
             AND status = 'pending' AND (lease_until IS NULL OR lease_until <= $3)",
        )
        .bind(to_millis(lease_until))
        .bind(&id)
        .bind(to_millis(now))
        .bind(&claim)
        .execute(&mut *conn)
        .await?;
        if took.rows_affected() != 1 {
            continue;
        }
        let row: (String, String, String, String, String, String, i64) = sqlx::query_as(
            "SELECT d.webhook_id, w.url, w.secret, d.event_id, e.kind, e.payload, d.attempts \
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             JOIN events e ON e.id = d.event_id WHERE d.id = $1",
        )
        .bind(&id)
        .fetch_one(&mut *conn)
        .await?;
        // A secret this process's key does not open (another key sealed it): the delivery is
        // left pending, unclaimed, for a process that holds that key (as an error here it
        // failed the whole claim, every time, so no app's events were delivered).
        let secret = match open_secret(key, &row.2, &row.0) {
            Ok(secret) => secret,
            Err(e) => {
                // Out of the way of the others for a while: due again, it would keep taking
                // claims' places (and its app's slots) from deliveries that can be sent.
                tracing::warn!(delivery = %id, error = %e, "webhook delivery left to another key");
                sqlx::query(
                    "UPDATE webhook_deliveries SET lease_until = NULL, claim = NULL, \
                     next_attempt_at = $3 WHERE id = $1 AND claim = $2",
                )
                .bind(&id)
                .bind(&claim)
                .bind(to_millis(now + UNOPENED_SECRET_WAIT))
                .execute(&mut *conn)
                .await?;
                continue;
            }
        };
        claimed.push(ClaimedDelivery {
            id,
            webhook_id: row.0,
            url: row.1,
            secret,
            event_id: row.3,
            event_type: row.4,
            payload: row.5,
            attempts: row.6,
            claim,
        });
    }
    Ok(claimed)
}

/// What one attempt came to.
#[derive(Debug)]
pub(crate) struct AttemptOutcome {
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// The start of its answer (at most 1 KB).
    pub body: Option<String>,
    /// Why no answer came.
    pub error: Option<String>,
    /// Whether it was a 2xx.
    pub succeeded: bool,
}

/// `text` as a text column takes it on both databases: PostgreSQL's holds no NUL, so each
/// becomes U+FFFD (a receiver's answer, or an error quoting one, may hold any bytes).
fn storable(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

/// Logs attempt `delivery.attempts + 1` of `delivery` made at `attempted` and settles the
/// delivery: `succeeded`, pending again until `next_retry`, or `failed` when `next_retry` is
/// `None` after a failure. Inside the caller's transaction. The attempt was made, so it is
/// logged either way; the delivery is settled only while this claim still holds it (whether it
/// was): once its lease ran out another worker may have claimed and settled it since.
pub(crate) async fn settle_attempt(
    conn: &mut AnyConnection,
    delivery: &ClaimedDelivery,
    outcome: &AttemptOutcome,
    attempted: DateTime<Utc>,
    next_retry: Option<DateTime<Utc>>,
) -> Result<bool, Error> {
    let next_retry = if outcome.succeeded { None } else { next_retry };
    let attempt = delivery.attempts + 1;
    let status = match (outcome.succeeded, next_retry) {
        (true, _) => "succeeded",
        (false, Some(_)) => "pending",
        (false, None) => "failed",
    };
    // A resend asked for during this attempt ([`enqueue_deliveries`]) makes a failure due again
    // at once, its retries counted afresh.
    let settled: Option<(String, Option<i64>)> = sqlx::query_as(
        "UPDATE webhook_deliveries SET \
         status = CASE WHEN resend_asked = 1 AND $1 <> 'succeeded' THEN 'pending' ELSE $1 END, \
         attempts = CASE WHEN resend_asked = 1 AND $1 <> 'succeeded' THEN 0 \
         ELSE CAST($2 AS BIGINT) END, \
         next_attempt_at = CASE WHEN resend_asked = 1 AND $1 <> 'succeeded' \
         THEN CAST($3 AS BIGINT) ELSE CAST($4 AS BIGINT) END, \
         resend_asked = 0, lease_until = NULL, claim = NULL \
         WHERE id = $5 AND claim = $6 AND status = 'pending' RETURNING status, next_attempt_at",
    )
    .bind(status)
    .bind(attempt)
    .bind(to_millis(attempted))
    .bind(next_retry.map(to_millis))
    .bind(&delivery.id)
    .bind(&delivery.claim)
    .fetch_optional(&mut *conn)
    .await?;
    // The log says when the next attempt comes, as settled (or as this claim would have).
    let next_retry = match &settled {
        Some((status, Some(at))) if status == "pending" => Some(from_millis(*at)?),
        Some(_) => None,
        None => next_retry,
    };
    let seq = next_seq(conn, "webhook_attempts", 1).await?;
    sqlx::query(
        "INSERT INTO webhook_attempts (id, delivery_id, webhook_id, event_id, event_type, \
         attempt, response_status, response_body, error, succeeded, attempted, next_retry, seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(Uuid::new_v4().to_string())
    .bind(&delivery.id)
    .bind(&delivery.webhook_id)
    .bind(&delivery.event_id)
    .bind(&delivery.event_type)
    .bind(attempt)
    .bind(outcome.status.map(i64::from))
    .bind(outcome.body.as_deref().map(storable))
    .bind(outcome.error.as_deref().map(storable))
    .bind(i64::from(outcome.succeeded))
    .bind(to_millis(attempted))
    .bind(next_retry.map(to_millis))
    .bind(seq)
    .execute(&mut *conn)
    .await?;
    Ok(settled.is_some())
}

/// How many of each app's deliveries are in flight at `$1` ([`claim_due`]): the leased rows
/// only (migration 0029), not the pending ones waiting for a retry.
const IN_FLIGHT_BY_APP: &str = "SELECT w.app_id, COUNT(*) FROM webhook_deliveries d \
     JOIN webhooks w ON w.id = d.webhook_id \
     WHERE d.status = 'pending' AND d.lease_until > $1 GROUP BY w.app_id";

/// The endpoints with deliveries pending whose id comes after `$2`, at most `$3` of them, in id
/// order, with their apps and when the oldest of their deliveries due at `$1` and not in flight
/// fell due (NULL: none) ([`claim_due`]): a walk of migration 0032's index from one endpoint
/// with deliveries pending to the next, a search each, then one search of each for its oldest
/// due one.
const ENDPOINTS_DUE: &str = "WITH RECURSIVE walk(webhook_id, n) AS ( \
     SELECT (SELECT webhook_id FROM webhook_deliveries WHERE status = 'pending' \
             AND webhook_id > $2 ORDER BY webhook_id LIMIT 1), CAST(1 AS BIGINT) \
     UNION ALL \
     SELECT (SELECT d.webhook_id FROM webhook_deliveries d \
             WHERE d.status = 'pending' AND d.webhook_id > walk.webhook_id \
             ORDER BY d.webhook_id LIMIT 1), walk.n + 1 \
     FROM walk WHERE walk.webhook_id IS NOT NULL AND walk.n < $3) \
     SELECT walk.webhook_id, w.app_id, \
     (SELECT due.next_attempt_at FROM webhook_deliveries due WHERE due.status = 'pending' \
      AND due.webhook_id = walk.webhook_id AND due.next_attempt_at <= $1 \
      AND (due.lease_until IS NULL OR due.lease_until <= $1) \
      ORDER BY due.next_attempt_at LIMIT 1) \
     FROM walk JOIN webhooks w ON w.id = walk.webhook_id ORDER BY walk.n";

/// The most endpoints one walk of [`claim_due`] visits ([`ENDPOINTS_DUE`]); the next walk goes
/// on from the last.
const WALK_VISITS: i64 = 256;

/// Of `candidates` (when due, id, app), the ids a claim takes: the oldest first, whoever's, as
/// long as their app has fewer than `per_app` in flight (`taken`, counted on), at most `limit`.
fn within_room(
    mut candidates: Vec<(i64, String, String)>,
    taken: &mut std::collections::HashMap<String, i64>,
    per_app: i64,
    limit: i64,
) -> Vec<String> {
    candidates.sort();
    candidates
        .into_iter()
        .filter(|(_, _, app)| {
            let taken = taken.entry(app.clone()).or_insert(0);
            let room = *taken < per_app;
            *taken += i64::from(room);
            room
        })
        .map(|(_, id, _)| id)
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect()
}

/// The oldest deliveries due at `$1` and not in flight, at most `$2`, with their apps and when
/// each fell due, rows locked by `lock` ([`claim_due`]'s first read): the first entries of the
/// due index.
fn oldest_due(lock: &str) -> String {
    format!(
        "SELECT d.id, w.app_id, d.next_attempt_at \
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
         AND (d.lease_until IS NULL OR d.lease_until <= $1) \
         ORDER BY d.next_attempt_at LIMIT $2{lock}"
    )
}

/// Endpoint `$1`'s oldest deliveries due at `$2` and not in flight, at most `$3`, with when
/// each fell due, rows locked by `lock` ([`claim_due`]): a search of migration 0032's index.
fn endpoint_due(lock: &str) -> String {
    format!(
        "SELECT id, next_attempt_at FROM webhook_deliveries \
         WHERE status = 'pending' AND webhook_id = $1 AND next_attempt_at <= $2 \
         AND (lease_until IS NULL OR lease_until <= $2) \
         ORDER BY next_attempt_at LIMIT $3{lock}"
    )
}

/// When the next pending delivery falls due (leases included), if any is pending. Two reads
/// an index answers (migration 0029): the first unleased delivery's time, and the leased
/// ones' (as many as attempts in flight), never the rows waiting for a retry; the worker
/// reads it after every committed change.
pub(crate) async fn next_due(conn: &mut AnyConnection) -> Result<Option<DateTime<Utc>>, Error> {
    let due: Option<i64> = sqlx::query_scalar(NEXT_DUE).fetch_one(&mut *conn).await?;
    due.map(from_millis).transpose()
}

/// [`next_due`]'s statement.
const NEXT_DUE: &str = "SELECT MIN(due) FROM (\
     SELECT (SELECT next_attempt_at FROM webhook_deliveries \
     WHERE status = 'pending' AND lease_until IS NULL \
     ORDER BY next_attempt_at LIMIT 1) AS due \
     UNION ALL \
     SELECT MIN(CASE WHEN lease_until > next_attempt_at THEN lease_until \
     ELSE next_attempt_at END) FROM webhook_deliveries \
     WHERE status = 'pending' AND lease_until IS NOT NULL) AS dues";

/// The secrets of every endpoint (of any app) whose URL is `url`, each with its app: the demo
/// receiver verifies what it gets with them, and keeps an event only as its endpoint's app's.
pub(crate) async fn secrets_for_url(
    conn: &mut AnyConnection,
    key: &SecretsKey,
    url: &str,
) -> Result<Vec<(Uuid, WebhookSecret)>, Error> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id, app_id, secret FROM webhooks WHERE url = $1")
            .bind(url)
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|(id, app_id, stored)| Ok((parse_stored_id(app_id)?, open_secret(key, stored, id)?)))
        .collect()
}

/// The secret stored (sealed) for endpoint `id`; a 500 that names no value when it does not
/// open with `key` (the server was started with another key than the one that sealed it).
fn open_secret(key: &SecretsKey, stored: &str, id: &str) -> Result<WebhookSecret, Error> {
    key.open(stored, id).map(WebhookSecret).ok_or_else(|| {
        Error::Internal(format!(
            "the secret of webhook {id} does not open with this server's secrets key"
        ))
    })
}

/// What the database's key check (migration 0024) holds, sealed.
const KEY_CHECK: &str = "payout-sandbox secrets key";

/// The context the key check is sealed for.
const KEY_CHECK_CONTEXT: &str = "secrets-key-check";

/// Checks that `key` is this database's: it opens the key check (migration 0024), which the
/// first start that finds none writes with its key (two starting at once: one writes, both
/// check what was written). An error naming no value when it does not open.
async fn check_key_is_this_databases(
    conn: &mut AnyConnection,
    key: &SecretsKey,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO secrets_key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
    )
    .bind(key.seal(KEY_CHECK, KEY_CHECK_CONTEXT))
    .execute(&mut *conn)
    .await?;
    let sealed: String = sqlx::query_scalar("SELECT sealed FROM secrets_key_check WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    if key.open(&sealed, KEY_CHECK_CONTEXT).as_deref() == Some(KEY_CHECK) {
        Ok(())
    } else {
        Err(Error::Internal(
            "the secrets key is not this database's: it does not open the key check the first \
             start stored (if that start's key was the wrong one and no secret was sealed \
             with it since, delete the row of secrets_key_check and start with the right key)"
                .to_owned(),
        ))
    }
}

/// Checks that `key` is this database's, then seals with it every endpoint's secret still kept
/// as is (stored before secrets were sealed). The key must open the sealed secrets (an error
/// naming the first that it does not: another key sealed it) and the database's key check
/// ([`check_key_is_this_databases`]), both before anything is sealed, so a start with the wrong
/// key seals nothing under it. Answers how many it sealed.
pub(crate) async fn seal_stored_secrets(
    conn: &mut AnyConnection,
    key: &SecretsKey,
) -> Result<usize, Error> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, secret FROM webhooks")
        .fetch_all(&mut *conn)
        .await?;
    for (id, stored) in rows.iter().filter(|(_, s)| SecretsKey::is_sealed(s)) {
        open_secret(key, stored, id)?;
    }
    check_key_is_this_databases(conn, key).await?;
    let mut sealed = 0;
    for (id, stored) in rows {
        if SecretsKey::is_sealed(&stored) {
            continue;
        }
        // Only a plain secret is replaced: a concurrent start sealing it first wins.
        let done = sqlx::query("UPDATE webhooks SET secret = $1 WHERE id = $2 AND secret = $3")
            .bind(key.seal(&stored, &id))
            .bind(&id)
            .bind(&stored)
            .execute(&mut *conn)
            .await?;
        sealed += usize::try_from(done.rows_affected()).unwrap_or(0);
    }
    Ok(sealed)
}

/// Whether app `app_id` has an endpoint at `url`.
pub(crate) async fn has_webhook_at(
    conn: &mut AnyConnection,
    app_id: Uuid,
    url: &str,
) -> Result<bool, Error> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM webhooks WHERE app_id = $1 AND url = $2")
            .bind(app_id.to_string())
            .bind(url)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(found.is_some())
}

/// Points app `app_id`'s oldest endpoint described as `description` whose URL is a demo
/// receiver's (`…/demo/webhooks`) at `url` instead; whether there was one.
pub(crate) async fn repoint_demo_webhook(
    conn: &mut AnyConnection,
    app_id: Uuid,
    description: &str,
    url: &str,
) -> Result<bool, Error> {
    let moved = sqlx::query(
        "UPDATE webhooks SET url = $1 WHERE id = (SELECT id FROM webhooks WHERE app_id = $2 \
         AND description = $3 AND url LIKE '%/demo/webhooks' ORDER BY seq LIMIT 1)",
    )
    .bind(url)
    .bind(app_id.to_string())
    .bind(description)
    .execute(&mut *conn)
    .await?;
    Ok(moved.rows_affected() > 0)
}

/// Records `user.updated` for user `user_id` of app `app_id`, with the user as
/// `GET /api/v2/users/{id}` shows it (masked), inside the caller's write transaction.
pub(crate) async fn record_user_updated(
    conn: &mut AnyConnection,
    app_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let user = crate::store::users::find_user(conn, app_id, user_id)
        .await?
        .ok_or_else(|| Error::Internal("an updated user vanished".to_owned()))?;
    record_event(conn, app_id, EventType::UserUpdated, &user, now).await?;
    Ok(())
}

/// Records `flow.updated` for flow `flow_id`, with the flow as `GET /api/v2/flows/{id}` shows
/// it (links from `config`), inside the caller's write transaction.
pub(crate) async fn record_flow_updated(
    conn: &mut AnyConnection,
    config: &crate::config::Config,
    flow_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let row = crate::store::flows::FlowRow::find(&mut *conn, flow_id)
        .await?
        .ok_or_else(|| Error::Internal("an updated flow vanished".to_owned()))?;
    let app_id = parse_stored_id(&row.app_id)?;
    record_event(
        conn,
        app_id,
        EventType::FlowUpdated,
        &row.to_flow(config)?,
        now,
    )
    .await?;
    Ok(())
}

/// Records `app.updated` for app `app_id`, with `app` as `GET /api/v2/app` shows it, inside the
/// transaction that changed the settings (for `PATCH /api/v2/app`); call
/// [`crate::webhooks::wake`] after the commit.
pub(crate) async fn record_app_updated(
    conn: &mut AnyConnection,
    app_id: Uuid,
    app: &impl serde::Serialize,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    record_event(conn, app_id, EventType::AppUpdated, app, now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::db::test_files::{close, new_dir, url_in};
    use crate::db::{begin_write, connect};
    use payout_model::webhook::NewWebhook;

    /// A database in a new directory `name` whose default app has one endpoint (every event
    /// type) and `events` events, each with its delivery; its secrets key and the time.
    async fn with_endpoint_and_events(
        name: &str,
        events: usize,
    ) -> (std::path::PathBuf, crate::db::Db, SecretsKey, DateTime<Utc>) {
        let dir = new_dir(name);
        let db = connect(&url_in(&dir)).await.unwrap();
        let app_id = crate::ensure_default_app(&db, Some(("pk_test", "sk_test")))
            .await
            .unwrap()
            .id;
        let key = SecretsKey::generate();
        let now = Utc::now();
        add_endpoint(
            &db,
            &key,
            app_id,
            "https://receiver.example/hooks",
            events,
            now,
        )
        .await;
        (dir, db, key, now)
    }

    /// Gives app `app_id` an endpoint at `url` (every event type) and `events` events at `now`,
    /// each with its delivery.
    async fn add_endpoint(
        db: &crate::db::Db,
        key: &SecretsKey,
        app_id: Uuid,
        url: &str,
        events: usize,
        now: DateTime<Utc>,
    ) {
        let mut tx = begin_write(db).await.unwrap();
        let hook = NewWebhook {
            url: url.to_owned(),
            events: None,
            description: None,
        };
        let secret = crate::webhooks::new_secret();
        insert_webhook(&mut tx, key, app_id, hook, secret, now)
            .await
            .unwrap();
        for _ in 0..events {
            record_event(
                &mut tx,
                app_id,
                EventType::AppUpdated,
                &serde_json::json!({}),
                now,
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }

    /// Stop 42: when the oldest due deliveries a claim reads first are all of an app with all
    /// its attempts in flight, the claim finds another app's by endpoint (it used to read on
    /// through the full app's whole backlog), and takes nothing more of the full app's.
    #[tokio::test]
    async fn a_claim_past_a_full_apps_backlog_finds_another_apps_delivery() {
        let (dir, db, key, now) = with_endpoint_and_events("claim-by-endpoint", 20).await;
        let until = now + chrono::Duration::seconds(30);
        let claim = |limit: i64| {
            let (db, key) = (db.clone(), key.clone());
            async move {
                let mut tx = begin_write(&db).await.unwrap();
                let claimed = claim_due(&mut tx, &key, &mut None, now, until, limit, 8)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                claimed
            }
        };
        // The app has 8 in flight, and 12 more due.
        assert_eq!(claim(8).await.len(), 8);
        // Another app's one delivery, due after all of those.
        let other = crate::ensure_default_app(&db, Some(("pk_other", "sk_other")))
            .await
            .unwrap()
            .id;
        add_endpoint(&db, &key, other, "https://other.example/hooks", 1, now).await;
        // A claim of one reads the 4 oldest due first: all the full app's.
        let claimed = claim(1).await;
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].url, "https://other.example/hooks");
        assert!(claim(1).await.is_empty());
        close(db, &dir).await;
    }

    /// A walk of the endpoints visits at most 256 (a claim follows each attempt): the next walk
    /// goes on from the last, and after the last endpoint from the first again.
    #[tokio::test]
    async fn a_walk_of_the_endpoints_goes_on_where_the_last_stopped() {
        let (dir, db, key, now) = with_endpoint_and_events("claim-walk", 20).await;
        let until = now + chrono::Duration::seconds(30);
        let mut tx = begin_write(&db).await.unwrap();
        let full = claim_due(&mut tx, &key, &mut None, now, until, 8, 8)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(full.len(), 8);
        // 300 endpoints more, of 15 other apps, each with a retry an hour away.
        for a in 0..15 {
            let other = crate::ensure_default_app(&db, Some((&format!("pk_{a}"), "sk_other")))
                .await
                .unwrap()
                .id;
            for n in 0..20 {
                add_endpoint(
                    &db,
                    &key,
                    other,
                    &format!("https://r{a}-{n}.example/"),
                    1,
                    now,
                )
                .await;
            }
        }
        sqlx::query("UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE lease_until IS NULL")
            .bind(to_millis(now + chrono::Duration::hours(1)))
            .execute(&db)
            .await
            .unwrap();
        // The full app's 12 left due again.
        sqlx::query(
            "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE lease_until IS NULL \
             AND webhook_id IN (SELECT id FROM webhooks WHERE url = $2)",
        )
        .bind(to_millis(now))
        .bind("https://receiver.example/hooks")
        .execute(&db)
        .await
        .unwrap();
        let mut walk_from = None;
        let mut walks = Vec::new();
        for _ in 0..2 {
            let mut tx = begin_write(&db).await.unwrap();
            claim_due(&mut tx, &key, &mut walk_from, now, until, 1, 8)
                .await
                .unwrap();
            drop(tx);
            walks.push(walk_from.clone());
        }
        let mut ids: Vec<String> = sqlx::query_scalar("SELECT id FROM webhooks ORDER BY id")
            .fetch_all(&db)
            .await
            .unwrap();
        ids.sort();
        assert_eq!(walks, vec![Some(ids[255].clone()), None]);
        close(db, &dir).await;
    }

    /// Review: an attempt that outlived its lease (a slow receiver, a slow database) settled the
    /// delivery after another worker had claimed it, sent it and marked it succeeded: marked
    /// pending again, it was sent a third time. Now only the claim that holds the delivery
    /// settles it (the attempt is still logged), even when the new claim's lease ends at the
    /// same moment (clocks that disagree).
    #[tokio::test]
    async fn an_attempt_that_outlived_its_claim_does_not_settle_the_delivery() {
        let (dir, db, key, now) = with_endpoint_and_events("delivery-lease", 1).await;

        let lease = chrono::Duration::seconds(20);
        let claim = |at: DateTime<Utc>, until: DateTime<Utc>| {
            let (db, key) = (db.clone(), key.clone());
            async move {
                let mut tx = begin_write(&db).await.unwrap();
                let claimed = claim_due(&mut tx, &key, &mut None, at, until, 1, 8)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                claimed
            }
        };
        let first = claim(now, now + lease).await;
        assert_eq!(first.len(), 1);
        // The first attempt hangs past its lease; a second worker claims the delivery, and a
        // third, whose clock is behind, claims it again with the second's very lease time.
        let later = now + lease + chrono::Duration::seconds(1);
        let second = claim(later, later + lease).await;
        assert_eq!(second.len(), 1);
        let much_later = later + lease + chrono::Duration::seconds(1);
        let third = claim(much_later, later + lease).await;
        assert_eq!(third.len(), 1);

        let answered = |status| AttemptOutcome {
            status: Some(status),
            body: Some(String::new()),
            error: None,
            succeeded: (200..300).contains(&status),
        };
        let retry = Some(much_later + chrono::Duration::seconds(5));
        let mut tx = begin_write(&db).await.unwrap();
        assert!(
            settle_attempt(&mut tx, &third[0], &answered(204), much_later, retry)
                .await
                .unwrap()
        );
        assert!(
            !settle_attempt(&mut tx, &first[0], &answered(500), much_later, retry)
                .await
                .unwrap()
        );
        assert!(
            !settle_attempt(&mut tx, &second[0], &answered(500), much_later, retry)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        let (status, attempts): (String, i64) =
            sqlx::query_as("SELECT status, attempts FROM webhook_deliveries")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!((status.as_str(), attempts), ("succeeded", 1));
        let logged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_attempts")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(logged, 3, "every attempt made is logged");
        close(db, &dir).await;
    }

    /// Review: the worker's in-flight count and next due time read every pending delivery
    /// (those waiting hours for a retry too) after each committed change. Each now reads
    /// through an index on the leases (migration 0029), and the next due time is still the
    /// earliest of the unleased deliveries' times and the leased ones' lease ends.
    #[tokio::test]
    async fn the_next_due_time_reads_the_leases_index_and_counts_leases() {
        let (dir, db, _, now) = with_endpoint_and_events("delivery-next-due", 3).await;
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM webhook_deliveries ORDER BY id")
            .fetch_all(&db)
            .await
            .unwrap();
        let at = |secs: i64| to_millis(now + chrono::Duration::seconds(secs));
        let set = |id: &String, next: i64, lease: Option<i64>| {
            sqlx::query(
                "UPDATE webhook_deliveries SET next_attempt_at = $1, lease_until = $2 \
                 WHERE id = $3",
            )
            .bind(next)
            .bind(lease)
            .bind(id.clone())
            .execute(&db)
        };
        // In flight until +100 s (due at +10 s when claimed), waiting for a retry at +50 s
        // and at +3600 s: the next falls due at +50 s.
        set(&ids[0], at(10), Some(at(100))).await.unwrap();
        set(&ids[1], at(50), None).await.unwrap();
        set(&ids[2], at(3600), None).await.unwrap();
        let mut conn = db.acquire().await.unwrap();
        let due = next_due(&mut conn).await.unwrap().unwrap();
        assert_eq!(to_millis(due), at(50));
        // With only the one in flight and the late one pending: the lease's end.
        set(&ids[1], at(5000), None).await.unwrap();
        let due = next_due(&mut conn).await.unwrap().unwrap();
        assert_eq!(to_millis(due), at(100));

        // Neither read goes through the pending rows: each reading of the deliveries is a
        // search of the leases index on `lease_until`.
        for sql in [NEXT_DUE, IN_FLIGHT_BY_APP] {
            let steps = plan_of(&mut conn, sql, at(0)).await;
            let leases: Vec<&String> = steps
                .iter()
                .filter(|step| step.contains("webhook_deliveries_leases"))
                .collect();
            assert!(
                !leases.is_empty() && leases.iter().all(|step| step.contains("lease_until")),
                "{steps:?}"
            );
        }
        // Nor do the claim's reads of due deliveries (stop 42): each is a search of the index
        // by endpoint, never a walk of every app's due deliveries in time order.
        for sql in [ENDPOINTS_DUE.to_owned(), endpoint_due("")] {
            let steps = plan_of(&mut conn, &sql, at(0)).await;
            let by_endpoint = "INDEX webhook_deliveries_due_by_endpoint";
            assert!(
                steps.iter().any(|step| step.contains(by_endpoint))
                    && steps.iter().all(|step| {
                        !step.contains("INDEX webhook_deliveries") || step.contains(by_endpoint)
                    })
                    && steps.iter().all(|step| {
                        !step.starts_with("SCAN")
                            || matches!(step.as_str(), "SCAN walk" | "SCAN CONSTANT ROW")
                    }),
                "{steps:?}"
            );
        }
        drop(conn);
        close(db, &dir).await;
    }

    /// SQLite's plan of `sql` (its placeholders bound to `at`, 8 and 8): each step's text.
    async fn plan_of(conn: &mut AnyConnection, sql: &str, at: i64) -> Vec<String> {
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                .bind(at)
                .bind(8_i64)
                .bind(8_i64)
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        plan.into_iter().map(|row| row.3).collect()
    }
}

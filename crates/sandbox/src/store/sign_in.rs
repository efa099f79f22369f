//! The sign-in tables: `sign_in_codes` (one live one-time code per session, as a salted hash,
//! with its tries; issue 3) and `phone_sign_in_events` (codes sent to a number, per app and
//! client, for the per-number cooldown; migrations 0005 and 0009).

use crate::db::{from_millis, to_millis};
use crate::error::Error;
use crate::phone::ParsedPhone;
use crate::purge::PHONE_EVENTS_KEPT_MINUTES;
use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;
use std::net::IpAddr;
use uuid::Uuid;

/// `phone_sign_in_events.kind` of a code sent to the number.
const CODE_SENT: &str = "code_sent";

/// `phone_sign_in_events.phone` of a code sent to `phone`: the number in E.164, or, sent to a
/// payout link's payee phone (`to_payee`, flow `flow_id`), `payee:<flow id>`. Review: recorded
/// under the number, the payee's send put the same number typed in another session in its
/// cooldown (429 for it, 200 for any other), which told a stranger holding the link which
/// number was the payee's; the payee's number is one per link, so its send is kept per link.
pub(crate) fn event_number(phone: &ParsedPhone, to_payee: bool, flow_id: Uuid) -> String {
    if to_payee {
        format!("payee:{flow_id}")
    } else {
        phone.e164()
    }
}

/// A session's live code as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct CodeRow {
    /// The salt of the code's hash.
    pub code_salt: String,
    /// The salted hash of the code.
    pub code_hash: String,
    /// Wrong tries so far.
    pub attempts: i64,
    expires_at: i64,
}

impl CodeRow {
    /// When the code stops being accepted.
    pub(crate) fn expires_at(&self) -> Result<DateTime<Utc>, Error> {
        from_millis(self.expires_at)
    }
}

/// When session `token_hash` last asked for a code, if it did.
pub(crate) async fn code_sent_at(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<DateTime<Utc>>, Error> {
    let sent: Option<i64> =
        sqlx::query_scalar("SELECT sent_at FROM sign_in_codes WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(conn)
            .await?;
    sent.map(from_millis).transpose()
}

/// Session `token_hash`'s code as `(sent_at, expires_at)` when it went to `phone` (the
/// session's phone, not verified yet), its text was accepted ([`mark_delivered`]), no try of it
/// has been made, and it has not expired at `now`: a send asked again for it finds the code the
/// lost answer was about.
pub(crate) async fn untried_code_to(
    conn: &mut AnyConnection,
    token_hash: &str,
    phone: &ParsedPhone,
    now: DateTime<Utc>,
) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, Error> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT c.sent_at, c.expires_at FROM sign_in_codes c \
         JOIN flow_sessions s ON s.token_hash = c.token_hash \
         WHERE c.token_hash = $1 AND c.attempts = 0 AND c.expires_at > $2 AND c.delivered = 1 \
         AND s.country_code = $3 AND s.phone_number = $4 AND s.phone_verified = 0",
    )
    .bind(token_hash)
    .bind(to_millis(now))
    .bind(phone.country_code())
    .bind(phone.national())
    .fetch_optional(conn)
    .await?;
    row.map(|(sent, expires)| Ok((from_millis(sent)?, from_millis(expires)?)))
        .transpose()
}

/// Session `token_hash`'s live code, if it has one.
pub(crate) async fn find_code(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<CodeRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT code_salt, code_hash, attempts, expires_at FROM sign_in_codes \
         WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?)
}

/// Replaces session `token_hash`'s code by one with `salt` and `hash`, sent at `now`, inside
/// the caller's transaction.
pub(crate) async fn replace_code(
    conn: &mut AnyConnection,
    token_hash: &str,
    salt: &str,
    hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), Error> {
    delete_code(&mut *conn, token_hash).await?;
    sqlx::query(
        "INSERT INTO sign_in_codes (token_hash, code_salt, code_hash, attempts, sent_at, \
         expires_at, delivered) VALUES ($1, $2, $3, 0, $4, $5, 0)",
    )
    .bind(token_hash)
    .bind(salt)
    .bind(hash)
    .bind(to_millis(now))
    .bind(to_millis(expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks session `token_hash`'s code of hash `hash` sent: its text was accepted (migration
/// 0030). Nothing when another code has replaced it since.
pub(crate) async fn mark_delivered(
    conn: &mut AnyConnection,
    token_hash: &str,
    hash: &str,
) -> Result<(), Error> {
    sqlx::query("UPDATE sign_in_codes SET delivered = 1 WHERE token_hash = $1 AND code_hash = $2")
        .bind(token_hash)
        .bind(hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Counts a wrong try of session `token_hash`'s code.
pub(crate) async fn count_wrong_try(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<(), Error> {
    sqlx::query("UPDATE sign_in_codes SET attempts = attempts + 1 WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets session `token_hash`'s code (used up, or never delivered).
pub(crate) async fn delete_code(conn: &mut AnyConnection, token_hash: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM sign_in_codes WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes session `token_hash`'s code of hash `hash`, if it is still the session's (a code
/// whose text failed; not a newer one sent since).
pub(crate) async fn delete_code_if(
    conn: &mut AnyConnection,
    token_hash: &str,
    hash: &str,
) -> Result<(), Error> {
    sqlx::query("DELETE FROM sign_in_codes WHERE token_hash = $1 AND code_hash = $2")
        .bind(token_hash)
        .bind(hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// When a code was last sent to `number` ([`event_number`]) in app `app_id` asked by client
/// `ip`, if ever (within what is kept).
pub(crate) async fn last_code_to_phone(
    conn: &mut AnyConnection,
    app_id: Uuid,
    number: &str,
    ip: IpAddr,
) -> Result<Option<DateTime<Utc>>, Error> {
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(at) FROM phone_sign_in_events WHERE app_id = $1 AND phone = $2 \
         AND kind = $3 AND client_ip = $4",
    )
    .bind(app_id.to_string())
    .bind(number)
    .bind(CODE_SENT)
    .bind(ip.to_string())
    .fetch_one(conn)
    .await?;
    last.map(from_millis).transpose()
}

/// Records that a code was sent to `phone` in app `app_id` at `now`, asked by client `ip`,
/// inside the caller's write transaction, and forgets the number's events that are out of every
/// window.
pub(crate) async fn record_code_sent(
    conn: &mut AnyConnection,
    app_id: Uuid,
    number: &str,
    ip: IpAddr,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let horizon = now - Duration::minutes(PHONE_EVENTS_KEPT_MINUTES);
    sqlx::query("DELETE FROM phone_sign_in_events WHERE app_id = $1 AND phone = $2 AND at <= $3")
        .bind(app_id.to_string())
        .bind(number)
        .bind(to_millis(horizon))
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO phone_sign_in_events (app_id, phone, kind, at, client_ip) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(app_id.to_string())
    .bind(number)
    .bind(CODE_SENT)
    .bind(to_millis(now))
    .bind(ip.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets the code sent to `phone` in app `app_id` at `at` (it was never delivered).
pub(crate) async fn forget_code_sent(
    conn: &mut AnyConnection,
    app_id: Uuid,
    number: &str,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "DELETE FROM phone_sign_in_events WHERE app_id = $1 AND phone = $2 AND kind = $3 \
         AND at = $4",
    )
    .bind(app_id.to_string())
    .bind(number)
    .bind(CODE_SENT)
    .bind(to_millis(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes the codes of sessions that ended at or before `sessions_before_ms` (unix
/// milliseconds; [`crate::purge`]); how many. A session's code (one, replaced by each new one)
/// is kept while the session is, expired or dead: verifying it says why it no longer works
/// (review: deleted once expired, it answered 409 `no_code_requested`, "Ask for a code first").
pub(crate) async fn purge_codes(
    conn: &mut AnyConnection,
    sessions_before_ms: i64,
) -> Result<u64, Error> {
    Ok(sqlx::query(
        "DELETE FROM sign_in_codes WHERE token_hash IN \
         (SELECT token_hash FROM flow_sessions WHERE expires_at <= $1)",
    )
    .bind(sessions_before_ms)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Deletes the per-number sign-in events at or before `before_ms` ([`crate::purge`]); how many.
pub(crate) async fn purge_phone_events(
    conn: &mut AnyConnection,
    before_ms: i64,
) -> Result<u64, Error> {
    Ok(
        sqlx::query("DELETE FROM phone_sign_in_events WHERE at <= $1")
            .bind(before_ms)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

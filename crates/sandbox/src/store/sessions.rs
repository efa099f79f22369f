//! The `flow_sessions` table: flow sessions by the sha256 of their bearer token (DESIGN.md
//! "The API"), what each acts for, when it ends, and the sign-in state it carries (the phone it
//! asked a code for, whether that phone was verified, its wrong codes and when it may try
//! again; migrations 0003 and 0007). The bearer extractor reads it too ([`crate::auth`]), and
//! keeps a session in use alive ([`keep_alive`]): `expires_at` is an idle deadline, `ends_at`
//! the hard end it never passes (migration 0019).

use crate::db::{from_millis, parse_stored_id, parse_stored_opt_id, to_flag, to_millis, Db};
use crate::error::Error;
use crate::phone::ParsedPhone;
use crate::secret::sha256_hex;
use chrono::{DateTime, Duration, Utc};
use payout_model::{COMPLETED_SESSION_MINUTES, SESSION_TTL_MINUTES};
use sqlx::AnyConnection;
use uuid::Uuid;

/// A session as stored, with its flow's app.
pub(crate) struct StoredSession {
    /// The flow it is scoped to.
    pub flow_id: Uuid,
    /// The app the flow belongs to.
    pub app_id: Uuid,
    /// The user it acts for, once authenticated.
    pub user_id: Option<Uuid>,
    /// Whether it acts for a user.
    pub authenticated: bool,
    /// When it ends unless a request keeps it alive.
    pub expires_at: DateTime<Utc>,
    /// When it ends however busy.
    pub ends_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    flow_id: String,
    app_id: String,
    user_id: Option<String>,
    authenticated: i64,
    expires_at: i64,
    ends_at: i64,
}

/// The session whose token's sha256 is `token_hash`, live or not.
pub(crate) async fn find_session(
    db: &Db,
    token_hash: &str,
) -> Result<Option<StoredSession>, Error> {
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT s.flow_id, f.app_id, s.user_id, s.authenticated, s.expires_at, \
         COALESCE(s.ends_at, s.expires_at) AS ends_at FROM flow_sessions s JOIN flows f ON f.id = s.flow_id WHERE s.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(StoredSession {
            flow_id: parse_stored_id(&row.flow_id)?,
            app_id: parse_stored_id(&row.app_id)?,
            user_id: parse_stored_opt_id(row.user_id.as_deref())?,
            authenticated: row.authenticated != 0,
            expires_at: from_millis(row.expires_at)?,
            ends_at: from_millis(row.ends_at)?,
        })
    })
    .transpose()
}

/// A session about to be stored.
pub(crate) struct NewSessionRow<'a> {
    /// The bearer token (only its sha256 is stored).
    pub token: &'a str,
    /// The flow it is scoped to.
    pub flow_id: Uuid,
    /// The user it acts for, when authenticated.
    pub user_id: Option<Uuid>,
    /// Whether it acts for a user.
    pub authenticated: bool,
    /// When it ends unless a request keeps it alive.
    pub expires_at: DateTime<Utc>,
    /// When it ends however busy.
    pub ends_at: DateTime<Utc>,
}

/// Stores `session`, created at `now`, inside the caller's transaction.
pub(crate) async fn insert_session(
    conn: &mut AnyConnection,
    session: &NewSessionRow<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        // `host_origin` (migration 0001) stays empty: nothing reads it, each request's answer
        // carries the origin checked again (`service::sessions::checked_host_origin`).
        "INSERT INTO flow_sessions (token_hash, flow_id, user_id, authenticated, \
         expires_at, ends_at, created) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(sha256_hex(session.token))
    .bind(session.flow_id.to_string())
    .bind(session.user_id.map(|u| u.to_string()))
    .bind(to_flag(session.authenticated))
    .bind(to_millis(session.expires_at))
    .bind(to_millis(session.ends_at))
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// The idle deadline and hard end of the authenticated session of flow `flow_id` whose token
/// is `token`, if there is one (live or not).
pub(crate) async fn find_resumable(
    db: &Db,
    flow_id: Uuid,
    token: &str,
) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, Error> {
    let found: Option<(i64, i64)> = sqlx::query_as(
        "SELECT expires_at, COALESCE(ends_at, expires_at) FROM flow_sessions \
         WHERE token_hash = $1 AND flow_id = $2 AND authenticated = 1",
    )
    .bind(sha256_hex(token))
    .bind(flow_id.to_string())
    .fetch_optional(db)
    .await?;
    found
        .map(|(expires_at, ends_at)| Ok((from_millis(expires_at)?, from_millis(ends_at)?)))
        .transpose()
}

/// Sets every session of flow `flow_id` to end at most [`COMPLETED_SESSION_MINUTES`] after
/// `now`, the moment the flow was completed, however busy.
pub(crate) async fn end_sessions_soon(
    conn: &mut AnyConnection,
    flow_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let ends_at = to_millis(now + Duration::minutes(COMPLETED_SESSION_MINUTES));
    sqlx::query(
        "UPDATE flow_sessions SET ends_at = $1, \
         expires_at = CASE WHEN expires_at > $1 THEN $1 ELSE expires_at END \
         WHERE flow_id = $2 AND (ends_at IS NULL OR ends_at > $1 OR expires_at > $1)",
    )
    .bind(ends_at)
    .bind(flow_id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// How long after its last push a session's idle deadline is pushed again: at most one write a
/// minute for a busy session.
const KEEP_ALIVE_EVERY: Duration = Duration::minutes(1);

/// Keeps live session `token_hash`, whose idle deadline is `expires_at` and hard end `ends_at`,
/// alive after a request at `now`: its deadline becomes [`SESSION_TTL_MINUTES`] from now, never
/// past its hard end (a row from before migration 0019 has none and is not pushed). Returns the
/// deadline it now has. Written at most every [`KEEP_ALIVE_EVERY`], never once the deadline is
/// the hard end. A failure to write is logged and leaves the deadline as it was: the request
/// it serves goes on.
pub(crate) async fn keep_alive(
    db: &Db,
    token_hash: &str,
    expires_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let wanted = now + Duration::minutes(SESSION_TTL_MINUTES);
    if expires_at + KEEP_ALIVE_EVERY > wanted || expires_at >= ends_at {
        return expires_at;
    }
    let pushed: Result<Option<i64>, sqlx::Error> = sqlx::query_scalar(
        "UPDATE flow_sessions SET expires_at = CASE WHEN ends_at < $2 THEN ends_at ELSE $2 END \
         WHERE token_hash = $1 AND ends_at IS NOT NULL AND expires_at < ends_at \
         AND expires_at > $3 AND expires_at < $2 RETURNING expires_at",
    )
    .bind(token_hash)
    .bind(to_millis(wanted))
    .bind(to_millis(now))
    .fetch_optional(db)
    .await;
    match pushed
        .map_err(Error::from)
        .and_then(|p| p.map(from_millis).transpose())
    {
        Ok(pushed) => pushed.unwrap_or(expires_at),
        Err(e) => {
            tracing::warn!(error = %e, "a session's deadline was not pushed");
            expires_at
        }
    }
}

/// Remembers `phone` as the number session `token_hash` asked a code for, not verified yet,
/// inside the caller's transaction.
pub(crate) async fn set_phone(
    conn: &mut AnyConnection,
    token_hash: &str,
    phone: &ParsedPhone,
) -> Result<(), Error> {
    sqlx::query(
        "UPDATE flow_sessions SET country_code = $1, phone_number = $2, phone_verified = 0 \
         WHERE token_hash = $3",
    )
    .bind(phone.country_code())
    .bind(phone.national())
    .bind(token_hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// The phone session `token_hash` asked a code for; 409 when it asked for none.
pub(crate) async fn session_phone(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<ParsedPhone, Error> {
    let (cc, number): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT country_code, phone_number FROM flow_sessions WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_one(&mut *conn)
    .await?;
    match (cc, number) {
        (Some(cc), Some(number)) => ParsedPhone::parse(&cc, &number)
            .map_err(|_| Error::Internal("stored session phone does not parse".to_owned())),
        _ => Err(Error::Refused(payout_model::Reason::NoCodeRequested)),
    }
}

/// The phone session `token_hash` verified, inside the caller's transaction; 409
/// `phone_not_verified` when it has not (or asked a code for another number since).
pub(crate) async fn verified_phone(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<ParsedPhone, Error> {
    let verified: i64 =
        sqlx::query_scalar("SELECT phone_verified FROM flow_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_one(&mut *conn)
            .await?;
    if verified == 0 {
        return Err(Error::Refused(payout_model::Reason::PhoneNotVerified));
    }
    session_phone(conn, token_hash).await
}

/// Whether session `token_hash` verified its phone.
pub(crate) async fn phone_verified(db: &Db, token_hash: &str) -> Result<bool, Error> {
    phone_verified_in(&mut *db.acquire().await?, token_hash).await
}

/// [`phone_verified`] inside the caller's transaction.
pub(crate) async fn phone_verified_in(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<bool, Error> {
    let verified: i64 =
        sqlx::query_scalar("SELECT phone_verified FROM flow_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_one(conn)
            .await?;
    Ok(verified != 0)
}

/// Marks session `token_hash`'s phone verified, inside the caller's transaction.
pub(crate) async fn mark_phone_verified(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<(), Error> {
    sqlx::query("UPDATE flow_sessions SET phone_verified = 1 WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Session `token_hash`'s wrong codes so far and when it may try a code again, if it must wait.
pub(crate) async fn wrong_codes(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<(i64, Option<DateTime<Utc>>), Error> {
    let (wrong, next_try_at): (i64, Option<i64>) = sqlx::query_as(
        "SELECT wrong_codes, next_code_try_at FROM flow_sessions WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_one(conn)
    .await?;
    Ok((wrong, next_try_at.map(from_millis).transpose()?))
}

/// Sets session `token_hash`'s wrong codes and when it may try again, inside the caller's
/// transaction.
pub(crate) async fn set_wrong_codes(
    conn: &mut AnyConnection,
    token_hash: &str,
    wrong: i64,
    next_try_at: Option<DateTime<Utc>>,
) -> Result<(), Error> {
    sqlx::query(
        "UPDATE flow_sessions SET wrong_codes = $1, next_code_try_at = $2 WHERE token_hash = $3",
    )
    .bind(wrong)
    .bind(next_try_at.map(to_millis))
    .bind(token_hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes session `token_hash` act for `user_id` (its phone verified), inside the caller's
/// transaction; `false` when it already acted for someone.
pub(crate) async fn authenticate(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: Uuid,
) -> Result<bool, Error> {
    let updated = sqlx::query(
        "UPDATE flow_sessions SET authenticated = 1, user_id = $1, phone_verified = 1 \
         WHERE token_hash = $2 AND authenticated = 0",
    )
    .bind(user_id.to_string())
    .bind(token_hash)
    .execute(conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Deletes the sessions that ended at or before `before_ms` (unix milliseconds;
/// [`crate::purge`]), after their codes; how many.
pub(crate) async fn purge_sessions(conn: &mut AnyConnection, before_ms: i64) -> Result<u64, Error> {
    Ok(
        sqlx::query("DELETE FROM flow_sessions WHERE expires_at <= $1")
            .bind(before_ms)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

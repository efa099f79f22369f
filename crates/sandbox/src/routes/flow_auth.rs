//! `/api/flow/auth/…`: sign-in by phone and one-time code, for a flow session that does not act
//! for a user yet (issue 3, DESIGN.md "auth / onboarding"). The session asks for a code to a
//! phone, verifies it, and either signs in as the user that phone belongs to or, for a phone the
//! app does not know, creates the user from a profile. Either way the user ends verified, the
//! session authenticated for them, and the flow claimed (`user_id` set, seed 002).
//!
//! The rules, with their constants in `payout_model::identity`:
//! - codes are made and delivered by the state's [`crate::CodeSender`] (the sandbox's is always
//!   `000000`), stored as a salted hash, one live code per session;
//! - a code expires [`CODE_TTL_MINUTES`] after it was sent and dies after
//!   [`CODE_MAX_ATTEMPTS`] wrong tries; a new one may be asked for [`CODE_RESEND_SECONDS`]
//!   after the last (429 with `Retry-After` before), and replaces it;
//! - when the flow already names its user (`require_auth`, past the pre-authentication window,
//!   or claimed by an earlier sign-in), the phone must be that user's (403 naming
//!   `phone_number` otherwise). Claiming a flow never pre-authenticates it: only a `user_id`
//!   the host named at creation does (`flows.preauthenticated`, see `flow_sessions`);
//! - otherwise the phone signs in as the oldest user of the app with that phone (the sandbox
//!   allows duplicate phones, seed 004).
//!
//! Sessions are free to mint, so the per-session limits above are backed by per-phone ones,
//! counted across every session of the app (table `phone_sign_in_events`, migration 0005,
//! keyed by app and E.164 number):
//! - a new code for a number waits [`CODE_RESEND_SECONDS`] after the last code sent to it, from
//!   whichever session (the same 429 with `Retry-After`);
//! - at most [`PHONE_MAX_WRONG_TRIES`] wrong codes per number within
//!   [`PHONE_WRONG_TRIES_WINDOW_MINUTES`]; past that, no code for the number is accepted, the
//!   right one included, until the oldest wrong try is out of the window (422 on `code`, "too
//!   many wrong tries for this number; try again later").

use crate::auth::FlowSession;
use crate::db::{begin_write, from_millis, parse_stored_id, to_millis};
use crate::error::Error;
use crate::extract::ApiJson;
use crate::otp::{code_matches, hash_code, new_salt};
use crate::phone::ParsedPhone;
use crate::routes::flow_sessions::resume_cookie;
use crate::routes::flows::{flow_not_found, FlowRow};
use crate::routes::users::{insert_user, status_text};
use crate::state::AppState;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use payout_model::identity::{
    CodeCheck, CodeSent, NewCode, NewProfile, SignIn, CODE_MAX_ATTEMPTS, CODE_RESEND_SECONDS,
    CODE_TTL_MINUTES,
};
use payout_model::{ApiError, ErrorCode, FieldError, PhoneNumber, User, UserStatus};
use sqlx::AnyConnection;
use uuid::Uuid;

/// The sign-in routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/flow/auth/code", post(send_code))
        .route("/api/flow/auth/verify", post(verify_code))
        .route("/api/flow/auth/profile", post(create_profile))
}

/// Wrong codes a phone number may get, across all sessions of an app, within
/// [`PHONE_WRONG_TRIES_WINDOW_MINUTES`] (module docs).
pub(crate) const PHONE_MAX_WRONG_TRIES: i64 = 10;
/// The window [`PHONE_MAX_WRONG_TRIES`] counts over.
pub(crate) const PHONE_WRONG_TRIES_WINDOW_MINUTES: i64 = 60;

/// `phone_sign_in_events.kind` of a code sent to the number.
const CODE_SENT: &str = "code_sent";
/// `phone_sign_in_events.kind` of a wrong code typed for the number.
const WRONG_CODE: &str = "wrong_code";

fn already_signed_in() -> Error {
    Error::Conflict("you are already signed in".to_owned())
}

/// `POST /api/flow/auth/code`: sends a one-time code to the phone the user typed.
///
/// 409 when the session is already signed in; 422 naming `country_code` / `phone_number`
/// (the model's rules, then the phone library's); 403 when the flow is for someone else's
/// phone; 429 within the resend cooldown (of this session, or of this number in any session).
async fn send_code(
    State(state): State<AppState>,
    session: FlowSession,
    ApiJson(new): ApiJson<NewCode>,
) -> Result<Json<CodeSent>, Error> {
    if session.authenticated {
        return Err(already_signed_in());
    }
    new.validate()?;
    let phone = ParsedPhone::parse(&new.country_code, &new.phone_number)?;
    let flow = FlowRow::find(&state.db, session.flow_id)
        .await?
        .ok_or_else(flow_not_found)?
        .to_state()?;
    if let Some(user_id) = flow.user_id {
        let mut conn = state.db.acquire().await?;
        if !phone_is_users(&mut conn, user_id, &phone).await? {
            return Err(not_this_persons_phone());
        }
    }

    let now = state.clock.now();
    let code = state.code_sender.new_code();
    let salt = new_salt();
    let expires_at = now + Duration::minutes(CODE_TTL_MINUTES);
    let resend_at = now + Duration::seconds(CODE_RESEND_SECONDS);
    // Read and replace under the write lock, so two requests racing the cooldown send one code.
    let mut tx = begin_write(&state.db).await?;
    // The cooldown runs from the last code this session asked for (to any number) and from the
    // last code sent to this number (from any session of the app), whichever ends later.
    let session_last: Option<i64> =
        sqlx::query_scalar("SELECT sent_at FROM sign_in_codes WHERE token_hash = $1")
            .bind(&session.token_hash)
            .fetch_optional(&mut *tx)
            .await?;
    let phone_last: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(at) FROM phone_sign_in_events WHERE app_id = $1 AND phone = $2 \
         AND kind = $3",
    )
    .bind(session.app_id.to_string())
    .bind(phone.e164())
    .bind(CODE_SENT)
    .fetch_one(&mut *tx)
    .await?;
    if let Some(last_sent) = session_last.max(phone_last) {
        let wait = from_millis(last_sent)? + Duration::seconds(CODE_RESEND_SECONDS) - now;
        if wait > Duration::zero() {
            let ms = wait.num_milliseconds();
            return Err(Error::CodeCooldown {
                retry_after: (ms + 999) / 1000,
            });
        }
    }
    record_phone_event(&mut tx, session.app_id, &phone, CODE_SENT, now).await?;
    sqlx::query("DELETE FROM sign_in_codes WHERE token_hash = $1")
        .bind(&session.token_hash)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO sign_in_codes (token_hash, code_salt, code_hash, attempts, sent_at, \
         expires_at) VALUES ($1, $2, $3, 0, $4, $5)",
    )
    .bind(&session.token_hash)
    .bind(&salt)
    .bind(hash_code(&salt, &code))
    .bind(to_millis(now))
    .bind(to_millis(expires_at))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE flow_sessions SET country_code = $1, phone_number = $2, phone_verified = 0 \
         WHERE token_hash = $3",
    )
    .bind(phone.country_code())
    .bind(phone.national())
    .bind(&session.token_hash)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;

    if let Err(e) = state.code_sender.send(&phone, &code).await {
        // No code went out: forget it, so the user may ask again at once.
        sqlx::query("DELETE FROM sign_in_codes WHERE token_hash = $1")
            .bind(&session.token_hash)
            .execute(&state.db)
            .await?;
        sqlx::query(
            "DELETE FROM phone_sign_in_events WHERE app_id = $1 AND phone = $2 AND kind = $3 \
             AND at = $4",
        )
        .bind(session.app_id.to_string())
        .bind(phone.e164())
        .bind(CODE_SENT)
        .bind(to_millis(now))
        .execute(&state.db)
        .await?;
        return Err(Error::Internal(format!(
            "cannot send a sign-in code to {}: {e}",
            phone.masked()
        )));
    }
    Ok(Json(CodeSent {
        sent_to: phone.masked(),
        expires_at,
        resend_at,
    }))
}

/// Records that `kind` happened to `phone` in app `app_id` at `now`, inside the caller's write
/// transaction, and forgets the number's events that are out of every window.
async fn record_phone_event(
    conn: &mut AnyConnection,
    app_id: Uuid,
    phone: &ParsedPhone,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let horizon = now - Duration::minutes(PHONE_WRONG_TRIES_WINDOW_MINUTES);
    sqlx::query("DELETE FROM phone_sign_in_events WHERE app_id = $1 AND phone = $2 AND at <= $3")
        .bind(app_id.to_string())
        .bind(phone.e164())
        .bind(to_millis(horizon))
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO phone_sign_in_events (app_id, phone, kind, at) VALUES ($1, $2, $3, $4)",
    )
    .bind(app_id.to_string())
    .bind(phone.e164())
    .bind(kind)
    .bind(to_millis(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Wrong codes typed for `phone` in app `app_id` within the window ending at `now`.
async fn recent_wrong_codes(
    conn: &mut AnyConnection,
    app_id: Uuid,
    phone: &ParsedPhone,
    now: DateTime<Utc>,
) -> Result<i64, Error> {
    let horizon = now - Duration::minutes(PHONE_WRONG_TRIES_WINDOW_MINUTES);
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM phone_sign_in_events WHERE app_id = $1 AND phone = $2 \
         AND kind = $3 AND at > $4",
    )
    .bind(app_id.to_string())
    .bind(phone.e164())
    .bind(WRONG_CODE)
    .bind(to_millis(horizon))
    .fetch_one(&mut *conn)
    .await?)
}

/// Whether `phone` is user `user_id`'s.
async fn phone_is_users(
    conn: &mut AnyConnection,
    user_id: Uuid,
    phone: &ParsedPhone,
) -> Result<bool, Error> {
    let stored: Option<(String, String)> =
        sqlx::query_as("SELECT country_code, phone_number FROM users WHERE id = $1")
            .bind(user_id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(stored.is_some_and(|(cc, number)| phone.is(&cc, &number)))
}

/// 403 naming `phone_number`: the flow is for someone else (`require_auth`, or a flow created
/// for a user whose pre-authentication window has passed).
fn not_this_persons_phone() -> Error {
    Error::Invalid(ApiError {
        code: ErrorCode::Forbidden,
        message: "this phone number does not belong to the person this flow is for".to_owned(),
        fields: vec![FieldError::new(
            "phone_number",
            "does not belong to the person this flow is for",
        )],
    })
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    code_salt: String,
    code_hash: String,
    attempts: i64,
    expires_at: i64,
}

/// `POST /api/flow/auth/verify`: checks the code the user typed.
///
/// 422 on `code` when it is not six digits, the number has had [`PHONE_MAX_WRONG_TRIES`] wrong
/// codes lately (module docs), the code has expired, is wrong (saying how many tries are left)
/// or has had [`CODE_MAX_ATTEMPTS`] wrong tries; 409 when no code was asked for (or the session
/// is signed in already). The right code is used up and answers `signed_in` (the
/// phone's user, now verified; the flow claimed; the resume cookie set) or `profile_required`
/// (a phone the app does not know).
async fn verify_code(
    State(state): State<AppState>,
    session: FlowSession,
    ApiJson(check): ApiJson<CodeCheck>,
) -> Result<Response, Error> {
    if session.authenticated {
        return Err(already_signed_in());
    }
    let code: String = check.code.chars().filter(|c| !c.is_whitespace()).collect();
    let flow = FlowRow::find(&state.db, session.flow_id)
        .await?
        .ok_or_else(flow_not_found)?
        .to_state()?;
    let now = state.clock.now();
    let max_attempts = i64::from(CODE_MAX_ATTEMPTS);
    let too_many = || Error::invalid_field("code", "too many wrong tries; ask for a new code");
    let too_many_for_phone = || {
        Error::invalid_field(
            "code",
            "too many wrong tries for this number; try again later",
        )
    };

    let mut tx = begin_write(&state.db).await?;
    let row: CodeRow = sqlx::query_as(
        "SELECT code_salt, code_hash, attempts, expires_at FROM sign_in_codes \
         WHERE token_hash = $1",
    )
    .bind(&session.token_hash)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::Conflict("ask for a code first".to_owned()))?;
    let phone = session_phone(&mut tx, &session.token_hash).await?;
    let phone_wrong = recent_wrong_codes(&mut tx, session.app_id, &phone, now).await?;
    if phone_wrong >= PHONE_MAX_WRONG_TRIES {
        return Err(too_many_for_phone());
    }
    if now >= from_millis(row.expires_at)? {
        return Err(Error::invalid_field(
            "code",
            "has expired; ask for a new code",
        ));
    }
    if row.attempts >= max_attempts {
        return Err(too_many());
    }
    if !code_matches(&row.code_salt, &row.code_hash, &code) {
        sqlx::query("UPDATE sign_in_codes SET attempts = attempts + 1 WHERE token_hash = $1")
            .bind(&session.token_hash)
            .execute(&mut *tx)
            .await?;
        record_phone_event(&mut tx, session.app_id, &phone, WRONG_CODE, now).await?;
        tx.commit().await?;
        let phone_left = PHONE_MAX_WRONG_TRIES - (phone_wrong + 1);
        if phone_left <= 0 {
            return Err(too_many_for_phone());
        }
        let left = (max_attempts - (row.attempts + 1)).min(phone_left);
        return Err(match left {
            0 => too_many(),
            1 => Error::invalid_field("code", "is not the code we sent; 1 try left"),
            n => Error::invalid_field("code", format!("is not the code we sent; {n} tries left")),
        });
    }
    sqlx::query("DELETE FROM sign_in_codes WHERE token_hash = $1")
        .bind(&session.token_hash)
        .execute(&mut *tx)
        .await?;

    let user_id = match flow.user_id {
        Some(user_id) => Some(user_id),
        None => oldest_user_with_phone(&mut tx, session.app_id, &phone).await?,
    };
    let Some(user_id) = user_id else {
        sqlx::query("UPDATE flow_sessions SET phone_verified = 1 WHERE token_hash = $1")
            .bind(&session.token_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(app_id = %session.app_id, "phone verified; profile required");
        return Ok(Json(SignIn::ProfileRequired).into_response());
    };
    // Checked when the code was sent; again here, in case the flow was claimed since.
    if flow.user_id.is_some() && !phone_is_users(&mut tx, user_id, &phone).await? {
        return Err(not_this_persons_phone());
    }
    sign_in(&mut tx, &session, user_id).await?;
    tx.commit().await?;
    signed_in_response(&state, &session).await
}

/// The phone the session asked a code for.
async fn session_phone(conn: &mut AnyConnection, token_hash: &str) -> Result<ParsedPhone, Error> {
    let (cc, number): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT country_code, phone_number FROM flow_sessions WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_one(&mut *conn)
    .await?;
    match (cc, number) {
        (Some(cc), Some(number)) => ParsedPhone::parse(&cc, &number)
            .map_err(|_| Error::Internal("stored session phone does not parse".to_owned())),
        _ => Err(Error::Conflict("ask for a code first".to_owned())),
    }
}

/// The app's oldest user with `phone` (the sandbox allows duplicate phones, seed 004).
async fn oldest_user_with_phone(
    conn: &mut AnyConnection,
    app_id: Uuid,
    phone: &ParsedPhone,
) -> Result<Option<Uuid>, Error> {
    let candidates: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, country_code, phone_number FROM users \
         WHERE app_id = $1 AND country_code = $2 ORDER BY created, id",
    )
    .bind(app_id.to_string())
    .bind(phone.country_code())
    .fetch_all(&mut *conn)
    .await?;
    candidates
        .into_iter()
        .find(|(_, cc, number)| phone.is(cc, number))
        .map(|(id, _, _)| parse_stored_id(&id))
        .transpose()
}

/// Signs the session in as `user_id`, inside the caller's transaction: the flow is claimed for
/// them when it names nobody yet (409 when someone else claimed it meanwhile), the session acts
/// for them (409 when it already acts for someone), and they are verified (their phone just
/// proved it).
async fn sign_in(
    conn: &mut AnyConnection,
    session: &FlowSession,
    user_id: Uuid,
) -> Result<(), Error> {
    sqlx::query("UPDATE flows SET user_id = $1 WHERE id = $2 AND user_id IS NULL")
        .bind(user_id.to_string())
        .bind(session.flow_id.to_string())
        .execute(&mut *conn)
        .await?;
    let owner: Option<String> = sqlx::query_scalar("SELECT user_id FROM flows WHERE id = $1")
        .bind(session.flow_id.to_string())
        .fetch_one(&mut *conn)
        .await?;
    if owner.as_deref() != Some(user_id.to_string().as_str()) {
        return Err(Error::Conflict(
            "this flow was claimed by someone else meanwhile; open the flow link again".to_owned(),
        ));
    }
    let updated = sqlx::query(
        "UPDATE flow_sessions SET authenticated = 1, user_id = $1, phone_verified = 1 \
         WHERE token_hash = $2 AND authenticated = 0",
    )
    .bind(user_id.to_string())
    .bind(&session.token_hash)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(already_signed_in());
    }
    sqlx::query("UPDATE users SET status = $1, verified = 1 WHERE id = $2")
        .bind(status_text(UserStatus::Verified))
        .bind(user_id.to_string())
        .execute(&mut *conn)
        .await?;
    tracing::info!(%user_id, "signed in");
    Ok(())
}

/// `{"status":"signed_in","flow":…}` with the resume cookie of the now authenticated session.
async fn signed_in_response(state: &AppState, session: &FlowSession) -> Result<Response, Error> {
    let flow = FlowRow::find(&state.db, session.flow_id)
        .await?
        .ok_or_else(flow_not_found)?
        .to_state()?;
    let cookie = resume_cookie(
        &state.config,
        session.flow_id,
        &session.token,
        session.expires_at,
        state.clock.now(),
    );
    Ok(([(SET_COOKIE, cookie)], Json(SignIn::SignedIn { flow })).into_response())
}

/// `POST /api/flow/auth/profile`: who the user is, for a verified phone the app does not know.
///
/// 409 unless the session's phone was verified and it is not signed in yet; 422 naming each bad
/// field. Creates the user (verified, with a wallet: the same user object the host reads),
/// signs the session in and claims the flow.
async fn create_profile(
    State(state): State<AppState>,
    session: FlowSession,
    ApiJson(new): ApiJson<NewProfile>,
) -> Result<Response, Error> {
    if session.authenticated {
        return Err(already_signed_in());
    }
    let verified: i64 =
        sqlx::query_scalar("SELECT phone_verified FROM flow_sessions WHERE token_hash = $1")
            .bind(&session.token_hash)
            .fetch_one(&state.db)
            .await?;
    if verified == 0 {
        return Err(Error::Conflict("verify your phone number first".to_owned()));
    }
    new.validate()?;
    let now = state.clock.now();
    let mut tx = begin_write(&state.db).await?;
    let phone = session_phone(&mut tx, &session.token_hash).await?;
    let user = User {
        id: Uuid::new_v4(),
        first_name: new.first_name.trim().to_owned(),
        last_name: new.last_name.trim().to_owned(),
        email: new.email.trim().to_owned(),
        phone_number: PhoneNumber {
            country_code: phone.country_code().to_owned(),
            phone_number: phone.national().to_owned(),
        },
        metadata: None,
        status: UserStatus::Verified,
        verified: true,
        has_criminal_activity: false,
        compliance: None,
        id_verification: None,
        background_check: None,
    };
    insert_user(&mut tx, session.app_id, &user, None, now).await?;
    sign_in(&mut tx, &session, user.id).await?;
    tx.commit().await?;
    tracing::info!(
        user_id = %user.id,
        phone = %phone.masked(),
        "user signed up in a flow"
    );
    signed_in_response(&state, &session).await
}

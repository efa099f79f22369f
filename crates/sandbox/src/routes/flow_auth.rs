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
//! - a code is sent, and `POST …/code` answers the same, for any well-formed number on every
//!   flow (issue 8: no oracle for whose phone a flow's user has); only `POST …/verify` tells
//!   right from wrong. When the flow already names its user (named by the host,
//!   `flows.preauthenticated`, with or without `require_auth`, or claimed by an earlier
//!   sign-in), the right code for another number answers 403 naming `phone_number`: such a flow
//!   signs in its own user only, by their own phone, never someone else claiming it. Claiming a
//!   flow never pre-authenticates it: only a `user_id` the host named at creation does (see
//!   `flow_sessions`);
//! - otherwise the phone signs in as the oldest user of the app with that phone (the sandbox
//!   allows duplicate phones, seed 004).
//!
//! No one can lock a user out (issue 8). Wrong codes count against the session that typed them:
//! each burns a try of that session's code, and from the [`CODE_MAX_ATTEMPTS`]th on each makes
//! that session wait twice as long before its next try (1 s, 2 s, 4 s, … at most
//! [`MAX_WRONG_CODE_WAIT_SECONDS`]; 429 with `Retry-After`). The owner asking for a fresh code in
//! their own session and typing it signs in, whatever strangers typed. Sessions are free to
//! mint, so guesses are bounded per number too, without refusing the owner: a new code for a
//! number waits [`CODE_RESEND_SECONDS`] after the last code sent to it from the same client, in
//! whichever session of the app (table `phone_sign_in_events`, migrations 0005 and 0009; the
//! same 429), so each client faces at most [`CODE_MAX_ATTEMPTS`] guesses per code and one code
//! per [`CODE_RESEND_SECONDS`] for a number, while a stranger asking codes for someone's number
//! never holds its owner's device back; and sending and verifying codes are rate limited per
//! client IP and per app ([`crate::ratelimit`]).

use crate::auth::FlowSession;
use crate::db::{begin_write, from_millis, parse_stored_id, to_millis, Db};
use crate::error::{seconds, Error};
use crate::extract::ApiJson;
use crate::otp::{code_matches, hash_code, new_salt};
use crate::phone::ParsedPhone;
use crate::purge::PHONE_EVENTS_KEPT_MINUTES;
use crate::ratelimit::{Action, ClientIp};
use crate::routes::flow_sessions::resume_cookie;
use crate::routes::flows::{flow_not_found, FlowRow};
use crate::routes::users::{insert_user, status_text};
use crate::routes::Mount;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use payout_model::endpoint as ep;
use payout_model::identity::{
    CodeCheck, CodeSent, NewCode, NewProfile, SignIn, CODE_MAX_ATTEMPTS, CODE_RESEND_SECONDS,
    CODE_TTL_MINUTES,
};
use payout_model::{
    ApiError, Denial, ErrorCode, FieldError, FlowState, PhoneNumber, User, UserStatus, Validate,
};
use sqlx::AnyConnection;
use uuid::Uuid;

/// The sign-in routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::SendCode, _, _>(send_code)
        .endpoint::<ep::VerifyCode, _, _>(verify_code)
        .endpoint::<ep::CreateProfile, _, _>(create_profile)
}

/// The longest a session waits between code tries after many wrong codes (module docs).
pub(crate) const MAX_WRONG_CODE_WAIT_SECONDS: i64 = 15 * 60;

/// How long a session waits before its next code try after its `wrong`th wrong code: nothing
/// before the [`CODE_MAX_ATTEMPTS`]th, then 1 s, doubling with each, at most
/// [`MAX_WRONG_CODE_WAIT_SECONDS`].
fn wrong_code_wait(wrong: i64) -> Duration {
    let over = wrong - i64::from(CODE_MAX_ATTEMPTS);
    if over < 0 {
        return Duration::zero();
    }
    let seconds = u32::try_from(over)
        .ok()
        .and_then(|over| 1i64.checked_shl(over))
        .filter(|s| *s > 0)
        .map_or(MAX_WRONG_CODE_WAIT_SECONDS, |s| {
            s.min(MAX_WRONG_CODE_WAIT_SECONDS)
        });
    Duration::seconds(seconds)
}

/// `phone_sign_in_events.kind` of a code sent to the number.
const CODE_SENT: &str = "code_sent";

/// Flow `flow_id` as it is, or 403 `step_not_allowed` when it is complete: a finished flow's
/// link signs nobody in (issue 8).
async fn open_for_sign_in(db: &Db, flow_id: Uuid) -> Result<FlowState, Error> {
    let flow = FlowRow::find(db, flow_id)
        .await?
        .ok_or_else(flow_not_found)?
        .to_state()?;
    if flow.is_complete() {
        return Err(Error::StepNotAllowed(Denial::SignInClosed));
    }
    Ok(flow)
}

fn already_signed_in() -> Error {
    Error::Conflict("you are already signed in".to_owned())
}

/// `POST /api/flow/auth/code`: sends a one-time code to the phone the user typed.
///
/// 429 over the rate limits ([`crate::ratelimit`]); 409 when the session is already signed
/// in; 422 naming `country_code` / `phone_number` (the model's rules, then the phone
/// library's); 429 within the resend cooldown (of this session, or of this number asked from
/// this client in any session). Whose number it is does not matter here (module docs).
async fn send_code(
    State(state): State<AppState>,
    ip: ClientIp,
    session: FlowSession,
    ApiJson(new): ApiJson<NewCode>,
) -> Result<Json<CodeSent>, Error> {
    state
        .limiters
        .check(Action::SendCode, ip, Some(session.app_id))?;
    if session.authenticated {
        return Err(already_signed_in());
    }
    open_for_sign_in(&state.db, session.flow_id).await?;
    new.validate()?;
    let phone = ParsedPhone::parse(&new.country_code, &new.phone_number)?;

    let now = state.clock.now();
    let code = state.code_sender.new_code();
    let salt = new_salt();
    let expires_at = now + Duration::minutes(CODE_TTL_MINUTES);
    let resend_at = now + Duration::seconds(CODE_RESEND_SECONDS);
    // Read and replace under the write lock, so two requests racing the cooldown send one code.
    let mut tx = begin_write(&state.db).await?;
    // The cooldown runs from the last code this session asked for (to any number) and from the
    // last code sent to this number from this client (any session of the app), whichever ends
    // later. Per client, so a stranger asking codes for someone's number never keeps its owner
    // from getting one (migration 0009).
    let session_last: Option<i64> =
        sqlx::query_scalar("SELECT sent_at FROM sign_in_codes WHERE token_hash = $1")
            .bind(&session.token_hash)
            .fetch_optional(&mut *tx)
            .await?;
    let phone_last: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(at) FROM phone_sign_in_events WHERE app_id = $1 AND phone = $2 \
         AND kind = $3 AND client_ip = $4",
    )
    .bind(session.app_id.to_string())
    .bind(phone.e164())
    .bind(CODE_SENT)
    .bind(ip.0.to_string())
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
    record_phone_event(&mut tx, session.app_id, &phone, CODE_SENT, ip, now).await?;
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

/// Records that `kind` happened to `phone` in app `app_id` at `now`, asked by the client `ip`,
/// inside the caller's write transaction, and forgets the number's events that are out of every
/// window.
async fn record_phone_event(
    conn: &mut AnyConnection,
    app_id: Uuid,
    phone: &ParsedPhone,
    kind: &str,
    ip: ClientIp,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let horizon = now - Duration::minutes(PHONE_EVENTS_KEPT_MINUTES);
    sqlx::query("DELETE FROM phone_sign_in_events WHERE app_id = $1 AND phone = $2 AND at <= $3")
        .bind(app_id.to_string())
        .bind(phone.e164())
        .bind(to_millis(horizon))
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO phone_sign_in_events (app_id, phone, kind, at, client_ip) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(app_id.to_string())
    .bind(phone.e164())
    .bind(kind)
    .bind(to_millis(now))
    .bind(ip.0.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
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

/// 403 naming `phone_number`: the flow names its user, and the phone whose code was just
/// verified is not theirs.
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
/// 429 over the rate limits ([`crate::ratelimit`]) or while the session must wait after many
/// wrong codes (module docs); 409 when no code was asked for (or the session is signed in
/// already); 422 on `code` when it has expired, is wrong (saying how many tries are left) or has
/// had [`CODE_MAX_ATTEMPTS`] wrong tries. The right code is used up and answers `signed_in`
/// (the phone's user, now verified; the flow claimed; the resume cookie set) or
/// `profile_required` (a phone the app does not know); 403 naming `phone_number` when the flow
/// names its user and the phone is not theirs.
async fn verify_code(
    State(state): State<AppState>,
    ip: ClientIp,
    session: FlowSession,
    ApiJson(check): ApiJson<CodeCheck>,
) -> Result<Response, Error> {
    state
        .limiters
        .check(Action::VerifyCode, ip, Some(session.app_id))?;
    if session.authenticated {
        return Err(already_signed_in());
    }
    let code: String = check.code.chars().filter(|c| !c.is_whitespace()).collect();
    let flow = open_for_sign_in(&state.db, session.flow_id).await?;
    let now = state.clock.now();
    let max_attempts = i64::from(CODE_MAX_ATTEMPTS);
    let too_many = || Error::invalid_field("code", "too many wrong tries; ask for a new code");

    let mut tx = begin_write(&state.db).await?;
    let (wrong_codes, next_try_at): (i64, Option<i64>) = sqlx::query_as(
        "SELECT wrong_codes, next_code_try_at FROM flow_sessions WHERE token_hash = $1",
    )
    .bind(&session.token_hash)
    .fetch_one(&mut *tx)
    .await?;
    if let Some(next_try_at) = next_try_at {
        let wait = from_millis(next_try_at)? - now;
        if wait > Duration::zero() {
            let retry_after = (wait.num_milliseconds() + 999) / 1000;
            return Err(Error::TooManyRequests {
                message: format!(
                    "too many wrong codes; wait {} before trying again",
                    seconds(retry_after)
                ),
                retry_after,
            });
        }
    }
    let row: CodeRow = sqlx::query_as(
        "SELECT code_salt, code_hash, attempts, expires_at FROM sign_in_codes \
         WHERE token_hash = $1",
    )
    .bind(&session.token_hash)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::Conflict("ask for a code first".to_owned()))?;
    let phone = session_phone(&mut tx, &session.token_hash).await?;
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
        let wrong_codes = wrong_codes.saturating_add(1);
        let wait = wrong_code_wait(wrong_codes);
        sqlx::query(
            "UPDATE flow_sessions SET wrong_codes = $1, next_code_try_at = $2 \
             WHERE token_hash = $3",
        )
        .bind(wrong_codes)
        .bind((wait > Duration::zero()).then(|| to_millis(now + wait)))
        .bind(&session.token_hash)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let left = max_attempts - (row.attempts + 1);
        return Err(match left {
            ..=0 => too_many(),
            1 => Error::invalid_field("code", "is not the code we sent; 1 try left"),
            n => Error::invalid_field("code", format!("is not the code we sent; {n} tries left")),
        });
    }
    sqlx::query("DELETE FROM sign_in_codes WHERE token_hash = $1")
        .bind(&session.token_hash)
        .execute(&mut *tx)
        .await?;

    let user_id = match flow.user_id {
        // The flow signs in its own user only, by their own phone (module docs). Told only now,
        // after the code proved the phone is the typist's: no oracle for anyone else's number.
        Some(user_id) => {
            if !phone_is_users(&mut tx, user_id, &phone).await? {
                tx.commit().await?;
                return Err(not_this_persons_phone());
            }
            Some(user_id)
        }
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
    tracing::info!(app_id = %session.app_id, %user_id, "signed in");
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
    open_for_sign_in(&state.db, session.flow_id).await?;
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
        app_id = %session.app_id,
        user_id = %user.id,
        phone = %phone.masked(),
        "user signed up in a flow"
    );
    signed_in_response(&state, &session).await
}

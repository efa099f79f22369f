//! `/api/flow/…`: the flow-facing API the app calls from the browser (DESIGN.md "The API").
//! A session is minted from a flow id, scoped to that flow, carried as a bearer token (only its
//! sha256 is stored) and short-lived; the browser never holds an app secret. This module owns
//! minting and resuming sessions, the flow state, and recording steps completed
//! ([`record_step_completed`], shared with the steps that complete by their own form).
//!
//! ## A link is a bounded capability (issue 8)
//!
//! - A pre-authenticated link (the host named the user, no `require_auth`, within
//!   [`PREAUTH_WINDOW_MINUTES`]) signs in ONE browser: the first mint claims the flow
//!   (`flows.preauth_claimed_at`, migration 0006) with a compare-and-set, and only the mint
//!   whose claim took is authenticated. That browser resumes through its resume cookie (below);
//!   every later mint, from any browser, is unauthenticated and must sign in.
//! - When a step completion completes the flow, every session of the flow ends at most
//!   [`COMPLETED_SESSION_MINUTES`] later (long enough for the done screen), and meanwhile the
//!   flow is read-only ([`FlowState::permits`]). A mint for a complete flow is never
//!   authenticated, nor resumed: the app shows its done screen to anyone holding the link.
//!
//! ## Resuming after a reload (issue 3)
//!
//! Whenever a session becomes authenticated (minted pre-authenticated here, or signed in by
//! `POST /api/flow/auth/verify` or `…/profile`) the response sets a cookie
//! `pf_session_<flow id, simple hex>` holding the bearer token: `HttpOnly`,
//! `Path=/api/flow/sessions`, `Max-Age` = the seconds the session has left, and `SameSite=Strict`
//! over http or `SameSite=None; Secure; Partitioned` when the public URL is https. When the app reloads and mints again, the browser sends it back and
//! this endpoint answers the same session instead of a new one, so the user resumes at the same
//! step without signing in again.
//!
//! A cookie rather than browser storage because the token must never reach script-readable
//! storage (DESIGN.md: the app keeps it in memory only): an `HttpOnly` cookie cannot be read by
//! any script, XSS included; its path sends it to this one endpoint and nowhere else, so it
//! authorizes nothing by itself (every other endpoint still wants the bearer header, which
//! makes them immune to cross-site request forgery). Over http, `SameSite=Strict` keeps other
//! sites from triggering a resume, at a cost: it is only sent same-site. A standalone tab or
//! WebView is same-site with the sandbox; an iframe is when the host page is on the same site,
//! which includes every port of the same loopback host (`http://localhost:3000` embedding
//! `http://localhost:8080`); a cross-site embedder gets a fresh session on reload (sign-in
//! again), never another user's. Over https the cookie is `Partitioned` (CHIPS): the browser
//! keeps a separate jar per top-level site, so a host on another site resumes inside its own
//! iframe, and a page of any other site sees an empty jar. A cross-site page still cannot read
//! a minted session: the endpoint takes JSON only and answers no CORS preflight.

use crate::apps::allowed_origins;
use crate::auth::{FlowSession, FlowUser};
use crate::config::Config;
use crate::db::{from_millis, to_flag, to_json_text, to_millis, Db};
use crate::error::Error;
use crate::extract::{ApiJson, PathParam};
use crate::origin::is_allowed_origin;
use crate::ratelimit::{check_mint, ClientIp};
use crate::routes::bank_accounts::has_bank_account;
use crate::routes::flows::{flow_not_found, FlowRow};
use crate::routes::payout_methods::has_payout_method;
use crate::routes::Mount;
use crate::secret::{new_token, sha256_hex};
use crate::state::AppState;
use axum::extract::State;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use payout_model::endpoint as ep;
use payout_model::{
    FlowAction, FlowState, NewSession, Origin, Session, StepName, COMPLETED_SESSION_MINUTES,
    PREAUTH_WINDOW_MINUTES, SESSION_TTL_MINUTES,
};
use uuid::Uuid;

/// How often a step completion re-reads the flow when another completion got there first.
const COMPLETE_ATTEMPTS: usize = 5;

/// The one path the resume cookie is sent to.
const RESUME_COOKIE_PATH: &str = "/api/flow/sessions";

/// The flow-facing routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::CreateSession, _, _>(create_session)
        .endpoint::<ep::GetFlowState, _, _>(get_flow_state)
        .endpoint::<ep::CompleteStep, _, _>(complete_step)
}

/// `POST /api/flow/sessions`: a session for the flow whose link was opened.
///
/// With the flow's resume cookie (see the module docs) naming a live, authenticated session of
/// this flow, that same session (same token, its expiry, the flow as it is now, `host_origin`
/// checked again); naming an expired one, 401 `session_expired` and the cookie cleared, so the
/// next call mints afresh; naming nothing known, the cookie is ignored.
///
/// Otherwise a fresh session. It is authenticated (acts for the flow's user) only when the HOST
/// named the user when it created the flow (`flows.preauthenticated`; a `user_id` written by a
/// sign-in through the link never counts, or anyone opening the link after that person signed
/// in would act as them), the flow does not `require_auth`, it was created less than
/// [`PREAUTH_WINDOW_MINUTES`] ago (seed 002, `user_id`), and this mint is the first to claim it
/// (issue 8: the link signs in one browser, once); otherwise the app asks the user to sign in
/// first.
///
/// A complete flow is never resumed nor authenticated: the session is a fresh, unauthenticated
/// one living [`COMPLETED_SESSION_MINUTES`] (module docs), and a resume cookie sent is cleared.
async fn create_session(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    ApiJson(new): ApiJson<NewSession>,
) -> Result<Response, Error> {
    check_mint(&state.limiters, &state.db, ip, new.flow_id).await?;
    let flow = FlowRow::find(&state.db, new.flow_id)
        .await?
        .ok_or_else(flow_not_found)?;
    let flow_state = flow.to_state()?;
    let now = state.clock.now();
    let host_origin = checked_host_origin(&state, &flow.app_id, new.host_origin.as_deref()).await?;

    let complete = flow_state.is_complete();
    let cookie_name = resume_cookie_name(flow_state.id);
    let sent_cookie = cookie_value(&headers, &cookie_name);
    if let Some(token) = sent_cookie.filter(|_| !complete) {
        match find_resumable(&state.db, flow_state.id, token).await? {
            Some(expires_at) if now < expires_at => {
                sqlx::query("UPDATE flow_sessions SET host_origin = $1 WHERE token_hash = $2")
                    .bind(host_origin.clone())
                    .bind(sha256_hex(token))
                    .execute(&state.db)
                    .await?;
                let cookie = resume_cookie(&state.config, flow_state.id, token, expires_at, now);
                let session = Session {
                    token: token.to_owned(),
                    expires_at,
                    authenticated: true,
                    flow: flow_state,
                    host_origin,
                };
                return Ok(([(SET_COOKIE, cookie)], Json(session)).into_response());
            }
            Some(_) => {
                let clear = clear_resume_cookie(&state.config, flow_state.id);
                let mut response = Error::SessionExpired.into_response();
                response.headers_mut().insert(SET_COOKIE, clear);
                return Ok(response);
            }
            None => {}
        }
    }

    let preauth_until = flow.created()? + Duration::minutes(PREAUTH_WINDOW_MINUTES);
    let may_preauthenticate = flow.host_named_user()
        && flow_state.user_id.is_some()
        && !flow_state.require_auth
        && !complete
        && now < preauth_until;

    let token = new_token();
    let expires_at = now
        + Duration::minutes(if complete {
            COMPLETED_SESSION_MINUTES
        } else {
            SESSION_TTL_MINUTES
        });
    // The claim and the session it authenticates are written together or not at all.
    let mut tx = state.db.begin().await?;
    let authenticated = may_preauthenticate && claim_preauth(&mut tx, flow_state.id, now).await?;
    let user_id = flow_state.user_id.filter(|_| authenticated);
    sqlx::query(
        "INSERT INTO flow_sessions (token_hash, flow_id, user_id, authenticated, host_origin, \
         expires_at, created) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(sha256_hex(&token))
    .bind(flow_state.id.to_string())
    .bind(user_id.map(|u| u.to_string()))
    .bind(to_flag(authenticated))
    .bind(host_origin.clone())
    .bind(to_millis(expires_at))
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;

    let cookie = if authenticated {
        Some(resume_cookie(
            &state.config,
            flow_state.id,
            &token,
            expires_at,
            now,
        ))
    } else {
        // A complete flow's resume cookie is of no more use: the browser forgets it.
        sent_cookie.map(|_| clear_resume_cookie(&state.config, flow_state.id))
    };
    let session = Session {
        token,
        expires_at,
        authenticated,
        flow: flow_state.for_session(authenticated),
        host_origin,
    };
    Ok(match cookie {
        Some(cookie) => ([(SET_COOKIE, cookie)], Json(session)).into_response(),
        None => Json(session).into_response(),
    })
}

/// Claims flow `flow_id`'s pre-authentication for the mint at hand: `true` for the one mint
/// whose compare-and-set takes (`… WHERE preauth_claimed_at IS NULL`, one row changed), `false`
/// for every other, concurrent ones included, on SQLite and PostgreSQL alike.
async fn claim_preauth(
    conn: &mut sqlx::AnyConnection,
    flow_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let claimed = sqlx::query(
        "UPDATE flows SET preauth_claimed_at = $1 WHERE id = $2 AND preauth_claimed_at IS NULL",
    )
    .bind(to_millis(now))
    .bind(flow_id.to_string())
    .execute(conn)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// The requested embedding origin when the app's allow-list (or the server's extra origins, or
/// loopback) holds it; `None` otherwise, and nothing is posted to the host.
async fn checked_host_origin(
    state: &AppState,
    app_id: &str,
    requested: Option<&str>,
) -> Result<Option<String>, Error> {
    let Some(origin) = requested.and_then(Origin::parse) else {
        return Ok(None);
    };
    let app_origins = allowed_origins(&state.db, app_id).await?;
    Ok(is_allowed_origin(&origin, &app_origins, &state.config).then(|| origin.to_string()))
}

/// The expiry of the authenticated session of flow `flow_id` whose token is `token`, if there
/// is one (live or not).
async fn find_resumable(
    db: &Db,
    flow_id: Uuid,
    token: &str,
) -> Result<Option<DateTime<Utc>>, Error> {
    let expires_at: Option<i64> = sqlx::query_scalar(
        "SELECT expires_at FROM flow_sessions \
         WHERE token_hash = $1 AND flow_id = $2 AND authenticated = 1",
    )
    .bind(sha256_hex(token))
    .bind(flow_id.to_string())
    .fetch_optional(db)
    .await?;
    expires_at.map(from_millis).transpose()
}

/// The name of flow `flow_id`'s resume cookie: one per flow, so two flows open in one browser
/// never resume each other's session.
pub(crate) fn resume_cookie_name(flow_id: Uuid) -> String {
    format!("pf_session_{}", flow_id.simple())
}

/// `Set-Cookie` for the resume cookie of an authenticated session (module docs).
pub(crate) fn resume_cookie(
    config: &Config,
    flow_id: Uuid,
    token: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> HeaderValue {
    let max_age = (expires_at - now).num_seconds().max(0);
    cookie_header(config, &resume_cookie_name(flow_id), token, max_age)
}

/// `Set-Cookie` that deletes flow `flow_id`'s resume cookie.
fn clear_resume_cookie(config: &Config, flow_id: Uuid) -> HeaderValue {
    cookie_header(config, &resume_cookie_name(flow_id), "", 0)
}

fn cookie_header(config: &Config, name: &str, value: &str, max_age: i64) -> HeaderValue {
    // Over https the cookie is partitioned (CHIPS) so a cross-site iframe keeps its own, keyed
    // on the embedding site; over plain http (loopback) browsers refuse `SameSite=None`, so it
    // stays same-site only (module docs).
    let site = if config.base_url().starts_with("https://") {
        "SameSite=None; Secure; Partitioned"
    } else {
        "SameSite=Strict"
    };
    let cookie =
        format!("{name}={value}; Path={RESUME_COOKIE_PATH}; Max-Age={max_age}; HttpOnly; {site}");
    // Tokens are base64url and names hex, so the value is always a valid header.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// `GET /api/flow/state`: the session's flow as the app routes on it.
async fn get_flow_state(
    State(state): State<AppState>,
    session: FlowSession,
) -> Result<Json<FlowState>, Error> {
    let flow = FlowRow::find(&state.db, session.flow_id)
        .await?
        .ok_or_else(flow_not_found)?;
    Ok(Json(flow.to_state()?.for_session(session.authenticated)))
}

/// `POST /api/flow/steps/{step}/complete`: marks the current step completed.
///
/// Steps whose work happens elsewhere complete here once it is done (409 before): `redirect`
/// always; `manage-payouts` once the user has a payout method, `manage-payments` once they have
/// a bank account, `payout` once a payout was made in this flow (issue 4). Compliance,
/// id-verification and background-check are completed by their own forms (issue 3). Completing
/// an already completed step answers the same state (idempotent).
async fn complete_step(
    State(state): State<AppState>,
    session: FlowSession,
    step: PathParam,
) -> Result<Json<FlowState>, Error> {
    let user = session.signed_in()?;
    let step: StepName = step
        .0
        .parse()
        .map_err(|message: String| Error::invalid_field("step", message))?;

    let flow_state = FlowRow::find(&state.db, session.flow_id)
        .await?
        .ok_or_else(flow_not_found)?
        .to_state()?;
    if !flow_state.steps.iter().any(|s| s.name() == step) {
        return Err(Error::Conflict(format!(
            "\"{step}\" is not a step of this flow"
        )));
    }
    if flow_state.completed_steps.contains(&step) {
        return Ok(Json(flow_state));
    }
    if matches!(
        step,
        StepName::Compliance | StepName::IdVerification | StepName::BackgroundCheck
    ) {
        return Err(Error::Conflict(format!(
            "\"{step}\" is completed by its own form"
        )));
    }
    check_current(&flow_state, step)?;
    check_step_done(&state.db, &user, step).await?;
    let now = state.clock.now();
    let flow_state = record_step_completed(&state.db, session.flow_id, step, now, |flow| {
        check_current(flow, step).map(|()| true)
    })
    .await?;
    Ok(Json(flow_state))
}

/// 409 unless `step` is the flow's current step (the first not completed).
fn check_current(flow: &FlowState, step: StepName) -> Result<(), Error> {
    match flow.next_step().map(|s| s.name()) {
        Some(current) if current != step => Err(Error::Conflict(format!(
            "\"{step}\" is not the current step; \"{current}\" comes first"
        ))),
        _ => Ok(()),
    }
}

/// Records `step` completed in flow `flow_id` and answers the flow as it then is. Already
/// completed: the flow unchanged. Otherwise `check` sees the flow first: an error stops here,
/// `false` leaves the flow unchanged, `true` records the step.
///
/// The write is a compare-and-set on `completed_steps` (`UPDATE … WHERE completed_steps =
/// <what was read>`), re-reading and re-checking on a miss: a completion that raced this one is
/// never overwritten, on SQLite and PostgreSQL alike, whatever the isolation level.
///
/// A completion (at `now`) that completes the flow ends every session of the flow at most
/// [`COMPLETED_SESSION_MINUTES`] later (issue 8, module docs).
pub(crate) async fn record_step_completed(
    db: &Db,
    flow_id: Uuid,
    step: StepName,
    now: DateTime<Utc>,
    check: impl Fn(&FlowState) -> Result<bool, Error>,
) -> Result<FlowState, Error> {
    for _ in 0..COMPLETE_ATTEMPTS {
        let flow = FlowRow::find(db, flow_id)
            .await?
            .ok_or_else(flow_not_found)?;
        let mut flow_state = flow.to_state()?;
        if flow_state.completed_steps.contains(&step) || !check(&flow_state)? {
            return Ok(flow_state);
        }
        flow_state.completed_steps.push(step);
        let updated = sqlx::query(
            "UPDATE flows SET completed_steps = $1 WHERE id = $2 AND completed_steps = $3",
        )
        .bind(to_json_text(&flow_state.completed_steps)?)
        .bind(flow_state.id.to_string())
        .bind(&flow.completed_steps)
        .execute(db)
        .await?;
        if updated.rows_affected() == 1 {
            tracing::info!(%step, "step completed");
            if flow_state.is_complete() {
                end_sessions_soon(db, flow_id, now).await?;
            }
            return Ok(flow_state);
        }
    }
    Err(Error::Conflict(
        "the flow changed while this step was being completed; try again".to_owned(),
    ))
}

/// Sets every session of flow `flow_id` to end at most [`COMPLETED_SESSION_MINUTES`] after
/// `now`, the moment the flow was completed.
async fn end_sessions_soon(db: &Db, flow_id: Uuid, now: DateTime<Utc>) -> Result<(), Error> {
    let ends_at = to_millis(now + Duration::minutes(COMPLETED_SESSION_MINUTES));
    sqlx::query("UPDATE flow_sessions SET expires_at = $1 WHERE flow_id = $2 AND expires_at > $1")
        .bind(ends_at)
        .bind(flow_id.to_string())
        .execute(db)
        .await?;
    Ok(())
}

/// Records a step that its own form completes (compliance, id-verification, background-check)
/// at `now`; answers the flow as it then is. The step must be the flow's current one (issue 8):
/// otherwise 403 `step_not_allowed`, as [`crate::auth::FlowUser::permit`] answers for the
/// form's own submission, so a form never completes a step out of order.
pub(crate) async fn record_form_step(
    db: &Db,
    flow_id: Uuid,
    step: StepName,
    now: DateTime<Utc>,
) -> Result<FlowState, Error> {
    record_step_completed(db, flow_id, step, now, |flow| {
        match flow.next_step().map(|s| s.name()) {
            Some(current) if current == step => Ok(true),
            _ => Err(form_step_denied(flow, step)),
        }
    })
    .await
}

/// The 403 for completing form step `step` of `flow` when it is not the current step.
fn form_step_denied(flow: &FlowState, step: StepName) -> Error {
    let action = match step {
        StepName::Compliance => FlowAction::SubmitCompliance,
        StepName::IdVerification => FlowAction::SubmitIdVerification,
        _ => FlowAction::SubmitBackgroundCheck,
    };
    match flow.permits(action) {
        Err(denial) => Error::StepNotAllowed(denial),
        // Unreachable for the form steps, whose actions only their own step owns.
        Ok(_) => Error::Conflict(format!("\"{step}\" is not the current step")),
    }
}

/// 409 unless the work of `step` is done: a payout method for `manage-payouts`, a bank account
/// for `manage-payments`, a payout made in this flow for `payout`.
async fn check_step_done(db: &Db, user: &FlowUser, step: StepName) -> Result<(), Error> {
    let (done, missing) = match step {
        StepName::ManagePayouts => (
            has_payout_method(db, user.user_id).await?,
            "add a payout method first",
        ),
        StepName::ManagePayments => (
            has_bank_account(db, user.user_id).await?,
            "add a bank account first",
        ),
        StepName::Payout => {
            let payout: Option<String> = sqlx::query_scalar(
                "SELECT id FROM transfers WHERE flow_id = $1 AND user_id = $2 \
                 AND kind = 'payout' LIMIT 1",
            )
            .bind(user.flow_id.to_string())
            .bind(user.user_id.to_string())
            .fetch_optional(db)
            .await?;
            (payout.is_some(), "make a payout first")
        }
        _ => (true, ""),
    };
    if done {
        Ok(())
    } else {
        Err(Error::Conflict(missing.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_one_cookie_among_many() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=1; pf_session_ab=tok ; b=2"),
        );
        headers.append(COOKIE, HeaderValue::from_static("c=3"));
        assert_eq!(cookie_value(&headers, "pf_session_ab"), Some("tok"));
        assert_eq!(cookie_value(&headers, "c"), Some("3"));
        assert_eq!(cookie_value(&headers, "pf_session"), None);
        headers.insert(COOKIE, HeaderValue::from_static("pf_session_ab="));
        assert_eq!(cookie_value(&headers, "pf_session_ab"), None);
    }

    #[test]
    fn resume_cookie_is_http_only_scoped_and_partitioned_over_https() {
        let now = Utc::now();
        let id = Uuid::nil();
        let config = Config::new("http://127.0.0.1:8080", "dist");
        let cookie = resume_cookie(&config, id, "tok", now + Duration::minutes(30), now);
        assert_eq!(
            cookie,
            "pf_session_00000000000000000000000000000000=tok; Path=/api/flow/sessions; \
             Max-Age=1800; HttpOnly; SameSite=Strict"
        );
        let config = Config::new("https://sandbox.example/", "dist");
        let cleared = clear_resume_cookie(&config, id);
        assert!(cleared
            .to_str()
            .unwrap()
            .ends_with("Max-Age=0; HttpOnly; SameSite=None; Secure; Partitioned"));
    }
}

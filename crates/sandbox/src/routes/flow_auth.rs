//! `/api/flow/auth/…`: sign-in by phone and one-time code, for a flow session that does not act
//! for a user yet (issue 3, DESIGN.md "auth / onboarding"). The rules (codes, cooldowns, who a
//! phone signs in as, why no one can lock a user out) are [`crate::service::sign_in`]'s; these
//! handlers check the client's rate limit ([`crate::ratelimit`]: the flow's and the app's are
//! taken in the service, where the work happens) and the request, call it, and answer, setting
//! the resume cookie once signed in.

use crate::auth::FlowSession;
use crate::error::Error;
use crate::extract::ApiJson;
use crate::ratelimit::{Action, ClientIp};
use crate::resume_cookie::resume_cookie;
use crate::routes::Mount;
use crate::service::payout_links::names_payee_phone;
use crate::service::sign_in::{self, already_signed_in, open_for_sign_in, Verified};
use crate::service::steps::route_state;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::identity::{CodeCheck, CodeSent, NewCode, NewProfile, SignIn};

/// The sign-in routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::SendCode, _, _>(send_code)
        .endpoint::<ep::VerifyCode, _, _>(verify_code)
        .endpoint::<ep::CreateProfile, _, _>(create_profile)
}

/// `POST /api/flow/auth/code`: sends a one-time code to the phone the user typed, or (with
/// `payee_phone`) to the one the flow's payout link names.
///
/// 429 over the client's rate limit ([`crate::ratelimit`]); 409 when the session is already
/// signed in; 422 naming `country_code` / `phone_number` (the model's rules, then the phone
/// library's); 429 within the resend cooldown (of this session, or of this number asked from
/// this client in any session); 429 over the flow's or the app's rate limit. Whose number it
/// is does not matter here ([`crate::service::sign_in`]).
async fn send_code(
    State(state): State<AppState>,
    ip: ClientIp,
    session: FlowSession,
    ApiJson(new): ApiJson<NewCode>,
) -> Result<Json<CodeSent>, Error> {
    state.limiters.check_client(Action::SendCode, ip)?;
    if session.authenticated {
        return Err(already_signed_in());
    }
    open_for_sign_in(&state.db, session.flow_id).await?;
    let phone = sign_in::phone_to_text(&state.db, session.flow_id, &new, state.clock.now()).await?;
    // A payout link's flow that names the payee's phone never answers a code again: compared
    // with a number typed, the answer would tell which number is the payee's (review).
    let answer_again = !new.payee_phone && !names_payee_phone(&state.db, session.flow_id).await?;
    Ok(Json(
        sign_in::send_code(&state, ip, &session, &phone, new.payee_phone, answer_again).await?,
    ))
}

/// `POST /api/flow/auth/verify`: checks the code the user typed.
///
/// 429 over the client's rate limit ([`crate::ratelimit`]); 409 when the session is signed in
/// already (with its resume cookie: a retry of a lost answer); `profile_required` again after a right code verified the phone for a profile (a
/// retry of a lost answer); 429 while the session must wait after many wrong codes; 409 when no
/// code was asked for; 422 on `code` when it has expired or has had too many wrong tries; 429 over the flow's
/// or the app's rate limit; 422 on `code` when it is wrong (saying how many tries are left).
/// The right code is used up and answers `signed_in` (the phone's user, now verified; the flow
/// claimed; the resume cookie set) or `profile_required` (a phone the app
/// does not know); 403 naming `phone_number` when the flow names its user and the phone is not
/// theirs.
async fn verify_code(
    State(state): State<AppState>,
    ip: ClientIp,
    session: FlowSession,
    ApiJson(check): ApiJson<CodeCheck>,
) -> Result<Response, Error> {
    state.limiters.check_client(Action::VerifyCode, ip)?;
    if session.authenticated {
        return Ok(signed_in_already(&state, &session));
    }
    let code: String = check.code.chars().filter(|c| !c.is_whitespace()).collect();
    let flow = open_for_sign_in(&state.db, session.flow_id).await?;
    match sign_in::verify_code(&state, &session, &flow, &code).await? {
        Verified::SignedIn => signed_in_response(&state, &session).await,
        Verified::ProfileRequired => Ok(Json(SignIn::ProfileRequired).into_response()),
    }
}

/// The 409 `already_signed_in` of a verify or profile sent again by a session signed in
/// already (a retry of a lost answer), with the resume cookie the lost answer carried: else a
/// reload would find no cookie and ask for sign-in again.
fn signed_in_already(state: &AppState, session: &FlowSession) -> Response {
    let mut res = already_signed_in().into_response();
    res.headers_mut()
        .append(SET_COOKIE, session_cookie(state, session));
    res
}

/// `Set-Cookie` for `session`'s resume cookie.
fn session_cookie(state: &AppState, session: &FlowSession) -> HeaderValue {
    resume_cookie(
        &state.config,
        session.flow_id,
        &session.token,
        session.ends_at,
        state.clock.now(),
    )
}

/// `{"status":"signed_in","flow":…}` with the resume cookie of the now authenticated session.
async fn signed_in_response(state: &AppState, session: &FlowSession) -> Result<Response, Error> {
    let flow = route_state(&state.db, session.flow_id, state.clock.now()).await?;
    let cookie = session_cookie(state, session);
    Ok(([(SET_COOKIE, cookie)], Json(SignIn::SignedIn { flow })).into_response())
}

/// `POST /api/flow/auth/profile`: who the user is, for a verified phone the app does not know.
///
/// 429 over the client's rate limit of code checks (the sign-up ends one); 409 unless the
/// session's phone was verified and it is not signed in yet; 422 naming each bad field.
/// Creates the user (verified, with a wallet: the same user object the host reads), signs the
/// session in and claims the flow.
async fn create_profile(
    State(state): State<AppState>,
    ip: ClientIp,
    session: FlowSession,
    ApiJson(new): ApiJson<NewProfile>,
) -> Result<Response, Error> {
    state.limiters.check_client(Action::VerifyCode, ip)?;
    if session.authenticated {
        return Ok(signed_in_already(&state, &session));
    }
    open_for_sign_in(&state.db, session.flow_id).await?;
    sign_in::sign_up(&state, &session, &new).await?;
    signed_in_response(&state, &session).await
}

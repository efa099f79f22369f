//! `/api/flow/…`: the flow-facing API the app calls from the browser (DESIGN.md "The API").
//! A session is minted from a flow id, scoped to that flow, carried as a bearer token (only its
//! sha256 is stored) and short-lived; the browser never holds an app secret. This module owns
//! minting and resuming sessions, the flow state, and completing steps (recorded by
//! [`crate::service::steps`], shared with the steps that complete by their own form).
//!
//! ## A link is a bounded capability (issue 8)
//!
//! - A pre-authenticated link (the host named the user, no `require_auth`, within
//!   [`PREAUTH_WINDOW_MINUTES`](payout_model::PREAUTH_WINDOW_MINUTES)) signs in ONE browser:
//!   the first mint claims the flow (`flows.preauth_claimed_at`, migration 0006) with a
//!   compare-and-set, and only the mint whose claim took is authenticated. That browser resumes
//!   through its resume cookie (below); every later mint, from any browser, is unauthenticated
//!   and must sign in.
//! - When a step completion completes the flow, every session of the flow ends at most
//!   [`COMPLETED_SESSION_MINUTES`](payout_model::COMPLETED_SESSION_MINUTES) later (long enough
//!   for the done screen), and meanwhile the flow is read-only ([`FlowState::permits`]). A mint
//!   for a complete flow is never authenticated, nor resumed: the app shows its done screen to
//!   anyone holding the link.
//! - The exception is a flow whose last step keeps the user on screen (`manage-payouts` or
//!   `manage-payments` with `hide_continue_button`, the host's settings page:
//!   [`FlowState::kept_step`]). Its first saved change completes the flow, and the sessions
//!   already signed in keep their usual life and may go on changing that step's methods or
//!   accounts (nothing else). It still signs nobody new in and resumes no one: a new visit to
//!   the settings page is a new flow.
//!
//! ## Resuming after a reload (issue 3)
//!
//! Whenever a session becomes authenticated (minted pre-authenticated here, or signed in by
//! `POST /api/flow/auth/verify` or `…/profile`) the response sets a cookie
//! `pf_session_<flow id, simple hex>` holding the bearer token: `HttpOnly`,
//! `Path=/api/flow/sessions`, `Max-Age` = the seconds to the session's hard end (requests keep
//! it alive until then), and `SameSite=Strict` over http or `SameSite=None; Secure;
//! Partitioned` when the public URL is https. When the app reloads and mints again, the browser
//! sends it back and this endpoint answers the same session instead of a new one, so the user resumes at the same
//! step without signing in again.
//!
//! A cookie rather than browser storage because the token must never reach script-readable
//! storage (DESIGN.md: the app keeps it in memory only): an `HttpOnly` cookie cannot be read by
//! any script, and a stolen copy of storage holds nothing (a script running in the page itself,
//! an XSS, could still mint through this endpoint and read the answer: the CSP, which allows no
//! inline script but the page's own by hash, is what stands there); its path sends it to this
//! one endpoint and nowhere else, so it
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

use crate::auth::FlowSession;
use crate::db::parse_stored_id;
use crate::error::Error;
use crate::extract::{ApiJson, PathParam};
use crate::ratelimit::{Action, ClientIp};
use crate::resume_cookie::{clear_resume_cookie, cookie_value, resume_cookie, resume_cookie_name};
use crate::routes::Mount;
use crate::service::sessions::{checked_host_origin, mint, resume, Resumed};
use crate::service::steps::complete_step_by_hand;
use crate::service::steps::{route_state, route_state_of};
use crate::state::AppState;
use crate::store::flows::{flow_not_found, FlowRow};
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::{FlowState, NewSession, Rule, StepName};

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
/// sign-in through the link never counts, or anyone opening the link after that person signed in
/// would act as them), the flow does not `require_auth`, it was created less than
/// [`PREAUTH_WINDOW_MINUTES`](payout_model::PREAUTH_WINDOW_MINUTES) ago (seed 002, `user_id`), and
/// this mint is the first to claim it (issue 8: the link signs in one browser, once); otherwise the
/// app asks the user to sign in first.
///
/// A complete flow is never resumed nor authenticated: the session is a fresh, unauthenticated one
/// living [`COMPLETED_SESSION_MINUTES`](payout_model::COMPLETED_SESSION_MINUTES) (module docs), and
/// a resume cookie sent is cleared.
async fn create_session(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    ApiJson(new): ApiJson<NewSession>,
) -> Result<Response, Error> {
    state.limiters.check_client(Action::MintSession, ip)?;
    let flow = FlowRow::find(&state.db, new.flow_id)
        .await?
        .ok_or_else(flow_not_found)?;
    let now = state.clock.now();
    let flow_state = route_state_of(&state.db, &flow, now).await?;
    let host_origin = checked_host_origin(&state, &flow.app_id, new.host_origin.as_deref()).await?;

    let complete = flow_state.is_complete();
    let sent_cookie = cookie_value(&headers, &resume_cookie_name(flow_state.id));
    if let Some(token) = sent_cookie.filter(|_| !complete) {
        match resume(&state.db, &flow_state, token, host_origin.clone(), now).await? {
            Resumed::Live(session, ends_at) => {
                let cookie = resume_cookie(&state.config, flow_state.id, token, ends_at, now);
                return Ok(([(SET_COOKIE, cookie)], Json(session)).into_response());
            }
            Resumed::Expired => {
                let clear = clear_resume_cookie(&state.config, flow_state.id);
                let mut response = Error::SessionExpired.into_response();
                response.headers_mut().insert(SET_COOKIE, clear);
                return Ok(response);
            }
            Resumed::Unknown => {}
        }
    }

    // A new session (not the resume of a live one) takes from the flow's and the app's budgets.
    state.limiters.check_flow(
        Action::MintSession,
        flow_state.id,
        parse_stored_id(&flow.app_id)?,
    )?;
    let (session, ends_at) = mint(&state.db, &flow, flow_state, host_origin, now).await?;
    let cookie = if session.authenticated {
        Some(resume_cookie(
            &state.config,
            session.flow.id,
            &session.token,
            ends_at,
            now,
        ))
    } else {
        // A complete flow's resume cookie is of no more use: the browser forgets it.
        sent_cookie.map(|_| clear_resume_cookie(&state.config, session.flow.id))
    };
    Ok(match cookie {
        Some(cookie) => ([(SET_COOKIE, cookie)], Json(session)).into_response(),
        None => Json(session).into_response(),
    })
}

/// `GET /api/flow/state`: the session's flow as the app routes on it.
async fn get_flow_state(
    State(state): State<AppState>,
    session: FlowSession,
) -> Result<Json<FlowState>, Error> {
    let flow = route_state(&state.db, session.flow_id, state.clock.now()).await?;
    Ok(Json(flow.for_session(session.authenticated)))
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
        .map_err(|message: String| Error::invalid_field("step", Rule::UnknownStep, message))?;

    let now = state.clock.now();
    let flow = complete_step_by_hand(&state.db, &state.config, &user, step, now).await?;
    Ok(Json(flow))
}

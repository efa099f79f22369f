//! `/api/flow/…`: the flow-facing API the app calls from the browser (DESIGN.md "The API").
//! A session is minted from a flow id, scoped to that flow, carried as a bearer token (only its
//! sha256 is stored) and short-lived; the browser never holds an app secret.

use crate::apps::allowed_origins;
use crate::auth::{FlowSession, FlowUser};
use crate::db::{to_flag, to_json_text, to_millis, Db};
use crate::error::Error;
use crate::extract::{ApiJson, PathParam};
use crate::origin::{is_allowed_origin, normalize_origin};
use crate::routes::bank_accounts::has_bank_account;
use crate::routes::flows::{flow_not_found, FlowRow};
use crate::routes::payout_methods::has_payout_method;
use crate::secret::{new_token, sha256_hex};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Duration;
use payout_model::{
    FlowState, NewSession, Session, StepName, PREAUTH_WINDOW_MINUTES, SESSION_TTL_MINUTES,
};

/// How often a step completion re-reads the flow when another completion got there first.
const COMPLETE_ATTEMPTS: usize = 5;

/// The flow-facing routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/flow/sessions", post(create_session))
        .route("/api/flow/state", get(get_flow_state))
        .route("/api/flow/steps/{step}/complete", post(complete_step))
}

/// `POST /api/flow/sessions`: a fresh session for the flow whose link was opened.
///
/// It is authenticated (acts for the flow's user) only when the flow names a user, does not
/// `require_auth`, and was created less than [`PREAUTH_WINDOW_MINUTES`] ago (seed 002,
/// `user_id`); otherwise the app asks the user to sign in first.
async fn create_session(
    State(state): State<AppState>,
    ApiJson(new): ApiJson<NewSession>,
) -> Result<Json<Session>, Error> {
    let flow = FlowRow::find(&state.db, new.flow_id)
        .await?
        .ok_or_else(flow_not_found)?;
    let flow_state = flow.to_state()?;
    let now = state.clock.now();

    let preauth_until = flow.created()? + Duration::minutes(PREAUTH_WINDOW_MINUTES);
    let authenticated =
        flow_state.user_id.is_some() && !flow_state.require_auth && now < preauth_until;
    let user_id = flow_state.user_id.filter(|_| authenticated);

    let host_origin = match new.host_origin.as_deref().and_then(normalize_origin) {
        Some(origin) => {
            let app_origins = allowed_origins(&state.db, &flow.app_id).await?;
            is_allowed_origin(origin, &app_origins, &state.config.extra_allowed_origins)
                .then(|| origin.to_owned())
        }
        None => None,
    };

    let token = new_token();
    let expires_at = now + Duration::minutes(SESSION_TTL_MINUTES);
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
    .execute(&state.db)
    .await?;

    Ok(Json(Session {
        token,
        expires_at,
        authenticated,
        flow: flow_state,
        host_origin,
    }))
}

/// `GET /api/flow/state`: the session's flow as the app routes on it.
async fn get_flow_state(
    State(state): State<AppState>,
    session: FlowSession,
) -> Result<Json<FlowState>, Error> {
    let flow = FlowRow::find(&state.db, session.flow_id)
        .await?
        .ok_or_else(flow_not_found)?;
    Ok(Json(flow.to_state()?))
}

/// `POST /api/flow/steps/{step}/complete`: marks the current step completed.
///
/// Steps whose work happens elsewhere complete here once it is done (409 before): `redirect`
/// always; `manage-payouts` once the user has a payout method, `manage-payments` once they have
/// a bank account, `payout` once a payout was made in this flow (issue 4). Compliance,
/// id-verification and background-check are completed by their own forms. Completing an
/// already completed step answers the same state (idempotent).
///
/// The write is a compare-and-set on `completed_steps` (`UPDATE … WHERE completed_steps =
/// <what was read>`), retried on a miss: a completion that raced this one is never
/// overwritten, on SQLite and PostgreSQL alike, whatever the isolation level.
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

    for _ in 0..COMPLETE_ATTEMPTS {
        let flow = FlowRow::find(&state.db, session.flow_id)
            .await?
            .ok_or_else(flow_not_found)?;
        let mut flow_state = flow.to_state()?;
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
        if let Some(current) = flow_state.next_step().map(|s| s.name()) {
            if current != step {
                return Err(Error::Conflict(format!(
                    "\"{step}\" is not the current step; \"{current}\" comes first"
                )));
            }
        }
        check_step_done(&state.db, &user, step).await?;

        flow_state.completed_steps.push(step);
        let updated = sqlx::query(
            "UPDATE flows SET completed_steps = $1 WHERE id = $2 AND completed_steps = $3",
        )
        .bind(to_json_text(&flow_state.completed_steps)?)
        .bind(flow_state.id.to_string())
        .bind(&flow.completed_steps)
        .execute(&state.db)
        .await?;
        if updated.rows_affected() == 1 {
            tracing::info!(flow_id = %flow_state.id, %step, "step completed");
            return Ok(Json(flow_state));
        }
    }
    Err(Error::Conflict(
        "the flow changed while this step was being completed; try again".to_owned(),
    ))
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

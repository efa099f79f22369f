//! `/api/flow/background-check`: the background-check step (issue 3; seed 000, "Background
//! Check"). Only US residents aged 18 or older are checked; others get `not_eligible` with the
//! reason (a message, not a failure). In the sandbox the SSN
//! [`SANDBOX_FAILING_SSN`](crate::test_values::SANDBOX_FAILING_SSN) fails (README "Sandbox
//! test values"): the user's `has_criminal_activity` becomes true and the app gets a
//! `user.updated` event (with `has_criminal_activity`). Every outcome completes the step.
//!
//! The check itself, and how it never disagrees with the compliance record (issue 8), is
//! [`crate::service::identity::run_background_check`]; its rows are
//! [`crate::store::background_checks`]'s.

use crate::auth::FlowUser;
use crate::error::Error;
use crate::extract::ApiJson;
use crate::routes::Mount;
use crate::service::identity::run_background_check as run_check;
use crate::service::steps::route_state;
use crate::state::AppState;
use crate::store::background_checks::find_of_flow;
use crate::store::flows::FlowWrite;
use axum::extract::State;
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::identity::{BackgroundCheck, NewBackgroundCheck, Submitted};
use payout_model::FlowAction;

/// The background-check routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::GetBackgroundCheck, _, _>(get_background_check)
        .endpoint::<ep::RunBackgroundCheck, _, _>(run_background_check)
}

/// `GET /api/flow/background-check`: the signed-in user's latest check made in this flow, else
/// their latest (an earlier flow's), or `null` when none ran; for a flow with a background-check step (403
/// `step_not_allowed` otherwise), before or after the step. What the app reads when a run's
/// answer was lost: the run cannot be sent again once it completed the step.
async fn get_background_check(
    State(state): State<AppState>,
    user: FlowUser,
) -> Result<Json<Option<BackgroundCheck>>, Error> {
    user.permit(&state, FlowAction::ReadBackgroundCheck).await?;
    Ok(Json(
        find_of_flow(&state.db, user.user_id, user.flow_id).await?,
    ))
}

/// `POST /api/flow/background-check`: checks the signed-in user, on their compliance record when
/// there is one (module docs). When their check already failed, that check (not run again);
/// 422 naming each bad field
/// (as of the server's date), each missing one when nothing is on file, or each one that
/// contradicts the file; otherwise `clear`, `failed` or `not_eligible`, stored, and the flow's
/// background-check step completed.
async fn run_background_check(
    State(state): State<AppState>,
    user: FlowUser,
    ApiJson(new): ApiJson<NewBackgroundCheck>,
) -> Result<Json<Submitted<BackgroundCheck>>, Error> {
    let flow = user
        .permit(&state, FlowAction::SubmitBackgroundCheck)
        .await?;
    let now = state.clock.now();
    let through = FlowWrite {
        flow: &flow,
        action: FlowAction::SubmitBackgroundCheck,
    };
    let check = run_check(&state.db, &state.config, &user, &new, now, through).await?;
    // The step was completed in the check's own write: the flow as it now is.
    let flow = route_state(&state.db, user.flow_id, now).await?;
    Ok(Json(Submitted { data: check, flow }))
}

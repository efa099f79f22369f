//! Payouts (seed 004, "Create Payout"; issue 4): money from a user's wallet to one of their
//! payout methods. One engine ([`crate::service::payouts`] + [`crate::ledger::create_transfer`])
//! behind the host's `POST /api/v2/payouts` and the flow's `POST /api/flow/payouts`.
//!
//! A flow payout is bounded (issue 8): only through the flow's current payout step
//! ([`FlowUser::permit`]), never for a user whose background check failed (403
//! `payout_blocked`; the host API still pays them, its decision), at least the app's
//! `min_flow_payout` ([`crate::store::apps::push_min_flow_payout`]), and its errors never tell the
//! end user anything about the app's wallet (a shortfall there answers a generic 409). The
//! rules are [`crate::service::payouts`]'; these handlers check the caller and answer.

use crate::auth::{FlowUser, HostApp};
use crate::error::Error;
use crate::extract::ApiJson;
use crate::routes::Mount;
use crate::service::payouts::{flow_payout, host_payout, replayed_flow_payout};
use crate::state::AppState;
use axum::extract::State;
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::money::{NewFlowPayout, NewPayout, Transfer};
use payout_model::FlowAction;

/// The payout routes, host and flow.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::CreatePayout, _, _>(create_payout)
        .endpoint::<ep::CreateFlowPayout, _, _>(create_flow_payout)
}

/// `POST /api/v2/payouts`: pays `amount` out of the user's wallet to `account_id`, or to their
/// method on `platform` (`default`: their default method). `fund: true` first moves the amount
/// from the app's wallet to the user's, in the same transfer.
async fn create_payout(
    State(state): State<AppState>,
    app: HostApp,
    ApiJson(new): ApiJson<NewPayout>,
) -> Result<Json<Transfer>, Error> {
    let now = state.clock.now();
    Ok(Json(host_payout(&state.db, app.id, new, now, None).await?))
}

/// `POST /api/flow/payouts`: the signed-in user pays out `amount` (at least the app's
/// `min_flow_payout`, at most their withdrawable balance) to one of their methods; the fee is
/// paid as the flow's `payout_fee_party` says. The idempotency key is scoped to the app and the
/// user; the flow is recorded on the transfer.
///
/// 403 `step_not_allowed` unless the flow's payout step is current (but for a retry of a
/// payout this flow made with the same key and body, answered its first transfer as always),
/// 403 `payout_blocked` for a user whose background check failed (module docs). When the app's
/// wallet cannot pay its part (a platform-paid fee), 409 with a message that says nothing of
/// the app's balance.
async fn create_flow_payout(
    State(state): State<AppState>,
    user: FlowUser,
    ApiJson(new): ApiJson<NewFlowPayout>,
) -> Result<Json<Transfer>, Error> {
    let flow = match user.permit(&state, FlowAction::CreatePayout).await {
        Ok(flow) => flow,
        // A retry of a payout made before the step moved on gets its first answer.
        Err(refused) => {
            return match replayed_flow_payout(&state.db, &user, &new).await? {
                Some(first) => Ok(Json(first)),
                None => Err(refused),
            }
        }
    };
    let now = state.clock.now();
    Ok(Json(flow_payout(&state, &user, &flow, new, now).await?))
}

//! Wallets as hosts and the flow read them (issue 4): `{"amount", "withdrawable_amount"}` in
//! cents. A user's amount includes their pending payouts, which are not withdrawable; an app's
//! wallet is all withdrawable. The flow's payout step reads a [`FlowWallet`] (issue 8): the
//! same, plus the app's flow payout minimum and why the user may not pay out, if they may not.

use crate::auth::{FlowUser, HostApp};
use crate::error::Error;
use crate::extract::PathParam;
use crate::ledger::{app_wallet, user_wallet};
use crate::routes::Mount;
use crate::service::payouts::flow_wallet;
use crate::state::AppState;
use crate::store::users::{user_exists, user_not_found};
use axum::extract::State;
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::money::{FlowWallet, Wallet};
use payout_model::FlowAction;

/// The wallet routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::GetAppWallet, _, _>(get_app_wallet)
        .endpoint::<ep::GetUserWallet, _, _>(get_user_wallet)
        .endpoint::<ep::GetFlowWallet, _, _>(get_flow_wallet)
}

/// `GET /api/v2/wallet`: the calling app's wallet.
async fn get_app_wallet(
    State(state): State<AppState>,
    app: HostApp,
) -> Result<Json<Wallet>, Error> {
    let mut conn = state.db.acquire().await?;
    Ok(Json(app_wallet(&mut conn, app.id).await?))
}

/// `GET /api/v2/users/{id}/wallet`: one of the calling app's users' wallets.
async fn get_user_wallet(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<Wallet>, Error> {
    let user_id = id.id(user_not_found)?;
    if !user_exists(&state.db, app.id, user_id).await? {
        return Err(user_not_found());
    }
    let mut conn = state.db.acquire().await?;
    Ok(Json(user_wallet(&mut conn, user_id).await?))
}

/// `GET /api/flow/wallet`: the signed-in user's wallet, for a flow with a payout step (403
/// `step_not_allowed` otherwise), with the app's flow payout minimum, the user's payout
/// block, if any, and in a payout link's flow what the link pays (issue 11).
async fn get_flow_wallet(
    State(state): State<AppState>,
    user: FlowUser,
) -> Result<Json<FlowWallet>, Error> {
    user.permit(&state, FlowAction::ReadWallet).await?;
    Ok(Json(flow_wallet(&state.db, &user).await?))
}

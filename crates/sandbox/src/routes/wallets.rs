//! Wallets as hosts and the flow read them (issue 4): `{"amount", "withdrawable_amount"}` in
//! cents. A user's amount includes their pending payouts, which are not withdrawable; an app's
//! wallet is all withdrawable.

use crate::auth::{FlowUser, HostApp};
use crate::error::Error;
use crate::extract::PathParam;
use crate::ledger::{app_wallet, user_wallet};
use crate::routes::users::{user_exists, user_not_found};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use payout_model::money::{FlowWallet, PayoutBlock, Wallet, DEFAULT_MIN_FLOW_PAYOUT};

/// The wallet routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v2/wallet", get(get_app_wallet))
        .route("/api/v2/users/{id}/wallet", get(get_user_wallet))
        .route("/api/flow/wallet", get(get_flow_wallet))
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

/// `GET /api/flow/wallet`: the signed-in user's wallet, the flow's minimum payout and whether
/// the user may pay out through a flow (issue 8; a minimal version for the app's e2e tests).
async fn get_flow_wallet(
    State(state): State<AppState>,
    user: FlowUser,
) -> Result<Json<FlowWallet>, Error> {
    let mut conn = state.db.acquire().await?;
    let wallet = user_wallet(&mut conn, user.user_id).await?;
    let flagged: Option<i64> =
        sqlx::query_scalar("SELECT has_criminal_activity FROM users WHERE id = $1")
            .bind(user.user_id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(Json(FlowWallet {
        amount: wallet.amount,
        withdrawable_amount: wallet.withdrawable_amount,
        minimum_payout: DEFAULT_MIN_FLOW_PAYOUT,
        payout_block: (flagged.unwrap_or(0) != 0).then_some(PayoutBlock::BackgroundCheck),
    }))
}

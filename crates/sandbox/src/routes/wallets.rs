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
use payout_model::money::Wallet;

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

/// `GET /api/flow/wallet`: the signed-in user's wallet.
async fn get_flow_wallet(
    State(state): State<AppState>,
    user: FlowUser,
) -> Result<Json<Wallet>, Error> {
    let mut conn = state.db.acquire().await?;
    Ok(Json(user_wallet(&mut conn, user.user_id).await?))
}

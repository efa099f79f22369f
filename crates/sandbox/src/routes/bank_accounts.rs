//! Bank accounts for pay-ins (issue 4; the manage-payments step): a US bank account with a
//! checked ABA routing number. The flow's signed-in user adds, lists and removes theirs under
//! `/api/flow/bank-accounts`, through the flow's manage-payments step ([`FlowUser::permit`]);
//! the host reads them at `/api/v2/users/{id}/bank-accounts`.
//!
//! The rows and their masking live in [`crate::store::bank_accounts`].

use crate::auth::{FlowUser, HostApp};
use crate::error::Error;
use crate::extract::{ApiJson, PathParam};
use crate::routes::Mount;
use crate::state::AppState;
use crate::store::bank_accounts::{
    add_account, bank_account_not_found, list_accounts, remove_account,
};
use crate::store::flows::FlowWrite;
use crate::store::users::{user_exists, user_not_found};
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::money::{BankAccount, BankAccountList, NewBankAccount};
use payout_model::FlowAction;

/// The bank-account routes, flow and host.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::ListFlowBankAccounts, _, _>(list_flow_bank_accounts)
        .endpoint::<ep::AddFlowBankAccount, _, _>(create_flow_bank_account)
        .endpoint::<ep::RemoveFlowBankAccount, _, _>(delete_flow_bank_account)
        .endpoint::<ep::ListBankAccounts, _, _>(list_bank_accounts)
}

/// `GET /api/flow/bank-accounts`: the signed-in user's bank accounts.
async fn list_flow_bank_accounts(
    State(state): State<AppState>,
    user: FlowUser,
) -> Result<Json<BankAccountList>, Error> {
    user.permit(&state, FlowAction::ReadBankAccounts).await?;
    Ok(Json(list_accounts(&state.db, user.user_id).await?))
}

/// `POST /api/flow/bank-accounts`: connects a bank account for the signed-in user.
async fn create_flow_bank_account(
    State(state): State<AppState>,
    user: FlowUser,
    ApiJson(new): ApiJson<NewBankAccount>,
) -> Result<Json<BankAccount>, Error> {
    let flow = user.permit(&state, FlowAction::AddBankAccount).await?;
    let now = state.clock.now();
    let through = FlowWrite {
        flow: &flow,
        action: FlowAction::AddBankAccount,
    };
    let account = add_account(
        &state.db,
        user.app_id,
        user.user_id,
        &new,
        now,
        Some(through),
    )
    .await?;
    Ok(Json(account))
}

/// `DELETE /api/flow/bank-accounts/{id}`: 204, or 404 if it is not the user's.
async fn delete_flow_bank_account(
    State(state): State<AppState>,
    user: FlowUser,
    id: PathParam,
) -> Result<StatusCode, Error> {
    let flow = user.permit(&state, FlowAction::RemoveBankAccount).await?;
    let id = id.id(bank_account_not_found)?;
    let through = FlowWrite {
        flow: &flow,
        action: FlowAction::RemoveBankAccount,
    };
    remove_account(&state.db, user.user_id, id, Some(through)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v2/users/{id}/bank-accounts`: one of the calling app's users' bank accounts.
async fn list_bank_accounts(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<BankAccountList>, Error> {
    let user_id = id.id(user_not_found)?;
    if !user_exists(&state.db, app.id, user_id).await? {
        return Err(user_not_found());
    }
    Ok(Json(list_accounts(&state.db, user_id).await?))
}

//! Bank accounts for pay-ins (issue 4; the manage-payments step): a US bank account with a
//! checked ABA routing number. The flow's signed-in user adds, lists and removes theirs under
//! `/api/flow/bank-accounts`, through the flow's manage-payments step ([`FlowUser::permit`]);
//! the host reads them at `/api/v2/users/{id}/bank-accounts`.
//!
//! Account numbers are stored as entered (a sandbox) and only ever returned as their last four
//! digits; nothing here logs them.

use crate::auth::{FlowUser, HostApp};
use crate::db::{
    begin_write, enum_from_text, from_millis, next_seq, parse_stored_id, to_millis, Db,
};
use crate::error::Error;
use crate::extract::{ApiJson, PathParam};
use crate::routes::users::{user_exists, user_not_found};
use crate::routes::Mount;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::money::{BankAccount, BankAccountList, NewBankAccount};
use payout_model::{last4, FlowAction};
use uuid::Uuid;

/// The bank-account routes, flow and host.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::ListFlowBankAccounts, _, _>(list_flow_bank_accounts)
        .endpoint::<ep::AddFlowBankAccount, _, _>(create_flow_bank_account)
        .endpoint::<ep::RemoveFlowBankAccount, _, _>(delete_flow_bank_account)
        .endpoint::<ep::ListBankAccounts, _, _>(list_bank_accounts)
}

fn bank_account_not_found() -> Error {
    Error::NotFound("bank account not found".to_owned())
}

/// `GET /api/flow/bank-accounts`: the signed-in user's bank accounts.
async fn list_flow_bank_accounts(
    State(state): State<AppState>,
    user: FlowUser,
) -> Result<Json<BankAccountList>, Error> {
    user.permit(&state.db, FlowAction::ReadBankAccounts).await?;
    Ok(Json(list_accounts(&state.db, user.user_id).await?))
}

/// `POST /api/flow/bank-accounts`: connects a bank account for the signed-in user.
async fn create_flow_bank_account(
    State(state): State<AppState>,
    user: FlowUser,
    ApiJson(new): ApiJson<NewBankAccount>,
) -> Result<Json<BankAccount>, Error> {
    user.permit(&state.db, FlowAction::AddBankAccount).await?;
    let now = state.clock.now();
    let account = BankAccount {
        id: Uuid::new_v4(),
        routing_number: new.routing_number.trim().to_owned(),
        account_number_last4: last4(new.account_number.trim()),
        account_type: new.account_type,
        created: now,
    };
    let mut tx = begin_write(&state.db).await?;
    let seq = next_seq(&mut tx, "bank_accounts", 1).await?;
    sqlx::query(
        "INSERT INTO bank_accounts (id, app_id, user_id, routing_number, account_number, \
         account_type, seq, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(account.id.to_string())
    .bind(user.app_id.to_string())
    .bind(user.user_id.to_string())
    .bind(&account.routing_number)
    .bind(new.account_number.trim())
    .bind(account.account_type.as_str())
    .bind(seq)
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(account))
}

/// `DELETE /api/flow/bank-accounts/{id}`: 204, or 404 if it is not the user's.
async fn delete_flow_bank_account(
    State(state): State<AppState>,
    user: FlowUser,
    id: PathParam,
) -> Result<StatusCode, Error> {
    user.permit(&state.db, FlowAction::RemoveBankAccount)
        .await?;
    let id = id.id(bank_account_not_found)?;
    let deleted = sqlx::query("DELETE FROM bank_accounts WHERE id = $1 AND user_id = $2")
        .bind(id.to_string())
        .bind(user.user_id.to_string())
        .execute(&state.db)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(bank_account_not_found());
    }
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

/// Whether user `user_id` has connected a bank account.
pub(crate) async fn has_bank_account(db: &Db, user_id: Uuid) -> Result<bool, Error> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM bank_accounts WHERE user_id = $1 LIMIT 1")
            .bind(user_id.to_string())
            .fetch_optional(db)
            .await?;
    Ok(found.is_some())
}

#[derive(sqlx::FromRow)]
struct BankAccountRow {
    id: String,
    routing_number: String,
    account_number: String,
    account_type: String,
    created: i64,
}

async fn list_accounts(db: &Db, user_id: Uuid) -> Result<BankAccountList, Error> {
    let rows: Vec<BankAccountRow> = sqlx::query_as(
        "SELECT id, routing_number, account_number, account_type, created FROM bank_accounts \
         WHERE user_id = $1 ORDER BY seq",
    )
    .bind(user_id.to_string())
    .fetch_all(db)
    .await?;
    let data = rows
        .into_iter()
        .map(|row| {
            Ok(BankAccount {
                id: parse_stored_id(&row.id)?,
                routing_number: row.routing_number,
                account_number_last4: last4(&row.account_number),
                account_type: enum_from_text("account_type", &row.account_type)?,
                created: from_millis(row.created)?,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(BankAccountList { data })
}

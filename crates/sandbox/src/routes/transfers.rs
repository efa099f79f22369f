//! `/api/v2/transfers`: balance transfers between the app's wallet and a user's (seed 004,
//! "Create Fund Transfer"), reading and listing transfers of every kind, and their lifecycle
//! (seed 001: cancel, reverse); the sandbox's money controls (`/api/v2/sandbox/refills`,
//! `/api/v2/sandbox/transfers/{id}/simulate`); and `GET /api/flow/transfers/{id}` for the flow's
//! payout step to follow its user's payout.

use crate::auth::{FlowUser, HostApp};
use crate::error::Error;
use crate::extract::{ApiJson, ApiQuery, PathParam};
use crate::ledger::{
    amount_out_of_range, app_account, change_status, create_transfer as write_new_transfer,
    insufficient_funds, list_transfers as page, load_transfers, replayed_transfer,
    transfer_not_found, transfer_seq, user_account, Move, TransferDraft, TransferRow, BANK,
};
use crate::pagination::{Page, PageParams};
use crate::routes::Mount;
use crate::service::payout_links::payout_undone_after;
use crate::state::AppState;
use crate::store::idempotency::IdempotencyKey;
use crate::store::users::user_exists;
use axum::extract::State;
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::money::{
    NewRefill, NewTransfer, SimulateTransfer, TransactionType, Transfer, TransferList,
    TransferStatus, TransferType,
};
use payout_model::{FlowAction, Rule};
use serde::Deserialize;
use uuid::Uuid;

/// The transfer routes (host, sandbox controls, and the flow's read).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::CreateTransfer, _, _>(create_transfer)
        .endpoint::<ep::ListTransfers, _, _>(list_transfers)
        .endpoint::<ep::GetTransfer, _, _>(get_transfer)
        .endpoint::<ep::CancelTransfer, _, _>(cancel_transfer)
        .endpoint::<ep::ReverseTransfer, _, _>(reverse_transfer)
        .endpoint::<ep::CreateRefill, _, _>(create_refill)
        .endpoint::<ep::SimulateTransferStatus, _, _>(simulate_transfer)
        .endpoint::<ep::GetFlowTransfer, _, _>(get_flow_transfer)
}

/// `POST /api/v2/transfers`: moves `|amount|` from the app's wallet to the user's (negative
/// amount) or back (positive); completed at once.
async fn create_transfer(
    State(state): State<AppState>,
    app: HostApp,
    ApiJson(new): ApiJson<NewTransfer>,
) -> Result<Json<Transfer>, Error> {
    let key = new
        .idempotency_key
        .as_deref()
        .map(|key| IdempotencyKey::new("transfers", key, &new))
        .transpose()?;
    if let Some(transfer) = replayed_transfer(&state.db, app.id, key.as_ref()).await? {
        return Ok(Json(transfer));
    }
    if !user_exists(&state.db, app.id, new.user_id).await? {
        return Err(Error::broke("user_id", Rule::NoSuchUser));
    }
    let (app_wallet, user_wallet) = (app_account(app.id), user_account(new.user_id));
    let (from, to) = if new.amount < 0 {
        (app_wallet, user_wallet)
    } else {
        (user_wallet, app_wallet)
    };
    let draft = TransferDraft::completed(
        app.id,
        Some(new.user_id),
        TransferType::Balance,
        new.amount,
        vec![Move::new(
            from,
            to,
            // Validated within MAX_AMOUNT either way, so this never overflows (no i64::MIN).
            new.amount.checked_abs().ok_or_else(amount_out_of_range)?,
            TransactionType::Balance,
        )],
        new.metadata,
    );
    let transfer = write_new_transfer(&state.db, draft, key.as_ref(), state.clock.now())
        .await
        .map_err(|e| e.into_error(insufficient_funds))?;
    Ok(Json(transfer))
}

/// `GET /api/v2/transfers/{id}`: one of the calling app's transfers.
async fn get_transfer(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<Transfer>, Error> {
    let id = id.id(transfer_not_found)?;
    let mut conn = state.db.acquire().await?;
    let row = TransferRow::find(&mut conn, app.id, None, id)
        .await?
        .ok_or_else(transfer_not_found)?;
    let transfer = load_transfers(&mut conn, vec![row]).await?.pop();
    transfer.map(Json).ok_or_else(transfer_not_found)
}

/// The query of `GET /api/v2/transfers`, as text: each value is checked by hand so a bad one is
/// a 422 naming its parameter.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    limit: Option<String>,
    starting_after: Option<String>,
    ending_before: Option<String>,
    user_id: Option<String>,
}

/// `GET /api/v2/transfers?limit=&starting_after=&ending_before=&user_id=`: the calling app's
/// transfers, newest first, paged as [`crate::pagination`] says.
async fn list_transfers(
    State(state): State<AppState>,
    app: HostApp,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<TransferList>, Error> {
    let params = PageParams::parse(
        query.limit.as_deref(),
        query.starting_after.as_deref(),
        query.ending_before.as_deref(),
        "transfer",
    )?;
    let user_id = match query.user_id.as_deref() {
        None => None,
        Some(text) => {
            let no_such_user = || Error::broke("user_id", Rule::NoSuchUser);
            let user_id = Uuid::try_parse(text.trim()).map_err(|_| no_such_user())?;
            if !user_exists(&state.db, app.id, user_id).await? {
                return Err(no_such_user());
            }
            Some(user_id)
        }
    };
    let mut conn = state.db.acquire().await?;
    let page_at = match params.cursor {
        None => Page::First,
        Some(cursor) => {
            let seq = transfer_seq(&mut conn, app.id, cursor.id).await?;
            cursor.page(seq, "transfer")?
        }
    };
    let (data, has_more) = page(&mut conn, app.id, user_id, page_at, params.limit).await?;
    Ok(Json(TransferList { data, has_more }))
}

/// `POST /api/v2/transfers/{id}/cancel`: a created, flagged or pending transfer is canceled and
/// its money goes back; 409 otherwise.
async fn cancel_transfer(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<Transfer>, Error> {
    let id = id.id(transfer_not_found)?;
    let now = state.clock.now();
    let (after, reopened) = payout_undone_after(&state);
    let transfer = change_status(
        &state.db,
        app.id,
        id,
        TransferStatus::Canceled,
        "cancel",
        now,
        after,
    )
    .await?;
    reopened.after_commit(&state.db);
    Ok(Json(transfer))
}

/// `POST /api/v2/transfers/{id}/reverse`: a completed transfer is reversed and its money goes
/// back; 409 if not completed, or if where the money went no longer has it.
async fn reverse_transfer(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<Transfer>, Error> {
    let id = id.id(transfer_not_found)?;
    let now = state.clock.now();
    let (after, reopened) = payout_undone_after(&state);
    let transfer = change_status(
        &state.db,
        app.id,
        id,
        TransferStatus::Reversed,
        "reverse",
        now,
        after,
    )
    .await?;
    reopened.after_commit(&state.db);
    Ok(Json(transfer))
}

/// `POST /api/v2/sandbox/refills`: money from an outside bank into the app's wallet, completed
/// at once (sandbox only: there is no real bank).
async fn create_refill(
    State(state): State<AppState>,
    app: HostApp,
    ApiJson(new): ApiJson<NewRefill>,
) -> Result<Json<Transfer>, Error> {
    let draft = TransferDraft::completed(
        app.id,
        None,
        TransferType::Refill,
        new.amount,
        vec![Move::new(
            BANK.to_owned(),
            app_account(app.id),
            new.amount,
            TransactionType::Refill,
        )],
        new.metadata,
    );
    let transfer = write_new_transfer(&state.db, draft, None, state.clock.now())
        .await
        .map_err(|e| e.into_error(insufficient_funds))?;
    Ok(Json(transfer))
}

/// `POST /api/v2/sandbox/transfers/{id}/simulate`: moves a transfer to `status` as its rail
/// would (an ACH payout stays pending until this says `completed` or `failed`), following the
/// lifecycle; the money moves as [`change_status`] says.
async fn simulate_transfer(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
    ApiJson(simulate): ApiJson<SimulateTransfer>,
) -> Result<Json<Transfer>, Error> {
    let id = id.id(transfer_not_found)?;
    let verb = match simulate.status {
        TransferStatus::Failed => "fail",
        TransferStatus::Canceled => "cancel",
        TransferStatus::Reversed => "reverse",
        _ => "move",
    };
    let now = state.clock.now();
    let (after, reopened) = payout_undone_after(&state);
    let transfer = change_status(&state.db, app.id, id, simulate.status, verb, now, after).await?;
    reopened.after_commit(&state.db);
    Ok(Json(transfer))
}

/// `GET /api/flow/transfers/{id}`: a payout this flow made for the signed-in user (404 for any
/// other transfer, the user's own from other flows or the host included), for a flow with a
/// payout step (403 `step_not_allowed` otherwise).
async fn get_flow_transfer(
    State(state): State<AppState>,
    user: FlowUser,
    id: PathParam,
) -> Result<Json<Transfer>, Error> {
    user.permit(&state, FlowAction::ReadTransfer).await?;
    let id = id.id(transfer_not_found)?;
    let mut conn = state.db.acquire().await?;
    if !TransferRow::made_in_flow(&mut conn, id, user.flow_id).await? {
        return Err(transfer_not_found());
    }
    let row = TransferRow::find(&mut conn, user.app_id, Some(user.user_id), id)
        .await?
        .ok_or_else(transfer_not_found)?;
    let transfer = load_transfers(&mut conn, vec![row]).await?.pop();
    transfer.map(Json).ok_or_else(transfer_not_found)
}

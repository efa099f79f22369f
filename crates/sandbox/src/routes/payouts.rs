//! Payouts (seed 004, "Create Payout"; issue 4): money from a user's wallet to one of their
//! payout methods. One engine ([`crate::service::payouts`] + [`crate::ledger::create_transfer`])
//! behind the host's `POST /api/v2/payouts` and the flow's `POST /api/flow/payouts`.
//!
//! A flow payout is bounded (issue 8): only through the flow's current payout step
//! ([`FlowUser::permit`]), never for a user whose background check failed (403
//! `payout_blocked`; the host API still pays them, its decision), at least the app's
//! `min_flow_payout` ([`min_flow_payout`]), and its errors never tell the end user anything
//! about the app's wallet (a shortfall there answers a generic 409).

use crate::auth::{FlowUser, HostApp};
use crate::error::Error;
use crate::extract::ApiJson;
use crate::ledger::{create_transfer, insufficient_funds, replayed_transfer, user_wallet};
use crate::routes::Mount;
use crate::service::payouts::{host_payout_method, payout_draft, PayoutOrder};
use crate::state::AppState;
use crate::store::apps::min_flow_payout;
use crate::store::idempotency::IdempotencyKey;
use crate::store::payout_methods::MethodRow;
use crate::store::users::{payout_block, user_exists};
use axum::extract::State;
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::money::{format_cents, Cents, NewFlowPayout, NewPayout, Transfer};
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
    let key = new
        .idempotency_key
        .as_deref()
        .map(|key| IdempotencyKey::new("payouts", key, &new))
        .transpose()?;
    if let Some(transfer) = replayed_transfer(&state.db, app.id, key.as_ref()).await? {
        return Ok(Json(transfer));
    }
    if !user_exists(&state.db, app.id, new.user_id).await? {
        return Err(Error::invalid_field("user_id", "no such user"));
    }
    let mut conn = state.db.acquire().await?;
    let method = host_payout_method(&mut conn, &new).await?;
    drop(conn);
    let draft = payout_draft(PayoutOrder {
        app_id: app.id,
        user_id: new.user_id,
        flow_id: None,
        method: &method,
        amount: new.amount,
        party: new.payout_fee_party.unwrap_or_default(),
        fund: new.fund,
        metadata: new.metadata,
    })?;
    let transfer = create_transfer(&state.db, &draft, key.as_ref(), state.clock.now())
        .await
        .map_err(|e| e.into_error(insufficient_funds))?;
    Ok(Json(transfer))
}

/// `POST /api/flow/payouts`: the signed-in user pays out `amount` (at least the app's
/// `min_flow_payout`, at most their withdrawable balance) to one of their methods; the fee is
/// paid as the flow's `payout_fee_party` says. The idempotency key is scoped to the app and the
/// user; the flow is recorded on the transfer.
///
/// 403 `step_not_allowed` unless the flow's payout step is current, 403 `payout_blocked` for a
/// user whose background check failed (module docs). When the app's wallet cannot pay its part
/// (a platform-paid fee), 409 with a message that says nothing of the app's balance.
async fn create_flow_payout(
    State(state): State<AppState>,
    user: FlowUser,
    ApiJson(new): ApiJson<NewFlowPayout>,
) -> Result<Json<Transfer>, Error> {
    let flow = user.permit(&state.db, FlowAction::CreatePayout).await?;
    if payout_block(&state.db, user.user_id).await?.is_some() {
        return Err(Error::PayoutBlocked);
    }
    let scope = format!("flow-payouts:{}", user.user_id);
    let key = IdempotencyKey::new(scope, new.idempotency_key.clone(), &new)?;
    if let Some(transfer) = replayed_transfer(&state.db, user.app_id, Some(&key)).await? {
        return Ok(Json(transfer));
    }
    let minimum = min_flow_payout(&state.db, user.app_id).await?;
    if new.amount < minimum {
        return Err(Error::invalid_field(
            "amount",
            format!("must be at least {}", format_cents(minimum)),
        ));
    }
    let mut conn = state.db.acquire().await?;
    let method = MethodRow::find(&mut conn, user.user_id, new.payout_method_id)
        .await?
        .ok_or_else(|| {
            Error::invalid_field("payout_method_id", "is not one of your payout methods")
        })?;
    let withdrawable = user_wallet(&mut conn, user.user_id)
        .await?
        .withdrawable_amount;
    drop(conn);
    if new.amount > withdrawable {
        return Err(above_balance(withdrawable));
    }
    let draft = payout_draft(PayoutOrder {
        app_id: user.app_id,
        user_id: user.user_id,
        flow_id: Some(user.flow_id),
        method: &method,
        amount: new.amount,
        party: flow.payout_fee_party,
        fund: false,
        metadata: None,
    })?;
    let transfer = create_transfer(&state.db, &draft, Some(&key), state.clock.now())
        .await
        .map_err(|e| {
            e.into_error(|shortfall| {
                if shortfall.is_user() {
                    above_balance(shortfall.balance)
                } else {
                    // The app's side: the end user learns nothing of its wallet; the log has
                    // what happened (no ids, no amounts of the user).
                    tracing::warn!(
                        "a flow payout was refused: the app's wallet cannot pay its part"
                    );
                    payout_unavailable()
                }
            })
        })?;
    Ok(Json(transfer))
}

/// The flow's 409 when the app cannot pay its part of a payout: says nothing of its wallet.
fn payout_unavailable() -> Error {
    Error::Conflict("this payout cannot be made right now; try again later".to_owned())
}

/// The flow's 422 for an amount above the user's withdrawable balance.
fn above_balance(withdrawable: Cents) -> Error {
    Error::invalid_field(
        "amount",
        format!(
            "must be at most {}, your balance",
            format_cents(withdrawable)
        ),
    )
}

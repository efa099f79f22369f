//! Payout methods (issue 4; the manage-payouts step): `ach`, `paypal`, `venmo`, `cash_app`, one
//! default per user. One implementation behind two routers' worth of routes: the host's under
//! `/api/v2/users/{id}/payout-methods` (HTTP Basic) and the flow's under
//! `/api/flow/payout-methods` (the signed-in user of a flow session, through the flow's
//! manage-payouts step, or its payout step for adding one: [`FlowUser::permit`]).
//!
//! The rows, their masking `label` and the one-default rule live in
//! [`crate::store::payout_methods`]; these handlers check who asks and answer.

use crate::auth::{FlowUser, HostApp};
use crate::error::Error;
use crate::extract::{ApiJson, PathParam, PathParams};
use crate::routes::Mount;
use crate::state::AppState;
use crate::store::flows::FlowWrite;
use crate::store::payout_methods::{
    add_method, has_payout_method, list_methods, make_default, payout_method_not_found,
    remove_method,
};
use crate::store::users::{user_exists, user_not_found};
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::money::{NewPayoutMethod, PayoutMethod, PayoutMethodList};
use payout_model::{Denial, FlowAction, StepName};
use uuid::Uuid;

/// The payout-method routes, host and flow.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::ListPayoutMethods, _, _>(list_payout_methods)
        .endpoint::<ep::AddPayoutMethod, _, _>(create_payout_method)
        .endpoint::<ep::RemovePayoutMethod, _, _>(delete_payout_method)
        .endpoint::<ep::MakeDefaultPayoutMethod, _, _>(set_default_payout_method)
        .endpoint::<ep::ListFlowPayoutMethods, _, _>(list_flow_payout_methods)
        .endpoint::<ep::AddFlowPayoutMethod, _, _>(create_flow_payout_method)
        .endpoint::<ep::RemoveFlowPayoutMethod, _, _>(delete_flow_payout_method)
        .endpoint::<ep::MakeDefaultFlowPayoutMethod, _, _>(set_default_flow_payout_method)
}

/// 404 unless `user_id` is a user of the calling app.
async fn check_host_user(state: &AppState, app: HostApp, user_id: Uuid) -> Result<(), Error> {
    if user_exists(&state.db, app.id, user_id).await? {
        Ok(())
    } else {
        Err(user_not_found())
    }
}

/// `GET /api/v2/users/{id}/payout-methods`: the user's payout methods, oldest first.
async fn list_payout_methods(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<PayoutMethodList>, Error> {
    let user_id = id.id(user_not_found)?;
    check_host_user(&state, app, user_id).await?;
    let mut conn = state.db.acquire().await?;
    Ok(Json(list_methods(&mut conn, user_id).await?))
}

/// `POST /api/v2/users/{id}/payout-methods`: adds a method; the user's first one becomes the
/// default.
async fn create_payout_method(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
    ApiJson(new): ApiJson<NewPayoutMethod>,
) -> Result<Json<PayoutMethod>, Error> {
    let user_id = id.id(user_not_found)?;
    check_host_user(&state, app, user_id).await?;
    let now = state.clock.now();
    Ok(Json(
        add_method(&state.db, app.id, user_id, new, now, None).await?,
    ))
}

/// `DELETE /api/v2/users/{id}/payout-methods/{method_id}`: 204; if it was the default, the
/// oldest remaining method becomes the default.
async fn delete_payout_method(
    State(state): State<AppState>,
    app: HostApp,
    ids: PathParams,
) -> Result<StatusCode, Error> {
    let (user_id, method_id) = ids.ids(user_not_found, payout_method_not_found)?;
    check_host_user(&state, app, user_id).await?;
    remove_method(&state.db, user_id, method_id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v2/users/{id}/payout-methods/{method_id}/default`: makes it the default; answers
/// the whole list.
async fn set_default_payout_method(
    State(state): State<AppState>,
    app: HostApp,
    ids: PathParams,
) -> Result<Json<PayoutMethodList>, Error> {
    let (user_id, method_id) = ids.ids(user_not_found, payout_method_not_found)?;
    check_host_user(&state, app, user_id).await?;
    Ok(Json(
        make_default(&state.db, user_id, method_id, None).await?,
    ))
}

/// `GET /api/flow/payout-methods`: the signed-in user's payout methods.
async fn list_flow_payout_methods(
    State(state): State<AppState>,
    user: FlowUser,
) -> Result<Json<PayoutMethodList>, Error> {
    user.permit(&state, FlowAction::ReadPayoutMethods).await?;
    let mut conn = state.db.acquire().await?;
    Ok(Json(list_methods(&mut conn, user.user_id).await?))
}

/// `POST /api/flow/payout-methods`: as the host's, for the signed-in user. Through the payout
/// step only while the user has no payout method (issue 8: a leaked payout link must not add
/// the holder's own account next to the user's and pay the balance to it); manage-payouts adds
/// any number. Checked before the write (a refused add never queues for the write lock) and
/// again in its transaction ([`add_method`]).
async fn create_flow_payout_method(
    State(state): State<AppState>,
    user: FlowUser,
    ApiJson(new): ApiJson<NewPayoutMethod>,
) -> Result<Json<PayoutMethod>, Error> {
    let flow = user.permit(&state, FlowAction::AddPayoutMethod).await?;
    let step = flow.permits(FlowAction::AddPayoutMethod);
    if step == Ok(StepName::Payout)
        && has_payout_method(&mut *state.db.acquire().await?, user.user_id).await?
    {
        return Err(Error::StepNotAllowed(Denial::PayoutStepHasMethods));
    }
    let now = state.clock.now();
    let through = FlowWrite {
        flow: &flow,
        action: FlowAction::AddPayoutMethod,
    };
    Ok(Json(
        add_method(
            &state.db,
            user.app_id,
            user.user_id,
            new,
            now,
            Some(through),
        )
        .await?,
    ))
}

/// `DELETE /api/flow/payout-methods/{id}`: as the host's, for the signed-in user.
async fn delete_flow_payout_method(
    State(state): State<AppState>,
    user: FlowUser,
    id: PathParam,
) -> Result<StatusCode, Error> {
    let flow = user.permit(&state, FlowAction::RemovePayoutMethod).await?;
    let method_id = id.id(payout_method_not_found)?;
    let through = FlowWrite {
        flow: &flow,
        action: FlowAction::RemovePayoutMethod,
    };
    remove_method(&state.db, user.user_id, method_id, Some(through)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/flow/payout-methods/{id}/default`: as the host's, for the signed-in user.
async fn set_default_flow_payout_method(
    State(state): State<AppState>,
    user: FlowUser,
    id: PathParam,
) -> Result<Json<PayoutMethodList>, Error> {
    let flow = user
        .permit(&state, FlowAction::ChooseDefaultPayoutMethod)
        .await?;
    let method_id = id.id(payout_method_not_found)?;
    let through = FlowWrite {
        flow: &flow,
        action: FlowAction::ChooseDefaultPayoutMethod,
    };
    Ok(Json(
        make_default(&state.db, user.user_id, method_id, Some(through)).await?,
    ))
}

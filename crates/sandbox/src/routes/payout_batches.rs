//! `/api/v2/payout-batches` (seed 004, "Create Batch Payouts", "GET
//! /v2/payout-batches/{payout_batch_id}", "List Historical Payout Batches"; issue 11): a host
//! submits up to 1,000 payouts at once and is answered the batch at once; the batch worker
//! ([`crate::batch_worker`]) pays the items. The rules are [`crate::service::payout_batches`]';
//! these handlers check the caller and answer. Another app's batch is 404.

use crate::auth::HostApp;
use crate::error::Error;
use crate::extract::{ApiJson, ApiQuery, PathParam};
use crate::pagination::{Page, PageParams};
use crate::routes::Mount;
use crate::service::payout_batches::create_batch;
use crate::state::AppState;
use crate::store::payout_batches;
use axum::extract::{DefaultBodyLimit, State};
use axum::{Json, Router};
use payout_model::batch::{NewPayoutBatch, PayoutBatch, PayoutBatchItemList, PayoutBatchList};
use payout_model::endpoint as ep;
use serde::Deserialize;

/// The largest batch body: 1,000 items with room for their metadata (axum's default is 2 MB).
const BATCH_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The payout batch routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint_with::<ep::CreatePayoutBatch, _, _>(create_payout_batch, |route| {
            route.layer(DefaultBodyLimit::max(BATCH_BODY_LIMIT))
        })
        .endpoint::<ep::ListPayoutBatches, _, _>(list_payout_batches)
        .endpoint::<ep::GetPayoutBatch, _, _>(get_payout_batch)
        .endpoint::<ep::ListPayoutBatchItems, _, _>(list_payout_batch_items)
}

/// The 404 for a batch that does not exist or is not the caller's.
fn batch_not_found() -> Error {
    Error::NotFound("payout batch not found".to_owned())
}

/// `POST /api/v2/payout-batches`: accepts the batch (each item checked for shape, its errors
/// named `items[i].field`; at most 1,000 items) and answers it, `created`; the worker pays it.
async fn create_payout_batch(
    State(state): State<AppState>,
    app: HostApp,
    ApiJson(new): ApiJson<NewPayoutBatch>,
) -> Result<Json<PayoutBatch>, Error> {
    let now = state.clock.now();
    Ok(Json(create_batch(&state.db, app.id, new, now).await?))
}

/// `GET /api/v2/payout-batches/{id}`: one of the calling app's batches, its status and counts.
async fn get_payout_batch(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<PayoutBatch>, Error> {
    let id = id.id(batch_not_found)?;
    let mut conn = state.db.acquire().await?;
    payout_batches::find(&mut conn, app.id, id)
        .await?
        .map(Json)
        .ok_or_else(batch_not_found)
}

/// `GET /api/v2/payout-batches/{id}/items`: every item of one of the calling app's batches, in
/// order: its request, status, and transfer id or error envelope.
async fn list_payout_batch_items(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<PayoutBatchItemList>, Error> {
    let id = id.id(batch_not_found)?;
    let mut conn = state.db.acquire().await?;
    if payout_batches::find(&mut conn, app.id, id).await?.is_none() {
        return Err(batch_not_found());
    }
    let data = payout_batches::items(&mut conn, id).await?;
    Ok(Json(PayoutBatchItemList { data }))
}

/// The query of `GET /api/v2/payout-batches`, as text: each value is checked by hand so a bad
/// one is a 422 naming its parameter.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    limit: Option<String>,
    starting_after: Option<String>,
    ending_before: Option<String>,
}

/// `GET /api/v2/payout-batches?limit=&starting_after=&ending_before=`: the calling app's
/// batches, newest first, paged as [`crate::pagination`] says.
async fn list_payout_batches(
    State(state): State<AppState>,
    app: HostApp,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<PayoutBatchList>, Error> {
    let params = PageParams::parse(
        query.limit.as_deref(),
        query.starting_after.as_deref(),
        query.ending_before.as_deref(),
        "payout batch",
    )?;
    let mut conn = state.db.acquire().await?;
    let page = match params.cursor {
        None => Page::First,
        Some(cursor) => {
            let seq = payout_batches::seq_of(&mut conn, app.id, cursor.id).await?;
            cursor.page(seq, "payout batch")?
        }
    };
    let (data, has_more) = payout_batches::list(&mut conn, app.id, page, params.limit).await?;
    Ok(Json(PayoutBatchList { data, has_more }))
}

//! `/api/v2/payout-links` (seed 004, "Create a Payout Link"; issue 11) and the sandbox's outbox,
//! `/api/v2/sandbox/messages`: a host promises a payee an amount and gets the link they open.
//! The rules are [`crate::service::payout_links`]'; these handlers check the caller and answer.
//! Another app's link is 404.

use crate::auth::HostApp;
use crate::error::Error;
use crate::extract::{ApiJson, ApiQuery, PathParam};
use crate::pagination::{Page, PageParams};
use crate::routes::Mount;
use crate::service::payout_links::{
    cancel_link, create_link, expire_all_due_of, get_link, messages,
};
use crate::state::AppState;
use crate::store::payout_links::{self, link_not_found};
use axum::extract::State;
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::payout_link::{
    NewPayoutLink, PayoutLink, PayoutLinkList, PayoutLinkStatus, SandboxMessageList,
};
use payout_model::Rule;
use serde::Deserialize;

/// The payout link routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::CreatePayoutLink, _, _>(create_payout_link)
        .endpoint::<ep::ListPayoutLinks, _, _>(list_payout_links)
        .endpoint::<ep::GetPayoutLink, _, _>(get_payout_link)
        .endpoint::<ep::CancelPayoutLink, _, _>(cancel_payout_link)
        .endpoint::<ep::ListSandboxMessages, _, _>(list_sandbox_messages)
}

/// `POST /api/v2/payout-links`: sets the amount aside and answers the link, `delivered`.
async fn create_payout_link(
    State(state): State<AppState>,
    app: HostApp,
    ApiJson(new): ApiJson<NewPayoutLink>,
) -> Result<Json<PayoutLink>, Error> {
    Ok(Json(create_link(&state, app.id, new).await?))
}

/// `GET /api/v2/payout-links/{id}`: one of the calling app's links.
async fn get_payout_link(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<PayoutLink>, Error> {
    let id = id.id(link_not_found)?;
    Ok(Json(get_link(&state, app.id, id).await?))
}

/// `POST /api/v2/payout-links/{id}/cancel`: cancels an open link (its money returns) or a
/// claimed one not yet paid out (its fee reserve returns; the amount stays the claimant's).
async fn cancel_payout_link(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<PayoutLink>, Error> {
    let id = id.id(link_not_found)?;
    Ok(Json(cancel_link(&state, app.id, id).await?))
}

/// The query of `GET /api/v2/payout-links`, as text: each value is checked by hand so a bad one
/// is a 422 naming its parameter.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    limit: Option<String>,
    starting_after: Option<String>,
    ending_before: Option<String>,
    status: Option<String>,
}

/// `GET /api/v2/payout-links?limit=&starting_after=&ending_before=&status=`: the calling app's
/// links, newest first, paged as [`crate::pagination`] says.
async fn list_payout_links(
    State(state): State<AppState>,
    app: HostApp,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<PayoutLinkList>, Error> {
    let params = PageParams::parse(
        query.limit.as_deref(),
        query.starting_after.as_deref(),
        query.ending_before.as_deref(),
        "payout link",
    )?;
    let status = query
        .status
        .as_deref()
        .map(|s| {
            PayoutLinkStatus::parse(s).ok_or_else(|| {
                Error::invalid_field(
                    "status",
                    Rule::Malformed,
                    "must be created, delivered, claimed, paid, expired or canceled",
                )
            })
        })
        .transpose()?;
    expire_all_due_of(&state, Some(app.id)).await?;
    let mut conn = state.db.acquire().await?;
    let page = match params.cursor {
        None => Page::First,
        Some(cursor) => {
            let seq = payout_links::seq_of(&mut conn, app.id, cursor.id).await?;
            cursor.page(seq, "payout link")?
        }
    };
    let (rows, has_more) =
        payout_links::list(&mut conn, app.id, status, page, params.limit).await?;
    let data = rows
        .iter()
        .map(|row| row.to_link(&state.config))
        .collect::<Result<_, _>>()?;
    Ok(Json(PayoutLinkList { data, has_more }))
}

/// `GET /api/v2/sandbox/messages`: the texts and emails the sandbox would have sent for the
/// calling app, newest first.
async fn list_sandbox_messages(
    State(state): State<AppState>,
    app: HostApp,
) -> Result<Json<SandboxMessageList>, Error> {
    Ok(Json(SandboxMessageList {
        data: messages(&state, app.id).await?,
    }))
}

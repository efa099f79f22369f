//! `/api/v2/notifications`: what the app must hear about its users (issue 3; seed 000: a failed
//! background check notifies the app), paged like transfers (issue 8). The rows, recorded as
//! things happen, are [`crate::store::notifications`]'s.

use crate::auth::HostApp;
use crate::error::Error;
use crate::extract::ApiQuery;
use crate::pagination::{Page, PageParams};
use crate::routes::Mount;
use crate::state::AppState;
use crate::store::notifications::{list_notifications as page_of, notification_seq};
use axum::extract::State;
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::notification::NotificationList;
use serde::Deserialize;

/// The notifications routes (with and without a trailing slash, like the other host routes).
pub(crate) fn router() -> Router<AppState> {
    Router::new().endpoint::<ep::ListNotifications, _, _>(list_notifications)
}

/// The query of `GET /api/v2/notifications`, as text (checked by [`PageParams::parse`]).
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    limit: Option<String>,
    starting_after: Option<String>,
    ending_before: Option<String>,
}

/// `GET /api/v2/notifications?limit=&starting_after=&ending_before=`: the calling app's
/// notifications, newest first, paged like transfers ([`crate::pagination`]).
async fn list_notifications(
    State(state): State<AppState>,
    app: HostApp,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<NotificationList>, Error> {
    let params = PageParams::parse(
        query.limit.as_deref(),
        query.starting_after.as_deref(),
        query.ending_before.as_deref(),
        "notification",
    )?;
    let mut conn = state.db.acquire().await?;
    let page = match params.cursor {
        None => Page::First,
        Some(cursor) => {
            let seq = notification_seq(&mut conn, app.id, cursor.id).await?;
            cursor.page(seq, "notification")?
        }
    };
    let (data, has_more) = page_of(&mut conn, app.id, page, params.limit).await?;
    Ok(Json(NotificationList { data, has_more }))
}

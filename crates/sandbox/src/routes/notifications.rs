//! `/api/v2/notifications`: what the app must hear about its users (issue 3; seed 000: a failed
//! background check notifies the app), paged like transfers (issue 8), and the
//! `app_notifications` table behind it. Events are
//! recorded here as they happen ([`record_notification`]); the webhooks issue delivers them and
//! sets `delivered_at`.

use crate::auth::HostApp;
use crate::db::{
    enum_from_text, from_millis, next_seq, parse_stored_id, parse_stored_json, parse_stored_opt_id,
    to_json_text, to_millis,
};
use crate::error::Error;
use crate::extract::ApiQuery;
use crate::pagination::{Page, PageParams};
use crate::routes::Mount;
use crate::state::AppState;
use axum::extract::State;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use payout_model::endpoint as ep;
use payout_model::notification::{Notification, NotificationList, NotificationType};
use serde::Deserialize;
use sqlx::AnyConnection;
use uuid::Uuid;

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
            let seq: Option<i64> = sqlx::query_scalar(
                "SELECT seq FROM app_notifications WHERE id = $1 AND app_id = $2",
            )
            .bind(cursor.id.to_string())
            .bind(app.id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
            cursor.page(seq, "notification")?
        }
    };
    let page_sql = page.sql("seq", 2);
    let limit_at = if page_sql.bind.is_some() { 3 } else { 2 };
    let sql = format!(
        "SELECT id, kind, user_id, payload, created FROM app_notifications \
         WHERE app_id = $1{} {} LIMIT ${limit_at}",
        page_sql.filter, page_sql.order
    );
    let mut rows = sqlx::query_as::<_, (String, String, Option<String>, String, i64)>(&sql)
        .bind(app.id.to_string());
    if let Some(seq) = page_sql.bind {
        rows = rows.bind(seq);
    }
    let rows = rows
        .bind(Page::fetch_limit(params.limit))
        .fetch_all(&mut *conn)
        .await?;
    let (rows, has_more) = page.finish(rows, params.limit);
    let data = rows
        .into_iter()
        .map(|(id, kind, user_id, payload, created)| {
            Ok(Notification {
                id: parse_stored_id(&id)?,
                kind: enum_from_text("kind", &kind)?,
                user_id: parse_stored_opt_id(user_id.as_deref())?,
                created: from_millis(created)?,
                data: parse_stored_json("payload", &payload)?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Json(NotificationList { data, has_more }))
}

/// Records a notification for app `app_id`, inside the caller's write transaction
/// ([`crate::db::begin_write`]), so it exists exactly when what it reports does.
pub(crate) async fn record_notification(
    conn: &mut AnyConnection,
    app_id: Uuid,
    kind: NotificationType,
    user_id: Option<Uuid>,
    data: &impl serde::Serialize,
    now: DateTime<Utc>,
) -> Result<Uuid, Error> {
    let id = Uuid::new_v4();
    let seq = next_seq(conn, "app_notifications", 1).await?;
    sqlx::query(
        "INSERT INTO app_notifications (id, app_id, kind, user_id, payload, created, seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(app_id.to_string())
    .bind(kind.as_str())
    .bind(user_id.map(|u| u.to_string()))
    .bind(to_json_text(data)?)
    .bind(to_millis(now))
    .bind(seq)
    .execute(&mut *conn)
    .await?;
    tracing::info!(%app_id, kind = kind.as_str(), "app notification recorded");
    Ok(id)
}

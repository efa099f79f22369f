//! `/api/v2/notifications`: what the app must hear about its users (issue 3; seed 000: a failed
//! background check notifies the app), and the `app_notifications` table behind it. Events are
//! recorded here as they happen ([`record_notification`]); the webhooks issue delivers them and
//! sets `delivered_at`.

use crate::auth::HostApp;
use crate::db::{
    enum_from_text, from_millis, next_seq, parse_stored_id, parse_stored_json, parse_stored_opt_id,
    to_json_text, to_millis,
};
use crate::error::Error;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use payout_model::notification::{Notification, NotificationList, NotificationType};
use sqlx::AnyConnection;
use uuid::Uuid;

/// The notifications routes (with and without a trailing slash, like the other host routes).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v2/notifications", get(list_notifications))
        .route("/api/v2/notifications/", get(list_notifications))
}

/// `GET /api/v2/notifications`: the calling app's notifications, newest first.
async fn list_notifications(
    State(state): State<AppState>,
    app: HostApp,
) -> Result<Json<NotificationList>, Error> {
    let rows: Vec<(String, String, Option<String>, String, i64)> = sqlx::query_as(
        "SELECT id, kind, user_id, payload, created FROM app_notifications \
         WHERE app_id = $1 ORDER BY seq DESC",
    )
    .bind(app.id.to_string())
    .fetch_all(&state.db)
    .await?;
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
    Ok(Json(NotificationList { data }))
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

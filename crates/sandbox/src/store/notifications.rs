//! The `app_notifications` table: what the app must hear about its users (issue 3), recorded
//! as it happens ([`record_notification`]) and read newest first, paged like transfers; the
//! webhooks issue delivers them and sets `delivered_at`.

use crate::db::{
    enum_from_text, from_millis, next_seq, parse_stored_id, parse_stored_json, parse_stored_opt_id,
    to_json_text, to_millis,
};
use crate::error::Error;
use crate::pagination::Page;
use chrono::{DateTime, Utc};
use payout_model::notification::{Notification, NotificationType};
use sqlx::AnyConnection;
use uuid::Uuid;

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

/// The position of app `app_id`'s notification `id` in its list, for a page cursor; `None` for
/// another app's or none.
pub(crate) async fn notification_seq(
    conn: &mut AnyConnection,
    app_id: Uuid,
    id: Uuid,
) -> Result<Option<i64>, Error> {
    Ok(
        sqlx::query_scalar("SELECT seq FROM app_notifications WHERE id = $1 AND app_id = $2")
            .bind(id.to_string())
            .bind(app_id.to_string())
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// One page of app `app_id`'s notifications, newest first, and whether there are more.
pub(crate) async fn list_notifications(
    conn: &mut AnyConnection,
    app_id: Uuid,
    page: Page,
    limit: i64,
) -> Result<(Vec<Notification>, bool), Error> {
    let page_sql = page.sql("seq", 2);
    let limit_at = if page_sql.bind.is_some() { 3 } else { 2 };
    let sql = format!(
        "SELECT id, kind, user_id, payload, created FROM app_notifications \
         WHERE app_id = $1{} {} LIMIT ${limit_at}",
        page_sql.filter, page_sql.order
    );
    let mut rows = sqlx::query_as::<_, (String, String, Option<String>, String, i64)>(&sql)
        .bind(app_id.to_string());
    if let Some(seq) = page_sql.bind {
        rows = rows.bind(seq);
    }
    let rows = rows
        .bind(Page::fetch_limit(limit))
        .fetch_all(&mut *conn)
        .await?;
    let (rows, has_more) = page.finish(rows, limit);
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
    Ok((data, has_more))
}

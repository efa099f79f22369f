//! `/api/v2/webhooks` and `/api/v2/events` (issue 10): the app's webhook endpoints (create with
//! a secret shown once, read, change, remove, rotate the secret, read the delivery log), its
//! events (also at their old path, `/api/v2/notifications`), and resending one. The rows are [`crate::store::webhooks`]'s; delivery is
//! [`crate::webhooks`]'s worker.

use crate::auth::HostApp;
use crate::db::{begin_ledger_write, begin_write};
use crate::error::Error;
use crate::extract::{ApiJson, ApiQuery, PathParam};
use crate::pagination::{Page, PageParams};
use crate::routes::Mount;
use crate::state::AppState;
use crate::store::webhooks as store;
use crate::store::webhooks::{event_not_found, parse_event_id, webhook_not_found};
use crate::webhooks::{check_url, new_secret, wake};
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::webhook::{
    DeliveryAttemptList, Event, EventList, NewWebhook, Webhook, WebhookList, WebhookUpdate,
};
use serde::Deserialize;

/// The webhook and event routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::CreateWebhook, _, _>(create_webhook)
        .endpoint::<ep::ListWebhooks, _, _>(list_webhooks)
        .endpoint::<ep::GetWebhook, _, _>(get_webhook)
        .endpoint::<ep::UpdateWebhook, _, _>(update_webhook)
        .endpoint::<ep::DeleteWebhook, _, _>(delete_webhook)
        .endpoint::<ep::RotateWebhookSecret, _, _>(rotate_webhook_secret)
        .endpoint::<ep::ListWebhookDeliveries, _, _>(list_webhook_deliveries)
        .endpoint::<ep::ListEvents, _, _>(list_events)
        .endpoint::<ep::ListNotifications, _, _>(list_events)
        .endpoint::<ep::ResendEvent, _, _>(resend_event)
}

/// A list's page query, as text (checked by [`PageParams::parse`]).
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    limit: Option<String>,
    starting_after: Option<String>,
    ending_before: Option<String>,
}

impl ListQuery {
    fn parse(&self, noun: &str, strip: fn(&str) -> &str) -> Result<PageParams, Error> {
        PageParams::parse(
            self.limit.as_deref(),
            self.starting_after.as_deref().map(strip),
            self.ending_before.as_deref().map(strip),
            noun,
        )
    }
}

fn as_is(id: &str) -> &str {
    id
}

/// `POST /api/v2/webhooks`: a new endpoint of the calling app; the answer holds its secret.
async fn create_webhook(
    State(state): State<AppState>,
    app: HostApp,
    ApiJson(mut new): ApiJson<NewWebhook>,
) -> Result<Json<Webhook>, Error> {
    new.url = check_url(&new.url, state.config.webhooks.reach())?;
    // Writes here and below take their turn with the others (payouts) on SQLite: a busy
    // database makes them wait, not fail.
    let mut tx = begin_ledger_write(&state.db).await?;
    let hook = store::insert_webhook(
        &mut tx,
        &state.config.secrets_key,
        app.id,
        new,
        new_secret(),
        state.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(hook))
}

/// `GET /api/v2/webhooks`: the calling app's endpoints, newest first, paged like transfers.
async fn list_webhooks(
    State(state): State<AppState>,
    app: HostApp,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<WebhookList>, Error> {
    let params = query.parse("webhook", as_is)?;
    let mut conn = state.db.acquire().await?;
    let page = match params.cursor {
        None => Page::First,
        Some(cursor) => {
            let seq = store::webhook_seq(&mut conn, app.id, cursor.id).await?;
            cursor.page(seq, "webhook")?
        }
    };
    let (data, has_more) = store::list_webhooks(&mut conn, app.id, page, params.limit).await?;
    Ok(Json(WebhookList { data, has_more }))
}

/// `GET /api/v2/webhooks/{id}`: one of the calling app's endpoints (without its secret).
async fn get_webhook(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<Webhook>, Error> {
    let id = id.id(webhook_not_found)?;
    let mut conn = state.db.acquire().await?;
    Ok(Json(store::find_webhook(&mut conn, app.id, id).await?))
}

/// `PATCH /api/v2/webhooks/{id}`: changes the fields given.
async fn update_webhook(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
    ApiJson(mut update): ApiJson<WebhookUpdate>,
) -> Result<Json<Webhook>, Error> {
    let id = id.id(webhook_not_found)?;
    if let Some(url) = &mut update.url {
        *url = check_url(url, state.config.webhooks.reach())?;
    }
    let mut tx = begin_ledger_write(&state.db).await?;
    let hook = store::update_webhook(&mut tx, app.id, id, update).await?;
    tx.commit().await?;
    Ok(Json(hook))
}

/// `DELETE /api/v2/webhooks/{id}`: removes the endpoint; what it was still owed is dropped.
async fn delete_webhook(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<StatusCode, Error> {
    let id = id.id(webhook_not_found)?;
    let mut tx = begin_write(&state.db).await?;
    store::delete_webhook(&mut tx, app.id, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v2/webhooks/{id}/secret`: a new secret, in force at once; answers the endpoint
/// with it.
async fn rotate_webhook_secret(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<Webhook>, Error> {
    let id = id.id(webhook_not_found)?;
    let mut tx = begin_ledger_write(&state.db).await?;
    let key = &state.config.secrets_key;
    let hook = store::set_secret(&mut tx, key, app.id, id, new_secret()).await?;
    tx.commit().await?;
    Ok(Json(hook))
}

/// `GET /api/v2/webhooks/{id}/deliveries`: every attempt to deliver to the endpoint, newest
/// first.
async fn list_webhook_deliveries(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<DeliveryAttemptList>, Error> {
    let id = id.id(webhook_not_found)?;
    let params = query.parse("delivery attempt", as_is)?;
    let mut conn = state.db.acquire().await?;
    store::find_webhook(&mut conn, app.id, id).await?;
    let page = match params.cursor {
        None => Page::First,
        Some(cursor) => {
            let seq = store::attempt_seq(&mut conn, id, cursor.id).await?;
            cursor.page(seq, "delivery attempt")?
        }
    };
    let (data, has_more) = store::list_attempts(&mut conn, id, page, params.limit).await?;
    Ok(Json(DeliveryAttemptList { data, has_more }))
}

/// `GET /api/v2/events`: the calling app's events, newest first, paged like transfers (the
/// cursors are event ids, `evt_…`).
async fn list_events(
    State(state): State<AppState>,
    app: HostApp,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<EventList>, Error> {
    let params = query.parse("event", |id| id.strip_prefix("evt_").unwrap_or(id))?;
    let mut conn = state.db.acquire().await?;
    let page = match params.cursor {
        None => Page::First,
        Some(cursor) => {
            let wire = store::event_wire_id(cursor.id);
            let seq = store::event_seq(&mut conn, app.id, &wire).await?;
            cursor.page(seq, "event")?
        }
    };
    let (data, has_more) = store::list_events(&mut conn, app.id, page, params.limit).await?;
    Ok(Json(EventList { data, has_more }))
}

/// `POST /api/v2/events/{event_id}/resend`: delivers the event again to each endpoint taking its
/// type; answers the event.
async fn resend_event(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<Event>, Error> {
    let id = parse_event_id(&id.0).ok_or_else(event_not_found)?;
    let mut tx = begin_write(&state.db).await?;
    let event =
        store::resend_event(&mut tx, app.id, &store::event_wire_id(id), state.now()).await?;
    tx.commit().await?;
    wake();
    Ok(Json(event))
}

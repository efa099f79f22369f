//! `/api/v2/apps`: the organization's apps (seed 004, "Create App"; issue 10): create, list (paged
//! like transfers), read, and a new api key; and `/api/v2/app`: the calling app's own settings.
//! The organization's routes take [`Organization`] (an app's credentials get 403); the settings
//! routes take [`HostApp`], so the organization reaches them with `Api-App-Id` too.

use crate::auth::{HostApp, Organization};
use crate::error::Error;
use crate::extract::{whole_number_param, ApiJson, ApiQuery, PathParam};
use crate::pagination::{Page, PageParams};
use crate::routes::Mount;
use crate::service::apps::{create_app as create, create_key, update_settings};
use crate::state::AppState;
use crate::store::apps::{
    app_not_found, app_seq, find_app, list_apps as page_of, settings, KEY_OVERLAP,
};
use axum::extract::State;
use axum::{Json, Router};
use chrono::Duration;
use payout_model::endpoint as ep;
use payout_model::{App, AppList, AppSettings, AppSettingsPatch, NewApp};
use serde::Deserialize;

/// The apps routes (with and without a trailing slash, like the other host routes).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::CreateApp, _, _>(create_app)
        .endpoint::<ep::ListApps, _, _>(list_apps)
        .endpoint::<ep::GetApp, _, _>(get_app)
        .endpoint::<ep::CreateAppKey, _, _>(create_app_key)
        .endpoint::<ep::GetAppSettings, _, _>(get_app_settings)
        .endpoint::<ep::UpdateAppSettings, _, _>(update_app_settings)
}

/// `POST /api/v2/apps`: a new app of the organization, with its credentials; the api key is in
/// this answer only.
async fn create_app(
    State(state): State<AppState>,
    organization: Organization,
    ApiJson(new): ApiJson<NewApp>,
) -> Result<Json<App>, Error> {
    let app = create(&state.db, &organization.id, &new, state.clock.now()).await?;
    Ok(Json(app))
}

/// The query of `GET /api/v2/apps`, as text (checked by [`PageParams::parse`]).
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    limit: Option<String>,
    starting_after: Option<String>,
    ending_before: Option<String>,
}

/// `GET /api/v2/apps?limit=&starting_after=&ending_before=`: the organization's apps, newest
/// first, paged like transfers ([`crate::pagination`]).
async fn list_apps(
    State(state): State<AppState>,
    organization: Organization,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<AppList>, Error> {
    let params = PageParams::parse(
        query.limit.as_deref(),
        query.starting_after.as_deref(),
        query.ending_before.as_deref(),
        "app",
    )?;
    let mut conn = state.db.acquire().await?;
    let page = match params.cursor {
        None => Page::First,
        Some(cursor) => {
            let seq = app_seq(&mut conn, &organization.id, cursor.id).await?;
            cursor.page(seq, "app")?
        }
    };
    let (data, has_more) = page_of(&mut conn, &organization.id, page, params.limit).await?;
    Ok(Json(AppList { data, has_more }))
}

/// `GET /api/v2/apps/{id}`: one of the organization's apps (never its key).
async fn get_app(
    State(state): State<AppState>,
    organization: Organization,
    id: PathParam,
) -> Result<Json<App>, Error> {
    let id = id.id(app_not_found)?;
    let mut conn = state.db.acquire().await?;
    Ok(Json(find_app(&mut conn, &organization.id, id).await?))
}

/// The query of `POST /api/v2/apps/{id}/keys`, as text (checked by hand, so a bad value is a
/// 422 naming it); any other parameter is a 422 on `query`: a misspelt
/// `previous_key_expires_in` would leave a leaked key working 24 hours.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyQuery {
    previous_key_expires_in: Option<String>,
}

/// `POST /api/v2/apps/{id}/keys?previous_key_expires_in=`: a new api key for the app, in this
/// answer only; the app's other keys keep working for 24 hours, or the seconds the query gives
/// (0: they stop at once, in this process's cache of matched keys too).
async fn create_app_key(
    State(state): State<AppState>,
    organization: Organization,
    id: PathParam,
    ApiQuery(query): ApiQuery<KeyQuery>,
) -> Result<Json<App>, Error> {
    let id = id.id(app_not_found)?;
    let max = KEY_OVERLAP.num_seconds();
    let overlap = Duration::seconds(whole_number_param(
        "previous_key_expires_in",
        query.previous_key_expires_in.as_deref(),
        0..=max,
        max,
        " of seconds",
    )?);
    let app = create_key(&state.db, &organization.id, id, state.clock.now(), overlap).await?;
    if overlap < KEY_OVERLAP {
        // A match remembered from before would outlive the key's new end by up to 30 s.
        state.app_keys.forget_app(id);
    }
    Ok(Json(app))
}

/// `GET /api/v2/app`: the calling app's settings.
async fn get_app_settings(
    State(state): State<AppState>,
    app: HostApp,
) -> Result<Json<AppSettings>, Error> {
    let mut conn = state.db.acquire().await?;
    Ok(Json(settings(&mut conn, app.id).await?))
}

/// `PATCH /api/v2/app`: changes the calling app's settings; answers them as they are now.
async fn update_app_settings(
    State(state): State<AppState>,
    app: HostApp,
    ApiJson(patch): ApiJson<AppSettingsPatch>,
) -> Result<Json<AppSettings>, Error> {
    Ok(Json(
        update_settings(&state.db, app.id, &patch, state.now()).await?,
    ))
}

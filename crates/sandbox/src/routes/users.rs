//! `/api/v2/users`: users as the host creates and reads them (seed 004, "Create a User"); the
//! rows are [`crate::store::users`]'s. The optional `Dots-User-IP` header (seed 004, "IP address
//! tracking") is stored with the user and never returned. Each user gets their wallet (and the
//! hold of their pending payouts) with them, whether the host created them or they signed up in
//! a flow (issue 3). The user object also carries what the identity steps
//! collected (issue 3): `has_criminal_activity`, compliance (masked), the ID verification
//! decision and the latest background check.

use crate::auth::HostApp;
use crate::error::Error;
use crate::extract::{ApiJson, PathParam};
use crate::phone::ParsedPhone;
use crate::routes::Mount;
use crate::state::AppState;
use crate::store::users::{create_host_user, find_user, user_not_found};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::{NewUser, Rule, User};
use std::net::IpAddr;

/// The header a host sets to the end user's IP address.
pub(crate) const USER_IP_HEADER: &str = "Dots-User-IP";

/// The users routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::CreateUser, _, _>(create_user)
        .endpoint::<ep::GetUser, _, _>(get_user)
}

/// `POST /api/v2/users`: a new, unverified user of the calling app. Besides the model's rules,
/// the phone must be a real number for its country code (issue 3; 422 `phone_number`).
async fn create_user(
    State(state): State<AppState>,
    app: HostApp,
    headers: HeaderMap,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<Json<User>, Error> {
    let user_ip = user_ip(&headers)?;
    let mut new = new;
    if new.is_phone_only() {
        // Seed 004's "Create User": the E.164 number split as every other user's is stored.
        let (country_code, national) = ParsedPhone::split_e164(&new.phone_number)?;
        new.country_code = country_code;
        new.phone_number = national;
    } else {
        ParsedPhone::parse(&new.country_code, &new.phone_number)?;
    }
    let user = create_host_user(&state.db, app.id, new, user_ip, state.clock.now()).await?;
    Ok(Json(user))
}

/// `GET /api/v2/users/{id}`: one of the calling app's users, with what the identity steps
/// collected.
async fn get_user(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<User>, Error> {
    let id = id.id(user_not_found)?;
    let mut conn = state.db.acquire().await?;
    let user = find_user(&mut conn, app.id, id)
        .await?
        .ok_or_else(user_not_found)?;
    Ok(Json(user))
}

/// The `Dots-User-IP` header as an IP address; absent is fine, anything else is a 422.
fn user_ip(headers: &HeaderMap) -> Result<Option<IpAddr>, Error> {
    let Some(value) = headers.get(USER_IP_HEADER) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<IpAddr>().ok())
        .map(Some)
        .ok_or_else(|| Error::broke(USER_IP_HEADER, Rule::IpAddress))
}

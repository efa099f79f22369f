//! `/api/v2/users`: users as the host creates and reads them (seed 004, "Create a User"), and
//! the `users` table behind them. The optional `Dots-User-IP` header (seed 004, "IP address
//! tracking") is stored with the user and never returned. Each user gets their wallet (and the
//! hold of their pending payouts) with them.

use crate::auth::HostApp;
use crate::db::{metadata_from_text, metadata_to_text, parse_stored_id, to_flag, to_millis, Db};
use crate::error::Error;
use crate::extract::{ApiJson, PathParam};
use crate::ledger::ensure_user_accounts;
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use payout_model::{NewUser, PhoneNumber, User, UserStatus};
use std::net::IpAddr;
use uuid::Uuid;

/// The header a host sets to the end user's IP address.
pub(crate) const USER_IP_HEADER: &str = "Dots-User-IP";

/// The users routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v2/users", post(create_user))
        .route("/api/v2/users/", post(create_user))
        .route("/api/v2/users/{id}", get(get_user))
        .route("/api/v2/users/{id}/", get(get_user))
}

/// The 404 for a user that does not exist or is another app's.
pub(crate) fn user_not_found() -> Error {
    Error::NotFound("user not found".to_owned())
}

/// `POST /api/v2/users`: a new, unverified user of the calling app.
async fn create_user(
    State(state): State<AppState>,
    app: HostApp,
    headers: HeaderMap,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<Json<User>, Error> {
    let user_ip = user_ip(&headers)?;
    let user = User {
        id: Uuid::new_v4(),
        first_name: new.first_name.trim().to_owned(),
        last_name: new.last_name.trim().to_owned(),
        email: new.email.trim().to_owned(),
        phone_number: new.normalized_phone(),
        metadata: new.metadata.filter(|m| !m.is_null()),
        status: UserStatus::Unverified,
        verified: false,
        has_criminal_activity: false,
        compliance: None,
        id_verification: None,
        background_check: None,
    };
    let now = state.clock.now();
    // The user and their wallet exist together or not at all.
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "INSERT INTO users (id, app_id, first_name, last_name, email, country_code, \
         phone_number, metadata, status, verified, user_ip, created) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(user.id.to_string())
    .bind(app.id.to_string())
    .bind(&user.first_name)
    .bind(&user.last_name)
    .bind(&user.email)
    .bind(&user.phone_number.country_code)
    .bind(&user.phone_number.phone_number)
    .bind(metadata_to_text(&user.metadata)?)
    .bind(status_text(user.status))
    .bind(to_flag(user.verified))
    .bind(user_ip.map(|ip| ip.to_string()))
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await?;
    ensure_user_accounts(&mut tx, app.id, user.id, now).await?;
    tx.commit().await?;
    Ok(Json(user))
}

/// `GET /api/v2/users/{id}`: one of the calling app's users.
async fn get_user(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<User>, Error> {
    let id = id.id(user_not_found)?;
    let row: UserRow = sqlx::query_as(
        "SELECT id, first_name, last_name, email, country_code, phone_number, metadata, \
         status, verified FROM users WHERE id = $1 AND app_id = $2",
    )
    .bind(id.to_string())
    .bind(app.id.to_string())
    .fetch_optional(&state.db)
    .await?
    .ok_or_else(user_not_found)?;
    Ok(Json(row.into_user()?))
}

/// Whether `user_id` is a user of app `app_id`.
pub(crate) async fn user_exists(db: &Db, app_id: Uuid, user_id: Uuid) -> Result<bool, Error> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM users WHERE id = $1 AND app_id = $2")
            .bind(user_id.to_string())
            .bind(app_id.to_string())
            .fetch_optional(db)
            .await?;
    Ok(found.is_some())
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
        .ok_or_else(|| {
            Error::invalid_field(
                USER_IP_HEADER,
                "must be an ip address like 192.0.2.0 or 2001:db8::1",
            )
        })
}

fn status_text(status: UserStatus) -> &'static str {
    match status {
        UserStatus::Unverified => "unverified",
        UserStatus::Verified => "verified",
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    first_name: String,
    last_name: String,
    email: String,
    country_code: String,
    phone_number: String,
    metadata: Option<String>,
    status: String,
    verified: i64,
}

impl UserRow {
    fn into_user(self) -> Result<User, Error> {
        let status = match self.status.as_str() {
            "unverified" => UserStatus::Unverified,
            "verified" => UserStatus::Verified,
            other => return Err(Error::Internal(format!("stored user status {other:?}"))),
        };
        Ok(User {
            id: parse_stored_id(&self.id)?,
            first_name: self.first_name,
            last_name: self.last_name,
            email: self.email,
            phone_number: PhoneNumber {
                country_code: self.country_code,
                phone_number: self.phone_number,
            },
            metadata: metadata_from_text(self.metadata.as_deref())?,
            status,
            verified: self.verified != 0,
            has_criminal_activity: false,
            compliance: None,
            id_verification: None,
            background_check: None,
        })
    }
}

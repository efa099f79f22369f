//! `/api/v2/users`: users as the host creates and reads them (seed 004, "Create a User"), and
//! the `users` table behind them. The optional `Dots-User-IP` header (seed 004, "IP address
//! tracking") is stored with the user and never returned. Each user gets their wallet (and the
//! hold of their pending payouts) with them, whether the host created them or they signed up in
//! a flow ([`insert_user`], issue 3). The user object also carries what the identity steps
//! collected (issue 3): `has_criminal_activity`, compliance (masked), the ID verification
//! decision and the latest background check.

use crate::auth::HostApp;
use crate::db::{metadata_from_text, metadata_to_text, parse_stored_id, to_flag, to_millis, Db};
use crate::error::Error;
use crate::extract::{ApiJson, PathParam};
use crate::ledger::ensure_user_accounts;
use crate::phone::ParsedPhone;
use crate::routes::Mount;
use crate::routes::{background_checks, compliance, id_verification};
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use payout_model::endpoint as ep;
use payout_model::identity::VerificationStatus;
use payout_model::{NewUser, PhoneNumber, User, UserStatus};
use sqlx::AnyConnection;
use std::net::IpAddr;
use uuid::Uuid;

/// The header a host sets to the end user's IP address.
pub(crate) const USER_IP_HEADER: &str = "Dots-User-IP";

/// The users routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::CreateUser, _, _>(create_user)
        .endpoint::<ep::GetUser, _, _>(get_user)
}

/// The 404 for a user that does not exist or is another app's.
pub(crate) fn user_not_found() -> Error {
    Error::NotFound("user not found".to_owned())
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
    ParsedPhone::parse(&new.country_code, &new.phone_number)?;
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
    // The user and their wallet exist together or not at all.
    let mut tx = state.db.begin().await?;
    insert_user(&mut tx, app.id, &user, user_ip, state.clock.now()).await?;
    tx.commit().await?;
    Ok(Json(user))
}

/// Inserts `user` (a new user of app `app_id`, nothing collected yet) with their wallet, inside
/// the caller's transaction: the one way users come to exist, created by the host or signed up
/// in a flow (`POST /api/flow/auth/profile`).
pub(crate) async fn insert_user(
    conn: &mut AnyConnection,
    app_id: Uuid,
    user: &User,
    user_ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO users (id, app_id, first_name, last_name, email, country_code, \
         phone_number, metadata, status, verified, user_ip, created) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(user.id.to_string())
    .bind(app_id.to_string())
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
    .execute(&mut *conn)
    .await?;
    ensure_user_accounts(conn, app_id, user.id, now).await
}

/// `GET /api/v2/users/{id}`: one of the calling app's users, with what the identity steps
/// collected.
async fn get_user(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<User>, Error> {
    let id = id.id(user_not_found)?;
    let user = find_user(&state.db, app.id, id)
        .await?
        .ok_or_else(user_not_found)?;
    Ok(Json(user))
}

/// User `user_id` of app `app_id` as the host sees it: compliance masked, `id_verification`
/// only once a decision was made, the latest background check.
pub(crate) async fn find_user(db: &Db, app_id: Uuid, user_id: Uuid) -> Result<Option<User>, Error> {
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT id, first_name, last_name, email, country_code, phone_number, metadata, \
         status, verified, has_criminal_activity FROM users WHERE id = $1 AND app_id = $2",
    )
    .bind(user_id.to_string())
    .bind(app_id.to_string())
    .fetch_optional(db)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut user = row.into_user()?;
    user.compliance = compliance::find_compliance(db, user_id).await?;
    user.id_verification = Some(id_verification::find_id_verification(db, user_id).await?)
        .filter(|v| v.status != VerificationStatus::NotStarted);
    user.background_check = background_checks::find_latest(db, user_id).await?;
    Ok(Some(user))
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

/// A user status as stored.
pub(crate) fn status_text(status: UserStatus) -> &'static str {
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
    has_criminal_activity: i64,
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
            has_criminal_activity: self.has_criminal_activity != 0,
            compliance: None,
            id_verification: None,
            background_check: None,
        })
    }
}

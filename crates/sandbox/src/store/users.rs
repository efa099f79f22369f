//! The `users` table: users as the host created them or they signed up in a flow, with their
//! wallet ([`insert_user`], issue 3), the user object the host reads (with what the identity
//! stores hold: compliance masked, the ID verification decision, the latest background check),
//! and the columns the sign-in and the identity steps read and set (phone, `verified`,
//! `has_criminal_activity`).

use crate::db::{
    metadata_from_text, metadata_to_text, parse_stored_id, read_once, to_flag, to_millis, Answers,
    Arg, Batch, Db, ValueAt,
};
use crate::error::Error;
use crate::ledger::ensure_user_accounts;
use crate::phone::ParsedPhone;
use crate::store::{background_checks, compliance, id_verification};
use chrono::{DateTime, Utc};
use payout_model::identity::{Compliance, VerificationStatus};
use payout_model::money::PayoutBlock;
use payout_model::{NewUser, PhoneNumber, User, UserStatus};
use sqlx::AnyConnection;
use std::net::IpAddr;
use uuid::Uuid;

/// The 404 for a user that does not exist or is another app's.
pub(crate) fn user_not_found() -> Error {
    Error::NotFound("user not found".to_owned())
}

/// A new, unverified user of app `app_id` as `new` (already valid) describes, created by the
/// host at `now` with their wallet (together or not at all); `user_ip` is kept, never returned.
pub(crate) async fn create_host_user(
    db: &Db,
    app_id: Uuid,
    new: NewUser,
    user_ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<User, Error> {
    let id = Uuid::new_v4();
    let user = User {
        id,
        user_id: id,
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
    let mut tx = crate::db::begin_ledger_write(db).await?;
    insert_user(&mut tx, app_id, &user, user_ip, now).await?;
    tx.commit().await?;
    Ok(user)
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
    let e164 = stored_e164(
        &user.phone_number.country_code,
        &user.phone_number.phone_number,
    );
    sqlx::query(
        "INSERT INTO users (id, app_id, first_name, last_name, email, country_code, \
         phone_number, metadata, status, verified, user_ip, created, phone_e164) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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
    .bind(e164)
    .execute(&mut *conn)
    .await?;
    ensure_user_accounts(conn, app_id, user.id, now).await
}

/// What `users.phone_e164` keeps of a stored phone: its E.164 form, or `''` when it does not
/// parse (compared digit for digit then, [`ParsedPhone::is`]).
fn stored_e164(country_code: &str, phone_number: &str) -> String {
    ParsedPhone::parse(country_code, phone_number)
        .map(|phone| phone.e164())
        .unwrap_or_default()
}

/// Fills `users.phone_e164` of the rows written before it was kept (migration 0021), as the
/// database opens; how many. Almost always none: one read (a scan: NULL is not indexed).
/// Values once filled stay: a later libphonenumber that wrote a number otherwise would leave
/// such a user unfound by sign-in until the column is filled again (set it NULL to refill).
pub(crate) async fn fill_phone_e164(db: &Db) -> Result<u64, Error> {
    let mut filled = 0;
    loop {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT id, country_code, phone_number FROM users WHERE phone_e164 IS NULL LIMIT 500",
        )
        .fetch_all(db)
        .await?;
        if rows.is_empty() {
            return Ok(filled);
        }
        let mut tx = crate::db::begin_ledger_write(db).await?;
        for (id, country_code, phone_number) in rows {
            sqlx::query("UPDATE users SET phone_e164 = $1 WHERE id = $2")
                .bind(stored_e164(&country_code, &phone_number))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            filled += 1;
        }
        tx.commit().await?;
    }
}

/// User `user_id` of app `app_id` as the host sees it: compliance masked, `id_verification`
/// only once a decision was made, the latest background check.
pub(crate) async fn find_user(
    conn: &mut AnyConnection,
    app_id: Uuid,
    user_id: Uuid,
) -> Result<Option<User>, Error> {
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT id, first_name, last_name, email, country_code, phone_number, metadata, \
         status, verified, has_criminal_activity FROM users WHERE id = $1 AND app_id = $2",
    )
    .bind(user_id.to_string())
    .bind(app_id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut user = row.into_user()?;
    // Tax details on file only, as the payout rules read them (`push_has_compliance`).
    user.compliance = compliance::find_compliance(&mut *conn, user_id)
        .await?
        .filter(Compliance::is_on_file);
    user.id_verification = Some(id_verification::find_id_verification(conn, user_id).await?)
        .filter(|v| v.status != VerificationStatus::NotStarted);
    user.background_check = background_checks::find_latest(&mut *conn, user_id).await?;
    Ok(Some(user))
}

/// Whether `user_id` is a user of app `app_id`.
pub(crate) async fn user_exists(db: &Db, app_id: Uuid, user_id: Uuid) -> Result<bool, Error> {
    read_once(
        db,
        |batch| push_user_exists(batch, app_id, user_id),
        |read, at| Ok(read.value::<String>(at)?.is_some()),
    )
    .await
}

/// Adds [`user_exists`]'s read to `batch`: the user exists when its value (their id, text) is
/// there.
pub(crate) fn push_user_exists(batch: &mut Batch, app_id: Uuid, user_id: Uuid) -> ValueAt {
    batch.push_value(
        "SELECT id FROM users WHERE id = $1 AND app_id = $2",
        vec![
            Arg::from(user_id.to_string()),
            Arg::from(app_id.to_string()),
        ],
    )
}

/// Whether `phone` is user `user_id`'s.
pub(crate) async fn phone_is_users(
    conn: &mut AnyConnection,
    user_id: Uuid,
    phone: &ParsedPhone,
) -> Result<bool, Error> {
    let stored: Option<(String, String)> =
        sqlx::query_as("SELECT country_code, phone_number FROM users WHERE id = $1")
            .bind(user_id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(stored.is_some_and(|(cc, number)| phone.is(&cc, &number)))
}

/// The app's oldest user with `phone` (the sandbox allows duplicate phones, seed 004).
pub(crate) async fn oldest_user_with_phone(
    conn: &mut AnyConnection,
    app_id: Uuid,
    phone: &ParsedPhone,
) -> Result<Option<Uuid>, Error> {
    // By the indexed E.164 form; a stored number that does not parse (or a row not yet
    // filled) is compared as before, digit for digit.
    let candidates: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, country_code, phone_number FROM users WHERE app_id = $1 \
         AND (phone_e164 = $2 OR ((phone_e164 = '' OR phone_e164 IS NULL) AND country_code = $3)) \
         ORDER BY created, id",
    )
    .bind(app_id.to_string())
    .bind(phone.e164())
    .bind(phone.country_code())
    .fetch_all(&mut *conn)
    .await?;
    candidates
        .into_iter()
        .find(|(_, cc, number)| phone.is(cc, number))
        .map(|(id, _, _)| parse_stored_id(&id))
        .transpose()
}

/// Marks user `user_id` verified (their phone just proved it), inside the caller's
/// transaction; whether that changed anything.
pub(crate) async fn mark_verified(conn: &mut AnyConnection, user_id: Uuid) -> Result<bool, Error> {
    let changed = sqlx::query(
        "UPDATE users SET status = $1, verified = 1 WHERE id = $2 \
         AND (verified = 0 OR status <> $1)",
    )
    .bind(status_text(UserStatus::Verified))
    .bind(user_id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(changed.rows_affected() == 1)
}

/// User `user_id`'s legal name as on their profile: first and last.
pub(crate) async fn legal_name(
    conn: &mut AnyConnection,
    user_id: Uuid,
) -> Result<(String, String), Error> {
    Ok(
        sqlx::query_as("SELECT first_name, last_name FROM users WHERE id = $1")
            .bind(user_id.to_string())
            .fetch_one(conn)
            .await?,
    )
}

/// User `user_id`'s email.
pub(crate) async fn email(db: &Db, user_id: Uuid) -> Result<String, Error> {
    Ok(sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user_id.to_string())
        .fetch_one(db)
        .await?)
}

/// Sets user `user_id`'s `has_criminal_activity` (a failed background check), inside the
/// caller's transaction.
pub(crate) async fn flag_criminal_activity(
    conn: &mut AnyConnection,
    user_id: Uuid,
) -> Result<(), Error> {
    sqlx::query("UPDATE users SET has_criminal_activity = 1 WHERE id = $1")
        .bind(user_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds to `batch` the read of why user `user_id` may not pay out through a flow (a value);
/// read it with [`payout_block_in`].
pub(crate) fn push_payout_block(batch: &mut Batch, user_id: Uuid) -> ValueAt {
    batch.push_value(
        "SELECT has_criminal_activity FROM users WHERE id = $1",
        vec![Arg::from(user_id.to_string())],
    )
}

/// What a [`push_payout_block`] read: why the user may not pay out, if they may not: a failed
/// background check (`has_criminal_activity`). The host API does not ask.
pub(crate) fn payout_block_in(read: &Answers, at: ValueAt) -> Result<Option<PayoutBlock>, Error> {
    let flagged = read.value::<i64>(at)?.unwrap_or(0);
    Ok((flagged != 0).then_some(PayoutBlock::BackgroundCheck))
}

/// A user status as stored.
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
    has_criminal_activity: i64,
}

impl UserRow {
    fn into_user(self) -> Result<User, Error> {
        let status = match self.status.as_str() {
            "unverified" => UserStatus::Unverified,
            "verified" => UserStatus::Verified,
            other => return Err(Error::Internal(format!("stored user status {other:?}"))),
        };
        let id = parse_stored_id(&self.id)?;
        Ok(User {
            id,
            user_id: id,
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

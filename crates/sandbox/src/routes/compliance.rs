//! `/api/flow/compliance`: the compliance step's tax data (issue 3; W-9 in the US, W-8BEN
//! elsewhere) and the `compliance` table behind it, which the host reads, masked, on the user
//! object. The model's rules are the authoritative check here; nothing submitted is logged.
//!
//! Tax ids are kept as their last four characters and, for a US SSN or ITIN, a salted sha256 of
//! its digits ([`TaxRecord`]; never logged or returned), so the background check can run on the
//! SSN on file and compare an SSN typed into it (issue 8). The record and a background check
//! already run never disagree: a submission that changes the country, SSN or date of birth the
//! check ran on is refused (422 naming the field).

use crate::auth::FlowUser;
use crate::db::{
    begin_write, enum_from_text, from_millis, parse_stored_json, to_json_text, to_millis, Db,
};
use crate::error::Error;
use crate::extract::ApiJson;
use crate::routes::flow_sessions::record_form_step;
use crate::routes::Mount;
use crate::secret::{digests_match, random_alphanumeric, sha256_hex};
use crate::state::AppState;
use axum::extract::State;
use axum::{Json, Router};
use chrono::NaiveDate;
use payout_model::endpoint as ep;
use payout_model::identity::{
    age_on, tin_digits, Address, Compliance, NewCompliance, Submitted, TaxForm, MIN_AGE_YEARS,
};
use payout_model::FieldError;
use payout_model::{last4, FlowAction, StepName, Validate};
use uuid::Uuid;

/// The compliance routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::GetCompliance, _, _>(get_compliance)
        .endpoint::<ep::SubmitCompliance, _, _>(submit_compliance)
}

/// `GET /api/flow/compliance`: what the signed-in user submitted (or what their background
/// check collected), masked, or `null`; for a flow with a compliance or background-check step
/// (403 `step_not_allowed` otherwise).
async fn get_compliance(
    State(state): State<AppState>,
    user: FlowUser,
) -> Result<Json<Option<Compliance>>, Error> {
    user.permit(&state.db, FlowAction::ReadCompliance).await?;
    Ok(Json(find_compliance(&state.db, user.user_id).await?))
}

/// `PUT /api/flow/compliance`: the user's tax data, only while the flow's compliance step is
/// current (403 `step_not_allowed` otherwise, issue 8). 422 naming each bad field (as of the
/// server's date: 18 or older), or each of `country`, `tin`, `date_of_birth` that differs from
/// what a background check already run was run on. Replaces what was there, and completes the
/// step.
async fn submit_compliance(
    State(state): State<AppState>,
    user: FlowUser,
    ApiJson(new): ApiJson<NewCompliance>,
) -> Result<Json<Submitted<Compliance>>, Error> {
    user.permit(&state.db, FlowAction::SubmitCompliance).await?;
    let now = state.clock.now();
    new.as_of(now.date_naive()).validate()?;
    let form = new.form();
    let compliance = Compliance {
        form,
        country: new.country.trim().to_uppercase(),
        first_name: new.first_name.trim().to_owned(),
        last_name: new.last_name.trim().to_owned(),
        date_of_birth: new.date_of_birth.trim().to_owned(),
        tin_last4: match form {
            TaxForm::W9 => new.tin.as_deref().map(last4),
            TaxForm::W8ben => None,
        },
        foreign_tax_id_last4: match form {
            TaxForm::W9 => None,
            TaxForm::W8ben => new.foreign_tax_id.as_deref().map(last4),
        },
        address: new.address.normalized(),
        submitted_at: now,
    };
    let tin = match form {
        TaxForm::W9 => new.tin.as_deref(),
        TaxForm::W8ben => None,
    };
    // Read what the check ran on and write the new record in one transaction, so a check
    // running meanwhile cannot slip between them.
    let mut tx = begin_write(&state.db).await?;
    if has_run_check(&mut tx, user.user_id).await? {
        if let Some(record) = find_record(&mut *tx, user.user_id).await? {
            record.check_unchanged_by(&compliance, tin)?;
        }
    }
    check_not_eligible_claims(&mut tx, user.user_id, &compliance).await?;
    store_record(&mut tx, user.user_id, user.app_id, &compliance, tin).await?;
    tx.commit().await?;
    let flow = record_form_step(&state.db, user.flow_id, StepName::Compliance, now).await?;
    Ok(Json(Submitted {
        data: compliance,
        flow,
    }))
}

/// Whether a background check was run for user `user_id` (`clear` or `failed`; a
/// `not_eligible` one was not run).
async fn has_run_check(conn: &mut sqlx::AnyConnection, user_id: Uuid) -> Result<bool, Error> {
    let ran: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM background_checks WHERE user_id = $1 AND status IN ('clear', 'failed') \
         LIMIT 1",
    )
    .bind(user_id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(ran.is_some())
}

/// 422 naming `country` or `date_of_birth` when `new` contradicts what a `not_eligible`
/// background check of the user was told: that they live outside the US, or were under 18 on
/// the day of the check. Otherwise a user could dodge the check by claiming another country (or
/// a later birth date) in it and then give US adult tax details, and the two would disagree
/// (issue 8).
async fn check_not_eligible_claims(
    conn: &mut sqlx::AnyConnection,
    user_id: Uuid,
    new: &Compliance,
) -> Result<(), Error> {
    const MESSAGE: &str = "must match the background check already run";
    let claims: Vec<(Option<String>, i64)> = sqlx::query_as(
        "SELECT reason, completed_at FROM background_checks \
         WHERE user_id = $1 AND status = 'not_eligible'",
    )
    .bind(user_id.to_string())
    .fetch_all(conn)
    .await?;
    let born = NaiveDate::parse_from_str(new.date_of_birth.trim(), "%Y-%m-%d").ok();
    let mut errors = Vec::new();
    for (reason, completed_at) in claims {
        match reason.as_deref() {
            Some("not_us") if new.country == "US" => {
                errors.push(FieldError::new("country", MESSAGE))
            }
            Some("under_18") => {
                let checked_on = from_millis(completed_at)?.date_naive();
                if born.is_some_and(|born| age_on(born, checked_on) >= MIN_AGE_YEARS) {
                    errors.push(FieldError::new("date_of_birth", MESSAGE));
                }
            }
            _ => {}
        }
    }
    Error::unless_fields(errors)
}

/// A user's compliance record as stored: what is shown, plus the salted hash of the US tax id
/// (never shown, never logged).
pub(crate) struct TaxRecord {
    /// What the user and the host see.
    pub(crate) compliance: Compliance,
    /// The salt and sha256 of the tax id's digits; `None` for W-8BEN and for W-9 rows written
    /// before the hash was kept (migration 0008).
    tin_hash: Option<(String, String)>,
}

impl TaxRecord {
    /// Whether `tin` (an SSN or ITIN in any spelling) is the one on file: by its salted hash, or,
    /// for a row from before the hash was kept, by its last four digits. Never for a W-8BEN.
    pub(crate) fn tin_matches(&self, tin: &str) -> bool {
        match (&self.tin_hash, &self.compliance.tin_last4) {
            (Some((salt, hash)), _) => digests_match(&hash_tin(salt, tin), hash),
            (None, Some(stored)) => {
                self.compliance.form == TaxForm::W9 && tin_digits(tin).len() == 9 && {
                    digests_match(&last4(tin), stored)
                }
            }
            (None, None) => false,
        }
    }

    /// Whether the record keeps the hash of its tax id (false for W-8BEN and older W-9 rows).
    pub(crate) fn has_tin_hash(&self) -> bool {
        self.tin_hash.is_some()
    }

    /// 422 naming `country`, `tin`, `date_of_birth` and `address` where `new` (with its tax id
    /// `tin`) differs from this record, which a background check was run on.
    fn check_unchanged_by(&self, new: &Compliance, tin: Option<&str>) -> Result<(), Error> {
        const MESSAGE: &str = "must match the background check already run";
        let mut errors = Vec::new();
        if new.country != self.compliance.country {
            errors.push(FieldError::new("country", MESSAGE));
        } else if let Some(tin) = tin {
            if !self.tin_matches(tin) {
                errors.push(FieldError::new("tin", MESSAGE));
            }
        }
        if !same_date(&new.date_of_birth, &self.compliance.date_of_birth) {
            errors.push(FieldError::new("date_of_birth", MESSAGE));
        }
        // The check ran on the address too (issue 8: the two never disagree).
        if !same_address(&new.address, &self.compliance.address) {
            errors.push(FieldError::new("address", MESSAGE));
        }
        Error::unless_fields(errors)
    }
}

/// Whether two addresses are the same place: equal once normalized, ignoring letter case.
fn same_address(a: &Address, b: &Address) -> bool {
    let key = |a: &Address| serde_json::to_string(&a.normalized()).map(|s| s.to_lowercase());
    matches!((key(a), key(b)), (Ok(a), Ok(b)) if a == b)
}

/// Whether two `YYYY-MM-DD` dates are the same day (text compared when one does not parse).
pub(crate) fn same_date(a: &str, b: &str) -> bool {
    let parse = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a.trim() == b.trim(),
    }
}

/// What is stored of a tax id: sha256 of the salt and its digits, as lowercase hex.
fn hash_tin(salt: &str, tin: &str) -> String {
    sha256_hex(format!("{salt}:{}", tin_digits(tin)))
}

/// Writes `compliance` as user `user_id`'s record, replacing any, with a fresh salted hash of
/// `tin` (the whole US tax id; `None` for a W-8BEN). Inside the caller's write transaction.
pub(crate) async fn store_record(
    conn: &mut sqlx::AnyConnection,
    user_id: Uuid,
    app_id: Uuid,
    compliance: &Compliance,
    tin: Option<&str>,
) -> Result<(), Error> {
    let (tin_salt, tin_hash) = match tin {
        Some(tin) => {
            let salt = random_alphanumeric(24);
            let hash = hash_tin(&salt, tin);
            (Some(salt), Some(hash))
        }
        None => (None, None),
    };
    sqlx::query(
        "INSERT INTO compliance (user_id, app_id, form, country, first_name, last_name, \
         date_of_birth, tin_last4, foreign_tax_id_last4, address, submitted_at, tin_salt, \
         tin_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (user_id) DO UPDATE SET form = excluded.form, country = excluded.country, \
         first_name = excluded.first_name, last_name = excluded.last_name, \
         date_of_birth = excluded.date_of_birth, tin_last4 = excluded.tin_last4, \
         foreign_tax_id_last4 = excluded.foreign_tax_id_last4, address = excluded.address, \
         submitted_at = excluded.submitted_at, tin_salt = excluded.tin_salt, \
         tin_hash = excluded.tin_hash",
    )
    .bind(user_id.to_string())
    .bind(app_id.to_string())
    .bind(compliance.form.as_str())
    .bind(&compliance.country)
    .bind(&compliance.first_name)
    .bind(&compliance.last_name)
    .bind(&compliance.date_of_birth)
    .bind(compliance.tin_last4.clone())
    .bind(compliance.foreign_tax_id_last4.clone())
    .bind(to_json_text(&compliance.address)?)
    .bind(to_millis(compliance.submitted_at))
    .bind(tin_salt)
    .bind(tin_hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// Keeps the salted hash of `tin` on user `user_id`'s W-9 row from before the hash was kept
/// (its last four digits already matched), inside the caller's write transaction.
pub(crate) async fn store_tin_hash(
    conn: &mut sqlx::AnyConnection,
    user_id: Uuid,
    tin: &str,
) -> Result<(), Error> {
    let salt = random_alphanumeric(24);
    let hash = hash_tin(&salt, tin);
    sqlx::query(
        "UPDATE compliance SET tin_salt = $1, tin_hash = $2 WHERE user_id = $3 AND form = 'w9' \
         AND tin_hash IS NULL",
    )
    .bind(salt)
    .bind(hash)
    .bind(user_id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ComplianceRow {
    form: String,
    country: String,
    first_name: String,
    last_name: String,
    date_of_birth: String,
    tin_last4: Option<String>,
    foreign_tax_id_last4: Option<String>,
    address: String,
    submitted_at: i64,
    tin_salt: Option<String>,
    tin_hash: Option<String>,
}

/// The compliance data of user `user_id`, if they submitted any (or their background check
/// collected it).
pub(crate) async fn find_compliance(db: &Db, user_id: Uuid) -> Result<Option<Compliance>, Error> {
    Ok(find_record(db, user_id).await?.map(|r| r.compliance))
}

/// The compliance record of user `user_id` with its tax id hash, if there is one.
pub(crate) async fn find_record<'e, E>(db: E, user_id: Uuid) -> Result<Option<TaxRecord>, Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row: Option<ComplianceRow> = sqlx::query_as(
        "SELECT form, country, first_name, last_name, date_of_birth, tin_last4, \
         foreign_tax_id_last4, address, submitted_at, tin_salt, tin_hash FROM compliance \
         WHERE user_id = $1",
    )
    .bind(user_id.to_string())
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(TaxRecord {
            compliance: Compliance {
                form: enum_from_text("form", &row.form)?,
                country: row.country,
                first_name: row.first_name,
                last_name: row.last_name,
                date_of_birth: row.date_of_birth,
                tin_last4: row.tin_last4,
                foreign_tax_id_last4: row.foreign_tax_id_last4,
                address: parse_stored_json("address", &row.address)?,
                submitted_at: from_millis(row.submitted_at)?,
            },
            tin_hash: row.tin_salt.zip(row.tin_hash),
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_ids_hash_by_their_digits_with_a_salt() {
        assert_eq!(hash_tin("s", "123-45-6789"), hash_tin("s", "123 45 6789"));
        assert_ne!(hash_tin("s", "123-45-6789"), hash_tin("t", "123-45-6789"));
        assert_ne!(hash_tin("s", "123-45-6789"), hash_tin("s", "123-45-6788"));
    }
}

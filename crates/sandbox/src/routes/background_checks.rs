//! `/api/flow/background-check`: the background-check step (issue 3; seed 000, "Background
//! Check") and the `background_checks` table behind it. Only US residents aged 18 or older are
//! checked; others get `not_eligible` with the reason (a message, not a failure). In the sandbox
//! the SSN [`SANDBOX_FAILING_SSN`] fails (README "Sandbox test values"): the user's
//! `has_criminal_activity` becomes true and the app gets a `user.background_check_failed`
//! notification. The SSN is kept as its last four digits only (and, on the compliance record,
//! a salted hash) and never logged. Every outcome completes the step.
//!
//! The check and the compliance record never disagree (issue 8):
//! - with a compliance record on file, the check runs on its country, date of birth, address and
//!   SSN; the body may be `{}` ([`NewBackgroundCheck::on_file`]), and any field it does give
//!   must agree with the file (422 naming it; the SSN compared by its salted hash). A W-8BEN
//!   record is `not_eligible`. So a US adult cannot dodge the check by claiming another country
//!   or an under-18 birth date, nor pass it with someone else's SSN;
//! - without one, the fields are required, and a check that runs (US, 18 or older) stores what
//!   it collected as the user's W-9 record (legal name from the user's profile), in the same
//!   transaction; `PUT /api/flow/compliance` then cannot change its country, SSN or birth date;
//! - a failed check is final: any later request, from any flow, is a 409, so it cannot be
//!   re-run with another SSN.

use crate::auth::FlowUser;
use crate::db::{begin_write, enum_from_text, from_millis, next_seq, to_millis, Db};
use crate::error::Error;
use crate::extract::ApiJson;
use crate::routes::compliance::{find_record, same_date, store_record, store_tin_hash, TaxRecord};
use crate::routes::flow_sessions::record_form_step;
use crate::routes::notifications::record_notification;
use crate::routes::Mount;
use crate::state::AppState;
use crate::test_values::SANDBOX_FAILING_SSN;
use axum::extract::State;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use payout_model::endpoint as ep;
use payout_model::identity::{
    tin_digits, Address, BackgroundCheck, BackgroundCheckStatus, Compliance, Ineligible,
    NewBackgroundCheck, Submitted, TaxForm,
};
use payout_model::notification::{BackgroundCheckFailed, NotificationType};
use payout_model::FieldError;
use payout_model::{last4, FlowAction, Rule, StepName, Validate};
use uuid::Uuid;

/// The background-check routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new().endpoint::<ep::RunBackgroundCheck, _, _>(run_background_check)
}

/// `POST /api/flow/background-check`: checks the signed-in user, on their compliance record when
/// there is one (module docs). 409 when their check already failed; 422 naming each bad field
/// (as of the server's date), each missing one when nothing is on file, or each one that
/// contradicts the file; otherwise `clear`, `failed` or `not_eligible`, stored, and the flow's
/// background-check step completed.
async fn run_background_check(
    State(state): State<AppState>,
    user: FlowUser,
    ApiJson(new): ApiJson<NewBackgroundCheck>,
) -> Result<Json<Submitted<BackgroundCheck>>, Error> {
    user.permit(&state.db, FlowAction::SubmitBackgroundCheck)
        .await?;
    let now = state.clock.now();
    let today = now.date_naive();
    let id = Uuid::new_v4();
    // The check, the compliance record it ran on or collected, the flag and the notification
    // exist together or not at all; a concurrent check or compliance submission waits.
    let mut tx = begin_write(&state.db).await?;
    if has_failed_check(&mut tx, user.user_id).await? {
        return Err(Error::Conflict(
            "the background check has already been run".to_owned(),
        ));
    }
    let record = find_record(&mut *tx, user.user_id).await?;
    let subject = match &record {
        Some(record) => Subject::on_file(&new, record)?,
        None => {
            new.as_of(today).validate()?;
            Subject::collected(&new)
        }
    };
    let check = subject.check(today, now)?;
    let ran = check.status != BackgroundCheckStatus::NotEligible;
    match (&record, &subject.ssn) {
        (Some(_), Ssn::Given(ssn)) if ran => store_tin_hash(&mut tx, user.user_id, ssn).await?,
        (None, Ssn::Given(ssn)) if ran => {
            let compliance = subject.collected_record(&mut tx, user.user_id, now).await?;
            store_record(&mut tx, user.user_id, user.app_id, &compliance, Some(ssn)).await?;
        }
        _ => {}
    }

    let seq = next_seq(&mut tx, "background_checks", 1).await?;
    sqlx::query(
        "INSERT INTO background_checks (id, app_id, user_id, flow_id, status, reason, \
         ssn_last4, completed_at, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.to_string())
    .bind(user.app_id.to_string())
    .bind(user.user_id.to_string())
    .bind(user.flow_id.to_string())
    .bind(check.status.as_str())
    .bind(check.reason.map(Ineligible::as_str))
    .bind(check.ssn_last4.clone())
    .bind(to_millis(now))
    .bind(seq)
    .execute(&mut *tx)
    .await?;
    if check.status == BackgroundCheckStatus::Failed {
        sqlx::query("UPDATE users SET has_criminal_activity = 1 WHERE id = $1")
            .bind(user.user_id.to_string())
            .execute(&mut *tx)
            .await?;
        record_notification(
            &mut tx,
            user.app_id,
            NotificationType::UserBackgroundCheckFailed,
            Some(user.user_id),
            &BackgroundCheckFailed {
                user_id: user.user_id,
                flow_id: user.flow_id,
                background_check_id: id,
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(user_id = %user.user_id, status = ?check.status, "background check done");

    let flow = record_form_step(&state.db, user.flow_id, StepName::BackgroundCheck, now).await?;
    Ok(Json(Submitted { data: check, flow }))
}

/// Whether a background check of user `user_id` failed (in any flow).
async fn has_failed_check(conn: &mut sqlx::AnyConnection, user_id: Uuid) -> Result<bool, Error> {
    let failed: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM background_checks WHERE user_id = $1 AND status = 'failed' LIMIT 1",
    )
    .bind(user_id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(failed.is_some())
}

/// Who is checked: the compliance record on file, or what the request collected.
struct Subject<'a> {
    /// Upper case.
    country: String,
    /// `YYYY-MM-DD`.
    date_of_birth: String,
    /// Normalized; `None` only outside the US without a record.
    address: Option<Address>,
    ssn: Ssn<'a>,
}

/// The SSN a check runs on.
enum Ssn<'a> {
    /// The one on file, known by its salted hash.
    OnFile(&'a TaxRecord),
    /// One the request gave (no record, or a W-9 row from before the hash was kept).
    Given(&'a str),
    /// None (outside the US).
    Missing,
}

impl<'a> Subject<'a> {
    /// The record on file, after 422 naming each field `new` gives that contradicts it. A W-9
    /// row from before the hash was kept needs the SSN, matched by its last four digits.
    fn on_file(new: &'a NewBackgroundCheck, record: &'a TaxRecord) -> Result<Self, Error> {
        let file = &record.compliance;
        let given = |v: &'a str| Some(v.trim()).filter(|v| !v.is_empty());
        let ssn = new.ssn.as_deref().and_then(given);
        let mut errors = Vec::new();
        if let Some(country) = given(&new.country) {
            if !country.eq_ignore_ascii_case(&file.country) {
                errors.push(FieldError::new(
                    "country",
                    format!(
                        "must match the country of your tax information ({})",
                        file.country
                    ),
                ));
            }
        }
        if let Some(date_of_birth) = given(&new.date_of_birth) {
            if !same_date(date_of_birth, &file.date_of_birth) {
                errors.push(FieldError::new(
                    "date_of_birth",
                    "must match the date of birth of your tax information",
                ));
            }
        }
        match ssn {
            Some(ssn) if !record.tin_matches(ssn) => {
                errors.push(FieldError::new(
                    "ssn",
                    "must match the SSN of your tax information",
                ));
            }
            None if file.form == TaxForm::W9 && !record.has_tin_hash() => {
                errors.push(FieldError::new("ssn", Rule::Required.to_string()));
            }
            _ => {}
        }
        if let Some(address) = &new.address {
            if !same_address(address, &file.address) {
                errors.push(FieldError::new(
                    "address",
                    "must match the address of your tax information",
                ));
            }
        }
        Error::unless_fields(errors)?;
        let ssn = match ssn {
            _ if record.has_tin_hash() => Ssn::OnFile(record),
            Some(ssn) => Ssn::Given(ssn),
            None => Ssn::Missing,
        };
        Ok(Subject {
            country: file.country.clone(),
            date_of_birth: file.date_of_birth.clone(),
            address: Some(file.address.clone()),
            ssn,
        })
    }

    /// What `new` (already valid) collected.
    fn collected(new: &'a NewBackgroundCheck) -> Self {
        let country = new.country.trim().to_uppercase();
        let us = country == "US";
        let date_of_birth = NaiveDate::parse_from_str(new.date_of_birth.trim(), "%Y-%m-%d")
            .ok()
            .map_or_else(
                || new.date_of_birth.trim().to_owned(),
                |born| born.format("%Y-%m-%d").to_string(),
            );
        Subject {
            country,
            date_of_birth,
            address: new.address.as_ref().map(Address::normalized),
            ssn: match new.ssn.as_deref() {
                Some(ssn) if us => Ssn::Given(ssn.trim()),
                _ => Ssn::Missing,
            },
        }
    }

    /// The check's outcome as of `today`.
    fn check(&self, today: NaiveDate, now: DateTime<Utc>) -> Result<BackgroundCheck, Error> {
        let who = NewBackgroundCheck {
            country: self.country.clone(),
            date_of_birth: self.date_of_birth.clone(),
            ..NewBackgroundCheck::default()
        };
        if let Some(reason) = who.ineligible(today) {
            return Ok(BackgroundCheck {
                status: BackgroundCheckStatus::NotEligible,
                reason: Some(reason),
                ssn_last4: None,
                completed_at: now,
            });
        }
        let (fails, ssn_last4) = match &self.ssn {
            Ssn::OnFile(record) => (
                record.tin_matches(SANDBOX_FAILING_SSN),
                record.compliance.tin_last4.clone(),
            ),
            Ssn::Given(ssn) => (
                tin_digits(ssn) == tin_digits(SANDBOX_FAILING_SSN),
                Some(last4(ssn)),
            ),
            Ssn::Missing => return Err(Error::Internal("a us check without an ssn".to_owned())),
        };
        Ok(BackgroundCheck {
            status: if fails {
                BackgroundCheckStatus::Failed
            } else {
                BackgroundCheckStatus::Clear
            },
            reason: None,
            ssn_last4,
            completed_at: now,
        })
    }

    /// The W-9 record a check that ran collected: its country, date of birth, address and SSN,
    /// and the legal name of user `user_id`'s profile.
    async fn collected_record(
        &self,
        conn: &mut sqlx::AnyConnection,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Compliance, Error> {
        let (first_name, last_name): (String, String) =
            sqlx::query_as("SELECT first_name, last_name FROM users WHERE id = $1")
                .bind(user_id.to_string())
                .fetch_one(conn)
                .await?;
        Ok(Compliance {
            form: TaxForm::W9,
            country: self.country.clone(),
            first_name: first_name.trim().to_owned(),
            last_name: last_name.trim().to_owned(),
            date_of_birth: self.date_of_birth.clone(),
            tin_last4: match self.ssn {
                Ssn::Given(ssn) => Some(last4(ssn)),
                _ => None,
            },
            foreign_tax_id_last4: None,
            address: self.address.clone().unwrap_or_default(),
            submitted_at: now,
        })
    }
}

/// Whether two addresses are the same place: every part compared trimmed, with runs of spaces
/// as one and in any case.
fn same_address(a: &Address, b: &Address) -> bool {
    let key = |a: &Address| {
        let a = a.normalized();
        [
            a.line1,
            a.line2.unwrap_or_default(),
            a.city,
            a.region.unwrap_or_default(),
            a.postal_code.unwrap_or_default(),
        ]
        .map(|part| {
            part.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
    };
    key(a) == key(b)
}

/// User `user_id`'s latest background check, if one ran.
pub(crate) async fn find_latest(db: &Db, user_id: Uuid) -> Result<Option<BackgroundCheck>, Error> {
    let row: Option<(String, Option<String>, Option<String>, i64)> = sqlx::query_as(
        "SELECT status, reason, ssn_last4, completed_at FROM background_checks \
         WHERE user_id = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(user_id.to_string())
    .fetch_optional(db)
    .await?;
    row.map(|(status, reason, ssn_last4, completed_at)| {
        Ok(BackgroundCheck {
            status: enum_from_text("status", &status)?,
            reason: reason.map(|r| enum_from_text("reason", &r)).transpose()?,
            ssn_last4,
            completed_at: from_millis(completed_at)?,
        })
    })
    .transpose()
}

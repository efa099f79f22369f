//! `/api/flow/background-check`: the background-check step (issue 3; seed 000, "Background
//! Check") and the `background_checks` table behind it. Only US residents aged 18 or older are
//! checked; others get `not_eligible` with the reason (a message, not a failure). In the sandbox
//! the SSN [`SANDBOX_FAILING_SSN`] fails (README "Sandbox test values"): the user's
//! `has_criminal_activity` becomes true and the app gets a `user.background_check_failed`
//! notification. The SSN is kept as its last four digits only and never logged. Every outcome
//! completes the step.
//!
//! Eligibility cannot be talked around: once the user has submitted compliance data, the
//! check's country must be the one of their tax information and, in the US, its date of birth
//! too (422 otherwise), so a US adult cannot get `not_eligible` by claiming another country or
//! an under-18 birth date. Without compliance data the request is taken as it is.

use crate::auth::FlowUser;
use crate::db::{begin_write, enum_from_text, enum_to_text, from_millis, next_seq, to_millis, Db};
use crate::error::Error;
use crate::extract::ApiJson;
use crate::routes::compliance::find_compliance;
use crate::routes::flow_sessions::record_form_step;
use crate::routes::notifications::record_notification;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use chrono::NaiveDate;
use payout_model::error::Errors;
use payout_model::identity::{
    last4, tin_digits, BackgroundCheck, BackgroundCheckStatus, Compliance, NewBackgroundCheck,
    Submitted, SANDBOX_FAILING_SSN,
};
use payout_model::notification::{BackgroundCheckFailed, NotificationType};
use payout_model::{FlowAction, StepName};
use uuid::Uuid;

/// The background-check routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/flow/background-check", post(run_background_check))
}

/// `POST /api/flow/background-check`: checks the signed-in user. 422 naming each bad field (as
/// of the server's date), or a `country` / `date_of_birth` that contradicts the user's
/// compliance data (module docs); otherwise `clear`, `failed` or `not_eligible`, stored, and the
/// flow's background-check step completed.
async fn run_background_check(
    State(state): State<AppState>,
    user: FlowUser,
    ApiJson(new): ApiJson<NewBackgroundCheck>,
) -> Result<Json<Submitted<BackgroundCheck>>, Error> {
    user.permit(&state.db, FlowAction::SubmitBackgroundCheck)
        .await?;
    let now = state.clock.now();
    let today = now.date_naive();
    new.validate(today)?;
    if let Some(compliance) = find_compliance(&state.db, user.user_id).await? {
        check_matches_compliance(&new, &compliance)?;
    }
    let check = match new.ineligible(today) {
        Some(reason) => BackgroundCheck {
            status: BackgroundCheckStatus::NotEligible,
            reason: Some(reason),
            ssn_last4: None,
            completed_at: now,
        },
        None => {
            let ssn = new.ssn.as_deref().unwrap_or("");
            let status = if tin_digits(ssn) == tin_digits(SANDBOX_FAILING_SSN) {
                BackgroundCheckStatus::Failed
            } else {
                BackgroundCheckStatus::Clear
            };
            BackgroundCheck {
                status,
                reason: None,
                ssn_last4: Some(last4(ssn)),
                completed_at: now,
            }
        }
    };

    let id = Uuid::new_v4();
    // The check, the flag and the notification exist together or not at all.
    let mut tx = begin_write(&state.db).await?;
    let seq = next_seq(&mut tx, "background_checks", 1).await?;
    sqlx::query(
        "INSERT INTO background_checks (id, app_id, user_id, flow_id, status, reason, \
         ssn_last4, completed_at, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.to_string())
    .bind(user.app_id.to_string())
    .bind(user.user_id.to_string())
    .bind(user.flow_id.to_string())
    .bind(enum_to_text(check.status)?)
    .bind(check.reason.map(enum_to_text).transpose()?)
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

/// 422 unless `new` agrees with the user's compliance data: the same country and, in the US,
/// the same date of birth (`new` already valid).
fn check_matches_compliance(
    new: &NewBackgroundCheck,
    compliance: &Compliance,
) -> Result<(), Error> {
    let mut errors = Errors::default();
    let stored_country = compliance.country.trim().to_uppercase();
    if new.country.trim().to_uppercase() != stored_country {
        errors.add(
            "country",
            format!("must match the country of your tax information ({stored_country})"),
        );
    } else if stored_country == "US" && !same_date(&new.date_of_birth, &compliance.date_of_birth) {
        errors.add(
            "date_of_birth",
            "must match the date of birth of your tax information",
        );
    }
    Ok(errors.finish()?)
}

/// Whether two `YYYY-MM-DD` dates are the same day (text compared when one does not parse).
fn same_date(a: &str, b: &str) -> bool {
    let parse = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a.trim() == b.trim(),
    }
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

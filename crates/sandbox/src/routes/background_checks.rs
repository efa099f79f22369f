//! `/api/flow/background-check`: the background-check step (issue 3; seed 000, "Background
//! Check") and the `background_checks` table behind it. Only US residents aged 18 or older are
//! checked; others get `not_eligible` with the reason (a message, not a failure). In the sandbox
//! the SSN [`SANDBOX_FAILING_SSN`] fails (README "Sandbox test values"): the user's
//! `has_criminal_activity` becomes true and the app gets a `user.background_check_failed`
//! notification. The SSN is kept as its last four digits only and never logged. Every outcome
//! completes the step.

use crate::auth::FlowUser;
use crate::db::{begin_write, enum_from_text, enum_to_text, from_millis, next_seq, to_millis, Db};
use crate::error::Error;
use crate::extract::ApiJson;
use crate::routes::flow_sessions::record_form_step;
use crate::routes::notifications::record_notification;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use payout_model::identity::{
    last4, tin_digits, BackgroundCheck, BackgroundCheckStatus, NewBackgroundCheck, Submitted,
    SANDBOX_FAILING_SSN,
};
use payout_model::notification::{BackgroundCheckFailed, NotificationType};
use payout_model::StepName;
use uuid::Uuid;

/// The background-check routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/flow/background-check", post(run_background_check))
}

/// `POST /api/flow/background-check`: checks the signed-in user. 422 naming each bad field (as
/// of the server's date); otherwise `clear`, `failed` or `not_eligible`, stored, and the flow's
/// background-check step completed.
async fn run_background_check(
    State(state): State<AppState>,
    user: FlowUser,
    ApiJson(new): ApiJson<NewBackgroundCheck>,
) -> Result<Json<Submitted<BackgroundCheck>>, Error> {
    let now = state.clock.now();
    let today = now.date_naive();
    new.validate(today)?;
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

    let flow = record_form_step(&state.db, user.flow_id, StepName::BackgroundCheck).await?;
    Ok(Json(Submitted { data: check, flow }))
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

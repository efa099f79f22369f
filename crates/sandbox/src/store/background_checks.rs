//! The `background_checks` table: every check run or refused for a user (issue 3), newest by
//! `seq`. Of the SSN only its last four digits are kept here.

use crate::db::{enum_from_text, from_millis, next_seq, to_millis};
use crate::error::Error;
use chrono::{DateTime, Utc};
use payout_model::identity::{BackgroundCheck, Ineligible};
use sqlx::AnyConnection;
use uuid::Uuid;

/// Who a check was for and where it ran.
pub(crate) struct CheckSubject {
    /// The check's id.
    pub id: Uuid,
    /// The app of the flow.
    pub app_id: Uuid,
    /// The user checked.
    pub user_id: Uuid,
    /// The flow whose step ran it.
    pub flow_id: Uuid,
}

/// Stores `check` for `subject`, inside the caller's write transaction.
pub(crate) async fn insert_check(
    conn: &mut AnyConnection,
    subject: &CheckSubject,
    check: &BackgroundCheck,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let seq = next_seq(conn, "background_checks", 1).await?;
    sqlx::query(
        "INSERT INTO background_checks (id, app_id, user_id, flow_id, status, reason, \
         ssn_last4, completed_at, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(subject.id.to_string())
    .bind(subject.app_id.to_string())
    .bind(subject.user_id.to_string())
    .bind(subject.flow_id.to_string())
    .bind(check.status.as_str())
    .bind(check.reason.map(Ineligible::as_str))
    .bind(check.ssn_last4.clone())
    .bind(to_millis(now))
    .bind(seq)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether a background check of user `user_id` failed (in any flow).
pub(crate) async fn has_failed_check(
    conn: &mut AnyConnection,
    user_id: Uuid,
) -> Result<bool, Error> {
    let failed: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM background_checks WHERE user_id = $1 AND status = 'failed' LIMIT 1",
    )
    .bind(user_id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(failed.is_some())
}

/// Whether a background check was run for user `user_id` (`clear` or `failed`; a
/// `not_eligible` one was not run).
pub(crate) async fn has_run_check(conn: &mut AnyConnection, user_id: Uuid) -> Result<bool, Error> {
    let ran: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM background_checks WHERE user_id = $1 AND status IN ('clear', 'failed') \
         LIMIT 1",
    )
    .bind(user_id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(ran.is_some())
}

/// The reasons and dates of user `user_id`'s `not_eligible` checks: what each was told.
pub(crate) async fn not_eligible_claims(
    conn: &mut AnyConnection,
    user_id: Uuid,
) -> Result<Vec<NotEligibleClaim>, Error> {
    let rows: Vec<(Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT reason, completed_at, may_mean_territory FROM background_checks \
         WHERE user_id = $1 AND status = 'not_eligible'",
    )
    .bind(user_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(reason, at, territory)| {
            Ok(NotEligibleClaim {
                reason: reason.map(|r| enum_from_text("reason", &r)).transpose()?,
                completed_at: from_millis(at)?,
                may_mean_territory: territory != 0,
            })
        })
        .collect()
}

/// A background check that did not run, as a later submission is held to it.
pub(crate) struct NotEligibleClaim {
    /// Why it did not run.
    pub reason: Option<Ineligible>,
    /// When.
    pub completed_at: DateTime<Utc>,
    /// Made before migration 0025, when "not in the US" may have meant a US territory.
    pub may_mean_territory: bool,
}

/// User `user_id`'s latest background check, if one ran.
pub(crate) async fn find_latest<'e, E>(
    db: E,
    user_id: Uuid,
) -> Result<Option<BackgroundCheck>, Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    find_preferring(db, user_id, None).await
}

/// User `user_id`'s latest background check made in flow `flow_id`, else their latest (a failed
/// one on file, which completes the step without a new run), if one ran: what a run in that
/// flow answered, though another flow of the user ran a check since.
pub(crate) async fn find_of_flow(
    db: &crate::db::Db,
    user_id: Uuid,
    flow_id: Uuid,
) -> Result<Option<BackgroundCheck>, Error> {
    find_preferring(db, user_id, Some(flow_id)).await
}

async fn find_preferring<'e, E>(
    db: E,
    user_id: Uuid,
    flow_id: Option<Uuid>,
) -> Result<Option<BackgroundCheck>, Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row: Option<(String, Option<String>, Option<String>, i64)> = sqlx::query_as(
        "SELECT status, reason, ssn_last4, completed_at FROM background_checks \
         WHERE user_id = $1 \
         ORDER BY CASE WHEN flow_id = $2 THEN 0 ELSE 1 END, seq DESC LIMIT 1",
    )
    .bind(user_id.to_string())
    .bind(flow_id.map(|id| id.to_string()).unwrap_or_default())
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

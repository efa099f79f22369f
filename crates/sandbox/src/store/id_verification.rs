//! The `id_documents` and `id_verifications` tables: the pictures of the ID verification step
//! (only their type, size and sha256, never the image) and each user's decision (issue 3).

use crate::db::{begin_write, enum_from_text, from_millis, to_millis, Db};
use crate::error::Error;
use chrono::{DateTime, Utc};
use payout_model::identity::{DocumentSide, IdVerification, UploadedDocument, VerificationStatus};
use sqlx::AnyConnection;
use uuid::Uuid;

/// Where user `user_id`'s ID verification stands: the decision (`not_started` before one) and
/// the pictures on file, in the order the step asks for them.
pub(crate) async fn find_id_verification(
    conn: &mut AnyConnection,
    user_id: Uuid,
) -> Result<IdVerification, Error> {
    let decided = decision(&mut *conn, user_id).await?;
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT side, content_type, size, uploaded_at FROM id_documents WHERE user_id = $1",
    )
    .bind(user_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut documents = rows
        .into_iter()
        .map(|(side, content_type, size, uploaded_at)| {
            Ok(UploadedDocument {
                side: enum_from_text("side", &side)?,
                content_type,
                size: u64::try_from(size).unwrap_or(0),
                uploaded_at: from_millis(uploaded_at)?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    documents.sort_by_key(|d| DocumentSide::ALL.iter().position(|s| *s == d.side));
    Ok(IdVerification {
        status: decided
            .map(|(s, _)| s)
            .unwrap_or(VerificationStatus::NotStarted),
        documents,
        decided_at: decided.map(|(_, at)| at),
    })
}

/// User `user_id`'s latest decision and when it was made.
async fn decision(
    conn: &mut AnyConnection,
    user_id: Uuid,
) -> Result<Option<(VerificationStatus, DateTime<Utc>)>, Error> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT status, decided_at FROM id_verifications WHERE user_id = $1")
            .bind(user_id.to_string())
            .fetch_optional(conn)
            .await?;
    row.map(|(status, at)| Ok((enum_from_text("status", &status)?, from_millis(at)?)))
        .transpose()
}

/// User `user_id`'s decision when it is settled ([`is_settled`]).
async fn settled_decision(
    conn: &mut AnyConnection,
    user_id: Uuid,
) -> Result<Option<VerificationStatus>, Error> {
    Ok(decision(conn, user_id)
        .await?
        .map(|(status, _)| status)
        .filter(|status| is_settled(*status)))
}

/// Keeps `document` (with the sha256 of its bytes) as user `user_id`'s picture of its side,
/// replacing any earlier one, unless the user's decision is settled ([`is_settled`]): then
/// nothing is written and the decision is returned. Read again in the write transaction, so a
/// picture sent while a submit is being decided never replaces one the decision was made on
/// (review); and the write takes its turn with the others, where on SQLite it asked the busy
/// handler and, behind a long run of payouts, failed past its timeout (a 500).
pub(crate) async fn upsert_document(
    db: &Db,
    user_id: Uuid,
    document: &UploadedDocument,
    sha256: &str,
) -> Result<Option<VerificationStatus>, Error> {
    let mut tx = begin_write(db).await?;
    if let Some(settled) = settled_decision(&mut tx, user_id).await? {
        return Ok(Some(settled));
    }
    sqlx::query(
        "INSERT INTO id_documents (user_id, side, content_type, size, sha256, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, side) DO UPDATE SET \
         content_type = excluded.content_type, size = excluded.size, sha256 = excluded.sha256, \
         uploaded_at = excluded.uploaded_at",
    )
    .bind(user_id.to_string())
    .bind(document.side.as_str())
    .bind(&document.content_type)
    .bind(i64::try_from(document.size).unwrap_or(i64::MAX))
    .bind(sha256)
    .bind(to_millis(document.uploaded_at))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(None)
}

/// Who a decision is for and the flow it was made in.
pub(crate) struct DecisionFor {
    /// The user decided on.
    pub user_id: Uuid,
    /// Their app.
    pub app_id: Uuid,
    /// The flow whose step asked.
    pub flow_id: Uuid,
}

/// Records `status` as the decision for `who` at `now` on the pictures on file, replacing an
/// unsettled one; a failure also clears the pictures, so the user retakes them; both or
/// neither. `false`, writing nothing, when the decision was made meanwhile (review: two
/// submits at once each recorded one, and the host got two `user.updated`): another submit
/// settled it, or failed it and cleared the pictures. Read again in the write transaction,
/// which takes its turn after the other's (SQLite's write lock, PostgreSQL's write lock).
pub(crate) async fn record_decision(
    db: &Db,
    who: &DecisionFor,
    status: VerificationStatus,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let mut tx = begin_write(db).await?;
    let settled = settled_decision(&mut tx, who.user_id).await?.is_some();
    let sides: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM id_documents WHERE user_id = $1")
        .bind(who.user_id.to_string())
        .fetch_one(&mut *tx)
        .await?;
    if settled || usize::try_from(sides).unwrap_or(0) < DocumentSide::ALL.len() {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO id_verifications (user_id, app_id, status, flow_id, decided_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET \
         status = excluded.status, flow_id = excluded.flow_id, decided_at = excluded.decided_at",
    )
    .bind(who.user_id.to_string())
    .bind(who.app_id.to_string())
    .bind(status.as_str())
    .bind(who.flow_id.to_string())
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await?;
    if status == VerificationStatus::Failed {
        sqlx::query("DELETE FROM id_documents WHERE user_id = $1")
            .bind(who.user_id.to_string())
            .execute(&mut *tx)
            .await?;
    }
    // The decision is on the user object (issue 10).
    crate::store::webhooks::record_user_updated(&mut tx, who.app_id, who.user_id, now).await?;
    tx.commit().await?;
    crate::webhooks::wake();
    Ok(true)
}

/// Whether decision `status` is settled: verified or in review, the user uploads nothing more
/// and no new decision is made.
pub(crate) fn is_settled(status: VerificationStatus) -> bool {
    matches!(
        status,
        VerificationStatus::Verified | VerificationStatus::NeedsReview
    )
}

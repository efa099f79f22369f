//! `/api/flow/id-verification`: the ID verification step (issue 3): the pictures (front and
//! back of a government ID, a selfie), the sandbox's decision, and the `id_documents` and
//! `id_verifications` tables behind them. Of a picture only its type, size and sha256 are
//! kept, never the image.
//!
//! The sandbox decides from the user's email (README "Sandbox test values"): one containing
//! [`SANDBOX_IDV_FAIL_TAG`] fails, one containing [`SANDBOX_IDV_REVIEW_TAG`] needs review, any
//! other is verified. A failure clears the pictures so the user retakes them, and leaves the
//! step open; the other two complete it.
//!
//! Every route acts only through the flow's id-verification step (issue 8,
//! [`FlowUser::permit`]): reading while the flow has it, uploading and submitting while it is
//! the current step.
//!
//! A decision of verified or needs review is the user's, not the flow's: it stands for every
//! later flow of theirs. Such a user uploads nothing more (409), and submitting answers the
//! decision on file and completes the step of the flow at hand, so a later flow that lists
//! id-verification still has a way forward.

use crate::auth::FlowUser;
use crate::db::{begin_write, enum_from_text, from_millis, to_millis, Db};
use crate::error::Error;
use crate::extract::PathParam;
use crate::routes::flow_sessions::record_form_step;
use crate::routes::flows::{flow_not_found, FlowRow};
use crate::routes::Mount;
use crate::secret::sha256_hex;
use crate::state::AppState;
use crate::test_values::{SANDBOX_IDV_FAIL_TAG, SANDBOX_IDV_REVIEW_TAG};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::identity::{
    check_document, DocumentSide, IdVerification, Submitted, UploadedDocument, VerificationStatus,
    DOCUMENT_MAX_BYTES,
};
use payout_model::{FlowAction, Invalid, Rule, StepName};
use uuid::Uuid;

/// The largest body the upload route reads: one byte over the limit, so an oversize picture is
/// refused with the model's message (a 422 naming the side), never the framework's plain 413.
const UPLOAD_BODY_LIMIT: usize = DOCUMENT_MAX_BYTES as usize + 1;

/// The ID verification routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::GetIdVerification, _, _>(get_id_verification)
        .endpoint_with::<ep::UploadDocument, _, _>(upload_document, |route| {
            route.layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
        })
        .endpoint::<ep::SubmitIdVerification, _, _>(submit_id_verification)
}

/// Whether a decision stands for good (module docs): verified or needs review.
fn is_settled(status: VerificationStatus) -> bool {
    matches!(
        status,
        VerificationStatus::Verified | VerificationStatus::NeedsReview
    )
}

/// The 409 for an upload once the decision is settled.
fn already_decided(status: VerificationStatus) -> Error {
    Error::Conflict(if status == VerificationStatus::Verified {
        "your id is already verified".to_owned()
    } else {
        "your id is already being reviewed".to_owned()
    })
}

/// `GET /api/flow/id-verification`: the decision (`not_started` before one) and the pictures
/// on file.
async fn get_id_verification(
    State(state): State<AppState>,
    user: FlowUser,
) -> Result<Json<IdVerification>, Error> {
    user.permit(&state.db, FlowAction::ReadIdVerification)
        .await?;
    Ok(Json(find_id_verification(&state.db, user.user_id).await?))
}

/// `PUT /api/flow/id-verification/documents/{side}`: one picture, the raw image as the body
/// with its `Content-Type`. 422 naming `side` for an unknown side, and naming the side itself
/// for a type that is not JPEG, PNG or WebP, an empty or oversize body, or bytes that are not
/// the declared image type; 409 once verified or in review. Replaces that side's earlier
/// picture.
async fn upload_document(
    State(state): State<AppState>,
    user: FlowUser,
    side: PathParam,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<UploadedDocument>, Error> {
    user.permit(&state.db, FlowAction::SubmitIdVerification)
        .await?;
    let side: DocumentSide = side.0.parse().map_err(|rule| Error::broke("side", rule))?;
    let field = side.as_str();
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bytes = match body {
        Ok(bytes) => bytes,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            // Over the limit: the model's size rule (after its type rule) says why.
            let rule = check_document(content_type, DOCUMENT_MAX_BYTES + 1)
                .err()
                .unwrap_or(Rule::MaxMegabytes {
                    max: DOCUMENT_MAX_BYTES / (1024 * 1024),
                });
            return Err(Error::broke(field, rule));
        }
        Err(_) => return Err(Error::invalid_field(field, "could not be read; try again")),
    };
    check_document(content_type, bytes.len() as u64).map_err(|rule| Error::broke(field, rule))?;
    let content_type = essence(content_type);
    if sniff_image_type(&bytes) != Some(content_type.as_str()) {
        return Err(Error::invalid_field(
            field,
            "is not a JPEG, PNG or WebP image",
        ));
    }
    if let Some((status, _)) = decision(&state.db, user.user_id).await? {
        if is_settled(status) {
            return Err(already_decided(status));
        }
    }

    let now = state.clock.now();
    let document = UploadedDocument {
        side,
        content_type,
        size: bytes.len() as u64,
        uploaded_at: now,
    };
    sqlx::query(
        "INSERT INTO id_documents (user_id, side, content_type, size, sha256, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, side) DO UPDATE SET \
         content_type = excluded.content_type, size = excluded.size, sha256 = excluded.sha256, \
         uploaded_at = excluded.uploaded_at",
    )
    .bind(user.user_id.to_string())
    .bind(field)
    .bind(&document.content_type)
    .bind(i64::try_from(document.size).unwrap_or(i64::MAX))
    .bind(sha256_hex(&bytes))
    .bind(to_millis(now))
    .execute(&state.db)
    .await?;
    Ok(Json(document))
}

/// `POST /api/flow/id-verification/submit`: asks for the sandbox's decision on the pictures on
/// file. 422 naming each missing side ("is required"). A failure clears the pictures and leaves
/// the step open; verified and needs-review complete it. Once the user is verified or in review
/// (in this flow or an earlier one), no new decision is made and no pictures are needed: the
/// answer is the decision on file, and the step is completed.
async fn submit_id_verification(
    State(state): State<AppState>,
    user: FlowUser,
) -> Result<Json<Submitted<IdVerification>>, Error> {
    user.permit(&state.db, FlowAction::SubmitIdVerification)
        .await?;
    let current = find_id_verification(&state.db, user.user_id).await?;
    if is_settled(current.status) {
        let flow = record_form_step(
            &state.db,
            user.flow_id,
            StepName::IdVerification,
            state.clock.now(),
        )
        .await?;
        return Ok(Json(Submitted {
            data: current,
            flow,
        }));
    }
    let mut errors = Invalid::default();
    for side in DocumentSide::ALL {
        if !current.documents.iter().any(|d| d.side == side) {
            errors.add(side.as_str(), Rule::Required);
        }
    }
    errors.finish()?;

    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user.user_id.to_string())
        .fetch_one(&state.db)
        .await?;
    let status = decide(&email);
    let now = state.clock.now();
    let mut tx = begin_write(&state.db).await?;
    sqlx::query(
        "INSERT INTO id_verifications (user_id, app_id, status, flow_id, decided_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET \
         status = excluded.status, flow_id = excluded.flow_id, decided_at = excluded.decided_at",
    )
    .bind(user.user_id.to_string())
    .bind(user.app_id.to_string())
    .bind(status.as_str())
    .bind(user.flow_id.to_string())
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await?;
    if status == VerificationStatus::Failed {
        sqlx::query("DELETE FROM id_documents WHERE user_id = $1")
            .bind(user.user_id.to_string())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    tracing::info!(user_id = %user.user_id, ?status, "id verification decided");

    let flow = if status == VerificationStatus::Failed {
        FlowRow::find(&state.db, user.flow_id)
            .await?
            .ok_or_else(flow_not_found)?
            .to_state()?
    } else {
        record_form_step(
            &state.db,
            user.flow_id,
            StepName::IdVerification,
            state.clock.now(),
        )
        .await?
    };
    Ok(Json(Submitted {
        data: find_id_verification(&state.db, user.user_id).await?,
        flow,
    }))
}

/// The sandbox's decision for a user with `email` (module docs).
fn decide(email: &str) -> VerificationStatus {
    let email = email.to_lowercase();
    if email.contains(SANDBOX_IDV_FAIL_TAG) {
        VerificationStatus::Failed
    } else if email.contains(SANDBOX_IDV_REVIEW_TAG) {
        VerificationStatus::NeedsReview
    } else {
        VerificationStatus::Verified
    }
}

/// Where user `user_id`'s ID verification stands: the decision (`not_started` before one) and
/// the pictures on file, in the order the step asks for them.
pub(crate) async fn find_id_verification(db: &Db, user_id: Uuid) -> Result<IdVerification, Error> {
    let decided = decision(db, user_id).await?;
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT side, content_type, size, uploaded_at FROM id_documents WHERE user_id = $1",
    )
    .bind(user_id.to_string())
    .fetch_all(db)
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
    db: &Db,
    user_id: Uuid,
) -> Result<Option<(VerificationStatus, chrono::DateTime<chrono::Utc>)>, Error> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT status, decided_at FROM id_verifications WHERE user_id = $1")
            .bind(user_id.to_string())
            .fetch_optional(db)
            .await?;
    row.map(|(status, at)| Ok((enum_from_text("status", &status)?, from_millis(at)?)))
        .transpose()
}

/// A `Content-Type` without its parameters, lower case.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The image type the bytes really are, from their magic numbers: JPEG `FF D8 FF`, PNG
/// `89 50 4E 47 0D 0A 1A 0A`, WebP `RIFF….WEBP`.
fn sniff_image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_three_image_types() {
        assert_eq!(
            sniff_image_type(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some("image/jpeg")
        );
        assert_eq!(
            sniff_image_type(b"\x89PNG\r\n\x1a\n\0\0"),
            Some("image/png")
        );
        assert_eq!(
            sniff_image_type(b"RIFF\0\0\0\0WEBPVP8 "),
            Some("image/webp")
        );
        assert_eq!(sniff_image_type(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(sniff_image_type(b"%PDF-1.7"), None);
        assert_eq!(sniff_image_type(b""), None);
    }

    #[test]
    fn decides_from_the_email_tags() {
        assert_eq!(decide("ada+fail@example.com"), VerificationStatus::Failed);
        assert_eq!(
            decide("Ada+Review@example.com"),
            VerificationStatus::NeedsReview
        );
        assert_eq!(decide("ada@example.com"), VerificationStatus::Verified);
    }
}

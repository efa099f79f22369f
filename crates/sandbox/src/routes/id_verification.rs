//! `/api/flow/id-verification`: the ID verification step (issue 3): the pictures (front and
//! back of a government ID, a selfie) and the sandbox's decision. Of a picture only its type,
//! size and sha256 are kept, never the image ([`crate::store::id_verification`]).
//!
//! The sandbox decides from the user's email ([`crate::service::identity::decide`]). A
//! failure clears the pictures so the user retakes them, and leaves the step open; the other
//! two complete it.
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
use crate::error::Error;
use crate::extract::PathParam;
use crate::routes::Mount;
use crate::secret::sha256_hex;
use crate::service::identity::{keep_document, submit_id_verification as submit};
use crate::state::AppState;
use crate::store::id_verification::find_id_verification;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::identity::{
    check_document, DocumentSide, IdVerification, Submitted, UploadedDocument, DOCUMENT_MAX_BYTES,
};
use payout_model::{FlowAction, Rule};

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

/// `GET /api/flow/id-verification`: the decision (`not_started` before one) and the pictures
/// on file.
async fn get_id_verification(
    State(state): State<AppState>,
    user: FlowUser,
) -> Result<Json<IdVerification>, Error> {
    user.permit(&state, FlowAction::ReadIdVerification).await?;
    let mut conn = state.db.acquire().await?;
    Ok(Json(find_id_verification(&mut conn, user.user_id).await?))
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
    user.permit(&state, FlowAction::SubmitIdVerification)
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
        Err(_) => return Err(Error::broke(field, Rule::Unreadable)),
    };
    check_document(content_type, bytes.len() as u64).map_err(|rule| Error::broke(field, rule))?;
    let content_type = essence(content_type);
    if sniff_image_type(&bytes) != Some(content_type.as_str()) {
        return Err(Error::broke(field, Rule::ImageContent));
    }
    let now = state.clock.now();
    let document = UploadedDocument {
        side,
        content_type,
        size: bytes.len() as u64,
        uploaded_at: now,
    };
    keep_document(&state.db, user.user_id, &document, &sha256_hex(&bytes)).await?;
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
    user.permit(&state, FlowAction::SubmitIdVerification)
        .await?;
    let now = state.clock.now();
    let submitted = submit(&state.db, &state.config, &user, now).await?;
    Ok(Json(submitted))
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
}

//! Window messages from the flow to its host (DESIGN.md "Window messages"). Every message has
//! `source`, `version`, `type` and `flow_id`; it also keeps the fields Dots hosts already read:
//! `{"height":N}` on `resize` and `{"step":…,"status":"completed"}` on `step_completed`.

use crate::step::StepName;
use serde::{Deserialize, Serialize};

/// The `source` of every message, so hosts can tell ours from other frames'.
pub const MESSAGE_SOURCE: &str = "payout-flows";
/// The message format version; bumped on any incompatible change.
pub const MESSAGE_VERSION: u32 = 1;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageType {
    /// The flow has loaded and shows its first screen.
    Ready,
    /// The content height changed; carries `height`.
    Resize,
    /// A step was completed; carries `step` and `status`.
    StepCompleted,
    /// Every step is done.
    Completed,
    /// The flow is leaving for `url`.
    Redirect,
    /// The user chose to leave the flow ("Go to dashboard").
    Exit,
    /// The flow cannot go on; carries `message`.
    Error,
    /// The session expired; the host should open a new flow link.
    SessionExpired,
    /// The flow could not start; carries `error` (issue 12). Posted to the page the browser
    /// says frames the flow, before any origin is confirmed, so it says nothing but the type.
    LoadError,
}

/// Why a flow could not start (`load_error`'s `error`; `embed.js` hands it to `onLoadError` as
/// `type`, next to the types it finds itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LoadErrorType {
    /// No flow has this link's id (or the link has none).
    FlowNotFound,
    /// The server answered but would not start the flow now: too many starts (429), or its
    /// own error. Trying again later may work; the host's settings are not the cause.
    Unavailable,
    /// The page loaded but its server's API did not answer.
    NetworkError,
}

/// How a step ended, as Dots hosts read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    /// The step was completed.
    Completed,
    /// manage-payouts was saved with nothing changed.
    CompletedSaved,
}

/// One message posted to the host window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowMessage {
    /// Always [`MESSAGE_SOURCE`].
    pub source: String,
    /// Always [`MESSAGE_VERSION`].
    pub version: u32,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// The flow that sent it.
    pub flow_id: String,
    /// Content height in CSS pixels (`resize`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// The step (`step_completed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<StepName>,
    /// How the step ended (`step_completed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StepStatus>,
    /// Destination (`redirect`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What went wrong (`error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The error envelope's code, when an API refusal caused the `error` (`payout_blocked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<crate::ErrorCode>,
    /// Why the flow could not start (`load_error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<LoadErrorType>,
}

impl WindowMessage {
    /// A message of `kind` from `flow_id` with no optional fields.
    pub fn new(kind: MessageType, flow_id: impl Into<String>) -> Self {
        Self {
            source: MESSAGE_SOURCE.to_owned(),
            version: MESSAGE_VERSION,
            kind,
            flow_id: flow_id.into(),
            height: None,
            step: None,
            status: None,
            url: None,
            message: None,
            code: None,
            error: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn step_completed_keeps_dots_fields() {
        let mut m = WindowMessage::new(MessageType::StepCompleted, "f1");
        m.step = Some(StepName::Redirect);
        m.status = Some(StepStatus::Completed);
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({"source":"payout-flows","version":1,"type":"step_completed","flow_id":"f1",
                   "step":"redirect","status":"completed"})
        );
    }

    #[test]
    fn load_error_names_its_type() {
        let mut m = WindowMessage::new(MessageType::LoadError, "f1");
        m.error = Some(LoadErrorType::FlowNotFound);
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({"source":"payout-flows","version":1,"type":"load_error","flow_id":"f1",
                   "error":"flow_not_found"})
        );
    }

    #[test]
    fn resize_carries_height_and_saved_status_is_kebab() {
        let mut m = WindowMessage::new(MessageType::Resize, "f1");
        m.height = Some(480);
        assert_eq!(serde_json::to_value(&m).unwrap()["height"], json!(480));
        assert_eq!(
            serde_json::to_value(StepStatus::CompletedSaved).unwrap(),
            json!("completed-saved")
        );
    }
}

//! App notifications (issue 3): things that happened to an app's users that the app must hear
//! about, such as a failed background check (seed 000, "Background Check"). The sandbox records
//! them as they happen and lists them at `GET /api/v2/notifications` (host auth, newest first);
//! the webhooks issue delivers the same objects to the app's endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// What a notification is about; its wire name is the `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum NotificationType {
    /// A background check found records; `data` is a [`BackgroundCheckFailed`].
    #[serde(rename = "user.background_check_failed")]
    UserBackgroundCheckFailed,
}

impl NotificationType {
    /// The wire name (`user.background_check_failed`).
    pub const fn as_str(self) -> &'static str {
        match self {
            NotificationType::UserBackgroundCheckFailed => "user.background_check_failed",
        }
    }
}

/// One notification of the app.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    /// ID of the notification.
    pub id: Uuid,
    /// What it is about.
    #[serde(rename = "type")]
    pub kind: NotificationType,
    /// The user it concerns, if any.
    pub user_id: Option<Uuid>,
    /// When it happened.
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub created: DateTime<Utc>,
    /// The details; their shape depends on `type`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: Value,
}

/// A page of notifications (`GET /api/v2/notifications`), shaped like
/// [`crate::money::TransferList`].
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationList {
    /// Newest first.
    pub data: Vec<Notification>,
    /// Whether more lie beyond this page in the direction asked.
    pub has_more: bool,
}

/// `data` of a `user.background_check_failed` notification.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackgroundCheckFailed {
    /// The user whose check failed (their `has_criminal_activity` is now true).
    pub user_id: Uuid,
    /// The flow the check ran in.
    pub flow_id: Uuid,
    /// The check.
    pub background_check_id: Uuid,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn notification_json_is_pinned() {
        let user_id = Uuid::from_u128(1);
        let data = BackgroundCheckFailed {
            user_id,
            flow_id: Uuid::from_u128(2),
            background_check_id: Uuid::from_u128(3),
        };
        let list = NotificationList {
            data: vec![Notification {
                id: Uuid::from_u128(4),
                kind: NotificationType::UserBackgroundCheckFailed,
                user_id: Some(user_id),
                created: "2026-11-23T10:00:00Z".parse().unwrap(),
                data: serde_json::to_value(&data).unwrap(),
            }],
            has_more: false,
        };
        assert_eq!(
            serde_json::to_value(&list).unwrap(),
            json!({"data": [{
                "id": "00000000-0000-0000-0000-000000000004",
                "type": "user.background_check_failed",
                "user_id": "00000000-0000-0000-0000-000000000001",
                "created": "2026-11-23T10:00:00Z",
                "data": {
                    "user_id": "00000000-0000-0000-0000-000000000001",
                    "flow_id": "00000000-0000-0000-0000-000000000002",
                    "background_check_id": "00000000-0000-0000-0000-000000000003"
                }
            }], "has_more": false})
        );
        assert_eq!(
            NotificationType::UserBackgroundCheckFailed.as_str(),
            "user.background_check_failed"
        );
    }

    #[test]
    fn notification_type_as_str_is_its_serde_name() {
        crate::wire_names::assert_as_str_is_serde_name(
            &[NotificationType::UserBackgroundCheckFailed],
            NotificationType::as_str,
        );
    }
}

//! Webhooks and events (issue 10): the app's webhook endpoints (`/api/v2/webhooks`), the events
//! the sandbox records as things change (`/api/v2/events`, with Dots' names: `flow.updated`,
//! `transfer.updated`, `user.updated`, `app.updated`) and the log of delivery attempts.
//! Deliveries are signed the Standard Webhooks / Svix way with the endpoint's `whsec_` secret;
//! the body is an [`Event`].

use crate::rule::{Invalid, Rule, Validate};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use uuid::Uuid;

/// Most characters of a webhook URL.
pub const MAX_WEBHOOK_URL_CHARS: usize = 2_048;
/// Most characters of a webhook's description.
pub const MAX_WEBHOOK_DESCRIPTION_CHARS: usize = 500;

/// What an event reports; its wire name is the event's `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventType {
    /// A step of a flow was completed, or the whole flow; `data` is the flow as
    /// `GET /api/v2/flows/{id}` shows it.
    #[serde(rename = "flow.updated")]
    FlowUpdated,
    /// A transfer (payouts included) was created or changed status; `data` is the transfer as
    /// `GET /api/v2/transfers/{id}` shows it.
    #[serde(rename = "transfer.updated")]
    TransferUpdated,
    /// A user was verified by sign-in, or their compliance, ID verification or background check
    /// changed; `data` is the user as `GET /api/v2/users/{id}` shows it (masked).
    #[serde(rename = "user.updated")]
    UserUpdated,
    /// The app's settings changed; `data` is the app as `GET /api/v2/app` shows it.
    #[serde(rename = "app.updated")]
    AppUpdated,
    /// A payout link was made or changed status (issue 11); `data` is the link as
    /// `GET /api/v2/payout-links/{id}` shows it.
    #[serde(rename = "payout_link.updated")]
    PayoutLinkUpdated,
}

impl EventType {
    /// Every event type.
    pub const ALL: [EventType; 5] = [
        EventType::FlowUpdated,
        EventType::TransferUpdated,
        EventType::UserUpdated,
        EventType::AppUpdated,
        EventType::PayoutLinkUpdated,
    ];

    /// The wire name (`flow.updated`).
    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::FlowUpdated => "flow.updated",
            EventType::TransferUpdated => "transfer.updated",
            EventType::UserUpdated => "user.updated",
            EventType::AppUpdated => "app.updated",
            EventType::PayoutLinkUpdated => "payout_link.updated",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A webhook endpoint's signing secret: `whsec_` and the base64 of at least 24 random bytes
/// (Svix's format). Shown when the endpoint is created and when the secret is rotated, never
/// otherwise; `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct WebhookSecret(pub String);

impl WebhookSecret {
    /// The secret as text (to sign or verify with).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(whsec_***)")
    }
}

/// `POST /api/v2/webhooks` body: an endpoint to deliver the app's events to.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewWebhook {
    /// Where events are POSTed: `https://…`, or `http://` to a loopback address.
    pub url: String,
    /// The event types to send; absent or empty: every type.
    #[serde(default)]
    pub events: Option<Vec<EventType>>,
    /// What the endpoint is for.
    #[serde(default)]
    pub description: Option<String>,
}

impl Validate for NewWebhook {
    /// A URL of sane length with an http(s) scheme, a description of sane length (the server
    /// also checks where the URL points).
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        check_url(&self.url, &mut errors);
        check_description(self.description.as_deref(), &mut errors);
        errors.finish()
    }
}

/// `PATCH /api/v2/webhooks/{id}` body: the fields to change; absent ones stay.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookUpdate {
    /// A new URL.
    #[serde(default)]
    pub url: Option<String>,
    /// New event types (empty: every type).
    #[serde(default)]
    pub events: Option<Vec<EventType>>,
    /// A new description.
    #[serde(default)]
    pub description: Option<String>,
}

impl Validate for WebhookUpdate {
    /// The same rules as [`NewWebhook`] for the fields given.
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        if let Some(url) = &self.url {
            check_url(url, &mut errors);
        }
        check_description(self.description.as_deref(), &mut errors);
        errors.finish()
    }
}

fn check_url(url: &str, errors: &mut Invalid) {
    let url = url.trim();
    if url.is_empty() {
        errors.add("url", Rule::Required);
    } else if url.chars().count() > MAX_WEBHOOK_URL_CHARS {
        errors.add(
            "url",
            Rule::MaxChars {
                max: MAX_WEBHOOK_URL_CHARS,
            },
        );
    } else if !["https://", "http://"].iter().any(|scheme| {
        // A scheme is case-insensitive (RFC 3986): `HTTPS://` is kept as `https://`.
        url.get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    }) {
        errors.add("url", Rule::HttpUrl);
    } else if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        errors.add("url", Rule::NoSpacesOrControlChars);
    }
}

fn check_description(description: Option<&str>, errors: &mut Invalid) {
    if description.is_some_and(|d| d.chars().count() > MAX_WEBHOOK_DESCRIPTION_CHARS) {
        errors.add(
            "description",
            Rule::MaxChars {
                max: MAX_WEBHOOK_DESCRIPTION_CHARS,
            },
        );
    } else if description.is_some_and(|d| d.chars().any(|c| c.is_control() && c != '\n')) {
        errors.add("description", Rule::NoControlChars);
    }
}

/// A webhook endpoint of the app.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    /// ID of the endpoint.
    pub id: Uuid,
    /// Where events are POSTed.
    pub url: String,
    /// The event types sent; empty: every type.
    pub events: Vec<EventType>,
    /// What the endpoint is for.
    pub description: Option<String>,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// The signing secret: only in the answers to creating the endpoint and rotating its
    /// secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<WebhookSecret>,
}

/// A page of webhook endpoints, newest first.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookList {
    /// Newest first.
    pub data: Vec<Webhook>,
    /// Whether more lie beyond this page in the direction asked.
    pub has_more: bool,
}

/// An event of the app: the body of every webhook delivery.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    /// ID of the event: `evt_` and 32 hex digits. Deliveries carry it as `svix-id` /
    /// `webhook-id`, so a receiver can drop a repeat.
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When it happened.
    pub created: DateTime<Utc>,
    /// The app it belongs to.
    pub app_id: Uuid,
    /// The object as the host API shows it after the change.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: Value,
}

/// A page of events, newest first.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventList {
    /// Newest first.
    pub data: Vec<Event>,
    /// Whether more lie beyond this page in the direction asked.
    pub has_more: bool,
}

/// One attempt to deliver an event to a webhook endpoint.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryAttempt {
    /// ID of the attempt.
    pub id: Uuid,
    /// The event delivered.
    pub event_id: String,
    /// Its type.
    pub event_type: EventType,
    /// 1 for the first attempt of this delivery, 2 for the first retry…
    pub attempt: u32,
    /// The receiver's HTTP status, when it answered.
    pub response_status: Option<u16>,
    /// The start of the receiver's answer (at most 1 KB).
    pub response_body: Option<String>,
    /// Why no answer came (timeout, connection refused…), when none did.
    pub error: Option<String>,
    /// Whether the receiver accepted it (a 2xx answer).
    pub succeeded: bool,
    /// When the attempt was made.
    pub attempted: DateTime<Utc>,
    /// When the next attempt is due; null when the event arrived or no retry is left.
    pub next_retry: Option<DateTime<Utc>>,
}

/// A page of delivery attempts, newest first.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryAttemptList {
    /// Newest first.
    pub data: Vec<DeliveryAttempt>,
    /// Whether more lie beyond this page in the direction asked.
    pub has_more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_json_is_pinned() {
        let event = Event {
            id: "evt_00000000000000000000000000000001".to_owned(),
            kind: EventType::FlowUpdated,
            created: "2026-12-02T10:00:00Z".parse().unwrap(),
            app_id: Uuid::from_u128(2),
            data: json!({"id": "x"}),
        };
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            json!({"id": "evt_00000000000000000000000000000001", "type": "flow.updated",
                   "created": "2026-12-02T10:00:00Z",
                   "app_id": "00000000-0000-0000-0000-000000000002", "data": {"id": "x"}})
        );
    }

    #[test]
    fn secrets_show_only_when_set_and_never_in_debug() {
        let mut hook = Webhook {
            id: Uuid::from_u128(1),
            url: "https://host.example/hooks".to_owned(),
            events: vec![],
            description: None,
            created: "2026-12-02T10:00:00Z".parse().unwrap(),
            secret: None,
        };
        assert!(serde_json::to_value(&hook).unwrap().get("secret").is_none());
        hook.secret = Some(WebhookSecret("whsec_c2VjcmV0".to_owned()));
        assert_eq!(
            serde_json::to_value(&hook).unwrap()["secret"],
            "whsec_c2VjcmV0"
        );
        assert!(!format!("{hook:?}").contains("c2VjcmV0"));
    }

    #[test]
    fn validates_url_and_description() {
        let new = NewWebhook {
            url: "ftp://x".to_owned(),
            events: None,
            description: Some("d".repeat(501)),
        };
        let err = new.validate().unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["url", "description"]);
    }

    #[test]
    fn event_type_as_str_is_its_serde_name() {
        crate::wire_names::assert_as_str_is_serde_name(&EventType::ALL, EventType::as_str);
    }
}

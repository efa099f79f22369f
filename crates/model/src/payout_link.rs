//! Payout links on the wire (seed 004, "Create a Payout Link", "Example Payout Link API
//! Response"; issue 11): an amount the host promises a person, paid through a flow the payee
//! opens from a link. The money is set aside when the link is made; a claim gives it to the
//! person who signed in; the link's payout step pays exactly that amount out.
//!
//! Also the sandbox's outbox ([`SandboxMessage`]): the sandbox sends no real SMS or email, it
//! keeps what it would have sent for the host to read.

use crate::flow::{check_metadata, Metadata};
use crate::money::{check_key, check_positive_amount, Cents, FeeParty};
use crate::rule::{Invalid, Rule, Validate};
use crate::step::{asked_fee_party, Step, StepName};
use crate::user::{check_country_code, check_email, check_name, check_phone_number};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long a link stays claimable when its request gives no `expires_at`: 30 days.
pub const DEFAULT_LINK_DAYS: i64 = 30;

/// The furthest a link's `expires_at` may lie ahead: 365 days. Money set aside for a link
/// stays out of the app's wallet until then.
pub const MAX_LINK_DAYS: u16 = 365;

/// The longest memo or description, in characters.
pub const LINK_TEXT_MAX_CHARS: usize = 500;

/// Who a link is for, as far as the host knows (seed 004 `payee`). Each field optional; a phone
/// number given is the only phone that may claim the link.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Payee {
    /// Given name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Email address; where `email` delivery sends the link.
    #[serde(default)]
    pub email: Option<String>,
    /// Country calling code of `phone_number` (`"1"`); required with it.
    #[serde(default)]
    pub country_code: Option<String>,
    /// National phone number; where `sms` delivery sends the link, and the only phone that may
    /// claim it.
    #[serde(default)]
    pub phone_number: Option<String>,
}

impl Payee {
    /// Checks the fields given into `errors`, named `payee.<field>`.
    fn check(&self, errors: &mut Invalid) {
        for (field, value) in [
            ("payee.first_name", &self.first_name),
            ("payee.last_name", &self.last_name),
        ] {
            if let Some(value) = value {
                errors.check(field, check_name(value));
            }
        }
        if let Some(email) = &self.email {
            errors.check("payee.email", check_email(email));
        }
        match (&self.country_code, &self.phone_number) {
            (None, None) => {}
            (None, Some(_)) => errors.add("payee.country_code", Rule::Required),
            (Some(_), None) => errors.add("payee.phone_number", Rule::Required),
            (Some(cc), Some(phone)) => {
                errors.check("payee.country_code", check_country_code(cc));
                if check_country_code(cc).is_ok() {
                    errors.check("payee.phone_number", check_phone_number(cc, phone));
                }
            }
        }
    }

    /// The payee's phone, when the host gave one.
    pub fn phone(&self) -> Option<(&str, &str)> {
        Some((self.country_code.as_deref()?, self.phone_number.as_deref()?))
    }
}

/// How the link reaches its payee (seed 004 `delivery.method`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMethod {
    /// The host hands the link out itself.
    #[default]
    Link,
    /// By text message to the payee's phone.
    Sms,
    /// By email to the payee's address.
    Email,
    /// By text message and email.
    All,
}

impl DeliveryMethod {
    /// The wire name (`sms`).
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryMethod::Link => "link",
            DeliveryMethod::Sms => "sms",
            DeliveryMethod::Email => "email",
            DeliveryMethod::All => "all",
        }
    }

    /// Whether this method sends a text message.
    pub const fn texts(self) -> bool {
        matches!(self, DeliveryMethod::Sms | DeliveryMethod::All)
    }

    /// Whether this method sends an email.
    pub const fn emails(self) -> bool {
        matches!(self, DeliveryMethod::Email | DeliveryMethod::All)
    }
}

/// `delivery` of a new link (seed 004).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewDelivery {
    /// `link` (the default), `sms`, `email` or `all`.
    #[serde(default)]
    pub method: DeliveryMethod,
    /// Text sent with the link (by text message or email).
    #[serde(default)]
    pub message: Option<String>,
}

/// `POST /api/v2/payout-links` body (seed 004, "Create a Payout Link").
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewPayoutLink {
    /// Cents to pay; at least 1. Set aside from the app's wallet when the link is made, with
    /// the most any rail's fee for it when the platform pays the fee.
    pub amount: Cents,
    /// A user of the app the link is for: only they may claim it (by signing in).
    #[serde(default)]
    pub user_id: Option<Uuid>,
    /// Who the link is for.
    #[serde(default)]
    pub payee: Option<Payee>,
    /// How the link reaches the payee; `link` when absent.
    #[serde(default)]
    pub delivery: Option<NewDelivery>,
    /// Shown at the top of the link's payout step.
    #[serde(default)]
    pub memo: Option<String>,
    /// For the host's records.
    #[serde(default)]
    pub description: Option<String>,
    /// Host data echoed back on the link.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::metadata_schema))]
    pub metadata: Option<Metadata>,
    /// Not counted towards the yearly reporting threshold.
    #[serde(default)]
    pub tax_exempt: bool,
    /// Collect compliance (W-9 or W-8BEN) before the payout whatever the threshold says.
    #[serde(default)]
    pub force_collect_compliance_information: bool,
    /// Who pays the payout's fee; the app's setting when absent. `platform`: the most any
    /// rail charges for the amount is set aside with it, and what the payee's rail does not
    /// charge goes back when the link is paid.
    #[serde(default)]
    pub payout_fee_party: Option<FeeParty>,
    /// Steps before the payout (and `redirect` after it); `payout` itself is always last
    /// but for a redirect.
    #[serde(default)]
    pub additional_steps: Vec<Step>,
    /// Until when the link may be claimed (at most 365 days ahead); 30 days from creation when
    /// absent. Unclaimed by then, it expires and its money returns to the app's wallet.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// The same key and body answer the same link; the key with another body is a 409.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

impl NewPayoutLink {
    /// The delivery method asked for (`link` when absent).
    pub fn method(&self) -> DeliveryMethod {
        self.delivery.as_ref().map(|d| d.method).unwrap_or_default()
    }

    /// The flow's steps: `additional_steps` but `payout` and `redirect`, then `compliance`
    /// when `force_collect_compliance_information` asks for it and it is not there yet, then
    /// `payout`, then `redirect` when asked for.
    pub fn flow_steps(&self) -> Vec<Step> {
        let mut steps: Vec<Step> = self
            .additional_steps
            .iter()
            .filter(|s| !matches!(s.name(), StepName::Payout | StepName::Redirect))
            .cloned()
            .collect();
        if self.force_collect_compliance_information
            && !steps.iter().any(|s| s.name() == StepName::Compliance)
        {
            steps.push(Step::Compliance);
        }
        steps.push(Step::PAYOUT);
        steps.extend(
            self.additional_steps
                .iter()
                .filter(|s| s.name() == StepName::Redirect)
                .cloned(),
        );
        steps
    }
}

/// `memo` or `description`: at most [`LINK_TEXT_MAX_CHARS`] characters, no control characters
/// but line breaks.
fn check_link_text(value: &str) -> Result<(), Rule> {
    if value.chars().count() > LINK_TEXT_MAX_CHARS {
        return Err(Rule::MaxChars {
            max: LINK_TEXT_MAX_CHARS,
        });
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Rule::NoControlChars);
    }
    Ok(())
}

impl Validate for NewPayoutLink {
    /// A positive amount; the payee's fields as a user's; a delivery method that has where to
    /// send (`sms` needs the payee's phone, `email` their email); short texts; steps once each;
    /// sane metadata and key.
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        errors.check("amount", check_positive_amount(self.amount));
        let payee = self.payee.clone().unwrap_or_default();
        payee.check(&mut errors);
        let method = self.method();
        // A phone half given is named by the payee's own check (the half that is missing).
        if method.texts() && payee.country_code.is_none() && payee.phone_number.is_none() {
            errors.add("payee.phone_number", Rule::Required);
        }
        if method.emails() && payee.email.is_none() {
            errors.add("payee.email", Rule::Required);
        }
        if let Some(message) = self.delivery.as_ref().and_then(|d| d.message.as_ref()) {
            errors.check("delivery.message", check_link_text(message));
        }
        for (field, value) in [("memo", &self.memo), ("description", &self.description)] {
            if let Some(value) = value {
                errors.check(field, check_link_text(value));
            }
        }
        for (i, step) in self.additional_steps.iter().enumerate() {
            if self.additional_steps[..i]
                .iter()
                .any(|s| s.name() == step.name())
            {
                errors.add(
                    format!("additional_steps[{i}]"),
                    Rule::StepTwice { step: step.name() },
                );
            }
        }
        check_metadata(&self.metadata, &mut errors);
        if let Some(key) = &self.idempotency_key {
            errors.check("idempotency_key", check_key(key));
        }
        if let Err(rule) = asked_fee_party(self.payout_fee_party, &self.additional_steps) {
            errors.add("payout_fee_party", rule);
        }
        errors.finish()
    }
}

/// Where a link stands: `created` → `delivered` (at once: the sandbox's messages are written
/// with the link) → `claimed` → `paid`, or `expired` / `canceled` before a claim, or
/// `canceled` after a claim and before the payout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PayoutLinkStatus {
    /// Made, not yet delivered.
    Created,
    /// Delivered (or handed to the host, for `link`): claimable.
    Delivered,
    /// A person signed in through it; the money is in their wallet.
    Claimed,
    /// The claimant paid the money out.
    Paid,
    /// Not claimed in time; the money went back to the app.
    Expired,
    /// Canceled by the host: before a claim, the money went back to the app; after a claim
    /// (before the payout), the money stays the claimant's and only a fee reserve went back.
    Canceled,
}

impl PayoutLinkStatus {
    /// Every status.
    pub const ALL: [PayoutLinkStatus; 6] = [
        PayoutLinkStatus::Created,
        PayoutLinkStatus::Delivered,
        PayoutLinkStatus::Claimed,
        PayoutLinkStatus::Paid,
        PayoutLinkStatus::Expired,
        PayoutLinkStatus::Canceled,
    ];

    /// The wire name (`delivered`).
    pub const fn as_str(self) -> &'static str {
        match self {
            PayoutLinkStatus::Created => "created",
            PayoutLinkStatus::Delivered => "delivered",
            PayoutLinkStatus::Claimed => "claimed",
            PayoutLinkStatus::Paid => "paid",
            PayoutLinkStatus::Expired => "expired",
            PayoutLinkStatus::Canceled => "canceled",
        }
    }

    /// The status of wire name `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the link may still be claimed (canceling it returns its money).
    pub const fn is_open(self) -> bool {
        matches!(
            self,
            PayoutLinkStatus::Created | PayoutLinkStatus::Delivered
        )
    }
}

/// `delivery` of a link as answered (seed 004's example): the method and where it went.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    /// `link`, `sms`, `email` or `all`.
    pub method: DeliveryMethod,
    /// Country calling code the text message went to, if one was sent.
    pub country_code: Option<String>,
    /// Phone number the text message went to, if one was sent.
    pub phone_number: Option<String>,
    /// Address the email went to, if one was sent.
    pub email: Option<String>,
}

/// `accounting_data` of a link (seed 004's example).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountingData {
    /// Not used by the sandbox; always null.
    pub quickbooks_account_id: Option<String>,
}

/// A payout link as the host reads it: seed 004's example response field for field, plus
/// `url` (the same as `link`, as the seed's request page answers it), `expires_at` and
/// `payout_transfer_id` (the claimant's payout, once paid).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutLink {
    /// ID of the link.
    pub id: Uuid,
    /// Cents promised.
    pub amount: Cents,
    /// Where it stands.
    pub status: PayoutLinkStatus,
    /// The link to send the payee (the link's flow).
    pub link: String,
    /// The same as `link`.
    pub url: String,
    /// The flow behind the link.
    pub flow_id: Uuid,
    /// The user who claimed it, once claimed.
    pub claimed_user_id: Option<Uuid>,
    /// When it was made.
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub created: DateTime<Utc>,
    /// Until when it may be claimed.
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
    /// How it was delivered.
    pub delivery: Delivery,
    /// Who it is for.
    pub payee: Payee,
    /// Shown on the payout step.
    pub memo: Option<String>,
    /// For the host's records.
    pub description: Option<String>,
    /// Host data.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::metadata_schema))]
    pub metadata: Option<Metadata>,
    /// Not counted towards the reporting threshold.
    pub tax_exempt: bool,
    /// The transfer that set the amount aside from the app's wallet (a fee reserve, when the
    /// platform pays the fee, is a transfer of its own).
    pub transfer_id: Uuid,
    /// The claimant's payout, once paid.
    pub payout_transfer_id: Option<Uuid>,
    /// Accounting integrations (unused in the sandbox).
    pub accounting_data: AccountingData,
}

/// `GET /api/v2/payout-links`: a page of the app's links, newest first.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutLinkList {
    /// The links of this page.
    pub data: Vec<PayoutLink>,
    /// Whether more links follow this page.
    pub has_more: bool,
}

/// What the payout step of a link's flow shows instead of an amount field (in
/// `GET /api/flow/wallet`, for the link's claimant).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkOffer {
    /// The link's amount: what the payout pays, exactly.
    pub amount: Cents,
    /// Who it is from: the app's name.
    pub from: String,
    /// The link's memo.
    pub memo: Option<String>,
}

/// How a sandbox message would have been sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageChannel {
    /// A text message.
    Sms,
    /// An email.
    Email,
}

/// A message the sandbox would have sent (`GET /api/v2/sandbox/messages`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SandboxMessage {
    /// ID of the message.
    pub id: Uuid,
    /// `sms` or `email`.
    pub channel: MessageChannel,
    /// The phone number (E.164) or email address it was for.
    pub to: String,
    /// Its text, the link included.
    pub body: String,
    /// The link it carried.
    pub link: String,
    /// The payout link it delivered.
    pub payout_link_id: Uuid,
    /// When it was "sent".
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub created: DateTime<Utc>,
}

/// `GET /api/v2/sandbox/messages`: the app's latest messages, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SandboxMessageList {
    /// At most the 100 latest.
    pub data: Vec<SandboxMessage>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Seed 004, "Create Payout Link API Request".
    #[test]
    fn seed_request_reads_and_validates() {
        let new: NewPayoutLink = serde_json::from_value(json!({
            "amount": 123,
            "idempotency_key": "3c90c3cc-0d44-4b50-8888-8dd25736052a"
        }))
        .unwrap();
        new.validate().unwrap();
        assert_eq!(new.method(), DeliveryMethod::Link);
        assert_eq!(new.flow_steps(), vec![Step::PAYOUT]);
    }

    /// Seed 004, "Example Payout Link API Response": every field of the example is answered,
    /// with the example's JSON types.
    #[test]
    fn link_answers_the_seed_example_fields() {
        let seed = json!({
            "accounting_data": {"quickbooks_account_id": null},
            "amount": 123,
            "claimed_user_id": null,
            "created": "2024-07-11T12:31:33.479437Z",
            "delivery": {"country_code": null, "email": null, "method": "link", "phone_number": null},
            "description": null,
            "flow_id": "7c22fd05-147e-48bb-b008-f48f24b76ea4",
            "id": "e5d5863a-498d-4551-a3dc-e31012503f23",
            "link": "https://my-sandbox.dots.dev/flow/7c22fd05-147e-48bb-b008-f48f24b76ea4",
            "memo": null,
            "metadata": null,
            "payee": {"country_code": null, "email": null, "first_name": null, "last_name": null, "phone_number": null},
            "status": "delivered",
            "tax_exempt": false,
            "transfer_id": "c1d3ec40-e05e-4385-acd6-c587372c4c3a"
        });
        let mut full = seed.clone();
        full["url"] = seed["link"].clone();
        full["expires_at"] = json!("2024-08-10T12:31:33.479437Z");
        full["payout_transfer_id"] = json!(null);
        let link: PayoutLink = serde_json::from_value(full).unwrap();
        let back = serde_json::to_value(&link).unwrap();
        for (field, value) in seed.as_object().unwrap() {
            if field == "created" {
                continue;
            }
            assert_eq!(&back[field], value, "{field}");
        }
    }

    #[test]
    fn wire_names_are_serde_names() {
        crate::wire_names::assert_as_str_is_serde_name(
            &PayoutLinkStatus::ALL,
            PayoutLinkStatus::as_str,
        );
        crate::wire_names::assert_as_str_is_serde_name(
            &[
                DeliveryMethod::Link,
                DeliveryMethod::Sms,
                DeliveryMethod::Email,
                DeliveryMethod::All,
            ],
            DeliveryMethod::as_str,
        );
    }

    #[test]
    fn delivery_needs_somewhere_to_send() {
        let new: NewPayoutLink = serde_json::from_value(json!({
            "amount": 500,
            "delivery": {"method": "all"},
            "payee": {"phone_number": "4154332334"}
        }))
        .unwrap();
        let err = new.validate().unwrap_err();
        assert_eq!(err.rule("payee.country_code"), Some(Rule::Required));
        assert_eq!(err.rule("payee.email"), Some(Rule::Required));
        // Review: the number sent was named "required" too, and a country code alone named
        // the number twice. Each missing field is named once, and only it.
        let fields = |err: &Invalid| err.0.iter().map(|v| v.field.clone()).collect::<Vec<_>>();
        assert_eq!(fields(&err), ["payee.country_code", "payee.email"]);
        let code_only: NewPayoutLink = serde_json::from_value(json!({
            "amount": 500,
            "delivery": {"method": "sms"},
            "payee": {"country_code": "1"}
        }))
        .unwrap();
        assert_eq!(
            fields(&code_only.validate().unwrap_err()),
            ["payee.phone_number"]
        );
        let neither: NewPayoutLink = serde_json::from_value(json!({
            "amount": 500,
            "delivery": {"method": "sms"}
        }))
        .unwrap();
        assert_eq!(
            fields(&neither.validate().unwrap_err()),
            ["payee.phone_number"]
        );
        let zero: NewPayoutLink = serde_json::from_value(json!({"amount": 0})).unwrap();
        assert!(zero.validate().unwrap_err().rule("amount").is_some());
    }

    #[test]
    fn steps_put_payout_last_but_for_a_redirect() {
        let new: NewPayoutLink = serde_json::from_value(json!({
            "amount": 500,
            "force_collect_compliance_information": true,
            "additional_steps": [
                {"name": "redirect", "redirect_url": "https://host.example/done"},
                "payout",
                "id-verification"
            ]
        }))
        .unwrap();
        let names: Vec<StepName> = new.flow_steps().iter().map(Step::name).collect();
        assert_eq!(
            names,
            [
                StepName::IdVerification,
                StepName::Compliance,
                StepName::Payout,
                StepName::Redirect
            ]
        );
    }
}

//! Payout batches on the wire (seed 004, "Create Batch Payouts", "GET
//! /v2/payout-batches/{payout_batch_id}", "List Historical Payout Batches"; issue 11): many
//! payouts in one request, each item a `POST /api/v2/payouts` body ([`NewPayout`]) with its own
//! idempotency key, paid by the sandbox's batch worker after the batch is answered.
//!
//! Only the items' shape is checked up front ([`NewPayoutBatch::validate`], naming
//! `items[3].amount`); what only paying can tell (a user without a payout method, a wallet short
//! of money) fails that item alone, with the error envelope a single payout would have answered.

use crate::error::ApiError;
use crate::flow::{check_metadata, Metadata};
use crate::money::NewPayout;
use crate::rule::{Invalid, Rule, Validate};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most items one batch may hold (issue 11).
pub const MAX_BATCH_ITEMS: usize = 1_000;

/// `POST /api/v2/payout-batches` body (seed 004, "Create Batch Payouts").
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewPayoutBatch {
    /// Makes a retried request answer the first batch, never a second one.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// Host data of the batch.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::metadata_schema))]
    pub metadata: Option<Metadata>,
    /// The payouts: 1 to 1,000 `POST /api/v2/payouts` bodies, paid in this order by one
    /// worker (several share a batch's items, and a retried item comes later). An item's
    /// own `idempotency_key` is honoured as `POST /api/v2/payouts` honours it.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 1000))]
    pub items: Vec<NewPayout>,
}

impl Validate for NewPayoutBatch {
    /// At least one and at most [`MAX_BATCH_ITEMS`] items, each of a valid shape (its errors
    /// named `items[i].field`), a sane key and metadata.
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        if let Some(key) = &self.idempotency_key {
            errors.check("idempotency_key", crate::money::check_key(key));
        }
        check_metadata(&self.metadata, &mut errors);
        if self.items.is_empty() {
            errors.add("items", Rule::Required);
        } else if self.items.len() > MAX_BATCH_ITEMS {
            errors.add(
                "items",
                Rule::MaxItems {
                    max: MAX_BATCH_ITEMS,
                },
            );
        } else {
            let mut keys = std::collections::HashSet::new();
            for (i, item) in self.items.iter().enumerate() {
                if let Err(Invalid(violations)) = item.validate() {
                    for v in violations {
                        errors.add(format!("items[{i}].{}", v.field), v.rule);
                    }
                }
                // Two items under one key would be one payout counted twice.
                if let Some(key) = &item.idempotency_key {
                    if !keys.insert(key.as_str()) {
                        errors.add(format!("items[{i}].idempotency_key"), Rule::RepeatedKey);
                    }
                }
            }
        }
        errors.finish()
    }
}

/// Where a batch stands (seed 004's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PayoutBatchStatus {
    /// Accepted; no item paid yet.
    Created,
    /// The worker is paying its items.
    Processing,
    /// Every item is processed, and some payouts (ACH) are still pending on their rail.
    PayingOut,
    /// Every item is processed and no payout of it is pending.
    Completed,
}

impl PayoutBatchStatus {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            PayoutBatchStatus::Created => "created",
            PayoutBatchStatus::Processing => "processing",
            PayoutBatchStatus::PayingOut => "paying_out",
            PayoutBatchStatus::Completed => "completed",
        }
    }
}

/// A payout batch (seed 004, "GET /v2/payout-batches/{payout_batch_id}"), plus `items_total`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutBatch {
    /// ID of the batch.
    pub id: Uuid,
    /// When it was created.
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub created: DateTime<Utc>,
    /// Where it stands.
    pub status: PayoutBatchStatus,
    /// The key the batch was submitted with, if any.
    pub idempotency_key: Option<String>,
    /// Host data of the batch.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::metadata_schema))]
    pub metadata: Option<Metadata>,
    /// Items processed so far (succeeded or failed).
    pub items_processed: i64,
    /// Items whose payout was made (and not failed, canceled or reversed since).
    pub items_succeeded: i64,
    /// Items that failed: refused (each with its error, `GET /api/v2/payout-batches/{id}/items`),
    /// or paid out and undone since (each with its transfer).
    pub items_failed: i64,
    /// Items in the batch.
    pub items_total: i64,
}

/// A page of batches (`GET /api/v2/payout-batches`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutBatchList {
    /// Newest first.
    pub data: Vec<PayoutBatch>,
    /// Whether more lie beyond this page in the direction asked.
    pub has_more: bool,
}

/// Where one item of a batch stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PayoutBatchItemStatus {
    /// Not paid yet.
    Pending,
    /// Its payout was made (`transfer_id`).
    Succeeded,
    /// Its payout was refused (`error`), or made and then failed, canceled or reversed on its
    /// rail (`transfer_id`, whose status says which; no `error`).
    Failed,
}

impl PayoutBatchItemStatus {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            PayoutBatchItemStatus::Pending => "pending",
            PayoutBatchItemStatus::Succeeded => "succeeded",
            PayoutBatchItemStatus::Failed => "failed",
        }
    }
}

/// One item of a batch: what was asked, and what came of it.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutBatchItem {
    /// Its place in the batch's `items`, from 0.
    pub index: i64,
    /// Where it stands.
    pub status: PayoutBatchItemStatus,
    /// The payout asked for, as sent.
    pub request: NewPayout,
    /// The payout's transfer, once made.
    pub transfer_id: Option<Uuid>,
    /// Why the payout was refused: the envelope `POST /api/v2/payouts` would have answered.
    pub error: Option<ApiError>,
}

/// Every item of a batch, in the batch's order (`GET /api/v2/payout-batches/{id}/items`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutBatchItemList {
    /// The items, by index.
    pub data: Vec<PayoutBatchItem>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn item(amount: i64) -> serde_json::Value {
        json!({"user_id": "a169451c-8525-4352-b8ca-070dd449a1a5", "amount": amount,
               "platform": "paypal", "idempotency_key": format!("k{amount}")})
    }

    #[test]
    fn seed_004s_batch_parses_and_passes() {
        let batch: NewPayoutBatch = serde_json::from_value(json!({
            "idempotency_key": "a7bb54d2-7342-4d13-a8aa-9d999753128b",
            "metadata": {"batch_type": "weekly_payouts", "week": "2024-08"},
            "items": [
                {"user_id": "a169451c-8525-4352-b8ca-070dd449a1a5", "amount": 1000,
                 "platform": "paypal", "idempotency_key": "c3d4e5f6-g7h8-i9j0-k1l2-m3n4o5p6q7r8",
                 "fund": true, "tax_exempt": false, "metadata": {"invoice_id": "INV-123"}},
                {"user_id": "b269451c-9625-5452-c9db-171ee559b2b6", "amount": 2500,
                 "platform": "ach", "account_id": "c369451c-a725-6552-d0ec-272ff669c3c7",
                 "idempotency_key": "d4e5f6g7-h8i9-j0k1-l2m3-n4o5p6q7r8s9", "fund": true,
                 "tax_exempt": false}
            ]
        }))
        .unwrap();
        batch.validate().unwrap();
        assert_eq!(batch.items.len(), 2);
    }

    #[test]
    fn item_errors_are_named_by_index() {
        let batch: NewPayoutBatch =
            serde_json::from_value(json!({"items": [item(5), item(0), item(7)]})).unwrap();
        let invalid = batch.validate().unwrap_err();
        assert_eq!(invalid.rule("items[1].amount"), Some(Rule::AtLeastOneCent));
        assert_eq!(invalid.0.len(), 1);
    }

    #[test]
    fn an_item_repeating_an_earlier_items_key_is_named() {
        let batch: NewPayoutBatch =
            serde_json::from_value(json!({"items": [item(5), item(6), item(5)]})).unwrap();
        let invalid = batch.validate().unwrap_err();
        assert_eq!(
            invalid.rule("items[2].idempotency_key"),
            Some(Rule::RepeatedKey)
        );
        assert_eq!(invalid.0.len(), 1, "the first use is fine");
    }

    #[test]
    fn at_most_1000_items_and_at_least_one() {
        let items: Vec<_> = (1..=1001).map(item).collect();
        let batch: NewPayoutBatch = serde_json::from_value(json!({"items": items})).unwrap();
        assert_eq!(
            batch.validate().unwrap_err().rule("items"),
            Some(Rule::MaxItems { max: 1000 })
        );
        let items: Vec<_> = (1..=1000).map(item).collect();
        let batch: NewPayoutBatch = serde_json::from_value(json!({"items": items})).unwrap();
        batch.validate().unwrap();
        let batch: NewPayoutBatch = serde_json::from_value(json!({"items": []})).unwrap();
        assert_eq!(
            batch.validate().unwrap_err().rule("items"),
            Some(Rule::Required)
        );
    }

    #[test]
    fn statuses_have_the_seeds_names() {
        assert_eq!(
            serde_json::to_value(PayoutBatchStatus::PayingOut).unwrap(),
            "paying_out"
        );
        crate::wire_names::assert_as_str_is_serde_name(
            &[
                PayoutBatchStatus::Created,
                PayoutBatchStatus::Processing,
                PayoutBatchStatus::PayingOut,
                PayoutBatchStatus::Completed,
            ],
            PayoutBatchStatus::as_str,
        );
        crate::wire_names::assert_as_str_is_serde_name(
            &[
                PayoutBatchItemStatus::Pending,
                PayoutBatchItemStatus::Succeeded,
                PayoutBatchItemStatus::Failed,
            ],
            PayoutBatchItemStatus::as_str,
        );
    }
}

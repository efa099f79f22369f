//! The `idempotency_keys` table: idempotency keys of money requests (seed 004, "Create Payout
//! with Idempotency Key"; DESIGN.md "Money"): a retried request returns the first result, never
//! a second transfer.
//!
//! A key is scoped (per app for the host's `transfers` and `payouts`, per app and user for the
//! flow's payouts) and remembered with a sha256 of the canonical request (its JSON with sorted
//! keys, without the key itself). The row is written in the same database transaction as the
//! transfer ([`crate::ledger::create_transfer`]), under a primary key on (app, scope, key): two
//! racing requests can never both pay; the loser reads the winner's transfer, or gets 409 when
//! its body differed.

use crate::db::{parse_stored_id, to_millis, Answers, Arg, Batch, Rows, ValueAt};
use crate::error::Error;
use crate::secret::{digests_match, sha256_hex};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::AnyConnection;
use uuid::Uuid;

/// The 409 for a key reused with another body.
pub(crate) fn key_reused() -> Error {
    Error::Conflict("idempotency_key was used with a different request".to_owned())
}

/// A request's idempotency key, its scope and the hash of the request.
#[derive(Clone, Debug)]
pub(crate) struct IdempotencyKey {
    scope: String,
    key: String,
    request_hash: String,
}

/// Where a key's earlier record is among a batch's answers ([`IdempotencyKey::push_earlier`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct EarlierAt {
    request_hash: ValueAt,
    transfer_id: ValueAt,
}

impl IdempotencyKey {
    /// The key of `request` (serialized without its `idempotency_key` field) in `scope`.
    pub(crate) fn new(
        scope: impl Into<String>,
        key: impl Into<String>,
        request: &impl Serialize,
    ) -> Result<Self, Error> {
        let mut value = serde_json::to_value(request)
            .map_err(|e| Error::Internal(format!("cannot serialize a request: {e}")))?;
        if let Value::Object(fields) = &mut value {
            fields.remove("idempotency_key");
        }
        Ok(Self {
            scope: scope.into(),
            key: key.into(),
            request_hash: sha256_hex(canonical(&value).to_string()),
        })
    }

    /// The key as sent.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The hash of the request without its key (what a replay must match).
    pub(crate) fn request_hash(&self) -> &str {
        &self.request_hash
    }

    /// The transfer an earlier request with this key made, if any; 409 if that request's body
    /// was another.
    pub(crate) async fn earlier(
        &self,
        conn: &mut AnyConnection,
        app_id: Uuid,
    ) -> Result<Option<Uuid>, Error> {
        let mut batch = Batch::new(conn);
        let at = self.push_earlier(&mut batch, app_id);
        self.earlier_in(&batch.run(conn).await?, at)
    }

    /// Adds [`IdempotencyKey::earlier`]'s read to `batch` (two values, [`Batch::push_value`]);
    /// read it with [`IdempotencyKey::earlier_in`].
    pub(crate) fn push_earlier(&self, batch: &mut Batch, app_id: Uuid) -> EarlierAt {
        let [request_hash, transfer_id] = batch.push_row(
            ["request_hash", "transfer_id"],
            "FROM idempotency_keys WHERE app_id = $1 AND scope = $2 AND idempotency_key = $3",
            &[
                Arg::from(app_id.to_string()),
                Arg::from(&self.scope),
                Arg::from(&self.key),
            ],
        );
        EarlierAt {
            request_hash,
            transfer_id,
        }
    }

    /// What a [`IdempotencyKey::push_earlier`] read: as [`IdempotencyKey::earlier`] answers.
    pub(crate) fn earlier_in(&self, read: &Answers, at: EarlierAt) -> Result<Option<Uuid>, Error> {
        let (Some(hash), Some(transfer_id)) = (
            read.value::<String>(at.request_hash)?,
            read.value::<String>(at.transfer_id)?,
        ) else {
            return Ok(None);
        };
        if digests_match(&hash, &self.request_hash) {
            Ok(Some(parse_stored_id(&transfer_id)?))
        } else {
            Err(key_reused())
        }
    }

    /// No records yet of keys ([`IdempotencyKey::add_record`]).
    pub(crate) fn rows() -> Rows {
        Rows::new(
            "INSERT INTO idempotency_keys (app_id, scope, idempotency_key, request_hash, \
             transfer_id, created)",
            6,
            "",
        )
    }

    /// Adds to `rows` the record that this key made `transfer_id` (inside the transfer's write
    /// transaction). A unique violation means another request with the key won the race.
    pub(crate) fn add_record(
        &self,
        rows: &mut Rows,
        app_id: Uuid,
        transfer_id: Uuid,
        now: DateTime<Utc>,
    ) {
        rows.add([
            Arg::from(app_id.to_string()),
            Arg::from(&self.scope),
            Arg::from(&self.key),
            Arg::from(&self.request_hash),
            Arg::from(transfer_id.to_string()),
            Arg::from(to_millis(now)),
        ]);
    }
}

/// `value` with every object's keys sorted, so equal requests hash equally whatever order their
/// fields came in.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(fields) => {
            let mut entries: Vec<(&String, &Value)> = fields.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), canonical(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn the_hash_ignores_field_order_and_the_key_itself() {
        let a = IdempotencyKey::new(
            "payouts",
            "k",
            &json!({"amount": 1, "metadata": {"a": 1, "b": 2}, "idempotency_key": "k"}),
        )
        .unwrap();
        let b = IdempotencyKey::new(
            "payouts",
            "k",
            &json!({"metadata": {"b": 2, "a": 1}, "amount": 1}),
        )
        .unwrap();
        let c = IdempotencyKey::new("payouts", "k", &json!({"amount": 2})).unwrap();
        assert_eq!(a.request_hash, b.request_hash);
        assert_ne!(a.request_hash, c.request_hash);
    }
}

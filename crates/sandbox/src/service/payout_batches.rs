//! Payout batches (issue 11; seed 004 "Create Batch Payouts"): accepting a batch
//! ([`create_batch`]: its key replays the first batch, its items are stored as sent) and paying
//! one of its items ([`pay_item`]), which the batch worker ([`crate::batch_worker`]) does for
//! each.
//!
//! An item is paid by the single payout's engine, [`host_payout`], exactly as
//! `POST /api/v2/payouts` would pay it: its own idempotency key (or, for an item sent without
//! one, a key derived from the batch and the item's place) is recorded with its transfer in the
//! transfer's own transaction, so paying an item again (a worker that died between paying and
//! recording, a lease that ran out) answers the transfer already made and never pays twice.

use crate::db::{begin_ledger_write, is_unique_violation, Db};
use crate::error::Error;
use crate::service::payouts::host_payout;
use crate::store::idempotency::IdempotencyKey;
use crate::store::payout_batches::{self, ClaimedItem, ItemOutcome, NewBatch};
use chrono::{DateTime, Utc};
use payout_model::batch::{NewPayoutBatch, PayoutBatch};
use payout_model::ErrorCode;
use uuid::Uuid;

/// The scope of batch keys (the items' keys are the payouts' own).
const SCOPE: &str = "payout-batches";

/// Accepts batch `new` of app `app_id` at `now` (its shape already checked): an earlier batch
/// with the same key and body is answered again (409 for the key with another body); otherwise
/// the batch and its items are stored, `created`, and the worker is woken.
pub(crate) async fn create_batch(
    db: &Db,
    app_id: Uuid,
    new: NewPayoutBatch,
    now: DateTime<Utc>,
) -> Result<PayoutBatch, Error> {
    // A batch without a key hashes under an empty one; the hash is only compared under a key.
    let key = IdempotencyKey::new(SCOPE, new.idempotency_key.clone().unwrap_or_default(), &new)?;
    let keyed = new.idempotency_key.is_some();
    if keyed {
        let mut conn = db.acquire().await?;
        if let Some(batch) = payout_batches::find_by_key(&mut conn, app_id, &key).await? {
            return Ok(batch);
        }
    }
    let batch = NewBatch {
        id: Uuid::new_v4(),
        app_id,
        key: keyed.then(|| key.key()),
        request_hash: key.request_hash(),
        metadata: &new.metadata,
        items: &new.items,
    };
    // The batch's own rows (its number from a sequence, a duplicate key caught by the unique
    // index): a ledger write's turn, not the global write lock, which up to 1,000 rows of
    // inserts would hold against every app's sign-ins and settings (review, stop 41).
    let written = async {
        let mut tx = begin_ledger_write(db).await?;
        let batch = payout_batches::insert(&mut tx, &batch, now).await?;
        tx.commit().await?;
        Ok::<_, Error>(batch)
    }
    .await;
    match written {
        // Another request with this key committed since the look above.
        Err(e) if keyed && is_unique_violation(&e) => {
            let mut conn = db.acquire().await?;
            payout_batches::find_by_key(&mut conn, app_id, &key)
                .await?
                .ok_or(e)
        }
        Err(e) => Err(e),
        Ok(batch) => {
            crate::batch_worker::wake();
            Ok(batch)
        }
    }
}

/// Pays `item` at `now` through the single payout's engine (module docs). `Err` only when the
/// server failed (the database, say): the item stays pending and is tried again. A refusal
/// (the user has no such payout method, a wallet lacks the money, the key was used with another
/// body) is the item's outcome. The payout is written only while this claim still holds the
/// item: a worker whose lease ran out (stalled, or its clock behind) pays nothing, since another
/// claim may have settled the item meanwhile, as failed, and the host paid it again elsewhere.
pub(crate) async fn pay_item(
    db: &Db,
    item: &ClaimedItem,
    now: DateTime<Utc>,
) -> Result<ItemOutcome, Error> {
    let mut request = item.request.clone();
    request
        .idempotency_key
        .get_or_insert_with(|| format!("payout-batch:{}:{}", item.batch_id, item.position));
    let claim = payout_batches::still_claimed_after(item);
    match host_payout(db, item.app_id, request, now, Some(claim)).await {
        Ok(transfer) => Ok(ItemOutcome::Paid(transfer.id)),
        Err(e) => {
            let envelope = e.to_api_error();
            if envelope.code == ErrorCode::Internal {
                Err(e)
            } else {
                Ok(ItemOutcome::Failed(envelope))
            }
        }
    }
}

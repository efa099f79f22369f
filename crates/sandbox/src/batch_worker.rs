//! The payout batch worker (issue 11): pays the items of accepted batches
//! ([`spawn_payout_batch_worker`]), built like the webhook worker ([`crate::webhooks`]).
//!
//! It claims due items with a lease ([`crate::store::payout_batches::claim_due`]: on PostgreSQL
//! with `FOR UPDATE SKIP LOCKED`, so several processes on one database share the work), pays
//! each through the single payout's engine ([`crate::service::payout_batches::pay_item`]) and
//! settles it in its own transaction, which moves the batch's counts. A process that dies
//! mid-batch leaves its claimed items to the next worker once their lease runs out (at most
//! [`LEASE`]); items nobody claimed are picked up at once after a restart. Paying an item again
//! is safe: its idempotency key answers the transfer already made.

use crate::db::begin_ledger_write;
use crate::error::Error;
use crate::service::payout_batches::pay_item;
use crate::state::AppState;
use crate::store::payout_batches::{any_due, claim_due, settle};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// How long a claim on an item lasts: far longer than paying it takes.
pub const LEASE: Duration = Duration::from_secs(30);

/// How often the worker looks for due items when nothing wakes it (another process's batches,
/// claims that ran out).
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Items claimed at once.
const CLAIM_BATCH: usize = 16;

/// A batch was accepted: every worker of this process looks at once.
static WAKE: Notify = Notify::const_new();

/// Wakes the workers after a batch was committed.
pub(crate) fn wake() {
    WAKE.notify_waiters();
}

/// Starts the worker that pays batch items for `state`'s database until the task is aborted.
/// Items left pending by an earlier process (or one that died) are picked up at once, or once
/// their lease runs out.
pub fn spawn_payout_batch_worker(state: &AppState) -> JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            let woken = WAKE.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            match process_payout_batches(&state, usize::MAX).await {
                Ok(0) => {}
                Ok(_) => continue,
                Err(e) => tracing::warn!(error = %e, "payout batch worker: database error"),
            }
            tokio::select! {
                () = &mut woken => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
            }
        }
    })
}

/// Pays at most `max_items` due items now, apps in turn and each app's oldest batch first
/// ([`crate::store::payout_batches::claim_due`]), and answers how many it
/// settled; what the worker runs, and what tests call to move a batch step by step (stopping
/// between items is what a process stopped mid-batch does). An item whose payout failed for a
/// server reason (not a refusal) stays claimed and is tried again when its lease runs out.
pub async fn process_payout_batches(state: &AppState, max_items: usize) -> Result<usize, Error> {
    let lease = chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::seconds(30));
    let mut settled = 0;
    // The last app the claim before served: the next claim serves the apps after it.
    let mut after: Option<String> = None;
    while settled < max_items {
        let now = state.now();
        let due = {
            let mut conn = state.db.acquire().await?;
            any_due(&mut conn, now).await?
        };
        if !due {
            break;
        }
        let limit = i64::try_from(CLAIM_BATCH.min(max_items - settled)).unwrap_or(1);
        let mut tx = begin_ledger_write(&state.db).await?;
        let (claimed, last) = claim_due(&mut tx, now, now + lease, limit, after.as_deref()).await?;
        tx.commit().await?;
        after = last;
        if claimed.is_empty() {
            // Another worker took them.
            break;
        }
        for item in claimed {
            let now = state.now();
            let outcome = match pay_item(&state.db, &item, now).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    tracing::warn!(
                        error = %e,
                        batch = %item.batch_id,
                        item = item.position,
                        "payout batch item not paid; it is tried again when its claim runs out"
                    );
                    continue;
                }
            };
            let mut tx = begin_ledger_write(&state.db).await?;
            if settle(&mut tx, &item, &outcome, now).await? {
                settled += 1;
            } else {
                tracing::warn!(
                    batch = %item.batch_id,
                    item = item.position,
                    "a payout batch item's claim ran out before its outcome was recorded; \
                     the claim that holds it now records it"
                );
            }
            tx.commit().await?;
        }
    }
    Ok(settled)
}

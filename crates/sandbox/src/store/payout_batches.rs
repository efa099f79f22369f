//! The `payout_batches` and `payout_batch_items` tables (migration 0012, issue 11): a batch with
//! its counts and the key it was submitted with, its items as sent, the worker's claims on them
//! ([`claim_due`], a lease and `FOR UPDATE SKIP LOCKED` on PostgreSQL, as the webhook outbox
//! claims deliveries) and what each came to ([`settle`]).
//!
//! A batch's status is read as answered: a batch left `paying_out` reads `completed` as
//! soon as none of its payouts is pending any more (an ACH payout completed or failed by the
//! sandbox's simulate endpoint), so the ledger needs to know nothing of batches. Likewise an
//! item whose payout was made and then failed, was canceled or reversed reads `failed`, and
//! its batch counts it among `items_failed`, not `items_succeeded` (a host reconciling from the
//! batch must not take it for paid).

use crate::db::{
    enum_from_text, from_millis, is_postgres, metadata_from_text, metadata_to_text, next_seq,
    parse_stored_id, parse_stored_json, parse_stored_opt_id, to_json_text, to_millis,
};
use crate::error::Error;
use crate::ledger::AfterWrite;
use crate::pagination::Page;
use crate::secret::digests_match;
use crate::store::idempotency::{key_reused, IdempotencyKey};
use chrono::{DateTime, Utc};
use payout_model::batch::{PayoutBatch, PayoutBatchItem, PayoutBatchItemStatus, PayoutBatchStatus};
use payout_model::money::NewPayout;
use payout_model::{ApiError, Metadata};
use sqlx::AnyConnection;
use uuid::Uuid;

/// Whether any payout that batch `batch` (an SQL expression) made is still pending on its rail.
fn payout_pending(batch: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM payout_batch_items pi JOIN transfers pt ON pt.id = pi.transfer_id \
         WHERE pi.batch_id = {batch} AND pt.status IN ('created', 'pending', 'flagged'))"
    )
}

/// The statuses of a payout made and then undone: its money went back (module docs).
const UNDONE: &str = "('failed', 'canceled', 'reversed')";

/// How many payouts that batch `batch` (an SQL expression) made were undone since.
fn payouts_undone(batch: &str) -> String {
    format!(
        "(SELECT COUNT(*) FROM payout_batch_items ui JOIN transfers ut ON ut.id = ui.transfer_id \
         WHERE ui.batch_id = {batch} AND ut.status IN {UNDONE})"
    )
}

/// The columns of [`BatchRow`], from `payout_batches b`. The status and counts are read as
/// answered: `paying_out` becomes `completed` once no payout of the batch is pending, and a
/// payout undone since counts as failed (module docs).
fn columns() -> String {
    let undone = payouts_undone("b.id");
    format!(
        "b.id, b.created, CASE WHEN b.status = 'paying_out' AND NOT {} THEN 'completed' \
         ELSE b.status END AS status, b.idempotency_key, b.metadata, b.items_processed, \
         b.items_succeeded - {undone} AS items_succeeded, \
         b.items_failed + {undone} AS items_failed, b.items_total, b.request_hash",
        payout_pending("b.id")
    )
}

/// Items inserted per statement (5 values each: well under either database's limit).
const INSERT_CHUNK: usize = 200;

/// A `payout_batches` row as answered.
#[derive(sqlx::FromRow)]
struct BatchRow {
    id: String,
    created: i64,
    status: String,
    idempotency_key: Option<String>,
    metadata: Option<String>,
    items_processed: i64,
    items_succeeded: i64,
    items_failed: i64,
    items_total: i64,
    request_hash: String,
}

impl BatchRow {
    fn into_model(self) -> Result<PayoutBatch, Error> {
        Ok(PayoutBatch {
            id: parse_stored_id(&self.id)?,
            created: from_millis(self.created)?,
            status: enum_from_text("payout batch status", &self.status)?,
            idempotency_key: self.idempotency_key,
            metadata: metadata_from_text(self.metadata.as_deref())?,
            items_processed: self.items_processed,
            items_succeeded: self.items_succeeded,
            items_failed: self.items_failed,
            items_total: self.items_total,
        })
    }
}

/// A batch about to be written.
pub(crate) struct NewBatch<'a> {
    /// Its id.
    pub id: Uuid,
    /// The app it belongs to.
    pub app_id: Uuid,
    /// The key it was submitted with, if any.
    pub key: Option<&'a str>,
    /// The hash of the request without its key.
    pub request_hash: &'a str,
    /// Host data.
    pub metadata: &'a Option<Metadata>,
    /// The payouts, in order.
    pub items: &'a [NewPayout],
}

/// Writes `batch` and its items (inside the caller's write transaction); returns it as
/// answered. A unique violation on `payout_batches_key` means another request with the key
/// got there first.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    batch: &NewBatch<'_>,
    now: DateTime<Utc>,
) -> Result<PayoutBatch, Error> {
    let seq = next_seq(&mut *conn, "payout_batches", 1).await?;
    let id = batch.id.to_string();
    let metadata = metadata_to_text(batch.metadata)?;
    let total = i64::try_from(batch.items.len()).map_err(|e| Error::Internal(e.to_string()))?;
    sqlx::query(
        "INSERT INTO payout_batches (id, app_id, seq, idempotency_key, request_hash, metadata, \
         status, items_total, created) VALUES ($1, $2, $3, $4, $5, $6, 'created', $7, $8)",
    )
    .bind(&id)
    .bind(batch.app_id.to_string())
    .bind(seq)
    .bind(batch.key)
    .bind(batch.request_hash)
    .bind(&metadata)
    .bind(total)
    .bind(to_millis(now))
    .execute(&mut *conn)
    .await?;
    for (chunk_no, chunk) in batch.items.chunks(INSERT_CHUNK).enumerate() {
        let rows = (0..chunk.len())
            .map(|r| {
                let c = r * 5;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, 'pending')",
                    c + 1,
                    c + 2,
                    c + 3,
                    c + 4,
                    c + 5
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO payout_batch_items (batch_id, position, app_id, batch_seq, request, \
             status) VALUES {rows}"
        );
        let mut insert = sqlx::query(&sql);
        for (i, item) in chunk.iter().enumerate() {
            let position = i64::try_from(chunk_no * INSERT_CHUNK + i)
                .map_err(|e| Error::Internal(e.to_string()))?;
            insert = insert
                .bind(&id)
                .bind(position)
                .bind(batch.app_id.to_string())
                .bind(seq)
                .bind(to_json_text(item)?);
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(PayoutBatch {
        id: batch.id,
        created: from_millis(to_millis(now))?,
        status: PayoutBatchStatus::Created,
        idempotency_key: batch.key.map(str::to_owned),
        metadata: metadata_from_text(metadata.as_deref())?,
        items_processed: 0,
        items_succeeded: 0,
        items_failed: 0,
        items_total: total,
    })
}

/// The batch an earlier request of app `app_id` with `key` made, if any; 409 if that request's
/// body was another.
pub(crate) async fn find_by_key(
    conn: &mut AnyConnection,
    app_id: Uuid,
    key: &IdempotencyKey,
) -> Result<Option<PayoutBatch>, Error> {
    let row: Option<BatchRow> = sqlx::query_as(&format!(
        "SELECT {} FROM payout_batches b WHERE b.app_id = $1 AND b.idempotency_key = $2",
        columns()
    ))
    .bind(app_id.to_string())
    .bind(key.key())
    .fetch_optional(conn)
    .await?;
    match row {
        None => Ok(None),
        Some(row) if digests_match(&row.request_hash, key.request_hash()) => {
            Ok(Some(row.into_model()?))
        }
        Some(_) => Err(key_reused()),
    }
}

/// Batch `id` of app `app_id`.
pub(crate) async fn find(
    conn: &mut AnyConnection,
    app_id: Uuid,
    id: Uuid,
) -> Result<Option<PayoutBatch>, Error> {
    let row: Option<BatchRow> = sqlx::query_as(&format!(
        "SELECT {} FROM payout_batches b WHERE b.id = $1 AND b.app_id = $2",
        columns()
    ))
    .bind(id.to_string())
    .bind(app_id.to_string())
    .fetch_optional(conn)
    .await?;
    row.map(BatchRow::into_model).transpose()
}

/// The sequence number of batch `id` of app `app_id`, for a page cursor.
pub(crate) async fn seq_of(
    conn: &mut AnyConnection,
    app_id: Uuid,
    id: Uuid,
) -> Result<Option<i64>, Error> {
    crate::pagination::seq_of(conn, "payout_batches", app_id, id).await
}

/// Up to `limit` batches of app `app_id`, newest first, and whether more lie beyond them in the
/// direction of `page`.
pub(crate) async fn list(
    conn: &mut AnyConnection,
    app_id: Uuid,
    page: Page,
    limit: i64,
) -> Result<(Vec<PayoutBatch>, bool), Error> {
    let select = format!(
        "SELECT {} FROM payout_batches b WHERE b.app_id = $1",
        columns()
    );
    let (rows, has_more): (Vec<BatchRow>, bool) =
        page.fetch(conn, &select, app_id.to_string(), limit).await?;
    let batches = rows
        .into_iter()
        .map(BatchRow::into_model)
        .collect::<Result<_, _>>()?;
    Ok((batches, has_more))
}

/// A `payout_batch_items` row as stored.
#[derive(sqlx::FromRow)]
struct ItemRow {
    position: i64,
    status: String,
    request: String,
    transfer_id: Option<String>,
    error: Option<String>,
}

/// Every item of batch `batch_id`, in order; one whose payout was undone since reads `failed`
/// (module docs).
pub(crate) async fn items(
    conn: &mut AnyConnection,
    batch_id: Uuid,
) -> Result<Vec<PayoutBatchItem>, Error> {
    let rows: Vec<ItemRow> = sqlx::query_as(&format!(
        "SELECT i.position, CASE WHEN t.status IN {UNDONE} THEN 'failed' ELSE i.status END \
         AS status, i.request, i.transfer_id, i.error FROM payout_batch_items i \
         LEFT JOIN transfers t ON t.id = i.transfer_id \
         WHERE i.batch_id = $1 ORDER BY i.position"
    ))
    .bind(batch_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(PayoutBatchItem {
                index: row.position,
                status: enum_from_text("payout batch item status", &row.status)?,
                request: parse_stored_json("payout batch item request", &row.request)?,
                transfer_id: parse_stored_opt_id(row.transfer_id.as_deref())?,
                error: row
                    .error
                    .as_deref()
                    .map(|e| parse_stored_json::<ApiError>("payout batch item error", e))
                    .transpose()?,
            })
        })
        .collect()
}

/// An item a worker has claimed: it pays it, then [`settle`]s it.
#[derive(Clone, Debug)]
pub(crate) struct ClaimedItem {
    /// Its batch.
    pub batch_id: Uuid,
    /// Its place in the batch.
    pub position: i64,
    /// The app paying.
    pub app_id: Uuid,
    /// The payout asked for.
    pub request: NewPayout,
    /// This claim's random token, on the item's row while the claim holds it: [`settle`]
    /// records an outcome only while it is still there (a lease that ran out may have been
    /// taken by another claim, maybe with the very same lease time).
    pub claim: String,
}

/// For the payout of `item`, in the payout's own transaction: `Err` (which undoes the payout)
/// unless `item`'s claim still holds it. The row is updated, not only read, so on PostgreSQL
/// it stays locked until the payout commits: a claim taken meanwhile waits for it, then finds
/// the payout under the item's key.
pub(crate) fn still_claimed_after(item: &ClaimedItem) -> AfterWrite<'static> {
    let (batch_id, position, claim) =
        (item.batch_id.to_string(), item.position, item.claim.clone());
    Box::new(move |conn, _| {
        Box::pin(async move {
            let held = sqlx::query(
                "UPDATE payout_batch_items SET claim = claim \
                 WHERE batch_id = $1 AND position = $2 AND status = 'pending' AND claim = $3",
            )
            .bind(&batch_id)
            .bind(position)
            .bind(&claim)
            .execute(&mut *conn)
            .await?;
            if held.rows_affected() != 1 {
                return Err(Error::Internal(
                    "the claim on a payout batch item ran out before its payout was written"
                        .to_owned(),
                ));
            }
            Ok(())
        })
    })
}

/// Whether any item is due (pending and not claimed, or its claim ran out) at `now`: a read, so
/// an idle worker never takes SQLite's write lock.
pub(crate) async fn any_due(conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<bool, Error> {
    let due: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM payout_batch_items WHERE status = 'pending' \
         AND (lease_until IS NULL OR lease_until <= $1) LIMIT 1",
    )
    .bind(to_millis(now))
    .fetch_optional(conn)
    .await?;
    Ok(due.is_some())
}

/// The apps with items due at `$2` whose id comes after `$1`, in id order, at most `$3`: a walk
/// from one app with pending items to the next by the index (migration 0031), a lookup each,
/// so a claim reads a few index entries per app however many items are due.
const APPS_DUE_AFTER: &str = "WITH RECURSIVE walk(app_id) AS ( \
     SELECT (SELECT app_id FROM payout_batch_items WHERE status = 'pending' AND app_id > $1 \
             ORDER BY app_id LIMIT 1) \
     UNION ALL \
     SELECT (SELECT i.app_id FROM payout_batch_items i \
             WHERE i.status = 'pending' AND i.app_id > walk.app_id ORDER BY i.app_id LIMIT 1) \
     FROM walk WHERE walk.app_id IS NOT NULL) \
     SELECT app_id FROM walk WHERE app_id IS NOT NULL AND EXISTS ( \
     SELECT 1 FROM payout_batch_items d WHERE d.status = 'pending' AND d.app_id = walk.app_id \
     AND (d.lease_until IS NULL OR d.lease_until <= $2)) LIMIT $3";

/// Claims up to `limit` due items until `lease_until`, inside the caller's write transaction;
/// their batches become `processing`. Fair between apps (review, stop 41: one app's backlog of
/// thousands of items held up every other app's batch until it was paid): up to `limit` apps
/// with due items, taken in turn by id after `after` (the last app the claim before served;
/// `None`: from the first), wrapping round, each get an equal share of the claim, their oldest
/// items in their batches' order, and the claim answers them in turn, one of each app's at a
/// time. So with more apps' backlogs than a claim has items, the next claim serves the next
/// apps (stop 42: they were the apps with the oldest items, and a 17th app waited until one of
/// 16 backlogs was paid). Also answers the last app served, for the next claim's `after`. The
/// rows are claimed in batch order, whatever the turns. On PostgreSQL the rows are taken with
/// `FOR UPDATE SKIP LOCKED`, so two workers claiming at once take different items; on both,
/// the lease's compare-and-set makes an item one worker's only.
pub(crate) async fn claim_due(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
    after: Option<&str>,
) -> Result<(Vec<ClaimedItem>, Option<String>), Error> {
    let lock = if is_postgres(conn) {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let mut apps = apps_due_after(conn, after.unwrap_or(""), now, limit).await?;
    if let Some(after) = after {
        // Round to the first apps, up to the cursor.
        let wanted = limit - i64::try_from(apps.len()).unwrap_or(limit);
        if wanted > 0 {
            let first = apps_due_after(conn, "", now, wanted).await?;
            // The walk from the first answered only apps after `after` so far (those come
            // first); the cursor's own app comes last.
            apps.extend(first.into_iter().take_while(|app| app.as_str() <= after));
        }
    }
    let Ok(count) = i64::try_from(apps.len()) else {
        return Ok((Vec::new(), None));
    };
    if count == 0 {
        return Ok((Vec::new(), None));
    }
    let last = apps.last().cloned();
    let share = (limit + count - 1) / count;
    let mut shares = Vec::with_capacity(apps.len());
    for app_id in &apps {
        let rows: Vec<(String, i64, String, String, i64)> = sqlx::query_as(&format!(
            "SELECT batch_id, position, app_id, request, batch_seq FROM payout_batch_items \
             WHERE status = 'pending' AND app_id = $1 \
             AND (lease_until IS NULL OR lease_until <= $2) \
             ORDER BY batch_seq, position LIMIT $3{lock}"
        ))
        .bind(app_id)
        .bind(to_millis(now))
        .bind(share)
        .fetch_all(&mut *conn)
        .await?;
        shares.push(rows.into_iter());
    }
    let mut due = Vec::new();
    while due.len() < usize::try_from(limit).unwrap_or(0) {
        let before = due.len();
        due.extend(shares.iter_mut().filter_map(Iterator::next));
        if due.len() == before {
            break;
        }
    }
    due.truncate(usize::try_from(limit).unwrap_or(0));
    // Claimed, and their batches marked, in the global order every claim takes its locks in
    // (review: in the order of turns, two claims could each hold a batch row the other then
    // waited for); answered in the order of turns.
    let mut order: Vec<usize> = (0..due.len()).collect();
    order.sort_by_key(|&i| (due[i].4, due[i].1));
    let mut taken: Vec<Option<ClaimedItem>> = due.iter().map(|_| None).collect();
    let mut marked = std::collections::HashSet::new();
    for i in order {
        let (batch_id, position, app_id, request, _) = &due[i];
        let position = *position;
        let claim = Uuid::new_v4().to_string();
        let took = sqlx::query(
            "UPDATE payout_batch_items SET lease_until = $1, claim = $2 \
             WHERE batch_id = $3 AND position = $4 \
             AND status = 'pending' AND (lease_until IS NULL OR lease_until <= $5)",
        )
        .bind(to_millis(lease_until))
        .bind(&claim)
        .bind(batch_id)
        .bind(position)
        .bind(to_millis(now))
        .execute(&mut *conn)
        .await?;
        if took.rows_affected() != 1 {
            continue;
        }
        let batch = parse_stored_id(batch_id)?;
        if marked.insert(batch) {
            sqlx::query(
                "UPDATE payout_batches SET status = 'processing' WHERE id = $1 \
                 AND status = 'created'",
            )
            .bind(batch_id)
            .execute(&mut *conn)
            .await?;
        }
        taken[i] = Some(ClaimedItem {
            batch_id: batch,
            position,
            app_id: parse_stored_id(app_id)?,
            request: parse_stored_json("payout batch item request", request)?,
            claim,
        });
    }
    Ok((taken.into_iter().flatten().collect(), last))
}

/// [`APPS_DUE_AFTER`]: up to `limit` apps with items due at `now`, by id after `after`, in id
/// order (sorted here: SQL does not promise the walk's order without an `ORDER BY`, which would
/// make the database walk every app before its `LIMIT`).
async fn apps_due_after(
    conn: &mut AnyConnection,
    after: &str,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<String>, Error> {
    let mut apps: Vec<String> = sqlx::query_scalar(APPS_DUE_AFTER)
        .bind(after)
        .bind(to_millis(now))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    apps.sort();
    Ok(apps)
}

/// What paying an item came to.
#[derive(Clone, Debug)]
pub(crate) enum ItemOutcome {
    /// The payout was made (or had been, under the item's key): its transfer.
    Paid(Uuid),
    /// The payout was refused: the envelope `POST /api/v2/payouts` answered.
    Failed(ApiError),
}

/// Records what `item` came to and moves its batch's counts, inside the caller's write
/// transaction; the batch's last item moves it to `paying_out` (a payout of it still pending)
/// or `completed`. `false` when the item was settled already, or claimed again by another worker
/// after this claim's lease ran out: nothing changes. A claim that ran out therefore never
/// records a refusal over the payout the next claim makes (the item's key finds a payout made
/// under either).
pub(crate) async fn settle(
    conn: &mut AnyConnection,
    item: &ClaimedItem,
    outcome: &ItemOutcome,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let (status, transfer_id, error) = match outcome {
        ItemOutcome::Paid(id) => (PayoutBatchItemStatus::Succeeded, Some(id.to_string()), None),
        ItemOutcome::Failed(e) => (PayoutBatchItemStatus::Failed, None, Some(to_json_text(e)?)),
    };
    let batch_id = item.batch_id.to_string();
    let settled = sqlx::query(
        "UPDATE payout_batch_items SET status = $1, transfer_id = $2, error = $3, \
         processed = $4, lease_until = NULL, claim = NULL \
         WHERE batch_id = $5 AND position = $6 AND status = 'pending' AND claim = $7",
    )
    .bind(status.as_str())
    .bind(transfer_id)
    .bind(error)
    .bind(to_millis(now))
    .bind(&batch_id)
    .bind(item.position)
    .bind(&item.claim)
    .execute(&mut *conn)
    .await?;
    if settled.rows_affected() != 1 {
        return Ok(false);
    }
    let succeeded = i64::from(status == PayoutBatchItemStatus::Succeeded);
    sqlx::query(
        "UPDATE payout_batches SET items_processed = items_processed + 1, \
         items_succeeded = items_succeeded + $1, items_failed = items_failed + $2 WHERE id = $3",
    )
    .bind(succeeded)
    .bind(1 - succeeded)
    .bind(&batch_id)
    .execute(&mut *conn)
    .await?;
    // A statement of its own (not a CASE in the update above): on PostgreSQL it sees every item
    // settled by the transactions that held the batch's row before this one.
    sqlx::query(&format!(
        "UPDATE payout_batches SET status = CASE WHEN {} THEN 'paying_out' \
         ELSE 'completed' END WHERE id = $2 AND items_processed >= items_total",
        payout_pending("$1")
    ))
    .bind(&batch_id)
    .bind(&batch_id)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_files::{close, new_dir, url_in};
    use crate::db::{begin_ledger_write, connect};
    use payout_model::money::PlatformChoice;
    use payout_model::ErrorCode;

    /// A new file database in a directory named after `name`, with its default app.
    async fn database_with_app(name: &str) -> (std::path::PathBuf, crate::Db, Uuid) {
        let dir = new_dir(name);
        let db = connect(&url_in(&dir)).await.unwrap();
        let app_id = crate::ensure_default_app(&db, Some(("pk_test", "sk_test")))
            .await
            .unwrap()
            .id;
        (dir, db, app_id)
    }

    /// Inserts a batch of one funded $10.00 payout to `user_id` of app `app_id`.
    async fn insert_batch_of_one(
        tx: &mut AnyConnection,
        app_id: Uuid,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) {
        let items = [NewPayout {
            user_id,
            amount: 1_000,
            platform: PlatformChoice::Default,
            account_id: None,
            fund: true,
            tax_exempt: false,
            idempotency_key: None,
            metadata: None,
            payout_fee_party: None,
        }];
        let batch = NewBatch {
            id: Uuid::new_v4(),
            app_id,
            key: None,
            request_hash: "",
            metadata: &None,
            items: &items,
        };
        insert(tx, &batch, now).await.unwrap();
    }

    /// A worker whose claim ran out while it paid (a stall longer than the lease) cannot settle
    /// the item once another worker claimed it again: its refusal would be recorded while the
    /// second worker's payout goes through, and a host retrying "failed" items would pay twice.
    /// Not even when the new claim's lease ends at the same moment (clocks that disagree).
    #[tokio::test]
    async fn a_claim_that_ran_out_does_not_settle_an_item_claimed_again() {
        let (dir, db, app_id) = database_with_app("batch-lease").await;
        let now = Utc::now();
        let mut tx = begin_ledger_write(&db).await.unwrap();
        insert_batch_of_one(&mut tx, app_id, Uuid::new_v4(), now).await;
        let lease = chrono::Duration::seconds(30);
        let first = claim_due(&mut tx, now, now + lease, 1, None)
            .await
            .unwrap()
            .0;
        tx.commit().await.unwrap();
        assert_eq!(first.len(), 1);

        // The first claim runs out; a second worker takes the item.
        let later = now + lease + chrono::Duration::seconds(1);
        let mut tx = begin_ledger_write(&db).await.unwrap();
        let second = claim_due(&mut tx, later, later + lease, 1, None)
            .await
            .unwrap()
            .0;
        tx.commit().await.unwrap();
        assert_eq!(second.len(), 1);

        // That one runs out too, and a third worker, whose clock is behind, takes the item
        // with the same lease time as the second's.
        let much_later = later + lease + chrono::Duration::seconds(1);
        let mut tx = begin_ledger_write(&db).await.unwrap();
        let third = claim_due(&mut tx, much_later, later + lease, 1, None)
            .await
            .unwrap()
            .0;
        tx.commit().await.unwrap();
        assert_eq!(third.len(), 1);

        let refused = ItemOutcome::Failed(ApiError::new(ErrorCode::InvalidRequest, "refused"));
        let mut tx = begin_ledger_write(&db).await.unwrap();
        assert!(!settle(&mut tx, &first[0], &refused, much_later)
            .await
            .unwrap());
        assert!(!settle(&mut tx, &second[0], &refused, much_later)
            .await
            .unwrap());
        assert!(settle(&mut tx, &third[0], &refused, much_later)
            .await
            .unwrap());
        tx.commit().await.unwrap();
        close(db, &dir).await;
    }

    /// Review: a worker whose claim ran out still paid the item, though another claim had
    /// meanwhile recorded it as failed (the wallet short then); a host that paid the failed
    /// item again, once refilled, paid the user twice. The payout now needs the claim, in its
    /// own transaction.
    #[tokio::test]
    async fn a_claim_that_ran_out_pays_nothing() {
        let (dir, db, app_id) = database_with_app("batch-stale-pay").await;
        let now = Utc::now();
        let new_user = serde_json::from_value(serde_json::json!({
            "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
            "country_code": "1", "phone_number": "4155550123"
        }))
        .unwrap();
        let user = crate::store::users::create_host_user(&db, app_id, new_user, None, now)
            .await
            .unwrap();
        let paypal = serde_json::from_value(
            serde_json::json!({"platform": "paypal", "email": "ada@example.com"}),
        )
        .unwrap();
        crate::store::payout_methods::add_method(&db, app_id, user.id, paypal, now, None)
            .await
            .unwrap();
        let mut tx = begin_ledger_write(&db).await.unwrap();
        insert_batch_of_one(&mut tx, app_id, user.id, now).await;
        let lease = chrono::Duration::seconds(30);
        let first = claim_due(&mut tx, now, now + lease, 1, None)
            .await
            .unwrap()
            .0;
        tx.commit().await.unwrap();

        // The first worker stalls past its lease; a second claims the item and records it
        // as failed.
        let later = now + lease + chrono::Duration::seconds(1);
        let mut tx = begin_ledger_write(&db).await.unwrap();
        let second = claim_due(&mut tx, later, later + lease, 1, None)
            .await
            .unwrap()
            .0;
        let refused = ItemOutcome::Failed(ApiError::new(ErrorCode::InvalidRequest, "refused"));
        assert!(settle(&mut tx, &second[0], &refused, later).await.unwrap());
        tx.commit().await.unwrap();

        // The first wakes up: it pays nothing.
        let paid = crate::service::payout_batches::pay_item(&db, &first[0], later).await;
        assert!(paid.is_err(), "{paid:?}");
        let payouts: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM transfers WHERE kind = 'payout'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(payouts, 0);
        close(db, &dir).await;
    }
}

-- Payout batches (issue 11; seed 004 "Create Batch Payouts"): a batch and its items, which the
-- batch worker (src/batch_worker.rs) pays one by one through the single payout's engine.
--
-- Same conventions as 0001 (TEXT ids, BIGINT unix-millisecond timestamps, JSON as TEXT).

-- A batch of an app. `request_hash` is the sha256 of the canonical request without its key
-- (store/idempotency.rs): the same key with another body answers 409. The counts move in the
-- transaction that settles each item. `status` is `created` until the worker takes an item,
-- `processing` while items are left, then `paying_out` (some payout still pending on its rail;
-- reads answer `completed` once none is) or `completed`.
CREATE TABLE payout_batches (
    id              TEXT PRIMARY KEY,
    app_id          TEXT NOT NULL REFERENCES apps (id),
    -- From the `payout_batches` sequence: the list's order, and the order batches are paid in.
    seq             BIGINT NOT NULL UNIQUE,
    idempotency_key TEXT,
    request_hash    TEXT NOT NULL,
    metadata        TEXT,
    status          TEXT NOT NULL CHECK (status IN ('created', 'processing', 'paying_out',
                                                    'completed')),
    items_total     BIGINT NOT NULL,
    items_processed BIGINT NOT NULL DEFAULT 0,
    items_succeeded BIGINT NOT NULL DEFAULT 0,
    items_failed    BIGINT NOT NULL DEFAULT 0,
    created         BIGINT NOT NULL,
    -- Several NULL keys are allowed on both databases.
    CONSTRAINT payout_batches_key UNIQUE (app_id, idempotency_key)
);
CREATE INDEX payout_batches_app_id ON payout_batches (app_id, seq);
INSERT INTO sequences (name, value) VALUES ('payout_batches', 0);

-- One payout of a batch: `request` is its `POST /api/v2/payouts` body as sent. `pending` until
-- the worker settles it: `succeeded` with its transfer, or `failed` with the error envelope the
-- single payout answered. A worker claims a pending row by setting `lease_until` (others skip it
-- until then; on PostgreSQL the claim also takes the row with FOR UPDATE SKIP LOCKED); a worker
-- that dies leaves it to the next once the lease runs out, and the item's idempotency key makes
-- paying it again answer the transfer already made.
CREATE TABLE payout_batch_items (
    batch_id    TEXT NOT NULL REFERENCES payout_batches (id),
    position    BIGINT NOT NULL,
    app_id      TEXT NOT NULL,
    -- The batch's `seq`: items are paid batch by batch, in order.
    batch_seq   BIGINT NOT NULL,
    request     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    transfer_id TEXT,
    error       TEXT,
    lease_until BIGINT,
    processed   BIGINT,
    PRIMARY KEY (batch_id, position)
);
CREATE INDEX payout_batch_items_due ON payout_batch_items (status, batch_seq, position);
CREATE INDEX payout_batch_items_transfer ON payout_batch_items (transfer_id);

-- Webhooks (issue 10): the app's endpoints, its events, and a durable outbox of deliveries.
--
-- Same conventions as 0001 (TEXT ids, BIGINT unix-millisecond timestamps, JSON as TEXT).
-- An event and one delivery row per subscribed endpoint are written in the same transaction as
-- the change they report, so a rolled-back change sends nothing and a crash loses nothing; the
-- worker (webhooks/worker.rs) claims due deliveries, attempts them and logs each attempt.

-- App notifications (0003) become events: their one kind, `user.background_check_failed`, is
-- now a `user.updated` event whose user has `has_criminal_activity`, and
-- GET /api/v2/notifications lists events. The old rows (not events, and of a shape no longer
-- served) go with their table.
DROP TABLE app_notifications;
DELETE FROM sequences WHERE name = 'app_notifications';

-- A webhook endpoint of an app. `secret` is the `whsec_…` signing secret: kept as is, since
-- signing needs it (it is never returned after creation or rotation, nor logged).
CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps (id),
    url         TEXT NOT NULL,
    -- JSON array of event types; [] takes every type.
    events      TEXT NOT NULL,
    description TEXT,
    secret      TEXT NOT NULL,
    created     BIGINT NOT NULL,
    -- From the `webhooks` sequence: the list's order.
    seq         BIGINT NOT NULL UNIQUE
);
CREATE INDEX webhooks_app_id ON webhooks (app_id, seq);
INSERT INTO sequences (name, value) VALUES ('webhooks', 0);

-- An event of an app: `payload` is the whole body delivered ({"id","type","created","app_id",
-- "data"}), fixed when the change happened. `seq` numbers the app's events from its own
-- sequence row (`events:<app id>`), so writers of different apps never queue on one row.
CREATE TABLE events (
    id      TEXT PRIMARY KEY,
    app_id  TEXT NOT NULL REFERENCES apps (id),
    kind    TEXT NOT NULL CHECK (kind IN ('flow.updated', 'transfer.updated', 'user.updated',
                                          'app.updated')),
    payload TEXT NOT NULL,
    created BIGINT NOT NULL,
    seq     BIGINT NOT NULL,
    UNIQUE (app_id, seq)
);

-- One event owed to one endpoint: `pending` until an attempt succeeds (`succeeded`) or the
-- retry schedule runs out (`failed`). A worker claims a due row by setting `lease_until`
-- (another worker skips it until then; on PostgreSQL the claim also takes the row with
-- FOR UPDATE SKIP LOCKED).
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id),
    event_id        TEXT NOT NULL REFERENCES events (id),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    -- Attempts made so far.
    attempts        BIGINT NOT NULL DEFAULT 0,
    -- When the next attempt is due (pending rows).
    next_attempt_at BIGINT,
    lease_until     BIGINT,
    created         BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id);

-- The log of attempts (GET /api/v2/webhooks/{id}/deliveries). `response_body` holds at most
-- the first 1 KB of the receiver's answer.
CREATE TABLE webhook_attempts (
    id              TEXT PRIMARY KEY,
    delivery_id     TEXT NOT NULL,
    webhook_id      TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    attempt         BIGINT NOT NULL,
    response_status BIGINT,
    response_body   TEXT,
    error           TEXT,
    succeeded       BIGINT NOT NULL CHECK (succeeded IN (0, 1)),
    attempted       BIGINT NOT NULL,
    next_retry      BIGINT,
    seq             BIGINT NOT NULL UNIQUE
);
CREATE INDEX webhook_attempts_webhook ON webhook_attempts (webhook_id, seq);
INSERT INTO sequences (name, value) VALUES ('webhook_attempts', 0);

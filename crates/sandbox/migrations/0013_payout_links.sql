-- Payout links (issue 11; seed 004 "Create a Payout Link"): an amount an app promises a payee,
-- set aside in the app's link hold account when the link is made, and the sandbox's outbox of
-- the text messages and emails it would have sent.
--
-- Same conventions as 0001 (TEXT ids, BIGINT unix-millisecond timestamps, BIGINT 0/1 flags,
-- JSON as TEXT, integer cents).

-- Events gain `payout_link.updated`: the kind's CHECK is rebuilt with the table (SQLite cannot
-- alter a CHECK), and `webhook_deliveries`, which references events, with it. Renaming the new
-- tables into place keeps the references right on both databases.
CREATE TABLE events_v2 (
    id      TEXT PRIMARY KEY,
    app_id  TEXT NOT NULL REFERENCES apps (id),
    kind    TEXT NOT NULL CHECK (kind IN ('flow.updated', 'transfer.updated', 'user.updated',
                                          'app.updated', 'payout_link.updated')),
    payload TEXT NOT NULL,
    created BIGINT NOT NULL,
    seq     BIGINT NOT NULL,
    UNIQUE (app_id, seq)
);
INSERT INTO events_v2 (id, app_id, kind, payload, created, seq)
    SELECT id, app_id, kind, payload, created, seq FROM events;
CREATE TABLE webhook_deliveries_v2 (
    id              TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id),
    event_id        TEXT NOT NULL REFERENCES events_v2 (id),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    lease_until     BIGINT,
    created         BIGINT NOT NULL
);
INSERT INTO webhook_deliveries_v2 (id, webhook_id, event_id, status, attempts,
                                   next_attempt_at, lease_until, created)
    SELECT id, webhook_id, event_id, status, attempts, next_attempt_at, lease_until, created
    FROM webhook_deliveries;
DROP TABLE webhook_deliveries;
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;
ALTER TABLE webhook_deliveries_v2 RENAME TO webhook_deliveries;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id);

-- A link of an app. Its flow (`flows.payout_link_id` points back) is what the payee opens.
-- `status` moves created → delivered → claimed → paid, or to expired / canceled while open;
-- every move is a compare-and-set on the status read, so a claim racing a cancel or another
-- claim takes effect once. `transfer_id` set the amount aside (app → `linkhold:<app id>`); a
-- claim moves it to the claimant's wallet (`claim_transfer_id`), a cancel or expiry back to
-- the app (`return_transfer_id`); `payout_transfer_id` is the claimant's payout.
CREATE TABLE payout_links (
    id                  TEXT PRIMARY KEY,
    app_id              TEXT NOT NULL REFERENCES apps (id),
    -- From the `payout_links` sequence: the list's order.
    seq                 BIGINT NOT NULL UNIQUE,
    flow_id             TEXT NOT NULL REFERENCES flows (id),
    amount              BIGINT NOT NULL CHECK (amount > 0),
    status              TEXT NOT NULL CHECK (status IN ('created', 'delivered', 'claimed',
                                                        'paid', 'expired', 'canceled')),
    -- The user the host named (`user_id`): only they may claim.
    user_id             TEXT REFERENCES users (id),
    -- The payee as the host gave it (JSON), and the delivery as answered (JSON).
    payee               TEXT NOT NULL,
    delivery            TEXT NOT NULL,
    -- The payee's phone as E.164 digits (`14154332334`) when given: the only phone that may
    -- claim.
    payee_phone         TEXT,
    memo                TEXT,
    description         TEXT,
    metadata            TEXT,
    tax_exempt          BIGINT NOT NULL CHECK (tax_exempt IN (0, 1)),
    transfer_id         TEXT NOT NULL,
    claimed_user_id     TEXT REFERENCES users (id),
    claim_transfer_id   TEXT,
    return_transfer_id  TEXT,
    payout_transfer_id  TEXT,
    idempotency_key     TEXT,
    request_hash        TEXT NOT NULL,
    expires_at          BIGINT NOT NULL,
    created             BIGINT NOT NULL,
    -- Several NULL keys are allowed on both databases.
    CONSTRAINT payout_links_key UNIQUE (app_id, idempotency_key)
);
CREATE INDEX payout_links_app_id ON payout_links (app_id, seq);
CREATE INDEX payout_links_flow_id ON payout_links (flow_id);
CREATE INDEX payout_links_open ON payout_links (status, expires_at);
INSERT INTO sequences (name, value) VALUES ('payout_links', 0);

-- What the sandbox would have sent (it sends no real SMS or email): read by the host through
-- GET /api/v2/sandbox/messages and listed on /demo.
CREATE TABLE sandbox_messages (
    id             TEXT PRIMARY KEY,
    app_id         TEXT NOT NULL REFERENCES apps (id),
    channel        TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    recipient      TEXT NOT NULL,
    body           TEXT NOT NULL,
    link           TEXT NOT NULL,
    payout_link_id TEXT NOT NULL REFERENCES payout_links (id),
    created        BIGINT NOT NULL
);
CREATE INDEX sandbox_messages_app_id ON sandbox_messages (app_id, created);

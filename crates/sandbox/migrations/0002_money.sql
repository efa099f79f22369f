-- Money (issue 4): a double-entry ledger of accounts, transfers and their transactions, the
-- idempotency keys of money requests, payout methods and bank accounts.
--
-- Same conventions as 0001 (TEXT ids, BIGINT unix-millisecond timestamps, BIGINT 0/1 flags,
-- JSON as TEXT), and amounts are BIGINT integer cents: never floats (DESIGN.md "Money").

-- Who pays payout fees in a flow's payout step (NewFlow.payout_fee_party).
ALTER TABLE flows ADD COLUMN payout_fee_party TEXT NOT NULL DEFAULT 'platform'
    CHECK (payout_fee_party IN ('platform', 'user'));

-- Counters both databases can share without SERIAL or AUTOINCREMENT: `ledger` numbers
-- transfers and transactions in the order they were written; the others order payout methods
-- and bank accounts oldest first. Every ledger write starts by updating the `ledger` row, which
-- serialises money writers on PostgreSQL (SQLite writers already are, by BEGIN IMMEDIATE).
CREATE TABLE sequences (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO sequences (name, value) VALUES ('ledger', 0);
INSERT INTO sequences (name, value) VALUES ('payout_methods', 0);
INSERT INTO sequences (name, value) VALUES ('bank_accounts', 0);

-- A ledger account. Ids name the owner:
--   app:<app id>        the app's wallet
--   user:<user id>      the user's wallet (withdrawable)
--   fees:<app id>       payout fees collected from that app's payouts (sandbox revenue)
--   hold:<user id>      money of the user's payouts still pending (not withdrawable)
--   external:bank       outside the system: refills and opening balances come from here
--   external:<platform> outside the system: payouts on that rail (ach, paypal, venmo, cash_app)
-- Only external accounts may go negative, so the sum over all accounts is always 0.
CREATE TABLE accounts (
    id      TEXT PRIMARY KEY,
    kind    TEXT NOT NULL CHECK (kind IN ('app', 'user', 'fees', 'hold', 'external')),
    -- The app the account belongs to; NULL for external accounts.
    app_id  TEXT REFERENCES apps (id),
    -- The user of a `user` or `hold` account.
    user_id TEXT REFERENCES users (id),
    balance BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL,
    CHECK (kind = 'external' OR balance >= 0)
);
CREATE INDEX accounts_app_id ON accounts (app_id);
INSERT INTO accounts (id, kind, balance, created) VALUES ('external:bank', 'external', 0, 0);
INSERT INTO accounts (id, kind, balance, created) VALUES ('external:ach', 'external', 0, 0);
INSERT INTO accounts (id, kind, balance, created) VALUES ('external:paypal', 'external', 0, 0);
INSERT INTO accounts (id, kind, balance, created) VALUES ('external:venmo', 'external', 0, 0);
INSERT INTO accounts (id, kind, balance, created) VALUES ('external:cash_app', 'external', 0, 0);

-- A payout method of a user (manage-payouts). `details` is the NewPayoutMethod JSON as
-- entered, account numbers included (sandbox only); responses show `label`, which masks them.
CREATE TABLE payout_methods (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    platform   TEXT NOT NULL CHECK (platform IN ('ach', 'paypal', 'venmo', 'cash_app')),
    details    TEXT NOT NULL,
    label      TEXT NOT NULL,
    is_default BIGINT NOT NULL CHECK (is_default IN (0, 1)),
    -- From the `payout_methods` sequence: oldest first, even within one millisecond.
    seq        BIGINT NOT NULL UNIQUE,
    created    BIGINT NOT NULL
);
CREATE INDEX payout_methods_user_id ON payout_methods (user_id);
-- At most one default per user.
CREATE UNIQUE INDEX payout_methods_one_default ON payout_methods (user_id) WHERE is_default = 1;

-- A US bank account of a user for pay-ins (manage-payments). The account number is kept as
-- entered (sandbox only) and returned masked to its last four digits.
CREATE TABLE bank_accounts (
    id             TEXT PRIMARY KEY,
    app_id         TEXT NOT NULL REFERENCES apps (id),
    user_id        TEXT NOT NULL REFERENCES users (id),
    routing_number TEXT NOT NULL,
    account_number TEXT NOT NULL,
    account_type   TEXT NOT NULL CHECK (account_type IN ('checking', 'savings')),
    seq            BIGINT NOT NULL UNIQUE,
    created        BIGINT NOT NULL
);
CREATE INDEX bank_accounts_user_id ON bank_accounts (user_id);

-- A transfer (seed 001): one or more transactions written in one database transaction.
CREATE TABLE transfers (
    id            TEXT PRIMARY KEY,
    -- From the `ledger` sequence: lists are newest first by it.
    seq           BIGINT NOT NULL UNIQUE,
    app_id        TEXT NOT NULL REFERENCES apps (id),
    user_id       TEXT REFERENCES users (id),
    -- The flow whose payout step made it, if any.
    flow_id       TEXT REFERENCES flows (id),
    kind          TEXT NOT NULL CHECK (kind IN ('balance', 'payout', 'refill')),
    -- Signed cents as the wire shows them (negative: from the app to the user).
    amount        BIGINT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('created', 'flagged', 'pending', 'completed',
                                                  'failed', 'reversed', 'canceled')),
    -- ExternalData JSON ('{}' unless a payout).
    external_data TEXT NOT NULL DEFAULT '{}',
    metadata      TEXT,
    created       BIGINT NOT NULL
);
CREATE INDEX transfers_app_id_seq ON transfers (app_id, seq);
CREATE INDEX transfers_flow_id ON transfers (flow_id);

-- Every status a transfer entered, in order (status_history).
CREATE TABLE transfer_status_changes (
    transfer_id TEXT NOT NULL REFERENCES transfers (id),
    position    BIGINT NOT NULL,
    status      TEXT NOT NULL,
    changed     BIGINT NOT NULL,
    PRIMARY KEY (transfer_id, position)
);

-- One ledger entry: `amount` cents from `source` to `destination`. An account's balance is
-- always its credits less its debits here.
CREATE TABLE transactions (
    -- From the `ledger` sequence.
    id          BIGINT PRIMARY KEY,
    transfer_id TEXT NOT NULL REFERENCES transfers (id),
    source      TEXT NOT NULL REFERENCES accounts (id),
    destination TEXT NOT NULL REFERENCES accounts (id),
    amount      BIGINT NOT NULL CHECK (amount > 0),
    kind        TEXT NOT NULL CHECK (kind IN ('balance', 'payout', 'fee', 'refill', 'return')),
    created     BIGINT NOT NULL,
    CHECK (source <> destination)
);
CREATE INDEX transactions_transfer_id ON transactions (transfer_id);
CREATE INDEX transactions_source ON transactions (source);
CREATE INDEX transactions_destination ON transactions (destination);

-- An idempotency key of a money request, written in the same database transaction as the
-- transfer it made. The primary key makes a second transfer for one key impossible; the hash
-- of the canonical request tells a retry (same body) from a misuse (another body).
-- scope: 'transfers', 'payouts' (per app), 'flow-payouts:<user id>' (per app and user).
CREATE TABLE idempotency_keys (
    app_id          TEXT NOT NULL REFERENCES apps (id),
    scope           TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    transfer_id     TEXT NOT NULL REFERENCES transfers (id),
    created         BIGINT NOT NULL,
    PRIMARY KEY (app_id, scope, idempotency_key)
);

-- The organization and its apps (issue 10, "Organization and apps"; seed 004 "Create App"):
-- one organization per sandbox owns every app; apps are created, listed and given new keys by
-- the organization's credentials; an app's key is rotated with a 24-hour overlap; an app keeps
-- its own settings (name, allowed origins, default fee party, minimum flow payout).
--
-- Same conventions as 0001 (TEXT ids, BIGINT unix-millisecond timestamps). Keys are never
-- stored in clear: each is sha256 of a random salt, ':' and the key, as lowercase hex
-- (`secret::SaltedHash`); a key hashed before this migration keeps its plain sha256 (salt NULL)
-- until it is next used, when the server rehashes it with a salt.

-- The sandbox's one organization. The server sets its id (the HTTP Basic user name, also
-- `organization_id` on apps) and key at start: from PAYOUT_SANDBOX_ORG_ID / _ORG_KEY, or
-- generated at first start. Until then it has no key, and organization credentials work for
-- no one. The row is made here so that every app, old and new, belongs to it.
CREATE TABLE organizations (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    key_salt TEXT,
    key_hash TEXT,
    created  BIGINT NOT NULL
);
INSERT INTO organizations (id, name, key_salt, key_hash, created)
    VALUES ('org_sandbox', 'Sandbox organization', NULL, NULL,
            COALESCE((SELECT MIN(created) FROM apps), 0));

-- Every app belongs to the organization: the default app of earlier starts becomes its first.
-- ON UPDATE CASCADE: the server may set the organization's id at start (its env or flag).
-- Nullable only because SQLite cannot add a NOT NULL column with a reference; the server always
-- sets it.
ALTER TABLE apps ADD COLUMN organization_id TEXT REFERENCES organizations (id) ON UPDATE CASCADE;
UPDATE apps SET organization_id = 'org_sandbox';

-- Who pays payout fees when a flow or a host payout does not say (was always the platform).
ALTER TABLE apps ADD COLUMN payout_fee_party TEXT NOT NULL DEFAULT 'platform'
    CHECK (payout_fee_party IN ('platform', 'user'));

-- The app list (GET /api/v2/apps) is newest first by this number, from the `apps` sequence;
-- existing apps are numbered oldest first.
ALTER TABLE apps ADD COLUMN seq BIGINT;
UPDATE apps SET seq = (SELECT COUNT(*) FROM apps a
                       WHERE a.created < apps.created
                          OR (a.created = apps.created AND a.id <= apps.id));
CREATE UNIQUE INDEX apps_seq ON apps (seq);
INSERT INTO sequences (name, value) VALUES ('apps', (SELECT COUNT(*) FROM apps));

-- An app's api keys: the current one (expires_at NULL) and, after a rotation
-- (POST /api/v2/apps/{id}/keys), the previous ones until they expire 24 hours later.
CREATE TABLE app_keys (
    app_id     TEXT NOT NULL REFERENCES apps (id),
    -- NULL: a plain sha256 from before this migration (see above).
    key_salt   TEXT,
    key_hash   TEXT NOT NULL,
    created    BIGINT NOT NULL,
    -- When the key stops working; NULL while it is the app's current key.
    expires_at BIGINT,
    PRIMARY KEY (app_id, key_hash)
);
INSERT INTO app_keys (app_id, key_salt, key_hash, created, expires_at)
    SELECT id, NULL, api_key_hash, created, NULL FROM apps;
ALTER TABLE apps DROP COLUMN api_key_hash;

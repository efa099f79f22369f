-- The sandbox's first schema: apps (host credentials), users, flows and flow sessions.
--
-- One file for SQLite and PostgreSQL alike: the server reaches both through sqlx's `Any`
-- driver, so columns use only types both databases accept and `Any` can decode:
--   * ids are UUIDs as TEXT (lowercase, hyphenated);
--   * timestamps are BIGINT unix milliseconds, UTC;
--   * flags are BIGINT 0/1 (`Any` cannot decode SQLite's BOOLEAN);
--   * JSON values (steps, metadata, origin lists) are TEXT holding serialized JSON.
-- Rows are private to the server; `src/` converts them to payout-model types at its edge.

-- A host application: the tenant every user and flow belongs to (seed 001, "Applications").
CREATE TABLE apps (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    -- The HTTP Basic user name; not a secret.
    client_id       TEXT NOT NULL UNIQUE,
    -- sha256 of the api key as lowercase hex: keys are never stored in clear.
    api_key_hash    TEXT NOT NULL,
    -- JSON list of the host origins allowed to embed this app's flows (loopback always is).
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    created         BIGINT NOT NULL
);

-- A person the app pays (seed 004, "Create a User").
CREATE TABLE users (
    id           TEXT PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps (id),
    first_name   TEXT NOT NULL,
    last_name    TEXT NOT NULL,
    email        TEXT NOT NULL,
    -- Digits only, without "+" (NewUser::normalized_phone).
    country_code TEXT NOT NULL,
    phone_number TEXT NOT NULL,
    metadata     TEXT,
    status       TEXT NOT NULL CHECK (status IN ('unverified', 'verified')),
    verified     BIGINT NOT NULL CHECK (verified IN (0, 1)),
    -- The `Dots-User-IP` header sent with the create request, if any (seed 004, "IP address
    -- tracking"); kept for fraud checks, never returned.
    user_ip      TEXT,
    created      BIGINT NOT NULL
);
CREATE INDEX users_app_id ON users (app_id);

-- A flow a host created (seeds 002 and 004).
CREATE TABLE flows (
    id                               TEXT PRIMARY KEY,
    app_id                           TEXT NOT NULL REFERENCES apps (id),
    -- The user the flow is for, once known.
    user_id                          TEXT REFERENCES users (id),
    -- JSON array of steps as the host wrote them (names or objects).
    steps                            TEXT NOT NULL,
    -- JSON array of step names in completion order; compared as a whole when a step is
    -- completed, so two concurrent completions cannot overwrite each other.
    completed_steps                  TEXT NOT NULL DEFAULT '[]',
    hide_go_to_dashboard_on_complete BIGINT NOT NULL CHECK (hide_go_to_dashboard_on_complete IN (0, 1)),
    require_auth                     BIGINT NOT NULL CHECK (require_auth IN (0, 1)),
    metadata                         TEXT,
    payout_link_id                   TEXT,
    created                          BIGINT NOT NULL
);
CREATE INDEX flows_app_id ON flows (app_id);

-- A flow-facing session, minted when the app opens a flow link (POST /api/flow/sessions).
CREATE TABLE flow_sessions (
    -- sha256 of the bearer token as lowercase hex: tokens are never stored in clear.
    token_hash    TEXT PRIMARY KEY,
    flow_id       TEXT NOT NULL REFERENCES flows (id),
    -- The user the session acts for; set only when `authenticated` is 1.
    user_id       TEXT REFERENCES users (id),
    authenticated BIGINT NOT NULL CHECK (authenticated IN (0, 1)),
    -- The embedding origin the app may post window messages to, when allowed.
    host_origin   TEXT,
    expires_at    BIGINT NOT NULL,
    created       BIGINT NOT NULL
);
CREATE INDEX flow_sessions_flow_id ON flow_sessions (flow_id);

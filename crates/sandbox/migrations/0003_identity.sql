-- Who the user is (issue 3): sign-in by phone and one-time code, compliance (W-9 / W-8BEN),
-- ID verification, the background check, and the app notifications a failed check records.
--
-- Same conventions as 0001 (TEXT ids, BIGINT unix-millisecond timestamps, BIGINT 0/1 flags,
-- JSON as TEXT). Secrets are never stored whole: codes are salted hashes, tax ids keep their
-- last four characters, ID pictures keep their type, size and sha256 but not the image.

-- The phone a flow session is signing in with: set by POST /api/flow/auth/code (digits only,
-- country code without "+"); `phone_verified` once its code was verified, so that a phone that
-- belongs to no user yet may go on to POST /api/flow/auth/profile.
ALTER TABLE flow_sessions ADD COLUMN country_code TEXT;
ALTER TABLE flow_sessions ADD COLUMN phone_number TEXT;
ALTER TABLE flow_sessions ADD COLUMN phone_verified BIGINT NOT NULL DEFAULT 0
    CHECK (phone_verified IN (0, 1));

-- The one live sign-in code of a session; a new code replaces it (attempts start again), a
-- verified code is deleted, a code with CODE_MAX_ATTEMPTS wrong tries stays, dead, until
-- replaced (so the answer can say why it no longer works).
CREATE TABLE sign_in_codes (
    token_hash TEXT PRIMARY KEY REFERENCES flow_sessions (token_hash),
    -- sha256 of salt || code as lowercase hex, with a random salt per code: six digits are few
    -- enough that an unsalted hash would be a lookup table.
    code_salt  TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    -- Wrong tries so far.
    attempts   BIGINT NOT NULL DEFAULT 0,
    -- When it was sent: a new code may be asked for CODE_RESEND_SECONDS later.
    sent_at    BIGINT NOT NULL,
    -- CODE_TTL_MINUTES after sent_at.
    expires_at BIGINT NOT NULL
);

-- Set by a failed background check (seed 000, "Background Check"); never cleared by a later one.
ALTER TABLE users ADD COLUMN has_criminal_activity BIGINT NOT NULL DEFAULT 0
    CHECK (has_criminal_activity IN (0, 1));

-- The compliance step's answers, one row per user (a new submission replaces it). Tax ids only
-- as their last four characters; the host reads this, masked, on the user object.
CREATE TABLE compliance (
    user_id              TEXT PRIMARY KEY REFERENCES users (id),
    app_id               TEXT NOT NULL REFERENCES apps (id),
    form                 TEXT NOT NULL CHECK (form IN ('w9', 'w8ben')),
    country              TEXT NOT NULL,
    first_name           TEXT NOT NULL,
    last_name            TEXT NOT NULL,
    -- YYYY-MM-DD.
    date_of_birth        TEXT NOT NULL,
    tin_last4            TEXT,
    foreign_tax_id_last4 TEXT,
    -- The normalized Address as JSON.
    address              TEXT NOT NULL,
    submitted_at         BIGINT NOT NULL
);

-- The ID pictures a user uploaded, one per side, replaced by a new upload and deleted when a
-- verification fails (the user retakes them). The image itself is not kept.
CREATE TABLE id_documents (
    user_id      TEXT NOT NULL REFERENCES users (id),
    side         TEXT NOT NULL CHECK (side IN ('front', 'back', 'selfie')),
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    -- sha256 of the image as lowercase hex.
    sha256       TEXT NOT NULL,
    uploaded_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, side)
);

-- The latest ID verification decision of a user (POST /api/flow/id-verification/submit).
CREATE TABLE id_verifications (
    user_id    TEXT PRIMARY KEY REFERENCES users (id),
    app_id     TEXT NOT NULL REFERENCES apps (id),
    status     TEXT NOT NULL CHECK (status IN ('verified', 'needs_review', 'failed')),
    -- The flow it was submitted in.
    flow_id    TEXT NOT NULL REFERENCES flows (id),
    decided_at BIGINT NOT NULL
);

-- Numbers background checks and notifications in the order they were written, so "latest" and
-- "newest first" hold even within one millisecond.
INSERT INTO sequences (name, value) VALUES ('background_checks', 0);
INSERT INTO sequences (name, value) VALUES ('app_notifications', 0);

-- Every background check run (or refused as not eligible); the host sees the latest.
CREATE TABLE background_checks (
    id           TEXT PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    flow_id      TEXT NOT NULL REFERENCES flows (id),
    status       TEXT NOT NULL CHECK (status IN ('clear', 'failed', 'not_eligible')),
    -- Why it was not run: 'not_us' or 'under_18' (status 'not_eligible' only).
    reason       TEXT CHECK (reason IN ('not_us', 'under_18')),
    -- The SSN is never stored whole.
    ssn_last4    TEXT,
    completed_at BIGINT NOT NULL,
    -- From the `background_checks` sequence.
    seq          BIGINT NOT NULL UNIQUE
);
CREATE INDEX background_checks_user_id ON background_checks (user_id);

-- Something the app must hear about (a failed background check, seed 000): recorded here and
-- listed by GET /api/v2/notifications; the webhooks issue delivers them and sets delivered_at.
CREATE TABLE app_notifications (
    id           TEXT PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps (id),
    -- The notification type, e.g. 'user.background_check_failed'.
    kind         TEXT NOT NULL,
    user_id      TEXT REFERENCES users (id),
    -- JSON object: what the notification is about.
    payload      TEXT NOT NULL,
    created      BIGINT NOT NULL,
    -- NULL until delivered.
    delivered_at BIGINT,
    -- From the `app_notifications` sequence.
    seq          BIGINT NOT NULL UNIQUE
);
CREATE INDEX app_notifications_app_id ON app_notifications (app_id);

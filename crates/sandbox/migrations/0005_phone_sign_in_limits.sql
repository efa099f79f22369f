-- Per-phone sign-in limits (issue 3 review). The limits of `sign_in_codes` are per flow
-- session, and sessions are free to mint, so on their own they would let anyone guess codes
-- (5 tries a session) or flood a phone with codes (one per session) without end. This table
-- keeps what happened to a phone number within an app, across all its sessions:
-- - 'code_sent': a code went to the number; a new code for it (from any session of the app)
--   waits CODE_RESEND_SECONDS after the last one;
-- - 'wrong_code': a wrong code was typed for it; after PHONE_MAX_WRONG_TRIES of those within
--   PHONE_WRONG_TRIES_WINDOW_MINUTES (see routes/flow_auth.rs), no code for the number is
--   accepted until the oldest falls out of the window.
--
-- Same conventions as 0001 (TEXT ids, BIGINT unix-millisecond timestamps). Rows older than the
-- window are deleted whenever a row for the same number is written.
CREATE TABLE phone_sign_in_events (
    app_id TEXT NOT NULL REFERENCES apps (id),
    -- The number in E.164 (`+14154332334`), so every spelling of it is the same number.
    phone  TEXT NOT NULL,
    kind   TEXT NOT NULL CHECK (kind IN ('code_sent', 'wrong_code')),
    at     BIGINT NOT NULL
);
CREATE INDEX phone_sign_in_events_phone ON phone_sign_in_events (app_id, phone, kind, at);

-- Sign-in without lock-outs (issue 8, "Abuse limits"). Migration 0005 counted wrong codes per
-- phone number across sessions and, past 10 an hour, refused every code for the number, the
-- right one included: a stranger typing wrong codes against someone's number locked its owner
-- out. Wrong codes are now held against the session that typed them instead: each burns a try
-- of that session's code (5 a code, as before) and, past those, makes that session wait longer
-- before its next try (routes/flow_auth.rs). The owner's own session is never slowed by them.
--
-- Same conventions as 0001 (BIGINT counts, BIGINT unix-millisecond timestamps).
ALTER TABLE flow_sessions ADD COLUMN wrong_codes BIGINT NOT NULL DEFAULT 0;
-- When the session may next try a code; NULL: at once.
ALTER TABLE flow_sessions ADD COLUMN next_code_try_at BIGINT;

-- The purge task (purge.rs) deletes expired sessions, codes and old phone events by time.
CREATE INDEX flow_sessions_expires_at ON flow_sessions (expires_at);
CREATE INDEX sign_in_codes_expires_at ON sign_in_codes (expires_at);
CREATE INDEX phone_sign_in_events_at ON phone_sign_in_events (at);

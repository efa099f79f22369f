-- Sessions that stay alive while they are used: `expires_at` is now an idle deadline, pushed to
-- SESSION_TTL_MINUTES after each request (at most once a minute), never past `ends_at`: the
-- session's hard end, SESSION_MAX_HOURS after it was minted, or COMPLETED_SESSION_MINUTES after
-- its flow was completed. A fixed 30 minutes from the mint lost a slow user's place mid-flow.
-- Rows from before have none: their `expires_at` stays their end.
ALTER TABLE flow_sessions ADD COLUMN ends_at BIGINT;

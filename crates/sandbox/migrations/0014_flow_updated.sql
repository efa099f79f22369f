-- Flows answer `updated` (seed 000's example; issue 11): when the flow last changed (created,
-- claimed by a sign-in, a step completed). Unix milliseconds; flows from before it read their
-- creation time.
ALTER TABLE flows ADD COLUMN updated BIGINT;
UPDATE flows SET updated = created;

-- A resend (`POST /api/v2/events/{id}/resend`) asked for while an attempt of the event's
-- delivery is under way (its lease running): that attempt, if it fails, settles the delivery
-- pending and due at once with its retries counted afresh, where it would have settled it on
-- its old schedule (hours off) or failed it past its last retry. 1 while asked and not yet met.
ALTER TABLE webhook_deliveries ADD COLUMN resend_asked BIGINT NOT NULL DEFAULT 0;

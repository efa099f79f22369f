-- The webhook worker's reads that ran over every pending delivery (review): how many of each
-- app's deliveries are in flight (leased) and when the next one falls due read every pending
-- row, those waiting hours for a retry included, after each committed change; a receiver that
-- is down made each read longer. With this index the in-flight count reads the leased rows
-- only, and the next due time one entry of the unleased and the leased rows
-- (store::webhooks::next_due). A resend finds an event's deliveries by its id.
CREATE INDEX webhook_deliveries_leases
    ON webhook_deliveries (status, lease_until, next_attempt_at);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

-- Pending deliveries by endpoint (stop 42): when the oldest due deliveries are of apps with
-- all their attempts in flight, a claim finds the endpoints with deliveries pending by walking
-- this index from one endpoint to the next, and each one's oldest due by a search of it
-- (`store::webhooks::claim_due`). It read on through the due deliveries of every app in time
-- order: with a slow receiver's backlog of 100,000, every claim read all of it, and on SQLite
-- inside the write lock.
CREATE INDEX webhook_deliveries_due_by_endpoint
    ON webhook_deliveries (status, webhook_id, next_attempt_at, lease_until);

-- Due deliveries by endpoint (stop 42): a claim finds the endpoints with deliveries due by
-- walking this index from one endpoint to the next, and takes each one's oldest due deliveries
-- by a search of it (`store::webhooks::claim_due`). It walked the due deliveries of every app
-- in time order, skipping the apps with all their attempts in flight: with a slow receiver's
-- backlog of 100,000, every claim read all of it, and on SQLite inside the write lock.
CREATE INDEX webhook_deliveries_due_by_endpoint
    ON webhook_deliveries (status, webhook_id, next_attempt_at, lease_until);

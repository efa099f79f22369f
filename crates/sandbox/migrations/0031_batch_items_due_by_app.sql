-- Due batch items by app (stop 41): a claim takes the oldest due items of each app with any,
-- a share each (`store::payout_batches::claim_due`), so one app's backlog never holds up
-- another app's batch. Covering: finding the apps with due items reads the index alone.
CREATE INDEX payout_batch_items_due_by_app
    ON payout_batch_items (status, app_id, batch_seq, position, lease_until);

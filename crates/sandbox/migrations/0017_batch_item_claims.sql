-- A batch item's claim is named by a random token (issue 11's batches): an outcome is recorded
-- only by the claim that holds the item. The lease time alone could be the same for two claims
-- (two workers whose clocks disagree), so it no longer identifies one.
ALTER TABLE payout_batch_items ADD COLUMN claim TEXT;

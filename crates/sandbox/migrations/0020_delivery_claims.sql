-- A webhook delivery's claim is named by a random token, as a batch item's is (0017): an
-- attempt is settled only by the claim that holds the delivery. A worker whose lease ran out
-- mid-attempt (a slow receiver, a slow database) would otherwise settle over the attempt of the
-- worker that claimed the delivery after it: a success marked pending again, and sent again.
ALTER TABLE webhook_deliveries ADD COLUMN claim TEXT;

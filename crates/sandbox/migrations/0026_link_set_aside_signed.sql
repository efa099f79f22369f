-- A payout link's balance transfers that set its amount or its fee reserve aside (the app's
-- wallet to its link hold, `linkhold:<app id>`) were written with a positive amount, like their
-- return, so a host reading the app's transfers by their sign took the money set aside for
-- money come in. They are signed as the app's wallet sees them since: minus what leaves it.
-- Those written before are negated here (a set-aside transfer has one transaction, app to hold).
UPDATE transfers SET amount = -amount
WHERE kind = 'balance' AND amount > 0 AND user_id IS NULL
  AND id IN (
    SELECT t.transfer_id FROM transactions t
    WHERE t.source LIKE 'app:%' AND t.destination LIKE 'linkhold:%'
  );

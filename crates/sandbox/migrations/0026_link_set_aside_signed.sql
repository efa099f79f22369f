-- A payout link's balance transfers that set its amount or its fee reserve aside (the app's
-- wallet to its link hold, `linkhold:<app id>`) were written with a positive amount, like their
-- return, so a host reading the app's transfers by their sign took the money set aside for
-- money come in. They are signed as the app's wallet sees them since: minus what leaves it.
-- Those written before are negated here (a set-aside transfer's one balance move goes app to
-- hold; an undone return's added move, app to hold too, is a `return`).
UPDATE transfers SET amount = -amount
WHERE kind = 'balance' AND amount > 0 AND user_id IS NULL
  AND id IN (
    SELECT t.transfer_id FROM transactions t
    WHERE t.kind = 'balance' AND t.source LIKE 'app:%' AND t.destination LIKE 'linkhold:%'
  );
-- A claim (the link hold to the claimant's wallet) is a user's transfer, minus: to the user,
-- as a host's own. Some were written plus, before that rule: negated too.
UPDATE transfers SET amount = -amount
WHERE kind = 'balance' AND amount > 0 AND user_id IS NOT NULL
  AND id IN (
    SELECT t.transfer_id FROM transactions t
    WHERE t.kind = 'balance' AND t.source LIKE 'linkhold:%' AND t.destination LIKE 'user:%'
  );

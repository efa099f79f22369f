-- The US territories are no countries of residence (README "Identity"): their residents file a
-- W-9 with the territory as the state, and a background check reads them as in the US. Tax data
-- stored before with a territory as the country (a W-8BEN, or the record a background check
-- wrote) is dropped, so it is asked for again as a W-9, and a background check that found such a
-- person "not in the US" no longer holds them to it (else they could file neither form).
DELETE FROM background_checks
WHERE status = 'not_eligible' AND reason = 'not_us'
  AND user_id IN (
    SELECT user_id FROM compliance WHERE UPPER(country) IN ('AS', 'GU', 'MP', 'PR', 'UM', 'VI')
  );
DELETE FROM compliance WHERE UPPER(country) IN ('AS', 'GU', 'MP', 'PR', 'UM', 'VI');

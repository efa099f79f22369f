-- Until this migration a US territory could be given as a country of residence, and a
-- background check told one found the person "not in the US" (the row keeps no country). Those
-- checks are marked: they do not refuse a W-9 with a territory as the state (README "Identity").
-- A check made since is told a territory as a state, so its "not in the US" means it, and still
-- refuses any W-9 (else telling the check another country, then filing a W-9 in Puerto Rico,
-- would skip the check). A flag, BIGINT 0/1 as every flag here.
ALTER TABLE background_checks ADD COLUMN may_mean_territory BIGINT NOT NULL DEFAULT 0;
UPDATE background_checks SET may_mean_territory = 1
WHERE status = 'not_eligible' AND reason = 'not_us';

-- The flow is a bounded capability (issue 8): a pre-authenticated link signs in one browser,
-- once, and flow payouts have a minimum.
--
-- Same conventions as 0001 (BIGINT unix-millisecond timestamps) and 0002 (amounts as BIGINT
-- integer cents).

-- When the first session minted from a pre-authenticated flow's link claimed its
-- pre-authentication (POST /api/flow/sessions); NULL while unclaimed. The claim is a
-- compare-and-set (`UPDATE … WHERE preauth_claimed_at IS NULL`): exactly one mint, the first,
-- is authenticated; every later one (another browser, a leaked link) must sign in. The browser
-- that claimed it resumes through its resume cookie, not through a new claim.
ALTER TABLE flows ADD COLUMN preauth_claimed_at BIGINT;

-- Backfill: a flow that already minted a session has had its chance to sign someone in, so
-- it counts as claimed (from its oldest session); flows never opened stay unclaimed.
UPDATE flows SET preauth_claimed_at =
    (SELECT MIN(s.created) FROM flow_sessions s WHERE s.flow_id = flows.id)
    WHERE preauthenticated = 1;

-- The smallest payout (cents) the app's flows accept (POST /api/flow/payouts): one-cent payouts
-- would let the fees an app pays drain its wallet. DEFAULT_MIN_FLOW_PAYOUT in payout-model;
-- the host API's payouts are not bound by it.
ALTER TABLE apps ADD COLUMN min_flow_payout BIGINT NOT NULL DEFAULT 100
    CHECK (min_flow_payout >= 1);

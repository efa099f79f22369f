-- Which flows are pre-authenticated (issue 3 review): a session minted for such a flow acts for
-- its user without a sign-in, within PREAUTH_WINDOW_MINUTES of the flow's creation and unless
-- it `require_auth`s.
--
-- Only a `user_id` the HOST named when it created the flow (POST /api/v2/flows) may do that.
-- A flow created without one gets its `user_id` later, when someone signs in through it
-- (POST /api/flow/auth/verify or …/profile); keying pre-authentication on `user_id` alone
-- would then let anyone who opens the link within the window act as that person. So the
-- host's say-so is its own flag, set at creation and never by a sign-in.
--
-- Same conventions as 0001 (BIGINT 0/1 flags).
ALTER TABLE flows ADD COLUMN preauthenticated BIGINT NOT NULL DEFAULT 0
    CHECK (preauthenticated IN (0, 1));

-- Backfill: a flow that names a user today is taken to be named by its host. That is exact for
-- flows created before sign-in existed (0003); a flow a sign-in claimed before this migration
-- would be marked too, but the flag only counts within PREAUTH_WINDOW_MINUTES of a flow's
-- creation, so at worst that lasts until the window of such a recent flow runs out.
UPDATE flows SET preauthenticated = 1 WHERE user_id IS NOT NULL;

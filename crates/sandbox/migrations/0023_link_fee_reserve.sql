-- A payout link whose fee the platform pays sets that fee aside with its amount: the most any
-- rail charges for the amount moves to `linkhold:<app id>` when the link is made, so the
-- claimant's payout never fails on the app's wallet (before, a platform that had spent its
-- wallet since left its payee holding a claimed link they could not pay out). `fee_reserve` is
-- what the link still has set aside for its fee: returned with the amount on a cancel or an
-- expiry, released to the app by the link's payout (which then pays the fee from the app's
-- wallet, in the same transaction), and 0 from then on. Links made before hold none.
ALTER TABLE payout_links ADD COLUMN fee_reserve BIGINT NOT NULL DEFAULT 0 CHECK (fee_reserve >= 0);

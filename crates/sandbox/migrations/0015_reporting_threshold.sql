-- Compliance where tax rules require it (issue 11): each app's yearly US reporting threshold
-- (cents; $600.00 unless the app sets another), and whether a payout counts towards it
-- (`tax_exempt` payouts, and a tax-exempt payout link's payout, do not).
ALTER TABLE apps ADD COLUMN reporting_threshold BIGINT NOT NULL DEFAULT 60000;
ALTER TABLE transfers ADD COLUMN tax_exempt BIGINT NOT NULL DEFAULT 0
    CHECK (tax_exempt IN (0, 1));
-- Covers the yearly sum a payout reads (service::payouts::check_reporting_threshold): one
-- index range, no table rows.
CREATE INDEX transfers_reportable
    ON transfers (user_id, app_id, kind, tax_exempt, created, status, amount);

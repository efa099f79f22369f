-- A tax-exempt payout link's payout does not count towards the reporting threshold (issue 11),
-- and since 0015 its transfer says so (`transfers.tax_exempt`). Payouts of such links made
-- before 0015 got the column's default (0) and so counted: they are marked from the link, which
-- has recorded both the exemption and its payout's transfer since 0013. (A host payout sent with
-- `tax_exempt: true` before 0015 left no record of it and still counts.)
UPDATE transfers SET tax_exempt = 1
WHERE id IN (SELECT payout_transfer_id FROM payout_links
             WHERE tax_exempt = 1 AND payout_transfer_id IS NOT NULL);

-- The background check bound to the compliance record (issue 8): compliance keeps, besides the
-- last four digits, a salted hash of the whole US tax id, so a background check can run on the
-- SSN on file (and the sandbox's failing SSN be recognised there), an SSN typed into the check
-- can be compared with the one on file, and a later compliance submission cannot contradict a
-- check already run. The tax id itself is still never stored.
--
-- Same conventions as 0001. Both columns are NULL for W-8BEN rows and for W-9 rows written
-- before this migration (the next background check or submission fills them in).

-- A random salt per row, so equal SSNs of two users do not hash alike.
ALTER TABLE compliance ADD COLUMN tin_salt TEXT;
-- sha256 of tin_salt || ':' || the nine digits of the SSN or ITIN, as lowercase hex. Never
-- logged or returned.
ALTER TABLE compliance ADD COLUMN tin_hash TEXT;

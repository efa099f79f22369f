-- Wrong tax ids (issue 8 review): a tax id given to the background check, or to a compliance
-- resubmission after a check ran, is compared with the digest on file and a wrong one answers
-- a 422 naming it. With the last four digits shown, that answer alone would tell the rest of an
-- SSN in 100,000 tries, so each wrong one is kept here (the request's transaction, which has
-- only read by then, commits it, so it counts though its request fails), and after
-- WRONG_TAX_ID_TRIES of them within WRONG_TAX_ID_WINDOW_MINUTES (store/compliance.rs) no tax id
-- of the user is compared until the oldest falls out of the window.
--
-- Same conventions as 0001 (TEXT ids, BIGINT unix-millisecond timestamps). Rows older than the
-- window are deleted whenever a row for the same user is written.
CREATE TABLE wrong_tax_ids (
    user_id TEXT NOT NULL REFERENCES users (id),
    at      BIGINT NOT NULL
);
CREATE INDEX wrong_tax_ids_user ON wrong_tax_ids (user_id, at);

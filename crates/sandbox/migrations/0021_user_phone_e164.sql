-- A user's phone in E.164 (`+14154332334`), so sign-in finds the app's user of a phone by an
-- indexed equality instead of reading every user of the app with that country code and
-- parsing each number, under the write lock. Set at insert; rows from before are filled as the
-- database opens (the parsing is libphonenumber's, in the server). '' for a stored number that
-- does not parse: those are still compared digit for digit.
ALTER TABLE users ADD COLUMN phone_e164 TEXT;
CREATE INDEX users_app_phone_e164 ON users (app_id, phone_e164);

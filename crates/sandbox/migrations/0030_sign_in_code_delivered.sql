-- Whether a session's code has gone out (stop 41): a send asked again within the cooldown for
-- the number its code went to is answered that code again (`service::sign_in::send_code`), but
-- only once the text was accepted by the sender. Before, a second send racing the first's text
-- was answered "sent" and, should that text then fail, the user waited for a code that never
-- came. 0 from the code's write until its text is accepted; codes from before were all sent.
ALTER TABLE sign_in_codes ADD COLUMN delivered BIGINT NOT NULL DEFAULT 1;

-- Every user has their wallet (`user:<id>`) and hold (`hold:<id>`) accounts. Migration 0002 gave
-- none to the users already there, and a transfer opened them only when it changed their
-- balance: a `fund: true` payout on an instant rail passes through the wallet (its net change
-- there is nothing) and failed on the transactions' foreign key to `accounts`. Users made since
-- 0002 have both already; this opens the missing ones, empty.
INSERT INTO accounts (id, kind, app_id, user_id, balance, created)
SELECT 'user:' || u.id, 'user', u.app_id, u.id, 0, u.created
FROM users u
WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = 'user:' || u.id);

INSERT INTO accounts (id, kind, app_id, user_id, balance, created)
SELECT 'hold:' || u.id, 'hold', u.app_id, u.id, 0, u.created
FROM users u
WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = 'hold:' || u.id);

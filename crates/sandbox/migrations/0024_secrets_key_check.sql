-- The secrets key this database belongs to (README "Webhooks"): one row holding a fixed text
-- sealed with the key (SecretsKey::seal, context 'secrets-key-check'), written by the first
-- start that finds none. A start whose key does not open it is refused. Before, a start's key
-- was checked only against the webhook secrets already sealed, so two processes started on a
-- fresh database (or one with no endpoints yet) could each make a key of their own, and then
-- neither opened the other's webhook secrets, and the tax id digests (keyed hashes) one wrote
-- never matched the other's.
CREATE TABLE secrets_key_check (
    id     BIGINT PRIMARY KEY CHECK (id = 1),
    sealed TEXT NOT NULL
);

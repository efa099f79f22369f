-- The 30-second cooldown between codes sent to one number counts per client IP (review of
-- issue 8). Counted across every client, a stranger asking a code for someone's number every
-- 30 seconds kept its owner from ever getting one: a lock-out. Counted per client IP, the owner's
-- own device asks at once; SMS floods stay bounded by the per-IP and per-app rate limits
-- (ratelimit.rs), and guesses by the 5 tries of each code and the per-session slowdown (0007).
--
-- The key the rate limiter counts the client under (an IPv4 address, or an IPv6 /64); NULL for
-- events from before this migration, which no longer hold any cooldown.
ALTER TABLE phone_sign_in_events ADD COLUMN client_ip TEXT;

-- An operator console session ends when the node no longer runs with the admin token it was
-- opened with (audit 3 of issue 14: a session outlived a changed HEARTHOOK_ADMIN_TOKEN for its
-- 12 hours). The column holds a keyed hash of that token (HMAC-SHA256 under a key derived from
-- the master key, src/console/session.ts), never the token: a plain sha256 of a configured,
-- perhaps guessable token could be tried offline by whoever reads the database. NULL for partner
-- sessions (they end with their API key) and for operator sessions opened before this
-- migration, which therefore end with it.
ALTER TABLE console_sessions ADD COLUMN admin_token_tag TEXT;

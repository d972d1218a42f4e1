-- The web console (src/console). A signed-in person holds a random token in an HttpOnly cookie;
-- only its sha256 is stored here, so every node of a cluster knows a session and signing out on
-- one ends it on all. A partner session names the API key it was opened with: a revoked or
-- expired key ends its sessions too. company_id NULL is an operator (admin token) session.
CREATE TABLE console_sessions (
  token_hash  TEXT PRIMARY KEY,
  company_id  TEXT,
  api_key_id  TEXT,
  csrf_token  TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions(expires_at);

-- The console's charts (success rate, latency, deliveries per second by outcome) read the
-- attempts of the last hour or day by time; without this index that is a scan of every attempt.
-- Measured on SQLite with 500,000 attempts over a day: the fleet's last-hour chart 400 ms -> 18 ms,
-- for about 4 us more per inserted attempt (20 -> 24 us in single-row inserts; appended at the
-- index's right edge, as times only grow).
CREATE INDEX delivery_attempts_time ON delivery_attempts(attempted_at);

-- Rate limits (src/limits): one token bucket per row, as GCRA's "theoretical arrival time" (ms).
-- A row whose tat is past is a full bucket, the same as no row; forget-full-rate-buckets deletes them.
CREATE TABLE rate_limit_buckets (
  bucket TEXT PRIMARY KEY,
  tat    INTEGER NOT NULL
);

-- API keys: who minted each (the operator may revoke the oldest partner-minted key to mint).
ALTER TABLE api_keys ADD COLUMN minted_by TEXT NOT NULL DEFAULT 'operator';
-- When each key was last used, written at most once a minute per key. A table of its own: using
-- a key is not a change to it (a refused request leaves api_keys as it was).
CREATE TABLE api_key_uses (
  key_id       TEXT PRIMARY KEY,
  last_used_at INTEGER NOT NULL
);

-- Audit log of management writes. seq is handed out by audit_head in the writing transaction: the
-- row lock there makes seq order the commit order, so a cursor on seq never skips an entry.
CREATE TABLE audit_head (seq INTEGER NOT NULL);
INSERT INTO audit_head (seq) VALUES (0);
CREATE TABLE audit_log (
  seq        INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,
  actor      TEXT NOT NULL,     -- 'operator' or the partner's API key id
  company_id TEXT,              -- the company the write concerns, when one does
  action     TEXT NOT NULL,     -- e.g. webhook.create, api_key.revoke
  target     TEXT NOT NULL,     -- the id written
  before_state TEXT,            -- JSON, without secrets
  after_state  TEXT
);
CREATE INDEX audit_log_company ON audit_log(company_id, seq);

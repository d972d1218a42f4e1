-- Hearthook schema, PostgreSQL engine: the same tables as migrations/sqlite/001_init.sql, so the
-- SQL above the store seam stays portable. Times are integer milliseconds since the epoch
-- (BIGINT); booleans are 0/1 integers; JSON is TEXT; AUTOINCREMENT ids are identity columns.
-- Text sorts by the database's collation (SQLite sorts bytes); the ids sorted on are fixed-width
-- lower-case ASCII, which every collation orders alike.

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE companies (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  languages   TEXT NOT NULL,          -- JSON array of language tags, first is preferred
  auto_accept INTEGER NOT NULL DEFAULT 0,
  created_at  BIGINT NOT NULL
);

CREATE TABLE api_keys (
  id         TEXT PRIMARY KEY,
  company_id TEXT NOT NULL REFERENCES companies(id),
  key_hash   TEXT NOT NULL UNIQUE,     -- sha256 of the key; the key itself is shown once
  key_prefix TEXT NOT NULL,            -- first characters, to tell keys apart in listings
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX api_keys_company ON api_keys(company_id);

CREATE TABLE gateways (
  id           TEXT PRIMARY KEY,
  type         TEXT NOT NULL,
  timezone     TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  last_seen_at BIGINT
);

CREATE TABLE contracts (
  gateway_id TEXT NOT NULL REFERENCES gateways(id),
  company_id TEXT NOT NULL REFERENCES companies(id),
  status     TEXT NOT NULL,            -- PENDING | ACTIVE | REJECTED | REVOKED | CLOSED
  consent    TEXT NOT NULL,            -- ERROR_NOTIFICATIONS | MONITOR_AND_CONTROL
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (gateway_id, company_id)
);
CREATE INDEX contracts_company ON contracts(company_id);

CREATE TABLE webhooks (
  id               TEXT PRIMARY KEY,
  company_id       TEXT NOT NULL REFERENCES companies(id),
  url              TEXT NOT NULL,
  api_key_name     TEXT NOT NULL,
  api_key_location TEXT NOT NULL,      -- HEADER | QUERY
  api_key_enc      TEXT NOT NULL,      -- encrypted with the master key
  secret_enc       TEXT NOT NULL,      -- whsec_ signing secret, encrypted
  event_types      TEXT NOT NULL,      -- JSON array
  description      TEXT,
  enabled          INTEGER NOT NULL DEFAULT 1,
  api_version      INTEGER NOT NULL,   -- pinned major
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL
);
CREATE INDEX webhooks_company ON webhooks(company_id);

-- Per-gateway rule state: last reported values, active faults, daily accumulators.
CREATE TABLE gateway_state (
  gateway_id TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,            -- JSON
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (gateway_id, key)
);

-- A gateway's resend of a message id changes nothing.
CREATE TABLE ingested_messages (
  gateway_id  TEXT NOT NULL,
  message_id  TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (gateway_id, message_id)
);

CREATE TABLE events (
  id          TEXT PRIMARY KEY,
  type        TEXT NOT NULL,
  gateway_id  TEXT NOT NULL,
  data        TEXT NOT NULL,           -- JSON, type-specific
  occurred_at BIGINT,                  -- when the gateway said it happened, if it did
  created_at  BIGINT NOT NULL          -- the backend's timestamp
);
CREATE INDEX events_created ON events(created_at);

-- Which company was entitled to which event (the fan-out), in order: the catch-up cursor.
CREATE TABLE event_recipients (
  id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id   TEXT NOT NULL,
  company_id TEXT NOT NULL
);
CREATE INDEX event_recipients_company ON event_recipients(company_id, id);

CREATE TABLE webhook_sequences (
  webhook_id    TEXT NOT NULL,
  gateway_id    TEXT NOT NULL,
  last_sequence BIGINT NOT NULL,
  PRIMARY KEY (webhook_id, gateway_id)
);

-- The outbox. A row is queued while next_attempt_at is set; a claim clears it and sets a lease.
CREATE TABLE deliveries (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id        TEXT NOT NULL,
  webhook_id      TEXT NOT NULL,
  gateway_id      TEXT NOT NULL,
  sequence        BIGINT NOT NULL,
  status          TEXT NOT NULL,       -- pending | delivering | delivered | failed | dead
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT,
  lease_until     BIGINT,
  api_version     INTEGER,             -- major rendered at the first attempt
  last_status_code INTEGER,
  last_error      TEXT,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX deliveries_leased ON deliveries(lease_until) WHERE status = 'delivering';
CREATE INDEX deliveries_webhook ON deliveries(webhook_id, id);

CREATE TABLE delivery_attempts (
  id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id   BIGINT NOT NULL,
  attempted_at  BIGINT NOT NULL,
  status_code   INTEGER,
  duration_ms   INTEGER NOT NULL,
  response_body TEXT,                  -- first 1 KiB
  error         TEXT
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id);

-- Scheduler jobs run in one process at a time: the holder of a job's lease row.
CREATE TABLE job_leases (
  job         TEXT PRIMARY KEY,
  owner       TEXT NOT NULL,
  lease_until BIGINT NOT NULL,
  last_run_at BIGINT
);

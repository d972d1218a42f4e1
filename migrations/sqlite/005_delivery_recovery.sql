-- Secret rotation: the secret a rotation replaced keeps signing (next to the new one) until
-- previous_secret_expires_at, so receivers can switch without dropping a single event.
ALTER TABLE webhooks ADD COLUMN previous_secret_enc TEXT;
ALTER TABLE webhooks ADD COLUMN previous_secret_expires_at INTEGER;

-- Endpoint health: failing_since is when the endpoint's current run of failures began (NULL
-- after any success); the disable job turns off webhooks whose run lasted disableAfter.
ALTER TABLE webhooks ADD COLUMN failing_since INTEGER;
ALTER TABLE webhooks ADD COLUMN disabled_at INTEGER;
ALTER TABLE webhooks ADD COLUMN disabled_reason TEXT;
CREATE INDEX webhooks_failing ON webhooks(failing_since) WHERE failing_since IS NOT NULL;

-- Dead letters are few: a partial index makes `recover since` and the operators' counts cheap
-- without indexing the delivered majority.
CREATE INDEX deliveries_dead ON deliveries(webhook_id, created_at) WHERE status = 'dead';

-- Deliveries waiting for a retry (queued after at least one attempt). The reclaim job looks here
-- for rows whose attempts are used up (deadLetterExhausted.ts); fresh deliveries (attempts = 0)
-- are not in it, so ingest's inserts do not maintain it.
CREATE INDEX deliveries_retry_due ON deliveries(next_attempt_at) WHERE next_attempt_at IS NOT NULL AND attempts > 0;

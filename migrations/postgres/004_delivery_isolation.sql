-- Finds one webhook's queued deliveries (to defer them while its circuit is open).
CREATE INDEX deliveries_webhook_due ON deliveries(webhook_id, next_attempt_at) WHERE next_attempt_at IS NOT NULL;

-- API versions: when a webhook's pinned major reaches its end of support, the dispatcher re-pins
-- it to the current major and records from which major and when, so the partner and the operator
-- can see why its events changed shape. NULL: never upgraded automatically.
ALTER TABLE webhooks ADD COLUMN auto_upgraded_at BIGINT;
ALTER TABLE webhooks ADD COLUMN auto_upgraded_from INTEGER;

-- deliveries.api_version (001) now holds the major the latest attempt was rendered in: a retry
-- renders the webhook's effective major at that attempt (src/versions/registry.ts says why).

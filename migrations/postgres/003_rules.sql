-- Rules: when a scheduler job should next look at a gateway_state row (for 'faults' the start of
-- the earliest fault still waiting out the transient window, for 'daily' the end of the earliest
-- open gateway-local day), so each job pass reads only the rows that may be due instead of
-- scanning every gateway's state.
ALTER TABLE gateway_state ADD COLUMN due_at BIGINT;
CREATE INDEX gateway_state_due ON gateway_state(key, due_at) WHERE due_at IS NOT NULL;

-- The connectivity check looks for gateways silent for longer than offlineAfter.
CREATE INDEX gateways_last_seen ON gateways(last_seen_at);

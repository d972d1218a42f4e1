-- Ordered delivery per gateway (issue 17). A webhook with ordering 'GATEWAY' gets one
-- (webhook, gateway)'s deliveries in sequence order: the claim skips a delivery while an earlier
-- one of the same pair is unfinished (pending, in flight or waiting for a retry). 'NONE' is the
-- behaviour before this option: every due delivery may go at once.
ALTER TABLE webhooks ADD COLUMN ordering TEXT NOT NULL DEFAULT 'NONE' CHECK (ordering IN ('NONE', 'GATEWAY'));

-- The claim's predecessor probe ("is an earlier delivery of this pair unfinished?") and the
-- API's waitingFor: one seek into the pair's unfinished rows. Partial, so the index holds only
-- the queue (finished rows are the great majority and never looked at) and costs ingest one
-- small entry that leaves it when the delivery ends.
CREATE INDEX deliveries_unfinished_sequence ON deliveries(webhook_id, gateway_id, sequence)
  WHERE status NOT IN ('delivered', 'dead');

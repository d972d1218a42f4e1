-- Only the deliveries that wait in a line go into the line's index (issue 16: ingest stays flat
-- as tables grow). deliveries_unfinished_sequence (019) held every unfinished delivery, so every
-- ingest batch scattered one insert per (webhook, gateway) across it: with deliveries piling up
-- (no dispatcher, a dead endpoint, a paused webhook) that index alone was ~2,700 of a batch's
-- ~3,100 WAL frames after 240 batches (BENCHMARKS.md, "Resend guard"). Now a row is in it when
-- `ordered` = 1: fan-out sets it for webhooks with ordering GATEWAY, a switch to GATEWAY sets it
-- on the webhook's unfinished rows (trigger below, whatever writes the switch), and a retry or a
-- recovery of a dead delivery sets it (the claim still reads the webhook's ordering: for a NONE
-- webhook the flag only costs an index entry). A fan-out and a switch never overlap here (SQLite's
-- transactions are serialised): the switch's trigger sees every row fan-out wrote, and fan-out
-- reads the ordering it commits with.
ALTER TABLE deliveries ADD COLUMN ordered INTEGER NOT NULL DEFAULT 0;
UPDATE deliveries SET ordered = 1
 WHERE status NOT IN ('delivered', 'dead') AND webhook_id IN (SELECT id FROM webhooks WHERE ordering = 'GATEWAY');

DROP INDEX deliveries_unfinished_sequence;
CREATE INDEX deliveries_unfinished_sequence ON deliveries(webhook_id, gateway_id, sequence)
  WHERE ordered = 1 AND status NOT IN ('delivered', 'dead');

-- Unfinished rows are due (next_attempt_at set: deliveries_webhook_due) or in flight
-- ('delivering': deliveries_leased), so the switch reads the queue, not the webhook's history.
CREATE TRIGGER webhooks_ordering_gateway AFTER UPDATE OF ordering ON webhooks
  WHEN NEW.ordering = 'GATEWAY' AND OLD.ordering <> 'GATEWAY'
BEGIN
  UPDATE deliveries SET ordered = 1
   WHERE webhook_id = NEW.id AND next_attempt_at IS NOT NULL AND ordered = 0 AND status NOT IN ('delivered', 'dead');
  UPDATE deliveries SET ordered = 1
   WHERE status = 'delivering' AND webhook_id = NEW.id AND ordered = 0;
END;

-- Fan-out's recipient cache now holds each webhook's ordering: a change of it is a new version.
DROP TRIGGER webhooks_update_recipients;
CREATE TRIGGER webhooks_update_recipients AFTER UPDATE OF id, company_id, enabled, event_types, ordering ON webhooks
BEGIN UPDATE recipients_version SET version = version + 1; END;

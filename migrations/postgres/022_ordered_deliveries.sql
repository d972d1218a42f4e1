-- Only the deliveries that wait in a line go into the line's index (issue 16: ingest stays flat
-- as tables grow). deliveries_unfinished_sequence (019) held every unfinished delivery, so every
-- ingest batch scattered one insert per (webhook, gateway) across it: with deliveries piling up
-- (no dispatcher, a dead endpoint, a paused webhook) that index alone was most of a batch's WAL
-- (BENCHMARKS.md, "Resend guard"). Now a row is in it when `ordered` = 1: fan-out sets it for
-- webhooks with ordering GATEWAY, a switch to GATEWAY sets it on the webhook's unfinished rows
-- (trigger below, whatever writes the switch), and a retry or a recovery of a dead delivery sets
-- it (the claim still reads the webhook's ordering: for a NONE webhook the flag only costs an
-- index entry). A fan-out committing while another node switches a webhook to GATEWAY may leave
-- its rows out of line: those few are sent as under NONE.
ALTER TABLE deliveries ADD COLUMN ordered SMALLINT NOT NULL DEFAULT 0;
UPDATE deliveries SET ordered = 1
 WHERE status NOT IN ('delivered', 'dead') AND webhook_id IN (SELECT id FROM webhooks WHERE ordering = 'GATEWAY');

DROP INDEX deliveries_unfinished_sequence;
CREATE INDEX deliveries_unfinished_sequence ON deliveries(webhook_id, gateway_id, sequence)
  WHERE ordered = 1 AND status NOT IN ('delivered', 'dead');

-- Unfinished rows are due (next_attempt_at set: deliveries_webhook_due) or in flight
-- ('delivering': deliveries_leased), so the switch reads the queue, not the webhook's history.
CREATE FUNCTION line_up_webhook_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE deliveries SET ordered = 1
   WHERE webhook_id = NEW.id AND next_attempt_at IS NOT NULL AND ordered = 0 AND status NOT IN ('delivered', 'dead');
  UPDATE deliveries SET ordered = 1
   WHERE status = 'delivering' AND webhook_id = NEW.id AND ordered = 0;
  RETURN NULL;
END
$$;
CREATE TRIGGER webhooks_ordering_gateway AFTER UPDATE OF ordering ON webhooks
  FOR EACH ROW WHEN (NEW.ordering = 'GATEWAY' AND OLD.ordering <> 'GATEWAY')
  EXECUTE FUNCTION line_up_webhook_deliveries();

-- Fan-out's recipient cache now holds each webhook's ordering: a change of it is a new version.
DROP TRIGGER webhooks_recipients ON webhooks;
CREATE TRIGGER webhooks_recipients AFTER INSERT OR DELETE OR UPDATE OF id, company_id, enabled, event_types, ordering ON webhooks
  FOR EACH STATEMENT EXECUTE FUNCTION bump_recipients_version();

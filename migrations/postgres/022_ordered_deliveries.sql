-- Only the deliveries that wait in a line go into the line's index (issue 16: ingest stays flat
-- as tables grow). deliveries_unfinished_sequence (019) held every unfinished delivery, so every
-- ingest batch scattered one insert per (webhook, gateway) across it: with deliveries piling up
-- (no dispatcher, a dead endpoint, a paused webhook) that index alone was most of a batch's WAL
-- (BENCHMARKS.md, "Resend guard"). Now a row is in it when `ordered` = 1: fan-out sets it for
-- webhooks with ordering GATEWAY, a switch to GATEWAY sets it on the webhook's unfinished rows
-- (trigger below, whatever writes the switch), and a retry or a recovery of a dead delivery sets
-- it (the claim still reads the webhook's ordering: for a NONE webhook the flag only costs an
-- index entry).
ALTER TABLE deliveries ADD COLUMN ordered SMALLINT NOT NULL DEFAULT 0;
UPDATE deliveries SET ordered = 1
 WHERE status NOT IN ('delivered', 'dead') AND webhook_id IN (SELECT id FROM webhooks WHERE ordering = 'GATEWAY');

DROP INDEX deliveries_unfinished_sequence;
CREATE INDEX deliveries_unfinished_sequence ON deliveries(webhook_id, gateway_id, sequence)
  WHERE ordered = 1 AND status NOT IN ('delivered', 'dead');

-- A fan-out and a switch to GATEWAY on another node, both under READ COMMITTED, would not see
-- each other: the switch's UPDATE below misses the fan-out's uncommitted rows, and the fan-out,
-- having read the ordering (its recipient cache) before the switch committed, writes them with
-- ordered = 0, out of line for good. So they take one advisory lock per schema, the fan-out
-- shared (every fan-out reads recipients_version through recipients_version_locked(), in the
-- same statement), the switch exclusive before it lines up: a switch waits for the fan-outs
-- under way and then sees their rows; a fan-out that comes after waits for the switch to commit
-- and then reads its new version (each statement of a plpgsql function takes a new snapshot),
-- so it reloads the recipients and writes ordered = 1. Heavyweight locks queue fairly: a switch
-- is not starved by a stream of fan-outs; fan-outs wait at most for one switch's transaction.
CREATE FUNCTION recipients_version_locked() RETURNS BIGINT LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(hashtext('hearthook.ordering'), hashtext(current_schema()));
  RETURN (SELECT version FROM recipients_version);
END
$$;

-- Unfinished rows are due (next_attempt_at set: deliveries_webhook_due) or in flight
-- ('delivering': deliveries_leased), so the switch reads the queue, not the webhook's history.
CREATE FUNCTION line_up_webhook_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- recipients_version first, as a contract change does before its fan-out takes the lock shared
  -- (src/api/partner/contractRows.ts): the same order in both, so they cannot deadlock.
  PERFORM version FROM recipients_version FOR UPDATE;
  PERFORM pg_advisory_xact_lock(hashtext('hearthook.ordering'), hashtext(current_schema()));
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

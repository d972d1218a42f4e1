-- Fan-out keeps each gateway's recipients (its ACTIVE contracts and their companies' enabled
-- webhooks) in memory between batches: reading them for 1,000 gateways was a tenth of an ingest
-- batch (npm run bench). recipients_version moves with every change to what that read returns,
-- by trigger, so no write path (on any node) can forget it; a transaction that reads a new
-- version drops the cache (src/fanout/recipientCache.ts). Statement-level: one bump per statement.
CREATE TABLE recipients_version (version BIGINT NOT NULL);
INSERT INTO recipients_version (version) VALUES (0);

CREATE FUNCTION bump_recipients_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE recipients_version SET version = version + 1;
  RETURN NULL;
END
$$;

CREATE TRIGGER contracts_recipients AFTER INSERT OR DELETE OR UPDATE OF gateway_id, company_id, status, consent ON contracts
  FOR EACH STATEMENT EXECUTE FUNCTION bump_recipients_version();
CREATE TRIGGER webhooks_recipients AFTER INSERT OR DELETE OR UPDATE OF id, company_id, enabled, event_types ON webhooks
  FOR EACH STATEMENT EXECUTE FUNCTION bump_recipients_version();

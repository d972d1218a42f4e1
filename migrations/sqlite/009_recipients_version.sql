-- Fan-out keeps each gateway's recipients (its ACTIVE contracts and their companies' enabled
-- webhooks) in memory between batches: reading them for 1,000 gateways was a tenth of an ingest
-- batch (npm run bench). recipients_version moves with every change to what that read returns,
-- by trigger, so no write path can forget it; a transaction that reads a new version drops the
-- cache (src/fanout/recipientCache.ts).
CREATE TABLE recipients_version (version INTEGER NOT NULL);
INSERT INTO recipients_version (version) VALUES (0);

CREATE TRIGGER contracts_insert_recipients AFTER INSERT ON contracts
BEGIN UPDATE recipients_version SET version = version + 1; END;
CREATE TRIGGER contracts_update_recipients AFTER UPDATE OF gateway_id, company_id, status, consent ON contracts
BEGIN UPDATE recipients_version SET version = version + 1; END;
CREATE TRIGGER contracts_delete_recipients AFTER DELETE ON contracts
BEGIN UPDATE recipients_version SET version = version + 1; END;

CREATE TRIGGER webhooks_insert_recipients AFTER INSERT ON webhooks
BEGIN UPDATE recipients_version SET version = version + 1; END;
CREATE TRIGGER webhooks_update_recipients AFTER UPDATE OF id, company_id, enabled, event_types ON webhooks
BEGIN UPDATE recipients_version SET version = version + 1; END;
CREATE TRIGGER webhooks_delete_recipients AFTER DELETE ON webhooks
BEGIN UPDATE recipients_version SET version = version + 1; END;

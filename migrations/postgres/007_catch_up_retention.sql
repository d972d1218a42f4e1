-- Catch-up (GET /v1/events) pages a company's event_recipients in (tx_order, id) order, and a
-- read only returns rows below catch_up_horizon: the order in which rows become visible must be
-- the order they are listed in, or a row committed late would fall behind a cursor already past it.
-- On PostgreSQL identity ids are taken when a row is inserted, not when it commits: two ingest
-- transactions can commit out of id order, so paging by id alone could skip a row for good.
-- tx_order is the inserting transaction's id, and the horizon is the oldest transaction still
-- running: every transaction that can still commit has a tx_order at or above the horizon, so
-- the rows below it never gain a neighbour that sorts before them. Rows from before this
-- migration keep 0: all of them are committed.
ALTER TABLE event_recipients ADD COLUMN tx_order BIGINT NOT NULL DEFAULT 0;
ALTER TABLE event_recipients ALTER COLUMN tx_order SET DEFAULT CAST(CAST(pg_current_xact_id() AS TEXT) AS BIGINT);
DROP INDEX event_recipients_company;
CREATE INDEX event_recipients_catch_up ON event_recipients(company_id, tx_order, id);
CREATE VIEW catch_up_horizon AS
  SELECT CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS TEXT) AS BIGINT) AS tx_order;

-- Retention deletes an expired event's recipients and deliveries by event id.
CREATE INDEX event_recipients_event ON event_recipients(event_id);
CREATE INDEX deliveries_event ON deliveries(event_id);

-- Catch-up (GET /v1/events) pages a company's event_recipients in (tx_order, id) order, and a
-- read only returns rows below catch_up_horizon: the order in which rows become visible must be
-- the order they are listed in, or a row committed late would fall behind a cursor already past it.
-- SQLite commits one writer at a time and assigns ids inside the write transaction, so id order
-- is commit order: tx_order is always 0 and the horizon lets every row through. (PostgreSQL
-- differs: see its 007.)
ALTER TABLE event_recipients ADD COLUMN tx_order INTEGER NOT NULL DEFAULT 0;
DROP INDEX event_recipients_company;
CREATE INDEX event_recipients_catch_up ON event_recipients(company_id, tx_order, id);
CREATE VIEW catch_up_horizon AS SELECT 1 AS tx_order;

-- Retention deletes an expired event's recipients and deliveries by event id.
CREATE INDEX event_recipients_event ON event_recipients(event_id);
CREATE INDEX deliveries_event ON deliveries(event_id);

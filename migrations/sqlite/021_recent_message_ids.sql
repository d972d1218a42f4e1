-- The resend guard in two tables (issue 16, item 3). A batch's ids go into a small table of
-- recent ids; every so many ids they are moved, sorted, into the large one in one statement
-- (src/ingest/recentMessageIds.ts). Inserted one batch at a time, the large table's key
-- (gateway_id, message_id) took one leaf page per gateway per batch once a gateway had more than
-- a page of ids; moved in bulk, each gateway's new ids land together. The ids already taken in
-- stay where they are, in the renamed table. `ingested_messages` is now both, read-only.
ALTER TABLE ingested_messages RENAME TO message_ids_kept;

CREATE TABLE message_ids_recent (
  gateway_id  TEXT NOT NULL,
  message_id  TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (gateway_id, message_id)
) WITHOUT ROWID;

CREATE VIEW ingested_messages AS
  SELECT gateway_id, message_id, received_at FROM message_ids_recent
  UNION ALL
  SELECT gateway_id, message_id, received_at FROM message_ids_kept;

-- Message ids older than the retention period are forgotten, oldest first.
CREATE INDEX ingested_messages_received ON ingested_messages(received_at);

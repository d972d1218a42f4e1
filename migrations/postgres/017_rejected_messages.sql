-- MQTT messages Hearthook acknowledged but could not take in (invalid JSON, unknown kind, unknown
-- gateway, topic/payload gateway mismatch), kept so nothing disappears without a trace.
-- message_key identifies the publish (its messageId, or one derived from topic and payload), so a
-- redelivery after a crash between this insert and the PUBACK is not listed twice.
CREATE TABLE rejected_messages (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at BIGINT NOT NULL,
  topic       TEXT NOT NULL,
  gateway_id  TEXT,
  message_key TEXT NOT NULL,
  reason      TEXT NOT NULL,
  errors      TEXT NOT NULL,
  payload     TEXT NOT NULL,
  UNIQUE (topic, message_key)
);
CREATE INDEX rejected_messages_received ON rejected_messages(received_at);

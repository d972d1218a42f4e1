-- Public delivery ids (`dlv_…`) are the integer primary key encrypted under this random key
-- (src/api/deliveryIds.ts), so they reveal no count and cost ingest nothing: no extra column,
-- no extra index. Made here once per database, the same for every node; never change it, or
-- every delivery id a partner kept stops naming its delivery.
INSERT INTO settings (key, value) VALUES ('delivery_id_key', lower(hex(randomblob(32))))
  ON CONFLICT (key) DO NOTHING;

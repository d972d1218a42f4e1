-- Public delivery ids (`dlv_…`) are the integer primary key encrypted under this random key
-- (src/api/deliveryIds.ts), so they reveal no count and cost ingest nothing: no extra column,
-- no extra index. Made here once per database, the same for every node; never change it, or
-- every delivery id a partner kept stops naming its delivery. gen_random_uuid() (core since
-- PostgreSQL 13) draws from the operating system's strong random source: two of them, hyphens
-- removed, are 64 hex digits (244 random bits).
INSERT INTO settings (key, value)
  VALUES ('delivery_id_key', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''))
  ON CONFLICT (key) DO NOTHING;

-- Public delivery ids (`dlv_…`) are the integer primary key encrypted under this random key
-- (src/api/deliveryIds.ts), so they reveal no count and cost ingest nothing: no extra column,
-- no extra index. Made here once per database, the same for every node; never change it, or
-- every delivery id a partner kept stops naming its delivery. gen_random_uuid() (core since
-- PostgreSQL 13) draws from the operating system's strong random source: two of them, hyphens
-- removed, are 64 hex digits (244 random bits).
CREATE TABLE public_id_keys (
  name TEXT PRIMARY KEY,
  key  TEXT NOT NULL
);
INSERT INTO public_id_keys (name, key)
  VALUES ('delivery', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));

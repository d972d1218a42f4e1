import Database from 'better-sqlite3';
import type { BenchDatabase } from './benchDatabase.js';
import { withClient } from './postgres.js';

/**
 * Writes `events` CONNECTIVITY_STATUS events straight into the database, round-robin over
 * `gateways` gateways (ids 100000000…, as the fleet set up), and one pending, due delivery per
 * event and webhook, in creation order: the outbox as a long outage would leave it. One
 * INSERT…SELECT per table (a recursive CTE on SQLite, generate_series on PostgreSQL), so a
 * million rows take seconds, not the minutes the API would. Returns how many deliveries.
 */
export async function seedBacklog(db: BenchDatabase, events: number, gateways: number): Promise<number> {
  const now = Date.now();
  const firstDue = now - events - 60_000;
  if (db.engine === 'sqlite') {
    const conn = new Database(db.url);
    try {
      conn.pragma('journal_mode = WAL');
      conn.transaction(() => {
        conn
          .prepare(
            `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
             INSERT INTO events (id, type, gateway_id, data, occurred_at, created_at)
             SELECT printf('evt_bench%010d', i), 'CONNECTIVITY_STATUS', CAST(100000000 + i % ? AS TEXT),
                    '{"connectivityStatus":"ONLINE"}', NULL, ? FROM n`,
          )
          .run(events, gateways, now);
        conn
          .prepare(
            `INSERT INTO deliveries (event_id, webhook_id, gateway_id, sequence, status, attempts, next_attempt_at, created_at, updated_at)
             SELECT e.id, w.id, e.gateway_id, CAST(substr(e.id, 10) AS INTEGER) / ? + 1, 'pending', 0,
                    ? + CAST(substr(e.id, 10) AS INTEGER), ?, ?
               FROM events e CROSS JOIN webhooks w
              WHERE e.id LIKE 'evt_bench%'
              ORDER BY e.id, w.id`,
          )
          .run(gateways, firstDue, now, now);
      })();
      return (conn.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending'").get() as { n: number }).n;
    } finally {
      conn.close();
    }
  }
  return withClient(db.server!, db.schema, async (client) => {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO events (id, type, gateway_id, data, occurred_at, created_at)
       SELECT 'evt_bench' || lpad(i::text, 10, '0'), 'CONNECTIVITY_STATUS', (100000000 + i % $2)::text,
              '{"connectivityStatus":"ONLINE"}', NULL, $3
         FROM generate_series(0, $1 - 1) AS i`,
      [events, gateways, now],
    );
    await client.query(
      `INSERT INTO deliveries (event_id, webhook_id, gateway_id, sequence, status, attempts, next_attempt_at, created_at, updated_at)
       SELECT e.id, w.id, e.gateway_id, substr(e.id, 10)::bigint / $1 + 1, 'pending', 0, $2 + substr(e.id, 10)::bigint, $3, $3
         FROM events e CROSS JOIN webhooks w
        WHERE e.id LIKE 'evt_bench%'
        ORDER BY e.id, w.id`,
      [gateways, firstDue, now],
    );
    await client.query('COMMIT');
    await client.query('ANALYZE events');
    await client.query('ANALYZE deliveries');
    const { rows } = await client.query("SELECT COUNT(*)::int AS n FROM deliveries WHERE status = 'pending'");
    return rows[0].n as number;
  });
}

import { claimDeliveries } from '../delivery/queue/claimDeliveries.js';
import { deferHeldDeliveries } from '../delivery/queue/deferHeldDeliveries.js';
import { releaseDeliveries } from '../delivery/queue/releaseDeliveries.js';
import { openStore } from '../store/openStore.js';
import type { BenchDatabase } from './benchDatabase.js';
import { median } from './stats.js';

export interface HeldClaimTimes {
  /** One claim of 100 with `held` deliveries of one gateway waiting, due before everything else. */
  heldMs: number;
  /** One pass of deferHeldDeliveries moving them past now. */
  deferMs: number;
  /** The same claim once they are moved (what the claim costs without walking them). */
  movedMs: number;
  held: number;
  others: number;
}

const CLAIMS = 21;

/**
 * What a gateway stuck behind a failing delivery costs everyone else's claims. With ordering
 * GATEWAY, a delivery waiting for an earlier one stays due in the queue (it must go the moment
 * that one ends), so the claim, walking the due index oldest first, meets each waiting row and
 * probes for its predecessor before reaching claimable ones. Seeds straight into a migrated
 * database: one GATEWAY webhook whose gateway's first delivery waits for a retry an hour away
 * with `held` deliveries behind it, due first, and `others` due deliveries of a NONE webhook
 * over 1,000 gateways; then times claims of 100 (each given back, so every claim sees the same
 * queue), median of 21, with the held rows due, then once deferHeldDeliveries has moved them.
 */
export async function measureHeldClaim(db: BenchDatabase, held: number, others: number): Promise<HeldClaimTimes> {
  const store = await openStore(db.url);
  try {
    const now = Date.now();
    await store.transaction(async (tx) => {
      await tx.run("INSERT INTO companies (id, name, languages, auto_accept, created_at) VALUES ('cmp_held', 'Bench', '[\"en\"]', 0, ?)", [now]);
      for (const [id, ordering] of [
        ['wh_held', 'GATEWAY'],
        ['wh_other', 'NONE'],
      ]) {
        await tx.run(
          `INSERT INTO webhooks (id, company_id, url, api_key_name, api_key_location, api_key_enc, secret_enc, event_types, enabled,
                                 api_version, ordering, created_at, updated_at)
           VALUES (?, 'cmp_held', 'https://bench.invalid/', 'x-api-key', 'HEADER', 'x', 'x', '[]', 1, 2, ?, ?, ?)`,
          [id, ordering, now, now],
        );
      }
      const series = 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)';
      await tx.run(
        `INSERT INTO deliveries (event_id, webhook_id, gateway_id, sequence, status, attempts, next_attempt_at, created_at, updated_at, ordered)
         VALUES ('evt_held', 'wh_held', '100000000', 1, 'failed', 1, ?, ?, ?, 1)`,
        [now + 3_600_000, now, now],
      );
      await tx.run(
        `${series} INSERT INTO deliveries (event_id, webhook_id, gateway_id, sequence, status, attempts, next_attempt_at, created_at, updated_at, ordered)
         SELECT 'evt_held', 'wh_held', '100000000', i + 1, 'pending', 0, CAST(? AS BIGINT) + i, ?, ?, 1 FROM n`,
        [held, now - 1_000_000, now, now],
      );
      await tx.run(
        `${series} INSERT INTO deliveries (event_id, webhook_id, gateway_id, sequence, status, attempts, next_attempt_at, created_at, updated_at)
         SELECT 'evt_other', 'wh_other', CAST(100000001 + i % 1000 AS TEXT), i, 'pending', 0, CAST(? AS BIGINT) + i, ?, ? FROM n`,
        [others, now - 500_000, now, now],
      );
    });
    if (store.engine === 'postgres') await store.run('ANALYZE deliveries');
    const time = async (): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < CLAIMS; i++) {
        const started = performance.now();
        const claimed = await claimDeliveries(store, { token: `bench.${i}`, now, leaseMs: 60_000, limit: 100, scheduleLength: 10 });
        times.push(performance.now() - started);
        if (claimed.length !== 100 || claimed.some((d) => d.webhook_id !== 'wh_other')) throw new Error('the claim took held deliveries, or too few');
        await releaseDeliveries(store, claimed, now - 500_000, now);
      }
      return median(times);
    };
    const heldMs = await time();
    const started = performance.now();
    const moved = await deferHeldDeliveries(store, now);
    const deferMs = performance.now() - started;
    if (moved !== held) throw new Error(`deferHeldDeliveries moved ${moved} of ${held} held deliveries`);
    const movedMs = await time();
    return { heldMs, deferMs, movedMs, held, others };
  } finally {
    await store.close();
  }
}

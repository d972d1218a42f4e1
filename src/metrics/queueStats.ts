import type { Db } from '../store/db.js';

/**
 * Deliveries waiting for an attempt, due now or later (retries included): a walk over the
 * queued rows' entries in the `deliveries_due` partial index, so finished deliveries cost nothing
 * however many there are. Measured on the 2-core machine (npm run build; median of 7):
 *
 * | queued (finished) | SQLite | PostgreSQL 15 |
 * |---|---|---|
 * | 1,000 (1,000,000) | 0.1 ms | 9 ms |
 * | 100,000 (900,000) | 1.1 ms | 56 ms |
 * | 1,000,000 (0) | 97–235 ms | 840–950 ms |
 *
 * On SQLite the count blocks the process while it runs, so `/metrics` reuses a count for 50
 * times what it cost (at least 5 s, at most a minute). Counting the due ones apart doubled the cost, so what is
 * late shows as the oldest due age (`oldestDueAgeMs`), not as a second count.
 *
 * @example
 * await countQueued(rt.store); // 12
 */
export async function countQueued(db: Db): Promise<number> {
  const row = await db.get<{ queued: number }>('SELECT COUNT(*) AS queued FROM deliveries WHERE next_attempt_at IS NOT NULL');
  return Number(row?.queued ?? 0);
}

/**
 * The shortest time one count of the queue serves (longer when counting took long: see
 * `countQueued`); several scrapers, or the console's fleet page, within it share one count.
 */
export const QUEUE_STATS_CACHE_MS = 5_000;
/** The longest one count of the queue serves, however long counting took. */
export const QUEUE_STATS_MAX_AGE_MS = 60_000;

const counts = new WeakMap<Db, { at: number; validMs: number; queued: Promise<number> }>();

/**
 * `countQueued`, reused for 50 times what it cost, from `QUEUE_STATS_CACHE_MS` to
 * `QUEUE_STATS_MAX_AGE_MS`: one count per database serves `/metrics` and every open fleet page of
 * this process. A count still running is shared; a failed one is not kept.
 *
 * @example
 * await cachedQueueCount(rt.store, rt.clock.now()); // 12, counted at most a minute ago
 */
export function cachedQueueCount(db: Db, now: number): Promise<number> {
  const counted = counts.get(db);
  if (counted && now - counted.at < counted.validMs && now >= counted.at) return counted.queued;
  const started = performance.now();
  const entry = { at: now, validMs: QUEUE_STATS_CACHE_MS, queued: countQueued(db) };
  entry.queued.then(
    () => (entry.validMs = Math.min(QUEUE_STATS_MAX_AGE_MS, Math.max(QUEUE_STATS_CACHE_MS, 50 * (performance.now() - started)))),
    () => counts.get(db) === entry && counts.delete(db),
  );
  counts.set(db, entry);
  return entry.queued;
}

/**
 * How long the oldest due delivery has waited past its due time (0 when none is due): one probe
 * of the `deliveries_due` index, cheap at any size (under 1 ms at 1,000,000 queued).
 *
 * @example
 * await oldestDueAgeMs(rt.store, Date.now()); // 850
 */
export async function oldestDueAgeMs(db: Db, now: number): Promise<number> {
  const row = await db.get<{ due: number | null }>('SELECT MIN(next_attempt_at) AS due FROM deliveries WHERE next_attempt_at IS NOT NULL');
  const due = row?.due ?? null;
  return due !== null && due <= now ? now - due : 0;
}

/**
 * Deliveries claimed by a dispatcher, being sent: a count over the `deliveries_leased` partial
 * index, which holds only claimed rows (bounded by the dispatchers' in-flight limits).
 */
export async function countDelivering(db: Db): Promise<number> {
  const row = await db.get<{ delivering: number }>("SELECT COUNT(*) AS delivering FROM deliveries WHERE status = 'delivering'");
  return Number(row?.delivering ?? 0);
}

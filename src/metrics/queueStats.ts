import { FIRST_DUE_OF_WEBHOOK } from '../delivery/queue/hasDueWork.js';
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
 * How long the oldest delivery a dispatcher would claim now has waited past its due time (0 when
 * none is due): the first sign dispatchers fall behind. Like the claim (claimDeliveries.ts), it
 * leaves out the deliveries of disabled webhooks: they wait on purpose, for as long as the webhook
 * is off, and counting them made the age climb for ever while every dispatcher was idle (audit 3
 * of issue 14). What else the claim holds back is moved out of the way in the queue itself, so it
 * is not due here either: an open circuit's deliveries (deferWebhookDeliveries) and those waiting
 * behind a retry of their gateway (deferHeldDeliveries); rows with their attempts used up are
 * dead-lettered by the scheduler (deadLetterExhausted) once due.
 *
 * One probe of the due index finds the oldest due delivery; when its webhook is enabled (or gone:
 * the claim takes that row to dead-letter it), that is the answer. Only when a disabled webhook's
 * delivery is oldest does it look further, at the first entry of each enabled webhook's run in the
 * (webhook_id, next_attempt_at) index (`FIRST_DUE_OF_WEBHOOK`, the probe `hasDueWork` makes:
 * PostgreSQL keeps that plan whatever its statistics), which costs one probe per enabled webhook,
 * not per disabled delivery: walking the due index past the disabled webhook's rows instead cost 7-15 ms on SQLite and 13-16 ms on PostgreSQL with 50,000 of them. Measured on the
 * 2-core machine with 100,000 queued, median of 21 (SQLite / PostgreSQL 15):
 *
 * | 100,000 queued | SQLite | PostgreSQL |
 * |---|---|---|
 * | over 10, 1,000 or 10,000 enabled webhooks (the oldest claimable) | 0.01 ms | 0.3 ms |
 * | 50,000 of a disabled webhook due first, 50,000 over 10 enabled | 0.01 ms | 0.8 ms |
 * | the same over 1,000 enabled webhooks | 0.7 ms | 7.5 ms |
 * | the same over 10,000 enabled webhooks | 4.1 ms | 51 ms |
 *
 * (The plain MIN over every queued row it replaced: 0.01 ms / 0.3 ms. A dispatcher with an
 * endpoint it skips makes the same per-webhook probes before each claim: `hasDueWork`.)
 *
 * @example
 * await oldestDueAgeMs(rt.store, Date.now()); // 850
 */
export async function oldestDueAgeMs(db: Db, now: number): Promise<number> {
  const oldest = await db.get<{ due: number | string; enabled: number | string | null }>(
    `SELECT d.next_attempt_at AS due, (SELECT w.enabled FROM webhooks w WHERE w.id = d.webhook_id) AS enabled
       FROM deliveries d WHERE d.next_attempt_at IS NOT NULL ORDER BY d.next_attempt_at LIMIT 1`,
  );
  if (!oldest || Number(oldest.due) > now) return 0;
  if (oldest.enabled === null || Number(oldest.enabled) !== 0) return now - Number(oldest.due);
  const claimable = await db.get<{ due: number | string | null }>(
    `SELECT MIN(first_due) AS due FROM (SELECT ${FIRST_DUE_OF_WEBHOOK} AS first_due FROM webhooks w WHERE w.enabled = 1) firsts`,
  );
  const due = claimable?.due === null || claimable?.due === undefined ? null : Number(claimable.due);
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

import type { Db } from '../store/db.js';
import { valuesList } from '../store/valuesList.js';
import type { RatePolicy } from './rateLimitPolicies.js';

/** A bucket and how many tokens to take from it. */
export interface TokenRequest {
  bucket: string;
  cost: number;
}

/**
 * Takes tokens from buckets in one statement, as GCRA (the token bucket written as one number
 * per bucket: its "theoretical arrival time" `tat`; the bucket is full when `tat <= now`). A take
 * of `cost` moves `tat` to `max(tat, now) + cost * interval` and is allowed when that is at most
 * `burst * interval` ahead of now. A refused take changes nothing. Buckets are rows of
 * `rate_limit_buckets`, so every node sharing the database shares them: a company cannot
 * multiply its limit by spreading requests over nodes. Returns the allowed buckets' new `tat`.
 * Each bucket appears once in `requests`; a cost above the burst is never allowed.
 *
 * @example const allowed = await takeTokens(db, [{ bucket: 'k', cost: 1 }], policy, now);
 */
export async function takeTokens(db: Db, requests: readonly TokenRequest[], policy: RatePolicy, now: number): Promise<Map<string, number>> {
  const possible = requests.filter((r) => r.cost <= policy.burst);
  if (possible.length === 0) return new Map();
  const params: unknown[] = [];
  for (const r of possible) params.push(r.bucket, now + r.cost * policy.intervalMs);
  // excluded.tat - now is the request's cost in milliseconds.
  const start = 'CASE WHEN rate_limit_buckets.tat > ? THEN rate_limit_buckets.tat ELSE ? END + excluded.tat - ?';
  params.push(now, now, now, now, now, now, now + policy.burst * policy.intervalMs);
  const rows = await db.all<{ bucket: string; tat: number }>(
    `INSERT INTO rate_limit_buckets (bucket, tat) VALUES ${valuesList('(?, ?)', possible.length)}
       ON CONFLICT (bucket) DO UPDATE SET tat = ${start} WHERE ${start} <= ?
       RETURNING bucket, tat`,
    params,
  );
  return new Map(rows.map((r) => [r.bucket, Number(r.tat)]));
}

/** Each bucket's `tat` (absent: the bucket is full). */
export async function readBuckets(db: Db, buckets: readonly string[]): Promise<Map<string, number>> {
  if (buckets.length === 0) return new Map();
  const rows = await db.all<{ bucket: string; tat: number }>(
    `SELECT bucket, tat FROM rate_limit_buckets WHERE bucket IN (${buckets.map(() => '?').join(', ')})`,
    buckets,
  );
  return new Map(rows.map((r) => [r.bucket, Number(r.tat)]));
}

/**
 * Time series for the console's charts, computed from the database (attempts and events carry
 * their times) so every node draws the same lines. A range is cut into fixed buckets; latency
 * percentiles come from a per-bucket histogram counted in SQL, so a day of a busy webhook is
 * a few hundred rows to JavaScript, not one per attempt (the same approximation as Prometheus'
 * histogram_quantile: a percentile is reported as the upper bound of the bucket it falls in).
 * Buckets are CAST to integers: SQLite binds JavaScript numbers as REAL, so its division would
 * otherwise make one group per attempt.
 */
import type { Db } from '../../store/db.js';

export type Range = 'hour' | 'day';

/** Bucket width per range: 60 points for an hour, 96 for a day. */
export const RANGES: Record<Range, { spanMs: number; stepMs: number }> = {
  hour: { spanMs: 3_600_000, stepMs: 60_000 },
  day: { spanMs: 86_400_000, stepMs: 900_000 },
};

/** Upper bounds (ms) of the latency histogram; the last class is "slower than 15 s". */
export const LATENCY_BOUNDS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 15_000];
const latencyClass = `CASE ${LATENCY_BOUNDS.map((b, i) => `WHEN a.duration_ms <= ${b} THEN ${i}`).join(' ')} ELSE ${LATENCY_BOUNDS.length} END`;

export interface Window {
  /** First bucket's start (ms); buckets are `stepMs` wide. */
  from: number;
  stepMs: number;
  buckets: number;
  /** When the window was cut: the last bucket holds only what happened up to then. */
  now: number;
}

/**
 * The window of `range` ending at `now`, aligned to whole steps so points do not wander between
 * refreshes. Its last bucket is the current one, still filling: see `bucketSeconds`.
 */
export function windowOf(range: Range, now: number): Window {
  const { spanMs, stepMs } = RANGES[range];
  const end = Math.floor(now / stepMs) * stepMs + stepMs;
  return { from: end - spanMs, stepMs, buckets: spanMs / stepMs, now };
}

/**
 * The seconds bucket `i` has covered: a whole step, except the current bucket, which has covered
 * only the time since it began (at least a second). A count divided by this is a rate: divided by
 * the whole step, the current minute would always read low, a false drop at the chart's right edge.
 */
export function bucketSeconds(w: Window, i: number): number {
  const start = w.from + i * w.stepMs;
  return Math.max(1000, Math.min(w.stepMs, w.now - start)) / 1000;
}

/** Bucket start times in seconds (uPlot's x axis). */
export function bucketTimes(w: Window): number[] {
  return Array.from({ length: w.buckets }, (_, i) => (w.from + i * w.stepMs) / 1000);
}

export interface WebhookSeries {
  /** Seconds since the epoch, one per bucket. */
  times: number[];
  attempts: number[];
  /** Share of attempts answered 2xx, 0..1; null where there were none. */
  successRate: (number | null)[];
  p50: (number | null)[];
  p99: (number | null)[];
  /** Over the whole window. */
  total: { attempts: number; successRate: number | null; p50: number | null; p99: number | null };
}

interface HistogramRow {
  bucket: number | string;
  latency: number | string;
  n: number | string;
  ok: number | string;
}

/** The upper bound of the class holding the q-th share of `counts`, or null with no samples. */
function percentile(counts: number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (seen >= q * total) return LATENCY_BOUNDS[i] ?? LATENCY_BOUNDS[LATENCY_BOUNDS.length - 1] * 2;
  }
  return null;
}

/**
 * Success rate and latency (p50, p99) of one webhook's attempts per bucket over `range`.
 *
 * @example const { successRate, p99 } = await webhookSeries(db, 'wh_…', 'hour', Date.now());
 */
export async function webhookSeries(db: Db, webhookId: string, range: Range, now: number): Promise<WebhookSeries> {
  const w = windowOf(range, now);
  // Reads the window's attempts through delivery_attempts_time (migration 015), keeps this webhook's.
  const rows = await db.all<HistogramRow>(
    `SELECT CAST((a.attempted_at - ?) / ? AS INTEGER) AS bucket, ${latencyClass} AS latency, COUNT(*) AS n,
            SUM(CASE WHEN a.status_code >= 200 AND a.status_code < 300 THEN 1 ELSE 0 END) AS ok
       FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
      WHERE a.attempted_at >= ? AND d.webhook_id = ?
      GROUP BY 1, 2`,
    [w.from, w.stepMs, w.from, webhookId],
  );
  const classes = LATENCY_BOUNDS.length + 1;
  const hist = Array.from({ length: w.buckets }, () => new Array<number>(classes).fill(0));
  const ok = new Array<number>(w.buckets).fill(0);
  const all = new Array<number>(classes).fill(0);
  for (const r of rows) {
    const b = Number(r.bucket);
    if (b < 0 || b >= w.buckets) continue;
    hist[b][Number(r.latency)] += Number(r.n);
    all[Number(r.latency)] += Number(r.n);
    ok[b] += Number(r.ok);
  }
  const attempts = hist.map((h) => h.reduce((a, c) => a + c, 0));
  const totalAttempts = attempts.reduce((a, c) => a + c, 0);
  const totalOk = ok.reduce((a, c) => a + c, 0);
  return {
    times: bucketTimes(w),
    attempts,
    successRate: attempts.map((n, i) => (n === 0 ? null : ok[i] / n)),
    p50: hist.map((h) => percentile(h, 0.5)),
    p99: hist.map((h) => percentile(h, 0.99)),
    total: {
      attempts: totalAttempts,
      successRate: totalAttempts === 0 ? null : totalOk / totalAttempts,
      p50: percentile(all, 0.5),
      p99: percentile(all, 0.99),
    },
  };
}

/**
 * What the operator's fleet page counts, read from the database so every node shows the same.
 * Each count goes through an index: the queue through deliveries_due, dead letters through
 * deliveries_dead, gateways' reported status through gateway_state's primary key, rates through
 * events_created and delivery_attempts_time; failing endpoints and open circuits read the webhooks
 * table, which is small (one row per partner endpoint).
 */
import { EVENT_TYPES } from '../../domain/eventTypes.js';
import { CONNECTIVITY_KEY, REPORTED_ONLINE } from '../../rules/connectivity.js';
import { cachedQueueCount, countQueued, oldestDueAgeMs } from '../../metrics/queueStats.js';
import type { Db } from '../../store/db.js';
import type { Clock } from '../../util/clock.js';
import { type FleetSamples, fleetSamples } from './fleetSamples.js';
import { bucketSeconds, bucketTimes, type Range, windowOf } from './timeSeries.js';

export interface FleetCounters {
  gatewaysOnline: number;
  gatewaysOffline: number;
  /** Deliveries waiting to be sent (due now or later). */
  queueDepth: number;
  /** How long the oldest delivery a dispatcher would claim now has waited (ms); 0 when none is due (`oldestDueAgeMs`). */
  oldestDueAgeMs: number;
  /** Enabled webhooks whose endpoint has failed since its last success (their circuits open and close). */
  failingEndpoints: number;
  /** Enabled webhooks whose endpoint circuit some dispatcher holds open now (migration 023). */
  openCircuits: number;
  /** Dead deliveries, all companies. */
  deadTotal: number;
  /** The companies with the most dead deliveries (at most `DEAD_COMPANIES`), most first. */
  deadLetters: { companyId: string; companyName: string; dead: number }[];
  at: number;
}

/** Companies listed in the dead letters table; the total counts them all. */
const DEAD_COMPANIES = 20;

const n = (v: number | string | null | undefined) => Number(v ?? 0);

/**
 * The fleet's counters at `now`. The queue's count is the costly one (queueStats.ts: up to
 * 235 ms at 1,000,000 queued on SQLite): `queued` may hand one that is reused, as `/metrics` does
 * (`cachedQueueCount`); by default it is counted now.
 *
 * @example const c = await fleetCounters(rt.store, Date.now(), () => cachedQueueCount(rt.store, Date.now()));
 */
export async function fleetCounters(db: Db, now: number, queued: () => Promise<number> = () => countQueued(db)): Promise<FleetCounters> {
  const [gateways, online, queue, oldestDueAge, failing, circuits, dead] = await Promise.all([
    db.get<{ n: number }>('SELECT COUNT(*) AS n FROM gateways'),
    db.get<{ n: number }>('SELECT COUNT(*) AS n FROM gateway_state WHERE key = ? AND value = ?', [CONNECTIVITY_KEY, REPORTED_ONLINE]),
    queued(),
    oldestDueAgeMs(db, now),
    db.get<{ n: number }>('SELECT COUNT(*) AS n FROM webhooks WHERE enabled = 1 AND failing_since IS NOT NULL'),
    db.get<{ n: number }>('SELECT COUNT(*) AS n FROM webhooks WHERE enabled = 1 AND circuit_open_until > ?', [now]),
    db.all<{ company_id: string; name: string; dead: number | string }>(
      `SELECT w.company_id, c.name, COUNT(*) AS dead
         FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN companies c ON c.id = w.company_id
        WHERE d.status = 'dead'
        GROUP BY w.company_id, c.name ORDER BY dead DESC, c.name`,
    ),
  ]);
  return {
    gatewaysOnline: n(online?.n),
    gatewaysOffline: n(gateways?.n) - n(online?.n),
    queueDepth: queue,
    oldestDueAgeMs: oldestDueAge,
    failingEndpoints: n(failing?.n),
    openCircuits: n(circuits?.n),
    deadTotal: dead.reduce((a, r) => a + n(r.dead), 0),
    deadLetters: dead.slice(0, DEAD_COMPANIES).map((r) => ({ companyId: r.company_id, companyName: r.name, dead: n(r.dead) })),
    at: now,
  };
}

/**
 * The counters as every open fleet page of this process reads them: one computation serves all
 * for `maxAgeMs` (a tick of the live stream), however many tabs are open, with the queue's count
 * reused as `/metrics` reuses it. A computation still running is shared; a failed one is not kept.
 *
 * @example const counters = sharedFleetCounters(rt.store, rt.clock, 2000); await counters();
 */
export function sharedFleetCounters(db: Db, clock: Clock, maxAgeMs: number): () => Promise<FleetCounters> {
  let last: { at: number; counters: Promise<FleetCounters> } | undefined;
  return () => {
    const at = performance.now();
    if (!last || at - last.at >= maxAgeMs) {
      const entry = { at, counters: fleetCounters(db, clock.now(), () => cachedQueueCount(db, clock.now())) };
      entry.counters.catch(() => {
        if (last === entry) last = undefined;
      });
      last = entry;
    }
    return last.counters;
  };
}

export interface FleetSeries {
  times: number[];
  /** Events per second, by type. */
  events: Record<string, number[]>;
  /**
   * Deliveries per second by outcome, as `hearthook_deliveries_total` counts them: attempts
   * answered 2xx, failed attempts to be retried, and deliveries that died (no attempt left).
   */
  delivered: number[];
  failed: number[];
  dead: number[];
  /** The fleet counters sampled once a minute (fleetSamples.ts), per bucket; null where none was taken. */
  samples: FleetSamples;
}

/**
 * Events/s by type and deliveries/s by outcome over `range`, per bucket, and the sampled counters.
 * A delivery's death is counted when it died (`updated_at`, through the partial index
 * deliveries_died of migration 024); its last failed attempt is then not counted as `failed`. A
 * dead delivery retried or recovered since leaves the dead count of its minute.
 * `current` (the live counters) fills the current bucket of the samples.
 */
export async function fleetSeries(db: Db, range: Range, now: number, current?: FleetCounters): Promise<FleetSeries> {
  const w = windowOf(range, now);
  const [events, attempts, died, samples] = await Promise.all([
    db.all<{ bucket: number | string; type: string; n: number | string }>(
      'SELECT CAST((created_at - ?) / ? AS INTEGER) AS bucket, type, COUNT(*) AS n FROM events WHERE created_at >= ? GROUP BY 1, 2',
      [w.from, w.stepMs, w.from],
    ),
    db.all<{ bucket: number | string; ok: number | string; n: number | string }>(
      `SELECT CAST((attempted_at - ?) / ? AS INTEGER) AS bucket, COUNT(*) AS n,
              SUM(CASE WHEN status_code >= 200 AND status_code < 300 THEN 1 ELSE 0 END) AS ok
         FROM delivery_attempts a WHERE attempted_at >= ? GROUP BY 1`,
      [w.from, w.stepMs, w.from],
    ),
    db.all<{ bucket: number | string; n: number | string }>(
      "SELECT CAST((updated_at - ?) / ? AS INTEGER) AS bucket, COUNT(*) AS n FROM deliveries WHERE status = 'dead' AND updated_at >= ? GROUP BY 1",
      [w.from, w.stepMs, w.from],
    ),
    fleetSamples(db, w, current),
  ]);
  const zeros = () => new Array<number>(w.buckets).fill(0);
  const series: FleetSeries = { times: bucketTimes(w), events: {}, delivered: zeros(), failed: zeros(), dead: zeros(), samples };
  const inWindow = (bucket: number | string) => Number(bucket) >= 0 && Number(bucket) < w.buckets;
  for (const type of EVENT_TYPES) series.events[type] = zeros();
  for (const r of events.filter((r) => inWindow(r.bucket))) {
    if (!series.events[r.type]) series.events[r.type] = zeros();
    series.events[r.type][Number(r.bucket)] = Number(r.n) / bucketSeconds(w, Number(r.bucket));
  }
  const deaths = zeros();
  for (const r of died.filter((r) => inWindow(r.bucket))) deaths[Number(r.bucket)] = Number(r.n);
  for (const r of attempts.filter((r) => inWindow(r.bucket))) {
    const b = Number(r.bucket);
    series.delivered[b] = Number(r.ok) / bucketSeconds(w, b);
    // A death without an attempt (a deleted webhook's queue) or a minute apart from its attempt is rare: never below 0.
    series.failed[b] = Math.max(0, Number(r.n) - Number(r.ok) - deaths[b]) / bucketSeconds(w, b);
  }
  for (let b = 0; b < w.buckets; b++) series.dead[b] = deaths[b] / bucketSeconds(w, b);
  return series;
}

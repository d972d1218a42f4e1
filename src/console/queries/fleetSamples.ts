/**
 * The fleet counters' last hour (or day) for the fleet page's charts, from `fleet_samples`
 * (migration 024: the scheduler job sample-fleet writes one row a minute, kept a day). Read by
 * its primary key, sampled_at: at most 1,440 rows.
 */
import type { Db } from '../../store/db.js';
import type { FleetCounters } from './fleet.js';
import type { Window } from './timeSeries.js';

/** One value per bucket of the window (the bucket's last sample), null where none was taken. */
export interface FleetSamples {
  gatewaysOnline: (number | null)[];
  gatewaysOffline: (number | null)[];
  queueDepth: (number | null)[];
  /** Seconds. */
  oldestDueAge: (number | null)[];
  failingEndpoints: (number | null)[];
  openCircuits: (number | null)[];
  deadLetters: (number | null)[];
}

interface SampleRow {
  sampled_at: number | string;
  gateways_online: number | string;
  gateways_offline: number | string;
  queue_depth: number | string;
  oldest_due_age_ms: number | string;
  failing_endpoints: number | string;
  open_circuits: number | string;
  dead_letters: number | string;
}

/** The samples of window `w`, each bucket holding its last; `current` (live counters), when given, fills the current bucket. */
export async function fleetSamples(db: Db, w: Window, current?: FleetCounters): Promise<FleetSamples> {
  const rows = await db.all<SampleRow>(`SELECT sampled_at, gateways_online, gateways_offline, queue_depth, oldest_due_age_ms, failing_endpoints, open_circuits, dead_letters
       FROM fleet_samples WHERE sampled_at >= ? ORDER BY sampled_at`, [w.from]);
  const nulls = () => new Array<number | null>(w.buckets).fill(null);
  const s: FleetSamples = {
    gatewaysOnline: nulls(),
    gatewaysOffline: nulls(),
    queueDepth: nulls(),
    oldestDueAge: nulls(),
    failingEndpoints: nulls(),
    openCircuits: nulls(),
    deadLetters: nulls(),
  };
  const put = (b: number, c: Omit<FleetCounters, 'deadLetters' | 'at'>) => {
    s.gatewaysOnline[b] = c.gatewaysOnline;
    s.gatewaysOffline[b] = c.gatewaysOffline;
    s.queueDepth[b] = c.queueDepth;
    s.oldestDueAge[b] = c.oldestDueAgeMs / 1000;
    s.failingEndpoints[b] = c.failingEndpoints;
    s.openCircuits[b] = c.openCircuits;
    s.deadLetters[b] = c.deadTotal;
  };
  for (const r of rows) {
    const b = Math.floor((Number(r.sampled_at) - w.from) / w.stepMs);
    if (b < 0 || b >= w.buckets) continue;
    put(b, {
      gatewaysOnline: Number(r.gateways_online),
      gatewaysOffline: Number(r.gateways_offline),
      queueDepth: Number(r.queue_depth),
      oldestDueAgeMs: Number(r.oldest_due_age_ms),
      failingEndpoints: Number(r.failing_endpoints),
      openCircuits: Number(r.open_circuits),
      deadTotal: Number(r.dead_letters),
    });
  }
  if (current) put(w.buckets - 1, current);
  return s;
}

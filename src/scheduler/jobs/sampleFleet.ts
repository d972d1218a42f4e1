import { fleetCounters } from '../../console/queries/fleet.js';
import { cachedQueueCount } from '../../metrics/queueStats.js';
import type { Runtime } from '../../runtime.js';

/**
 * Writes the fleet counters (gateways online and offline, queue depth, oldest due age, failing
 * endpoints, open circuits, dead letters) to `fleet_samples`, once a minute on one node (the job's
 * lease), so the operator's fleet page can chart the last hour of counters that keep no history
 * of their own (migration 024). The queue's count is the one `/metrics` reuses. A sample of the
 * same millisecond is written once. Returns 0: a sample is routine, nothing for the log.
 */
export async function sampleFleet(rt: Runtime): Promise<number> {
  const now = rt.clock.now();
  const c = await fleetCounters(rt.store, now, () => cachedQueueCount(rt.store, now));
  await rt.store.run(
    `INSERT INTO fleet_samples (sampled_at, gateways_online, gateways_offline, queue_depth, oldest_due_age_ms, failing_endpoints, open_circuits, dead_letters)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sampled_at) DO NOTHING`,
    [now, c.gatewaysOnline, c.gatewaysOffline, c.queueDepth, c.oldestDueAgeMs, c.failingEndpoints, c.openCircuits, c.deadTotal],
  );
  return 0;
}

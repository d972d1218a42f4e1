import type { Runtime } from '../../runtime.js';
import { deleteInBatches } from '../deleteInBatches.js';

/** How long fleet samples are kept: the fleet page charts the last hour, or day, of them. */
export const FLEET_SAMPLES_KEPT_MS = 86_400_000;

/**
 * Deletes fleet samples older than a day (`sampleFleet` writes one a minute), at most 5,000 rows
 * per statement. Returns how many it deleted.
 */
export function forgetOldFleetSamples(rt: Runtime): Promise<number> {
  return deleteInBatches(
    rt.store,
    'DELETE FROM fleet_samples WHERE sampled_at IN (SELECT sampled_at FROM fleet_samples WHERE sampled_at < ? LIMIT ?)',
    [rt.clock.now() - FLEET_SAMPLES_KEPT_MS],
    5000,
  );
}

import type { Runtime } from '../../runtime.js';
import { deleteInBatches } from '../deleteInBatches.js';

/**
 * Deletes rate limit buckets that have filled up again (`tat` past): a missing bucket is a full
 * one, so this changes no decision and keeps `rate_limit_buckets` as small as the set of keys
 * used within the last minute or so. At most 5,000 rows per statement. Returns how many it deleted.
 */
export function forgetFullRateBuckets(rt: Runtime): Promise<number> {
  return deleteInBatches(
    rt.store,
    'DELETE FROM rate_limit_buckets WHERE bucket IN (SELECT bucket FROM rate_limit_buckets WHERE tat < ? LIMIT ?)',
    [rt.clock.now()],
    5000,
  );
}

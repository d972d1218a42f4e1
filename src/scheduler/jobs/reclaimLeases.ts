import { reclaimExpiredLeases } from '../../delivery/queue/reclaimExpiredLeases.js';
import type { Runtime } from '../../runtime.js';

/**
 * Takes back deliveries whose worker died or stalled mid-delivery: queued again (dead when
 * their attempts are used up), and wakes dispatchers. Returns how many it took back.
 */
export async function reclaimLeases(rt: Runtime): Promise<number> {
  const { reclaimed, dead } = await reclaimExpiredLeases(rt.store, rt.clock.now(), rt.config.retrySchedule.length);
  if (reclaimed > 0) {
    rt.log.warn({ reclaimed, dead }, 'reclaimed deliveries whose lease expired');
    rt.store.notifyWork();
  }
  return reclaimed;
}

import { deadLetterExhausted } from '../../delivery/queue/deadLetterExhausted.js';
import { reclaimExpiredLeases } from '../../delivery/queue/reclaimExpiredLeases.js';
import type { Runtime } from '../../runtime.js';

/**
 * Takes back deliveries whose worker died or stalled mid-delivery: queued again (dead when
 * their attempts are used up), and wakes dispatchers. Also dead-letters queued deliveries with
 * no attempt left, which the claim skips. Returns how many it took back.
 */
export async function reclaimLeases(rt: Runtime): Promise<number> {
  const now = rt.clock.now();
  const scheduleLength = rt.config.retrySchedule.length;
  const { reclaimed, dead } = await reclaimExpiredLeases(rt.store, now, scheduleLength);
  if (reclaimed > 0) {
    rt.log.warn({ reclaimed, dead }, 'reclaimed deliveries whose lease expired');
    rt.store.notifyWork();
  }
  const exhausted = await deadLetterExhausted(rt.store, now, scheduleLength);
  if (exhausted > 0) rt.log.warn({ dead: exhausted }, 'dead-lettered queued deliveries with no attempt left');
  return reclaimed;
}

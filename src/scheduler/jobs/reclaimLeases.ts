import { reclaimExpiredLeases } from '../../delivery/queue/reclaimExpiredLeases.js';
import type { Runtime } from '../../runtime.js';

/** Returns deliveries whose worker died mid-delivery to the queue, and wakes dispatchers. */
export async function reclaimLeases(rt: Runtime): Promise<number> {
  const reclaimed = await reclaimExpiredLeases(rt.store, rt.clock.now());
  if (reclaimed > 0) {
    rt.log.warn({ reclaimed }, 'reclaimed deliveries whose lease expired');
    rt.store.notifyWork();
  }
  return reclaimed;
}

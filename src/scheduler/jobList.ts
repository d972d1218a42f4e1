import type { Job } from './scheduler.js';
import { reclaimLeases } from './jobs/reclaimLeases.js';

/** Every periodic job of Hearthook and how often it runs. */
export function jobList(): Job[] {
  return [{ name: 'reclaim-leases', intervalMs: 5_000, run: reclaimLeases }];
}

import type { Job } from './scheduler.js';
import { disableFailingWebhooks } from './jobs/disableFailingWebhooks.js';
import { reclaimLeases } from './jobs/reclaimLeases.js';

/** Every periodic job of Hearthook and how often it runs. */
export function jobList(): Job[] {
  return [
    { name: 'reclaim-leases', intervalMs: 5_000, run: reclaimLeases },
    { name: 'disable-failing-webhooks', intervalMs: 60_000, run: disableFailingWebhooks },
  ];
}

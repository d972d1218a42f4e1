import type { Rules } from '../rules/ruleSet.js';
import { checkConnectivity } from './jobs/checkConnectivity.js';
import { deleteExpiredEvents } from './jobs/deleteExpiredEvents.js';
import { disableFailingWebhooks } from './jobs/disableFailingWebhooks.js';
import { emitDailyAggregates } from './jobs/emitDailyAggregates.js';
import { forgetFullRateBuckets } from './jobs/forgetFullRateBuckets.js';
import { forgetOldFleetSamples } from './jobs/forgetOldFleetSamples.js';
import { forgetOldMessageIds } from './jobs/forgetOldMessageIds.js';
import { forgetRejectedMessages } from './jobs/forgetRejectedMessages.js';
import { reclaimLeases } from './jobs/reclaimLeases.js';
import { reportPendingFaults } from './jobs/reportPendingFaults.js';
import { sampleFleet } from './jobs/sampleFleet.js';
import type { Job } from './scheduler.js';

/** Every periodic job of Hearthook and how often it runs. */
export function jobList(rules: Rules): Job[] {
  return [
    { name: 'reclaim-leases', intervalMs: 5_000, run: reclaimLeases },
    { name: 'check-connectivity', intervalMs: rules.connectivityCheckInterval, run: checkConnectivity },
    // A fault is reported once it outlived the transient window; checking at a fraction of the
    // window keeps the report close to that moment.
    { name: 'report-pending-faults', intervalMs: Math.max(1000, Math.floor(rules.transientFaultWindow / 8)), run: reportPendingFaults },
    { name: 'emit-daily-aggregates', intervalMs: 60_000, run: emitDailyAggregates },
    { name: 'disable-failing-webhooks', intervalMs: 60_000, run: disableFailingWebhooks },
    { name: 'delete-expired-events', intervalMs: 3_600_000, run: deleteExpiredEvents },
    { name: 'forget-old-message-ids', intervalMs: 3_600_000, run: forgetOldMessageIds },
    { name: 'forget-rejected-messages', intervalMs: 3_600_000, run: forgetRejectedMessages },
    { name: 'forget-full-rate-buckets', intervalMs: 60_000, run: forgetFullRateBuckets },
    { name: 'sample-fleet', intervalMs: 60_000, run: sampleFleet },
    { name: 'forget-old-fleet-samples', intervalMs: 3_600_000, run: forgetOldFleetSamples },
  ];
}

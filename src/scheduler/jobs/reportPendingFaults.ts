import { FAULTS_KEY, reportDueFaults } from '../../rules/faults.js';
import { rulePass } from '../../rules/rulePass.js';
import type { Runtime } from '../../runtime.js';

/**
 * One pass over pending faults: each relevant fault active for at least the rules'
 * `faults.transientFaultWindow` (default 2m) and not yet reported is reported as
 * APPLIANCE_STATUS ACTIVE, once. Faults that cleared sooner were dropped at ingest and are never
 * seen here. Returns how many events it emitted.
 *
 * @example
 * const emitted = await reportPendingFaults(rt); // run every 15-30 s by the scheduler
 */
export async function reportPendingFaults(rt: Runtime): Promise<number> {
  const now = rt.clock.now();
  const startedBefore = now - rt.rules.transientFaultWindow;
  return rulePass(
    rt,
    now,
    'SELECT gateway_id FROM gateway_state WHERE key = ? AND due_at <= ? LIMIT ?',
    [FAULTS_KEY, startedBefore],
    (ctx, gateway) => {
      reportDueFaults(ctx, gateway.id);
    },
  );
}

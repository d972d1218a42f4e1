import { CONNECTIVITY_KEY, REPORTED_ONLINE, reportConnectivity } from '../../rules/connectivity.js';
import { rulePass } from '../../rules/rulePass.js';
import type { Runtime } from '../../runtime.js';

/**
 * One connectivity check: every gateway last reported ONLINE that has sent nothing for the
 * rules' `connectivity.offlineAfter` (default 15m) is reported OFFLINE, once (its next message
 * reports it ONLINE again). Returns how many events it emitted.
 *
 * @example
 * const emitted = await checkConnectivity(rt); // run every few minutes by the scheduler
 */
export async function checkConnectivity(rt: Runtime): Promise<number> {
  const now = rt.clock.now();
  const silentSince = now - rt.rules.offlineAfter;
  return rulePass(
    rt,
    now,
    `SELECT g.id AS gateway_id FROM gateways g
       JOIN gateway_state s ON s.gateway_id = g.id AND s.key = ?
      WHERE g.last_seen_at <= ? AND s.value = ?
      LIMIT ?`,
    [CONNECTIVITY_KEY, silentSince, REPORTED_ONLINE],
    (ctx, gateway) => {
      // Checked again under the lock: a message may have arrived since the selection.
      if (gateway.lastSeenAt !== null && gateway.lastSeenAt > silentSince) return;
      reportConnectivity(ctx, gateway.id, 'OFFLINE');
    },
  );
}

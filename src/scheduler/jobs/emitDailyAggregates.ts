import { DAILY_KEY, emitDueDays } from '../../rules/dailyAggregate.js';
import { rulePass } from '../../rules/rulePass.js';
import type { Runtime } from '../../runtime.js';

/**
 * One pass over daily aggregates: for each gateway-local day that ended at least the rules'
 * `dailyAggregate.grace` (default 5m) ago and has data, emits one DAILY_AGGREGATE and forgets
 * the day. A day with no data has no accumulator, so nothing is sent for it. Returns how many
 * events it emitted.
 *
 * @example
 * const emitted = await emitDailyAggregates(rt); // run every few minutes: gateways span time zones
 */
export async function emitDailyAggregates(rt: Runtime): Promise<number> {
  const now = rt.clock.now();
  const endedBefore = now - rt.rules.dailyAggregateGrace;
  return rulePass(
    rt,
    now,
    'SELECT gateway_id FROM gateway_state WHERE key = ? AND due_at <= ? LIMIT ?',
    [DAILY_KEY, endedBefore],
    (ctx, gateway) => {
      emitDueDays(ctx, gateway.id);
    },
  );
}

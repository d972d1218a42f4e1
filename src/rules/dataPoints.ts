import type { DataPointMessage } from './messages.js';
import type { RuleContext } from './ruleContext.js';
import type { DataPointRuleData } from './validateRules.js';

/** The gateway_state key holding the last *reported* value of a data point key. */
export function dataPointKey(key: string): string {
  return `dp:${key}`;
}

/**
 * DATA_POINT from a data point message, by the key's rule: `threshold` sends a value that moved
 * far enough from the last reported one, `onChange` one that differs from it, `ignore` nothing.
 * The first value of a key is always sent. "Not available" values are filtered out before this.
 */
export function applyDataPoint(ctx: RuleContext, message: DataPointMessage): void {
  const rule = ctx.rules.ruleFor(message.key);
  if (rule.report === 'ignore') return;
  const stateKey = dataPointKey(message.key);
  const last = ctx.state.get<{ value: number | string }>(message.gatewayId, stateKey);
  if (last !== undefined && !shouldReport(rule, last.value, message.value)) return;
  ctx.state.set(message.gatewayId, stateKey, { value: message.value });
  ctx.events.push({
    type: 'DATA_POINT',
    gatewayId: message.gatewayId,
    occurredAt: message.sentAt,
    data: { key: message.key, value: message.value, unit: message.unit ?? rule.unit ?? null },
  });
}

/**
 * Whether `value` is worth sending after `last` was reported. A threshold is met when the change
 * reaches every threshold given (absolute in the key's unit, relative as a fraction of the last
 * value), so a power rule of 100 W and 10 % is quiet at idle and at full load alike. A counter
 * that goes backwards was reset: that is always sent, as the new baseline.
 */
export function shouldReport(rule: DataPointRuleData, last: number | string, value: number | string): boolean {
  if (rule.report !== 'threshold' || typeof last !== 'number' || typeof value !== 'number') return last !== value;
  if (rule.counter && value < last) return true;
  const change = Math.abs(value - last);
  const needed = Math.max(rule.threshold?.absolute ?? 0, (rule.threshold?.relative ?? 0) * Math.abs(last));
  return needed === 0 ? change > 0 : change >= needed;
}

/** True for the values gateways send for "not available" (32767 and -32768 by default). */
export function isNotAvailable(ctx: RuleContext, value: number | string): boolean {
  return typeof value === 'number' && ctx.rules.notAvailable.has(value);
}

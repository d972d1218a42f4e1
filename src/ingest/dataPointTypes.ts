import type { FieldError } from '../api/httpError.js';
import type { DataPointRuleData, Rules } from '../rules/ruleSet.js';
import type { RawMessage } from './messageSchema.js';

/** The value type a data point rule asks for (see `valueType` in rules/default.json). */
export function valueTypeOf(rule: DataPointRuleData): 'number' | 'string' | 'any' {
  return rule.valueType ?? (rule.report === 'threshold' || rule.counter ? 'number' : 'any');
}

/**
 * The data point messages whose `value` is not of the type the rules declare for their key, as
 * field pointers (`/body/3/value`): a string power reading would otherwise be stored and then
 * silently produce nothing, since a threshold can't compare it.
 *
 * @example
 * checkValueTypes(rules, [{ kind: 'datapoint', gatewayId: '1', key: 'hvac.emon.compressor.powerCurrent', value: 'high' }], true);
 * // [{ field: '/body/0/value', message: 'must be a number: the rules declare hvac.emon.compressor.powerCurrent numeric' }]
 */
export function checkValueTypes(rules: Rules, messages: readonly RawMessage[], batch: boolean): FieldError[] {
  const errors: FieldError[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m.kind !== 'datapoint') continue;
    const key = m.key as string;
    const wanted = valueTypeOf(rules.ruleFor(key));
    if (wanted !== 'any' && typeof m.value !== wanted) {
      errors.push({ field: batch ? `/body/${i}/value` : '/body/value', message: `must be a ${wanted}: the rules declare ${key} ${wanted === 'number' ? 'numeric' : 'a string'}` });
    }
  }
  return errors;
}

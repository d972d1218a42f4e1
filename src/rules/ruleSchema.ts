import { parseDuration } from '../config/duration.js';

/** Keys starting with `$` are comments, anywhere in a rules file. */
const comments = { '^\\$': {} };

/** An object of exactly these settings (plus comments). */
const settings = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)) => ({
  type: 'object',
  properties,
  required,
  patternProperties: comments,
  additionalProperties: false,
});

/** A map whose keys match `keyPattern` (comments aside) and whose values are `value`. */
const mapOf = (keyPattern: string, value: unknown) => ({
  type: 'object',
  patternProperties: comments,
  additionalProperties: value,
  propertyNames: { anyOf: [{ pattern: '^\\$' }, { pattern: keyPattern }] },
});

const duration = { type: 'string', format: 'duration' };
/** Language tag → text, English required. */
const texts = { ...mapOf('^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$', { type: 'string', minLength: 1 }), required: ['en'] };
const dataPointKey = { type: 'string', minLength: 1 };

const dataPointRule = {
  ...settings(
    {
      report: { enum: ['threshold', 'onChange', 'ignore'] },
      valueType: { enum: ['number', 'string', 'any'] },
      threshold: { ...settings({ absolute: { type: 'number', minimum: 0 }, relative: { type: 'number', minimum: 0 } }, []), minProperties: 1 },
      counter: { type: 'boolean' },
      unit: { type: 'string' },
    },
    ['report'],
  ),
  allOf: [
    // A threshold rule needs a threshold; threshold and counter rules compare numbers.
    { if: { properties: { report: { const: 'threshold' } }, required: ['report'] }, then: { required: ['threshold'] } },
    {
      if: { anyOf: [{ properties: { report: { const: 'threshold' } }, required: ['report'] }, { properties: { counter: { const: true } }, required: ['counter'] }] },
      then: { properties: { valueType: { const: 'number' } } },
    },
  ],
};

/**
 * The JSON Schema of a merged rule set (`rules/default.json` with an operator file over it),
 * checked by Ajv at start; `format: duration` is `parseDuration`. What each setting means is
 * written in `rules/default.json`.
 */
export const ruleSetSchema = settings({
  connectivity: settings({ offlineAfter: duration, checkInterval: duration }),
  faults: settings({
    relevantSeverities: { type: 'array', items: { enum: ['ERROR', 'WARNING', 'INFO'] } },
    transientFaultWindow: duration,
    unknownDescription: texts,
    catalog: mapOf('^[^/]+/[^/]+$', texts),
  }),
  dataPoints: settings({
    notAvailable: { type: 'array', items: { type: 'number' } },
    default: dataPointRule,
    keys: mapOf('^.+$', dataPointRule),
  }),
  dailyAggregate: settings({ grace: duration, energyKey: dataPointKey, startsKeys: mapOf('^.+$', dataPointKey) }),
});

/** The `duration` format: what `parseDuration` reads (`90s`, `2m`, `15m`, `1h`). */
export function isDuration(text: string): boolean {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}

import { Ajv } from 'ajv';
import { parseDuration } from '../config/duration.js';

/** How a data point key is reported (see `rules/default.json` for the meaning of each). */
export interface DataPointRuleData {
  report: 'threshold' | 'onChange' | 'ignore';
  /**
   * What a value of the key must be; ingest refuses others with a 400 naming `/body/<i>/value`.
   * Absent: `number` for threshold and counter rules (a string could never be compared), else `any`.
   */
  valueType?: 'number' | 'string' | 'any';
  threshold?: { absolute?: number; relative?: number };
  counter?: boolean;
  unit?: string;
}

/** The rule set as written in `rules/default.json` (after an operator file is merged over it). */
export interface RuleData {
  connectivity: { offlineAfter: string; checkInterval: string };
  faults: {
    relevantSeverities: string[];
    transientFaultWindow: string;
    unknownDescription: Record<string, string>;
    /** `'<displayCode>/<causeCode>'` → language tag → text. */
    catalog: Record<string, Record<string, string>>;
  };
  dataPoints: {
    notAvailable: number[];
    default: DataPointRuleData;
    keys: Record<string, DataPointRuleData>;
  };
  dailyAggregate: { grace: string; energyKey: string; startsKeys: Record<string, string> };
}

const SEVERITIES = ['ERROR', 'WARNING', 'INFO'];
const REPORTS = ['threshold', 'onChange', 'ignore'];
const VALUE_TYPES = ['number', 'string', 'any'];

/**
 * Our words for what is wrong, kept in the schema beside the check they explain: `x-problem`
 * for a value (any keyword of its schema failing), `x-required` for a missing key. Ajv ignores
 * them (`strict: false`); `validateRuleData` reads them from the failing schema.
 */
type Schema = Record<string, unknown>;
/** An object whose keys are `properties` (all required) and `$` comments. */
const settings = (properties: Record<string, Schema>, optional: string[] = []): Schema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  patternProperties: { '^\\$': {} },
  additionalProperties: false,
});
/** A map whose keys are checked by `keys` (`$` comments allowed) and values by `values`. */
const map = (values: Schema, keys?: Schema): Schema => ({
  type: 'object',
  patternProperties: { '^\\$': {} },
  ...(keys ? { propertyNames: { ...keys, pattern: `^\\$|${keys.pattern as string}` } } : {}),
  additionalProperties: values,
});
const duration: Schema = { type: 'string', format: 'duration' };
const dataPointKey: Schema = { type: 'string', minLength: 1, 'x-problem': 'must be a data point key' };
/** Language tag → text, with at least English. */
const texts: Schema = {
  ...map({ type: 'string', minLength: 1, 'x-problem': 'must be a non-empty text' }, { pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$', 'x-problem': 'is not a language tag such as en or de' }),
  required: ['en'],
  'x-required': 'an English text is required',
};
/** JSON Schema's `if`/`then`: `required` holds for a value that matches `condition`. */
const when = (condition: Schema, required: Schema): Schema => ({
  if: condition,
  // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword, never awaited
  then: required,
});
const reportsThreshold = { required: ['report'], properties: { report: { const: 'threshold' } } };
const dataPointRule: Schema = {
  ...settings(
    {
      report: { enum: REPORTS },
      valueType: { enum: VALUE_TYPES },
      threshold: settings({ absolute: { type: 'number', minimum: 0, 'x-problem': 'must be a number >= 0' }, relative: { type: 'number', minimum: 0, 'x-problem': 'must be a number >= 0' } }, ['absolute', 'relative']),
      counter: { type: 'boolean' },
      unit: { type: 'string' },
    },
    ['valueType', 'threshold', 'counter', 'unit'],
  ),
  allOf: [
    when(reportsThreshold, {
      required: ['threshold'],
      'x-required': 'a threshold rule needs absolute, relative or both',
      properties: { threshold: { anyOf: [{ required: ['absolute'] }, { required: ['relative'] }], 'x-problem': 'a threshold rule needs absolute, relative or both' } },
    }),
    when(
      { anyOf: [reportsThreshold, { required: ['counter'], properties: { counter: { const: true } } }] },
      { properties: { valueType: { const: 'number', 'x-problem': 'a threshold or counter rule compares numbers; it must be number' } } },
    ),
  ],
};

/** `rules/default.json` and an operator's file merged over it, as JSON Schema. */
const ruleSchema: Schema = settings({
  connectivity: settings({ offlineAfter: duration, checkInterval: duration }),
  faults: settings({
    relevantSeverities: { type: 'array', items: { enum: SEVERITIES } },
    transientFaultWindow: duration,
    unknownDescription: texts,
    catalog: map(texts, { pattern: '^[^/]+/[^/]+$', 'x-problem': 'the key must be <displayCode>/<causeCode>' }),
  }),
  dataPoints: settings({
    notAvailable: { type: 'array', items: { type: 'number', 'x-problem': 'must be a number ("not available" markers)' } },
    default: dataPointRule,
    keys: map(dataPointRule),
  }),
  dailyAggregate: settings({ grace: duration, energyKey: dataPointKey, startsKeys: map(dataPointKey) }),
});

// A file is read once at start: an instance of its own, `verbose` so errors carry their schema.
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
ajv.addFormat('duration', { type: 'string', validate: isDuration });
const check = ajv.compile(ruleSchema);

/**
 * Checks a merged rule set and lists every problem as `<JSON pointer>: <what is wrong>`, e.g.
 * `/faults/transientFaultWindow: "2x" is not a duration`. Keys starting with `$` are comments.
 * An empty list means the rule set is usable.
 */
export function validateRuleData(data: unknown): string[] {
  if (check(data)) return [];
  const problems: string[] = [];
  const named = new Set<string>();
  for (const e of check.errors!) {
    // The branches of anyOf and if say nothing a partner could act on; their parents do.
    if (e.keyword === 'if' || e.schemaPath.includes('/anyOf/')) continue;
    const p = e.params as Record<string, unknown>;
    const schema = (e.parentSchema ?? {}) as Schema;
    let path = e.instancePath;
    let message: string;
    if (e.keyword === 'required') {
      path += `/${p.missingProperty}`;
      message = (schema['x-required'] as string | undefined) ?? 'is required';
    } else if (e.keyword === 'additionalProperties') {
      path += `/${p.additionalProperty}`;
      message = `is not a known setting (known: ${Object.keys((schema.properties as Schema | undefined) ?? {}).join(', ')})`;
    } else if (e.keyword === 'propertyNames' || e.propertyName !== undefined) {
      if (e.keyword === 'propertyNames') continue; // the name's own error follows (or came first)
      path += `/${e.propertyName}`;
      message = (schema['x-problem'] as string | undefined) ?? `is not a valid name (${e.message})`;
    } else if (schema['x-problem'] !== undefined) {
      message = schema['x-problem'] as string;
    } else if (schema.format === 'duration') {
      message = durationProblem(e.data);
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(p.allowedValues as unknown[]).join(', ')}`;
    } else if (e.keyword === 'type') {
      message = p.type === 'boolean' ? 'must be true or false' : `must be ${/^[aeiou]/.test(String(p.type)) ? 'an' : 'a'} ${p.type}`;
    } else {
      message = e.message ?? e.keyword;
    }
    // One problem per path: the first found (a value's type before its enum).
    if (named.has(path)) continue;
    named.add(path);
    // Shown as written in the file: a catalog key `A11/3061` stays one segment to the reader.
    problems.push(`${path.replaceAll('~1', '/').replaceAll('~0', '~') || '/'}: ${message}`);
  }
  return problems;
}

function isDuration(text: string): boolean {
  return durationProblem(text) === '';
}

/** What `parseDuration` says is wrong with a value, or '' when it is a duration. */
function durationProblem(value: unknown): string {
  if (typeof value !== 'string') return 'must be a duration string such as "2m"';
  try {
    parseDuration(value);
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

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
const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

type Json = Record<string, unknown>;

/**
 * Checks a merged rule set and lists every problem as `<JSON pointer>: <what is wrong>`, e.g.
 * `/faults/transientFaultWindow: "2x" is not a duration`. Keys starting with `$` are comments.
 * An empty list means the rule set is usable.
 */
export function validateRuleData(data: unknown): string[] {
  const problems: string[] = [];
  const root = object(data, '', ['connectivity', 'faults', 'dataPoints', 'dailyAggregate'], problems);
  if (!root) return problems;

  const connectivity = object(root.connectivity, '/connectivity', ['offlineAfter', 'checkInterval'], problems);
  if (connectivity) {
    duration(connectivity.offlineAfter, '/connectivity/offlineAfter', problems);
    duration(connectivity.checkInterval, '/connectivity/checkInterval', problems);
  }

  const faults = object(
    root.faults,
    '/faults',
    ['relevantSeverities', 'transientFaultWindow', 'unknownDescription', 'catalog'],
    problems,
  );
  if (faults) {
    if (!Array.isArray(faults.relevantSeverities)) problems.push('/faults/relevantSeverities: must be an array');
    else
      faults.relevantSeverities.forEach((s, i) => {
        if (!SEVERITIES.includes(s as string)) problems.push(`/faults/relevantSeverities/${i}: must be one of ${SEVERITIES.join(', ')}`);
      });
    duration(faults.transientFaultWindow, '/faults/transientFaultWindow', problems);
    texts(faults.unknownDescription, '/faults/unknownDescription', problems);
    const catalog = object(faults.catalog, '/faults/catalog', null, problems);
    for (const [code, entry] of entries(catalog)) {
      if (!/^[^/]+\/[^/]+$/.test(code)) problems.push(`/faults/catalog/${code}: the key must be <displayCode>/<causeCode>`);
      texts(entry, `/faults/catalog/${code}`, problems);
    }
  }

  const dataPoints = object(root.dataPoints, '/dataPoints', ['notAvailable', 'default', 'keys'], problems);
  if (dataPoints) {
    if (!Array.isArray(dataPoints.notAvailable) || dataPoints.notAvailable.some((v) => typeof v !== 'number')) {
      problems.push('/dataPoints/notAvailable: must be an array of numbers');
    }
    dataPointRule(dataPoints.default, '/dataPoints/default', problems);
    for (const [key, rule] of entries(object(dataPoints.keys, '/dataPoints/keys', null, problems))) {
      dataPointRule(rule, `/dataPoints/keys/${key}`, problems);
    }
  }

  const daily = object(root.dailyAggregate, '/dailyAggregate', ['grace', 'energyKey', 'startsKeys'], problems);
  if (daily) {
    duration(daily.grace, '/dailyAggregate/grace', problems);
    if (typeof daily.energyKey !== 'string' || !daily.energyKey) problems.push('/dailyAggregate/energyKey: must be a data point key');
    for (const [domain, key] of entries(object(daily.startsKeys, '/dailyAggregate/startsKeys', null, problems))) {
      if (typeof key !== 'string' || !key) problems.push(`/dailyAggregate/startsKeys/${domain}: must be a data point key`);
    }
  }
  return problems;
}

function dataPointRule(value: unknown, path: string, problems: string[]): void {
  const rule = object(value, path, ['report', 'valueType', 'threshold', 'counter', 'unit'], problems);
  if (!rule) return;
  if (!REPORTS.includes(rule.report as string)) problems.push(`${path}/report: must be one of ${REPORTS.join(', ')}`);
  if (rule.valueType !== undefined && !VALUE_TYPES.includes(rule.valueType as string)) {
    problems.push(`${path}/valueType: must be one of ${VALUE_TYPES.join(', ')}`);
  } else if (rule.valueType !== undefined && rule.valueType !== 'number' && (rule.report === 'threshold' || rule.counter === true)) {
    problems.push(`${path}/valueType: a threshold or counter rule compares numbers; it must be number`);
  }
  if (rule.counter !== undefined && typeof rule.counter !== 'boolean') problems.push(`${path}/counter: must be true or false`);
  if (rule.unit !== undefined && typeof rule.unit !== 'string') problems.push(`${path}/unit: must be a string`);
  if (rule.threshold !== undefined) {
    const threshold = object(rule.threshold, `${path}/threshold`, ['absolute', 'relative'], problems);
    for (const [name, n] of entries(threshold)) {
      if (typeof n !== 'number' || !(n >= 0)) problems.push(`${path}/threshold/${name}: must be a number >= 0`);
    }
  }
  if (rule.report === 'threshold') {
    const t = rule.threshold as Json | undefined;
    if (!t || (t.absolute === undefined && t.relative === undefined)) {
      problems.push(`${path}/threshold: a threshold rule needs absolute, relative or both`);
    }
  }
}

/** An object whose keys (apart from `$` comments) are all in `known` (any key when null). */
function object(value: unknown, path: string, known: string[] | null, problems: string[]): Json | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${path || '/'}: must be an object`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (known && !key.startsWith('$') && !known.includes(key)) {
      problems.push(`${path}/${key}: is not a known setting (known: ${known.join(', ')})`);
    }
  }
  return value as Json;
}

/** The entries of an object, comments left out. */
function entries(value: Json | undefined): Array<[string, unknown]> {
  return value ? Object.entries(value).filter(([key]) => !key.startsWith('$')) : [];
}

function duration(value: unknown, path: string, problems: string[]): void {
  try {
    if (typeof value !== 'string') throw new Error('must be a duration string such as "2m"');
    parseDuration(value);
  } catch (err) {
    problems.push(`${path}: ${(err as Error).message}`);
  }
}

/** Language tag → text, with at least English. */
function texts(value: unknown, path: string, problems: string[]): void {
  const byLanguage = object(value, path, null, problems);
  if (!byLanguage) return;
  for (const [lang, text] of entries(byLanguage)) {
    if (!LANGUAGE.test(lang)) problems.push(`${path}/${lang}: is not a language tag such as en or de`);
    else if (typeof text !== 'string' || !text) problems.push(`${path}/${lang}: must be a non-empty text`);
  }
  if (typeof byLanguage.en !== 'string') problems.push(`${path}/en: an English text is required`);
}

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDuration } from '../config/duration.js';
import { packageRoot } from '../util/packageRoot.js';
import { type DataPointRuleData, type RuleData, validateRuleData } from './validateRules.js';

export type { DataPointRuleData, RuleData } from './validateRules.js';

/** The rule set, loaded and checked once at start: everything the rules and their jobs read. */
export interface Rules {
  /** A gateway silent this long (ms) is reported OFFLINE. */
  offlineAfter: number;
  /** How often (ms) the connectivity check runs: every 15 minutes, as the reference page says. */
  connectivityCheckInterval: number;
  /** A fault that clears within this (ms) is never reported. */
  transientFaultWindow: number;
  /** Fault severities that matter (INFO does not, by default). */
  relevantSeverities: ReadonlySet<string>;
  /** A gateway-local day is sent this long (ms) after its midnight. */
  dailyAggregateGrace: number;
  /** Data point values that mean "not available" (skipped). */
  notAvailable: ReadonlySet<number>;
  /** The cumulative energy counter (kWh) the daily energy consumption is taken from. */
  energyKey: string;
  /** Compressor start counter key → domain (heating, domesticHotWater, ...). */
  startsDomains: ReadonlyMap<string, string>;
  /** The rule for a data point key: exact key, else the longest matching pattern, else the default. */
  ruleFor(key: string): DataPointRuleData;
  /** Fault descriptions by language tag; a generic text naming the codes when the catalog has none. */
  describeFault(displayCode: string, causeCode: string | number): Record<string, string>;
  /** The merged rule data as written, for display. */
  data: RuleData;
}

const DEFAULT_FILE = join(packageRoot, 'rules', 'default.json');
const CATALOG_FILE = join(packageRoot, 'rules', 'fault-catalog.json');

/**
 * Loads the default rule set (`rules/default.json`, with `rules/fault-catalog.json` as its
 * `faults.catalog`) and deep-merges an operator file over it. Throws an Error naming the file
 * and each offending JSON path when a file cannot be read or the result is not a valid rule set.
 *
 * @example
 * const rules = loadRules(process.env.HEARTHOOK_RULES);
 * rules.ruleFor('hvac.cascade.hs1.emon.compressor.powerCurrent').report // 'threshold'
 */
export function loadRules(file?: string): Rules {
  const defaults = readJson(DEFAULT_FILE) as Record<string, unknown>;
  const catalog = readJson(CATALOG_FILE);
  let data = deepMerge({ faults: { catalog } }, defaults);
  let source = DEFAULT_FILE;
  if (file) {
    const path = resolve(file);
    data = deepMerge(data, readJson(path));
    source = `${path} (merged over ${DEFAULT_FILE})`;
  }
  const problems = validateRuleData(data);
  if (problems.length > 0) {
    throw new Error(`invalid rules in ${source}:\n  ${problems.join('\n  ')}`);
  }
  return compileRules(data as RuleData);
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read rules file ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`rules file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Merges `over` into `base`: objects key by key, anything else (arrays too) replaces, and `null`
 * removes the key, so an operator can drop a default key rule.
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === null) delete merged[key];
    else merged[key] = key in merged ? deepMerge(merged[key], value) : value;
  }
  return merged;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Turns checked rule data into the form the rules use on every message. */
function compileRules(data: RuleData): Rules {
  const exact = new Map<string, DataPointRuleData>();
  const patterns: Array<{ regex: RegExp; specificity: number; rule: DataPointRuleData }> = [];
  for (const [key, rule] of Object.entries(data.dataPoints.keys)) {
    if (key.startsWith('$')) continue;
    if (!key.includes('*')) exact.set(key, rule);
    else {
      const source = key.split('*').map(escapeRegex).join('.*');
      patterns.push({ regex: new RegExp(`^${source}$`), specificity: key.replaceAll('*', '').length, rule });
    }
  }
  patterns.sort((a, b) => b.specificity - a.specificity);
  // Gateways send a few dozen distinct keys; resolving each once keeps glob matching off the hot
  // path. Bounded so a gateway inventing keys cannot grow it without end.
  const resolved = new Map<string, DataPointRuleData>();
  const ruleFor = (key: string): DataPointRuleData => {
    let rule = resolved.get(key);
    if (!rule) {
      rule = exact.get(key) ?? patterns.find((p) => p.regex.test(key))?.rule ?? data.dataPoints.default;
      if (resolved.size < 10_000) resolved.set(key, rule);
    }
    return rule;
  };

  const { catalog, unknownDescription } = data.faults;
  const describeFault = (displayCode: string, causeCode: string | number): Record<string, string> => {
    const known = catalog[`${displayCode.toUpperCase()}/${causeCode}`];
    if (known) return withoutComments(known);
    const generic: Record<string, string> = {};
    for (const [lang, text] of Object.entries(withoutComments(unknownDescription))) {
      generic[lang] = text.replaceAll('{displayCode}', displayCode).replaceAll('{causeCode}', String(causeCode));
    }
    return generic;
  };

  return {
    offlineAfter: parseDuration(data.connectivity.offlineAfter),
    connectivityCheckInterval: parseDuration(data.connectivity.checkInterval),
    transientFaultWindow: parseDuration(data.faults.transientFaultWindow),
    relevantSeverities: new Set(data.faults.relevantSeverities),
    dailyAggregateGrace: parseDuration(data.dailyAggregate.grace),
    notAvailable: new Set(data.dataPoints.notAvailable),
    energyKey: data.dailyAggregate.energyKey,
    startsDomains: new Map(
      Object.entries(data.dailyAggregate.startsKeys)
        .filter(([domain]) => !domain.startsWith('$'))
        .map(([domain, key]) => [key, domain]),
    ),
    ruleFor,
    describeFault,
    data,
  };
}

function escapeRegex(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

function withoutComments(texts: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(texts).filter(([key]) => !key.startsWith('$')));
}

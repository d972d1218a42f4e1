import { API_VERSIONS, type ApiVersion } from '../versions/registry.js';
import { parseDuration, parseDurationList } from './duration.js';

/**
 * Every setting of Hearthook, with its default. Each can be overridden by an environment variable
 * `HEARTHOOK_<NAME>` (listed in `ENV`) or the matching `hearthook serve` flag; the README lists
 * them all.
 */
export interface Config {
  /** HTTP port of the API and ingest. */
  port: number;
  /** Address to listen on. */
  host: string;
  /** SQLite file path (or `:memory:`); a `postgres://` URL selects PostgreSQL. */
  database: string;
  /** Operator token (`Authorization: Bearer`). Generated and printed once when unset. */
  adminToken?: string;
  /** Gateway ingest token (`Authorization: Bearer`). Generated and printed once when unset. */
  ingestToken?: string;
  /** A token that may read `GET /metrics` and nothing else (the admin token may too). */
  metricsToken?: string;
  /** 32-byte key (base64 or hex) that encrypts webhook API keys and secrets at rest. */
  masterKey?: string;
  /** CIDRs that webhook URLs may reach although private, loopback or link-local. */
  allowPrivateNetworks: string[];
  /** Accept `http://` webhook URLs (development and tests only). */
  allowHttp: boolean;
  /** How long a partner endpoint has to answer. */
  deliveryTimeoutMs: number;
  /** Delays before each attempt of a delivery; after the last, the delivery is dead. */
  retrySchedule: number[];
  /** How many deliveries one claim takes. */
  claimBatchSize: number;
  /** How many HTTP requests the dispatcher keeps in flight at most. */
  maxInFlight: number;
  /** How often an idle dispatcher looks for due work (new work also wakes it at once). */
  pollIntervalMs: number;
  /** Requests in flight to one endpoint at most, per dispatcher process. */
  endpointMaxInFlight: number;
  /** Consecutive failures of an endpoint that open its circuit. */
  circuitFailureThreshold: number;
  /** How long an open circuit waits before one probe; doubles per failed probe up to 10 minutes. */
  circuitOpenMs: number;
  /** How long a webhook's previous secret keeps signing after `rotate-secret`. */
  secretRotationGraceMs: number;
  /** How long a webhook's endpoint may fail without a single success before it is disabled. */
  disableAfterMs: number;
  /**
   * How long a scheduler job's lease lasts unless renewed (each second): when the process running
   * the jobs dies, another takes them over within this time.
   */
  schedulerLeaseMs: number;
  /**
   * How long events stay listed for catch-up (`GET /v1/events`): older ones are deleted, with
   * their finished deliveries, by the hourly `delete-expired-events` job.
   */
  retentionMs: number;
  /** Log level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: string;
  /** A rules file (JSON) that overrides the default rule set in `rules/default.json`. */
  rulesFile?: string;
  /**
   * The API version registry (`src/versions/registry.ts`). Not an environment variable: a major
   * is code (a renderer and schemas), so releases ship with Hearthook; tests inject test versions.
   */
  apiVersions: readonly ApiVersion[];
}

export const DEFAULTS: Config = {
  port: 8080,
  host: '0.0.0.0',
  database: './data/hearthook.db',
  allowPrivateNetworks: [],
  allowHttp: false,
  deliveryTimeoutMs: 15_000,
  retrySchedule: parseDurationList('0s,5s,5m,30m,2h,5h,10h,14h,20h,24h'),
  claimBatchSize: 100,
  maxInFlight: 256,
  pollIntervalMs: 1000,
  endpointMaxInFlight: 32,
  circuitFailureThreshold: 5,
  circuitOpenMs: 30_000,
  secretRotationGraceMs: 24 * 3_600_000,
  disableAfterMs: 5 * 86_400_000,
  schedulerLeaseMs: 15_000,
  retentionMs: 30 * 86_400_000,
  logLevel: 'info',
  apiVersions: API_VERSIONS,
};

type Parser = (text: string) => unknown;
const integer: Parser = (text) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`"${text}" is not a whole number`);
  return n;
};
const boolean: Parser = (text) => {
  if (/^(true|1|yes)$/i.test(text)) return true;
  if (/^(false|0|no)$/i.test(text)) return false;
  throw new Error(`"${text}" is not true or false`);
};
const string: Parser = (text) => text;
const list: Parser = (text) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Environment variable → setting, and how to read it. */
export const ENV: Record<string, [keyof Config, Parser]> = {
  HEARTHOOK_PORT: ['port', integer],
  HEARTHOOK_HOST: ['host', string],
  HEARTHOOK_DATABASE: ['database', string],
  HEARTHOOK_ADMIN_TOKEN: ['adminToken', string],
  HEARTHOOK_INGEST_TOKEN: ['ingestToken', string],
  HEARTHOOK_METRICS_TOKEN: ['metricsToken', string],
  HEARTHOOK_MASTER_KEY: ['masterKey', string],
  HEARTHOOK_ALLOW_PRIVATE_NETWORKS: ['allowPrivateNetworks', list],
  HEARTHOOK_ALLOW_HTTP: ['allowHttp', boolean],
  HEARTHOOK_DELIVERY_TIMEOUT: ['deliveryTimeoutMs', parseDuration],
  HEARTHOOK_RETRY_SCHEDULE: ['retrySchedule', parseDurationList],
  HEARTHOOK_CLAIM_BATCH_SIZE: ['claimBatchSize', integer],
  HEARTHOOK_MAX_IN_FLIGHT: ['maxInFlight', integer],
  HEARTHOOK_POLL_INTERVAL: ['pollIntervalMs', parseDuration],
  HEARTHOOK_ENDPOINT_MAX_IN_FLIGHT: ['endpointMaxInFlight', integer],
  HEARTHOOK_CIRCUIT_FAILURE_THRESHOLD: ['circuitFailureThreshold', integer],
  HEARTHOOK_CIRCUIT_OPEN: ['circuitOpenMs', parseDuration],
  HEARTHOOK_SECRET_ROTATION_GRACE: ['secretRotationGraceMs', parseDuration],
  HEARTHOOK_DISABLE_AFTER: ['disableAfterMs', parseDuration],
  HEARTHOOK_SCHEDULER_LEASE: ['schedulerLeaseMs', parseDuration],
  HEARTHOOK_RETENTION: ['retentionMs', parseDuration],
  HEARTHOOK_LOG_LEVEL: ['logLevel', string],
  HEARTHOOK_RULES: ['rulesFile', string],
};

/**
 * Builds the config from defaults, then the environment, then explicit overrides (CLI flags,
 * tests). A bad value throws an error naming the variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const config: Config = { ...DEFAULTS };
  for (const [name, [key, parse]] of Object.entries(ENV)) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    try {
      (config as unknown as Record<string, unknown>)[key] = parse(text);
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}`);
    }
  }
  return { ...config, ...stripUndefined(overrides) };
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

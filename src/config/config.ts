import { RATE_LIMITS, type RateLimitPolicies } from '../limits/rateLimitPolicies.js';
import { API_VERSIONS, type ApiVersion } from '../versions/registry.js';
import { SETTINGS } from './settings.js';

/**
 * Every setting of Hearthook, with its default. Each can be overridden by an environment variable
 * `HEARTHOOK_<NAME>` or the matching `hearthook serve` flag, both made from one row of the config
 * table (`SETTINGS` in `./settings.ts`); the README lists them all.
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
  /** MQTT broker to take gateway messages from (`mqtt://user:pass@host:1883`, `mqtts://`); none: MQTT ingest off. */
  mqttUrl?: string;
  /** Topics are `<prefix>/<gatewayId>/messages`. */
  mqttTopicPrefix: string;
  /** This node's MQTT client id: stable across restarts (its broker session), different on every node. */
  mqttClientId?: string;
  /** Shared subscription group (`$share/<group>/…`): the nodes subscribed in one group split the messages. */
  mqttShareGroup: string;
  /** How long the broker keeps this node's session (and queues its messages) while it is away. */
  mqttSessionExpiryMs: number;
  /** Most MQTT messages taken in by one transaction (the broker may hold twice as many unacknowledged for us). */
  mqttBatchSize: number;
  /** How long a batch waits for more messages once its first arrived (0: only what arrived during the last commit). */
  mqttBatchWaitMs: number;
  /** How long rejected MQTT messages stay listed (`GET /v1/admin/rejected-messages`); the hourly `forget-rejected-messages` job deletes older ones. */
  rejectedRetentionMs: number;
  /**
   * The API version registry (`src/versions/registry.ts`). Not an environment variable: a major
   * is code (a renderer and schemas), so releases ship with Hearthook; tests inject test versions.
   */
  apiVersions: readonly ApiVersion[];
  /** Rate limits on (the default) or off (development and test set-ups): `HEARTHOOK_RATE_LIMIT=off`. */
  rateLimit: boolean;
  /** The rate limit policies (`src/limits/rateLimitPolicies.ts`); not variables, tests inject their own. */
  rateLimits: RateLimitPolicies;
  /** Webhooks one company may register. */
  maxWebhooks: number;
  /** Event types one webhook may subscribe to. */
  maxEventTypesPerWebhook: number;
  /** The largest `limit` of a catch-up page (`GET /v1/events`). */
  maxPageSize: number;
  /** How long a client may take to send a request's headers; a slow-loris is cut off then. */
  headersTimeoutMs: number;
  /** How long a client may take to send a whole request. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /** Open connections the HTTP server accepts at most; more are closed at once. */
  maxConnections: number;
  /**
   * The reverse proxies in front (IPs, CIDRs): a request from one of them has its client address
   * (`request.ip`: the failed-authentication limit's key) taken from X-Forwarded-For, walking back past
   * trusted hops only. Empty: the socket's address.
   */
  trustProxy: string[];
}

/** Each setting's default, from the config table (`SETTINGS`), plus the API version registry. */
export const DEFAULTS: Config = {
  allowPrivateNetworks: [],
  trustProxy: [],
  apiVersions: API_VERSIONS,
  rateLimits: RATE_LIMITS,
  ...(Object.fromEntries(SETTINGS.filter((s) => s.default !== undefined).map((s) => [s.key, s.kind.parse(s.default!)])) as Partial<Config>),
} as Config;

/** A setting that cannot be used; the message names its `HEARTHOOK_` variable (or flag). */
export class ConfigError extends Error {}

/**
 * Builds the config from defaults, then the environment, then explicit overrides (CLI flags,
 * tests). A bad value throws an error naming the variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const config: Config = { ...DEFAULTS };
  for (const setting of SETTINGS) {
    const text = env[setting.env];
    if (text === undefined || text === '') continue;
    try {
      (config as unknown as Record<string, unknown>)[setting.key] = setting.kind.parse(text);
    } catch (err) {
      throw new ConfigError(`${setting.env}: ${(err as Error).message}`);
    }
  }
  return { ...config, ...stripUndefined(overrides) };
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

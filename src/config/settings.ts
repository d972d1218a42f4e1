import ipaddr from 'ipaddr.js';
import { parseMasterKey } from '../util/secrets.js';
import type { Config } from './config.js';
import { parseDuration, parseDurationList } from './duration.js';

/**
 * How a setting's text is read: the placeholder its `serve` flag shows (empty for a switch such as
 * `--allow-http`), and a parser that throws a message saying what is wrong with the text.
 */
export interface Kind<T> {
  arg: string;
  parse(text: string): T;
}

/**
 * One row of the config table: a `HEARTHOOK_` variable, the `Config` field it sets, its default
 * (as it would be written in the environment: shown in `--help` and checked against the README)
 * and what it does. The `serve` flag is made from the variable's name:
 * `HEARTHOOK_DELIVERY_TIMEOUT` → `--delivery-timeout`.
 */
export type Setting = {
  [K in keyof Config]-?: {
    key: K;
    env: `HEARTHOOK_${string}`;
    kind: Kind<NonNullable<Config[K]>>;
    /** Omitted when unset means "none" or something `unset` explains. */
    default?: string;
    /** Shown instead of a default, e.g. "generated at first start". */
    unset?: string;
    help: string;
  };
}[keyof Config];

const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER, arg = '<n>'): Kind<number> => ({
  arg,
  parse(text) {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || n < min || n > max) {
      throw new Error(`"${text}" is not a whole number ${max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`}`);
    }
    return n;
  },
});
const text: Kind<string> = { arg: '<text>', parse: (t) => t };
const switchOn: Kind<boolean> = {
  arg: '',
  parse(t) {
    if (/^(true|1|yes)$/i.test(t)) return true;
    if (/^(false|0|no)$/i.test(t)) return false;
    throw new Error(`"${t}" is not true or false`);
  },
};
const list: Kind<string[]> = {
  arg: '<list>',
  parse: (t) =>
    t
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
};
/** A duration with its unit; `min` 1 refuses 0 where 0 would stop Hearthook working. */
const duration = (min: number): Kind<number> => ({
  arg: '<duration>',
  parse(t) {
    const ms = parseDuration(t);
    if (ms < min) throw new Error(`"${t}" must be longer than 0`);
    return ms;
  },
});
const durations: Kind<number[]> = { arg: '<durations>', parse: parseDurationList };
/** Checked as a key at once (a bad one stops start-up before the database is opened), kept as text. */
const masterKey: Kind<string> = {
  arg: '<key>',
  parse(t) {
    parseMasterKey(t);
    return t;
  },
};
const oneOf = (...choices: string[]): Kind<string> => ({
  arg: '<level>',
  parse(t) {
    if (!choices.includes(t)) throw new Error(`"${t}" is not one of ${choices.join(', ')}`);
    return t;
  },
});

const onOff: Kind<boolean> = {
  arg: '<on|off>',
  parse(t) {
    if (/^(on|true|1|yes)$/i.test(t)) return true;
    if (/^(off|false|0|no)$/i.test(t)) return false;
    throw new Error(`"${t}" is not on or off`);
  },
};

/** An MQTT broker URL: `mqtt://` or `mqtts://`, with credentials if the broker wants them. */
const brokerUrl: Kind<string> = {
  arg: '<url>',
  parse(t) {
    let protocol: string;
    try {
      protocol = new URL(t).protocol;
    } catch {
      throw new Error(`"${t}" is not a URL (use mqtt://user:pass@host:1883 or mqtts://…)`);
    }
    if (protocol !== 'mqtt:' && protocol !== 'mqtts:') throw new Error(`must start with mqtt:// or mqtts://, not ${protocol}//`);
    return t;
  },
};

/**
 * Addresses of trusted proxies: IPs or CIDRs (and proxy-addr's names `loopback`, `linklocal`,
 * `uniquelocal`). A list, not "trust every hop": a client can write its own X-Forwarded-For, and
 * only the entries added by proxies we know are believed.
 */
const proxyList: Kind<string[]> = {
  arg: '<cidrs>',
  parse(t) {
    const entries = list.parse(t);
    const bad = entries.find((e) => !ipaddr.isValid(e) && !ipaddr.isValidCIDR(e) && !['loopback', 'linklocal', 'uniquelocal'].includes(e));
    if (bad !== undefined) throw new Error(`"${bad}" is not an IP address or CIDR (e.g. 10.0.0.0/8,127.0.0.1)`);
    return entries;
  },
};

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Every setting of Hearthook, in the order `--help` and the README list them. To add one: a field
 * in `Config`, a row here, a row in the README's "Configuration" table (a test compares them).
 */
export const SETTINGS: readonly Setting[] = [
  { key: 'port', env: 'HEARTHOOK_PORT', kind: wholeNumber(0, 65_535, '<port>'), default: '8080', help: 'HTTP port of the API and ingest' },
  { key: 'host', env: 'HEARTHOOK_HOST', kind: { ...text, arg: '<host>' }, default: '0.0.0.0', help: 'address to listen on' },
  { key: 'database', env: 'HEARTHOOK_DATABASE', kind: { ...text, arg: '<pathOrUrl>' }, default: './data/hearthook.db', help: 'SQLite file path or postgres:// URL' },
  { key: 'adminToken', env: 'HEARTHOOK_ADMIN_TOKEN', kind: { ...text, arg: '<token>' }, unset: 'generated at first start', help: 'operator token' },
  { key: 'ingestToken', env: 'HEARTHOOK_INGEST_TOKEN', kind: { ...text, arg: '<token>' }, unset: 'generated at first start', help: 'gateway ingest token' },
  { key: 'metricsToken', env: 'HEARTHOOK_METRICS_TOKEN', kind: { ...text, arg: '<token>' }, help: 'a token that may read GET /metrics and nothing else' },
  { key: 'masterKey', env: 'HEARTHOOK_MASTER_KEY', kind: masterKey, unset: 'generated and stored in the database', help: '32-byte key, base64 or hex, encrypting secrets at rest' },
  { key: 'allowPrivateNetworks', env: 'HEARTHOOK_ALLOW_PRIVATE_NETWORKS', kind: { ...list, arg: '<cidrs>' }, help: 'comma-separated CIDRs webhooks may reach although private' },
  { key: 'allowHttp', env: 'HEARTHOOK_ALLOW_HTTP', kind: switchOn, default: 'false', help: 'accept http:// webhook URLs' },
  { key: 'deliveryTimeoutMs', env: 'HEARTHOOK_DELIVERY_TIMEOUT', kind: duration(1), default: '15s', help: 'how long an endpoint has to answer' },
  { key: 'retrySchedule', env: 'HEARTHOOK_RETRY_SCHEDULE', kind: durations, default: '0s,5s,5m,30m,2h,5h,10h,14h,20h,24h', help: 'wait before each attempt; after the last the delivery is dead' },
  { key: 'claimBatchSize', env: 'HEARTHOOK_CLAIM_BATCH_SIZE', kind: wholeNumber(1), default: '100', help: 'deliveries one claim takes' },
  { key: 'maxInFlight', env: 'HEARTHOOK_MAX_IN_FLIGHT', kind: wholeNumber(1), default: '256', help: 'requests one dispatcher keeps in flight' },
  { key: 'endpointMaxInFlight', env: 'HEARTHOOK_ENDPOINT_MAX_IN_FLIGHT', kind: wholeNumber(1), default: '32', help: 'requests in flight to one endpoint, per dispatcher' },
  { key: 'circuitFailureThreshold', env: 'HEARTHOOK_CIRCUIT_FAILURE_THRESHOLD', kind: wholeNumber(1), default: '5', help: "consecutive failures that open an endpoint's circuit" },
  { key: 'circuitOpenMs', env: 'HEARTHOOK_CIRCUIT_OPEN', kind: duration(1), default: '30s', help: 'first wait of an open circuit before one probe' },
  { key: 'pollIntervalMs', env: 'HEARTHOOK_POLL_INTERVAL', kind: duration(1), default: '1s', help: 'how often an idle dispatcher looks for due work' },
  { key: 'secretRotationGraceMs', env: 'HEARTHOOK_SECRET_ROTATION_GRACE', kind: duration(0), default: '24h', help: 'how long the previous secret keeps signing after rotate-secret' },
  { key: 'disableAfterMs', env: 'HEARTHOOK_DISABLE_AFTER', kind: duration(1), default: '5d', help: 'a webhook failing continuously this long is disabled' },
  { key: 'schedulerLeaseMs', env: 'HEARTHOOK_SCHEDULER_LEASE', kind: duration(1), default: '15s', help: "how long a scheduler job's lease lasts unless renewed" },
  { key: 'rulesFile', env: 'HEARTHOOK_RULES', kind: { ...text, arg: '<file>' }, help: 'JSON rules file deep-merged over rules/default.json' },
  { key: 'retentionMs', env: 'HEARTHOOK_RETENTION', kind: duration(1), default: '30d', help: 'how long events stay listed for catch-up' },
  { key: 'logLevel', env: 'HEARTHOOK_LOG_LEVEL', kind: oneOf(...LOG_LEVELS), default: 'info', help: LOG_LEVELS.join('|') },
  { key: 'rateLimit', env: 'HEARTHOOK_RATE_LIMIT', kind: onOff, default: 'on', help: 'every rate limit on, or off (development and test set-ups)' },
  { key: 'maxWebhooks', env: 'HEARTHOOK_MAX_WEBHOOKS', kind: wholeNumber(1), default: '20', help: 'webhooks one company may register' },
  { key: 'maxEventTypesPerWebhook', env: 'HEARTHOOK_MAX_EVENT_TYPES_PER_WEBHOOK', kind: wholeNumber(1), default: '5', help: 'event types one webhook may subscribe to' },
  { key: 'maxPageSize', env: 'HEARTHOOK_MAX_PAGE_SIZE', kind: wholeNumber(1, 1000), default: '1000', help: 'largest limit of a catch-up page (GET /v1/events)' },
  { key: 'headersTimeoutMs', env: 'HEARTHOOK_HEADERS_TIMEOUT', kind: duration(1), default: '10s', help: "how long a client may take to send a request's headers" },
  { key: 'requestTimeoutMs', env: 'HEARTHOOK_REQUEST_TIMEOUT', kind: duration(1), default: '30s', help: 'how long a client may take to send a whole request' },
  { key: 'keepAliveTimeoutMs', env: 'HEARTHOOK_KEEP_ALIVE_TIMEOUT', kind: duration(1), default: '5s', help: 'how long an idle keep-alive connection stays open' },
  { key: 'maxConnections', env: 'HEARTHOOK_MAX_CONNECTIONS', kind: wholeNumber(1), default: '10000', help: 'open connections the HTTP server accepts at most' },
  { key: 'trustProxy', env: 'HEARTHOOK_TRUST_PROXY', kind: proxyList, unset: 'none (the socket address)', help: 'comma-separated addresses or CIDRs of the reverse proxies in front: client addresses come from their X-Forwarded-For' },
  { key: 'mqttUrl', env: 'HEARTHOOK_MQTT_URL', kind: brokerUrl, unset: 'none (MQTT ingest off)', help: 'MQTT broker to take gateway messages from: mqtt://user:pass@host:1883 or mqtts://…' },
  { key: 'mqttTopicPrefix', env: 'HEARTHOOK_MQTT_TOPIC_PREFIX', kind: { ...text, arg: '<prefix>' }, default: 'hearthook/gateways', help: 'gateways publish to <prefix>/<gatewayId>/messages' },
  { key: 'mqttClientId', env: 'HEARTHOOK_MQTT_CLIENT_ID', kind: { ...text, arg: '<id>' }, unset: 'hearthook-<hostname>-<port>', help: "this node's MQTT client id: the same after a restart, different on every node" },
  { key: 'mqttShareGroup', env: 'HEARTHOOK_MQTT_SHARE_GROUP', kind: { ...text, arg: '<group>' }, default: 'hearthook', help: 'shared subscription group: nodes in one group split the messages' },
  { key: 'mqttSessionExpiryMs', env: 'HEARTHOOK_MQTT_SESSION_EXPIRY', kind: duration(1), default: '1d', help: "how long the broker keeps a node's session, queueing its messages, while it is away" },
  { key: 'mqttBatchSize', env: 'HEARTHOOK_MQTT_BATCH_SIZE', kind: wholeNumber(1, 32_767), default: '2000', help: 'most MQTT messages one transaction takes in' },
  { key: 'mqttBatchWaitMs', env: 'HEARTHOOK_MQTT_BATCH_WAIT', kind: duration(0), default: '0ms', help: 'how long a batch waits for more messages once its first arrived' },
  { key: 'rejectedRetentionMs', env: 'HEARTHOOK_REJECTED_RETENTION', kind: duration(1), default: '30d', help: 'how long rejected MQTT messages stay listed' },
];

/** The `hearthook serve` flag of a setting: `HEARTHOOK_DELIVERY_TIMEOUT` → `--delivery-timeout`. */
export function flagOf(setting: Setting): string {
  return `--${setting.env.slice('HEARTHOOK_'.length).toLowerCase().replaceAll('_', '-')}`;
}

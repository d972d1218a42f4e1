import { hostname } from 'node:os';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Config } from '../config/config.js';
import type { Runtime } from '../runtime.js';
import { takeInPublishes } from './mqttBatch.js';
import type { Publish } from './mqttPublish.js';

/** Messages held (PUBACK not yet sent) from one connection to the broker. */
interface Held {
  publish: Publish;
  qos: number;
  connection: number;
}

/** Counts since start, until the metrics module reports them. */
export interface MqttCounters {
  accepted: number;
  duplicates: number;
  rejected: number;
  events: number;
  batches: number;
}

/**
 * Passed to MQTT.js's `handleMessage` callback: an error there keeps MQTT.js from sending the
 * PUBACK itself (and from waiting for us before it reads the next packet), so messages can be
 * batched and each PUBACK sent after its batch committed.
 */
const HELD = new Error('PUBACK held until the message is committed');

/** Waits after a failed batch (the database is away) before taking it in again. */
const RETRY_MS = 1000;

/**
 * The MQTT channel of ingest (role `ingest-mqtt`): one persistent broker session per node (clean
 * start off, `mqttSessionExpiryMs`, a stable client id), subscribed with QoS 1 to
 * `$share/<group>/<prefix>/+/messages`. Messages are taken in in batches, one transaction each,
 * through the same `ingestBatch` as `POST /v1/ingest`, and acknowledged only after the commit.
 *
 * @example
 * const ingest = new MqttIngest(rt);
 * await ingest.start(); // throws naming HEARTHOOK_MQTT_URL when the broker refuses or is unreachable
 * await ingest.stop();  // finishes the batch in hand; the rest is redelivered to the next session
 */
export class MqttIngest {
  readonly counters: MqttCounters = { accepted: 0, duplicates: 0, rejected: 0, events: 0, batches: 0 };
  private client: MqttClient | undefined;
  private queue: Held[] = [];
  /** Bumped on every CONNACK: a PUBACK belongs to the connection its PUBLISH came on. */
  private connection = 0;
  private stopping = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly rt: Runtime) {}

  /** The topic filter this node subscribes to. */
  get filter(): string {
    const { mqttShareGroup, mqttTopicPrefix } = this.rt.config;
    return `$share/${mqttShareGroup}/${mqttTopicPrefix}/+/messages`;
  }

  async start(): Promise<void> {
    const { config, log } = this.rt;
    const url = brokerUrl(config);
    const client = mqtt.connect(url.href, {
      protocolVersion: 5,
      clientId: clientId(config),
      clean: false,
      properties: {
        sessionExpiryInterval: Math.ceil(config.mqttSessionExpiryMs / 1000),
        // The broker sends at most this many messages before it has our PUBACKs: a batch being
        // committed and the next one filling up.
        receiveMaximum: Math.min(65535, 2 * Math.max(1, config.mqttBatchSize)),
      },
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      resubscribe: false,
    });
    this.client = client;
    client.handleMessage = (packet: IPublishPacket, callback) => {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      this.queue.push({ publish: { topic: packet.topic, payload, packetId: packet.messageId, dup: packet.dup }, qos: packet.qos, connection: this.connection });
      this.wake?.();
      callback(packet.qos === 1 ? HELD : undefined);
    };
    client.on('connect', (connack) => {
      this.connection++;
      // What the last connection held was not acknowledged: the broker sends it again (DUP).
      this.queue = this.queue.filter((h) => h.qos === 0);
      log.info({ broker: url.host, clientId: client.options.clientId, sessionPresent: connack.sessionPresent }, 'MQTT connected');
      // Retained messages are old news (rh 2: never sent on subscribe).
      client.subscribe(this.filter, { qos: 1, rh: 2 }, (err, granted) => {
        if (err || granted?.some((g) => g.qos > 2)) log.error({ err, granted, filter: this.filter }, 'MQTT subscribe refused');
      });
    });
    client.on('close', () => {
      if (!this.stopping) log.warn({ broker: url.host }, 'MQTT connection lost; reconnecting');
    });
    client.on('error', (err) => log.warn({ err }, 'MQTT error'));
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        client.end(true);
        reject(new Error(`HEARTHOOK_MQTT_URL: cannot connect to ${url.host}: ${err.message}`));
      };
      client.once('connect', () => {
        client.off('error', fail);
        resolve();
      });
      client.once('error', fail);
    });
    this.loop = this.run();
  }

  /** Finishes the batch being committed (and acknowledges it), then disconnects cleanly. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await this.client?.endAsync();
  }

  /**
   * Defaults, measured (`npm run bench -- --quick --scenario mqtt --set …`, BENCHMARKS.md "MQTT
   * ingest"): with no wait, a batch is what arrived while the last one committed, so a quiet
   * fleet pays no batching latency; a cap of 2,000 (4,000 unacknowledged at the broker) took in
   * 1,600–2,300 messages/s where 500 took 860–1,030 and 100 took 830–1,250, without a higher p99.
   * Waiting 10 ms with a cap of 500 also helped (1,600–1,900) but adds the wait to every quiet
   * message.
   */
  private async run(): Promise<void> {
    const { mqttBatchSize, mqttBatchWaitMs } = this.rt.config;
    while (!this.stopping) {
      if (this.queue.length === 0) {
        await this.nextArrival();
        continue;
      }
      if (mqttBatchWaitMs > 0 && this.queue.length < mqttBatchSize) {
        const deadline = Date.now() + mqttBatchWaitMs;
        while (!this.stopping && this.queue.length < mqttBatchSize && Date.now() < deadline) await this.nextArrival(deadline - Date.now());
      }
      const batch = this.queue.splice(0, Math.max(1, mqttBatchSize));
      try {
        await this.takeIn(batch);
      } catch (err) {
        this.rt.log.error({ err, messages: batch.length }, 'MQTT batch failed; retrying it');
        this.queue.unshift(...batch);
        await this.nextArrival(RETRY_MS, true);
      }
    }
  }

  private async takeIn(batch: Held[]): Promise<void> {
    const result = await takeInPublishes(
      this.rt,
      batch.map((h) => h.publish),
    );
    const client = this.client!;
    for (const h of batch) {
      // A PUBACK on a later connection could name another message: the broker redelivers this one.
      if (h.qos === 1 && h.connection === this.connection && client.connected) {
        client['_sendPacket']({ cmd: 'puback', messageId: h.publish.packetId, reasonCode: 0 });
      }
    }
    const c = this.counters;
    c.batches++;
    c.accepted += result.accepted;
    c.duplicates += result.duplicates;
    c.events += result.events;
    c.rejected += result.rejected.length;
    for (const r of result.rejected) {
      this.rt.log.warn({ topic: r.topic, gatewayId: r.gatewayId, reason: r.reason, errors: r.errors }, 'MQTT message rejected (acknowledged, kept in rejected_messages)');
    }
  }

  /** Resolves when a message arrives, on stop, or after `ms` (unless `ignoreArrivals`). */
  private nextArrival(ms?: number, ignoreArrivals = false): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        if (!ignoreArrivals || this.stopping) done();
      };
    });
  }
}

/**
 * This node's client id: HEARTHOOK_MQTT_CLIENT_ID, else `hearthook-<host>-<port>`, the same after
 * a restart (so the node gets its broker session, and what it had not acknowledged, back).
 */
export function clientId(config: Config): string {
  return config.mqttClientId ?? `hearthook-${hostname()}-${config.port}`;
}

/** The broker URL (HEARTHOOK_MQTT_URL, checked by the config table). */
function brokerUrl(config: Config): URL {
  return new URL(config.mqttUrl ?? '');
}

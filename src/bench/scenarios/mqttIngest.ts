import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { openStore } from '../../store/openStore.js';
import { newDatabase } from '../benchDatabase.js';
import { setUpFleet } from '../fleet.js';
import { formatNumber } from '../progress.js';
import { Receiver } from '../receiver.js';
import { round, type Scenario, windowRates } from '../scenario.js';
import { ServeProcess } from '../serveProcess.js';
import { median, sleep, waitUntil } from '../stats.js';
import { FANOUT, GATEWAYS } from './endToEnd.js';

/** The broker: `HEARTHOOK_BENCH_MQTT_URL`, else the machine's Mosquitto. */
const BROKER = process.env.HEARTHOOK_BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
/** Publishing clients (think: gateway bridges), each keeping this many QoS 1 publishes unacknowledged. */
const PUBLISHERS = 4;
const WINDOW = 500;
/**
 * The fixed rate of the delivery part (the 1,000 messages/s); `HEARTHOOK_BENCH_MQTT_RATE`
 * lowers it on a machine too loaded to sustain that (the part then waits 180 s and fails).
 */
const FIXED_RATE = Number(process.env.HEARTHOOK_BENCH_MQTT_RATE ?? 1_000);

/**
 * Publishes gateway messages over MQTT, QoS 1, each on its gateway's topic: the same traffic as
 * the HTTP scenarios (`connection` flips, one event each, with messageId and sentAt).
 */
class MqttLoad {
  published = 0;
  /** Publishes sent and not yet acknowledged, and those never acknowledged. */
  private readonly pending = new Set<Promise<void>>();
  unacknowledged = 0;
  private next = 0;
  private stopped = false;
  private readonly online: boolean[];
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly clients: MqttClient[],
    private readonly prefix: string,
    private readonly gatewayIds: readonly string[],
  ) {
    this.online = gatewayIds.map(() => true);
  }

  private publish(client: MqttClient): Promise<void> {
    const g = this.next;
    this.next = (g + 1) % this.gatewayIds.length;
    this.online[g] = !this.online[g];
    const n = ++this.published;
    const payload = `{"kind":"connection","status":"${this.online[g] ? 'CONNECTED' : 'DISCONNECTED'}","messageId":"q${n}","sentAt":"${new Date().toISOString()}"}`;
    const sent = client.publishAsync(`${this.prefix}/${this.gatewayIds[g]}/messages`, payload, { qos: 1 }).then(() => undefined);
    // Fixed-rate publishes are not awaited one by one: stop() waits for them, and one the broker
    // never acknowledged (its client ended) is counted rather than left an unhandled rejection,
    // which ended a whole full run (and its results file) on 2026-12-02.
    this.pending.add(sent);
    sent.then(
      () => this.pending.delete(sent),
      () => {
        this.pending.delete(sent);
        this.unacknowledged++;
      },
    );
    return sent;
  }

  /** As fast as the broker acknowledges: every client keeps `WINDOW` publishes outstanding. */
  startClosedLoop(): this {
    this.running = Promise.all(
      this.clients.map(async (client) => {
        const lane = async () => {
          while (!this.stopped) await this.publish(client);
        };
        await Promise.all(Array.from({ length: WINDOW }, lane));
      }),
    );
    return this;
  }

  /** `rate` messages a second, sent every 10 ms. */
  startFixedRate(rate: number): this {
    const started = performance.now();
    let sent = 0;
    this.running = (async () => {
      while (!this.stopped) {
        const due = Math.floor(((performance.now() - started) / 1000) * rate) - sent;
        for (let i = 0; i < due; i++) void this.publish(this.clients[sent++ % this.clients.length]);
        await sleep(10);
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    await Promise.allSettled([...this.pending]);
  }
}

/**
 * 8. Gateway messages over MQTT (Mosquitto) instead of `POST /v1/ingest`: first messages/s
 * from publish to committed event with delivery paused (`--roles api,ingest-mqtt`, beside the
 * HTTP `ingest` scenario), then publish → partner delivery latency at 1,000 messages/s with a
 * default `hearthook serve` (beside `e2e`). Settings with `--set HEARTHOOK_MQTT_BATCH_SIZE=…`.
 */
export const mqttIngest: Scenario = {
  name: 'mqtt',
  title: 'MQTT ingest: publish → committed event, and → delivered',
  async run({ options, progress }) {
    const quick = options.quick;
    const prefix = `hhbench-${randomBytes(4).toString('hex')}/gateways`;
    const clients: MqttClient[] = [];
    try {
      for (let i = 0; i < PUBLISHERS; i++) {
        const client = mqtt.connect(BROKER, { protocolVersion: 5, clientId: `${prefix.split('/')[0]}-pub${i}`, reconnectPeriod: 0, connectTimeout: 5000 });
        clients.push(client);
        await new Promise<void>((resolve, reject) => {
          client.once('connect', () => resolve());
          client.once('error', reject);
        });
      }
    } catch (err) {
      for (const c of clients) c.end(true);
      return { scenario: 'mqtt', title: this.title, figures: [], skipped: `no MQTT broker at ${BROKER}: ${(err as Error).message}`, details: {} };
    }
    // Each part subscribes in a share group of its own: the first part's session, kept by the
    // broker for a minute after, must not take a share of the second part's messages.
    const env = (node: string) => ({
      HEARTHOOK_MQTT_URL: BROKER,
      HEARTHOOK_MQTT_TOPIC_PREFIX: prefix,
      HEARTHOOK_MQTT_SHARE_GROUP: `${prefix.split('/')[0]}-${node}`,
      HEARTHOOK_MQTT_CLIENT_ID: `${prefix.split('/')[0]}-${node}`,
      HEARTHOOK_MQTT_SESSION_EXPIRY: '1m',
    });
    const receiver = await Receiver.start(1);
    try {
      // Part 1: publish → committed event, delivery paused.
      const db = newDatabase(options, 'mqtt');
      const serve = await ServeProcess.start(db.url, { roles: 'api,ingest-mqtt', env: env('ingest') });
      const store = await openStore(db.url);
      let rates: number[] = [];
      try {
        progress.update('setting up companies, webhooks, gateways');
        const endpoints = Array.from({ length: FANOUT }, (_, i) => `${receiver.urls[0]}/partner-${i + 1}`);
        const fleet = await setUpFleet(serve.url, endpoints, GATEWAYS);
        const events = async () => ({
          count: Number((await store.get<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE type = 'CONNECTIVITY_STATUS'"))?.n ?? 0),
          at: performance.timeOrigin + performance.now(),
        });
        const load = new MqttLoad(clients, prefix, fleet.gatewayIds).startClosedLoop();
        await sleep(quick ? 1000 : 3000);
        const windows = quick ? 3 : 5;
        rates = await windowRates(windows, quick ? 1500 : 4000, events, (rate, i) =>
          progress.update(`window ${i + 1}/${windows}: ${formatNumber(rate)} messages/s committed`),
        );
        await load.stop();
      } finally {
        await store.close();
        await serve.stop();
        await db.drop();
      }

      // Part 2: publish → partner delivery at a fixed rate, one default hearthook serve.
      const db2 = newDatabase(options, 'mqtt-e2e');
      const serve2 = await ServeProcess.start(db2.url, { env: env('e2e') });
      try {
        progress.update('setting up the delivery run');
        const endpoints = Array.from({ length: FANOUT }, (_, i) => `${receiver.urls[0]}/partner-${i + 1}`);
        const fleet = await setUpFleet(serve2.url, endpoints, GATEWAYS);
        const base = receiver.latest.total;
        const fixedMs = quick ? 4_000 : 20_000;
        const load = new MqttLoad(clients, prefix, fleet.gatewayIds).startFixedRate(FIXED_RATE);
        await sleep(1000);
        const since = Date.now();
        await sleep(fixedMs);
        const until = Date.now();
        await load.stop();
        const expected = base + load.published * FANOUT;
        await waitUntil(() => receiver.latest.total >= expected, 180_000, `${expected - base} deliveries`);
        const latency = await receiver.latency(since, until);
        const rate = median(rates);
        return {
          scenario: 'mqtt',
          title: this.title,
          figures: [
            { name: 'messages/s published → committed', value: round(rate), unit: 'msg/s', note: `median of ${rates.length} windows; delivery paused, as in "ingest"` },
            { name: `publish → delivery p50 at ${formatNumber(FIXED_RATE)} msg/s`, value: round(latency.p50, 1), unit: 'ms', note: `${latency.samples} deliveries` },
            { name: `publish → delivery p99 at ${formatNumber(FIXED_RATE)} msg/s`, value: round(latency.p99, 1), unit: 'ms' },
          ],
          details: {
            engine: db2.engine,
            broker: BROKER,
            gateways: GATEWAYS,
            fanout: FANOUT,
            publishers: PUBLISHERS,
            window: WINDOW,
            windows: rates.map((r) => round(r)),
            settings: options.serveSettings,
            latency,
            peakRssMiB: round(serve2.peakRssMiB(), 1),
          },
        };
      } finally {
        await serve2.stop();
        await db2.drop();
      }
    } finally {
      for (const c of clients) c.end(true);
      await receiver.stop();
    }
  },
};

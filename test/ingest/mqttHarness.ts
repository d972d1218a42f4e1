import type { MqttClient } from 'mqtt';
import type { Config } from '../../src/config/config.js';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { MqttIngest } from '../../src/ingest/mqttIngest.js';
import { connectClient, testBroker, uniquePrefix } from '../helpers/mqttBroker.js';
import { Receiver } from '../helpers/receiver.js';
import { seedPartner } from '../helpers/seed.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { waitFor } from '../scaleout/cluster.js';

/**
 * An in-process Hearthook taking messages from a real broker under a topic prefix of its own,
 * a partner with a webhook to a real receiver, and gateway clients.
 */
export class MqttHarness {
  hh!: TestHearthook;
  ingest!: MqttIngest;
  receiver!: Receiver;
  dispatcher!: Dispatcher;
  brokerUrl = '';
  readonly prefix = uniquePrefix('ingest');
  private readonly cleanup: Array<() => Promise<unknown> | unknown> = [];

  async start(overrides: Partial<Config> = {}): Promise<this> {
    const broker = await testBroker();
    this.cleanup.push(() => broker.stop());
    this.brokerUrl = broker.url;
    this.hh = await startTestHearthook({ mqttUrl: broker.url, ...this.mqttConfig(), ...overrides });
    this.cleanup.push(() => this.hh.close());
    // Deliveries are due by the runtime's clock; the receiver's world runs on the real one.
    this.hh.clock.set(Date.now());
    this.receiver = await new Receiver().start();
    this.cleanup.push(() => this.receiver.stop());
    this.dispatcher = new Dispatcher(this.hh.rt);
    this.dispatcher.start();
    this.cleanup.push(() => this.dispatcher.stop(0));
    this.ingest = await this.startIngest();
    return this;
  }

  /** The MQTT settings of this harness: its own prefix, share group and client id. */
  mqttConfig(node = 'a'): Partial<Config> {
    // A short session expiry: the shared broker forgets the test's sessions soon after.
    return { mqttTopicPrefix: `${this.prefix}/gateways`, mqttShareGroup: this.prefix, mqttClientId: `${this.prefix}-${node}`, mqttSessionExpiryMs: 120_000 };
  }

  /** Starts (another) MqttIngest on the harness's runtime; stopped at the end. */
  async startIngest(): Promise<MqttIngest> {
    const ingest = new MqttIngest(this.hh.rt);
    await ingest.start();
    this.cleanup.push(() => ingest.stop());
    return ingest;
  }

  /** A partner entitled to everything of a new gateway, with a webhook to the receiver. */
  async partner(gatewayId?: string) {
    return seedPartner(this.hh.rt, { url: this.receiver.url, gatewayId });
  }

  topic(gatewayId: string): string {
    return `${this.prefix}/gateways/${gatewayId}/messages`;
  }

  /** A gateway's client; `will` makes the broker publish DISCONNECTED when it vanishes. */
  async gateway(gatewayId: string, will = false): Promise<MqttClient> {
    const client = await connectClient(this.brokerUrl, {
      clientId: `${this.prefix}-gw-${gatewayId}`,
      will: will ? { topic: this.topic(gatewayId), payload: Buffer.from('{"kind":"connection","status":"DISCONNECTED"}'), qos: 1, retain: false } : undefined,
    });
    this.cleanup.push(() => client.endAsync(true));
    return client;
  }

  /** Bodies of what the receiver got, parsed. */
  bodies(): Array<{ type: string; gatewayId: string; data: Record<string, unknown> }> {
    return this.receiver.received.map((r) => JSON.parse(r.body));
  }

  async count(sql: string, params: unknown[] = []): Promise<number> {
    const row = await this.hh.rt.store.get<{ n: number | string }>(sql, params);
    return Number(row?.n ?? 0);
  }

  until(condition: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
    return waitFor(condition, ms, what);
  }

  async stop(): Promise<void> {
    for (const fn of this.cleanup.reverse()) await fn();
    this.cleanup.length = 0;
  }
}

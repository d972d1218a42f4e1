import mqtt, { type MqttClient } from 'mqtt';
import type { RawMessage } from '../ingest/messageSchema.js';
import type { SimGateway } from './fleet.js';
import type { SimulationStats } from './progress.js';

/** The will every simulated gateway leaves with the broker: what the README tells gateways to set. */
const WILL = Buffer.from(JSON.stringify({ kind: 'connection', status: 'DISCONNECTED' }));

/**
 * A simulated fleet on an MQTT broker: one MQTT 5 client per gateway, each with its last will on
 * its own topic, publishing its messages with QoS 1. An outage the traffic announces
 * (DISCONNECTED) is published and followed by a clean DISCONNECT; a silent one kills the
 * client's connection, so the broker publishes the will; a return reconnects and says CONNECTED.
 * `{gatewayId}` in the URL's user name is replaced by each gateway's id (one broker user per
 * gateway, as the ACL of deploy/mosquitto wants).
 *
 * @example
 * const fleetOnMqtt = await MqttFleet.connect(new URL('mqtt://127.0.0.1:1883'), 'hearthook/gateways', fleet, stats, 'run1');
 * await fleetOnMqtt.publish(messages);
 */
export class MqttFleet {
  private readonly clients = new Map<string, MqttClient>();
  /** Gateways whose connection the simulator killed (their wills fired). */
  killed = 0;

  private constructor(
    private readonly url: URL,
    private readonly prefix: string,
    private readonly fleet: readonly SimGateway[],
    private readonly stats: SimulationStats,
    private readonly runId: string,
  ) {}

  /** Connects every gateway's client (a few at a time); throws when the broker refuses one. */
  static async connect(url: URL, prefix: string, fleet: readonly SimGateway[], stats: SimulationStats, runId: string): Promise<MqttFleet> {
    const fleetOnMqtt = new MqttFleet(url, prefix, fleet, stats, runId);
    for (let i = 0; i < fleet.length; i += 20) await Promise.all(fleet.slice(i, i + 20).map((g) => fleetOnMqtt.connectGateway(g.id)));
    return fleetOnMqtt;
  }

  /** Publishes a batch of the fleet's messages, one publish per gateway, then kills the clients of gateways gone silent. */
  async publish(batch: readonly RawMessage[]): Promise<void> {
    const byGateway = new Map<string, RawMessage[]>();
    for (const m of batch) byGateway.set(m.gatewayId, [...(byGateway.get(m.gatewayId) ?? []), m]);
    await Promise.all(
      [...byGateway].map(async ([gatewayId, messages]) => {
        const returning = messages.some((m) => m.kind === 'connection' && m.status === 'CONNECTED');
        if (returning && !this.clients.get(gatewayId)?.connected) await this.connectGateway(gatewayId);
        const client = this.clients.get(gatewayId);
        this.stats.sent += messages.length;
        this.stats.requests++;
        if (!client?.connected) {
          this.stats.errors += messages.length;
          return;
        }
        // The topic names the gateway: the payload leaves it out.
        const payload = JSON.stringify(messages.map(({ gatewayId: _, ...m }) => m));
        try {
          await client.publishAsync(this.topic(gatewayId), payload, { qos: 1 });
          this.stats.accepted += messages.length;
        } catch (err) {
          this.stats.errors += messages.length;
          this.stats.lastError = (err as Error).message;
        }
        if (messages.some((m) => m.kind === 'connection' && m.status === 'DISCONNECTED')) await client.endAsync();
      }),
    );
    for (const g of this.fleet) {
      const client = this.clients.get(g.id);
      if (g.offlineUntil !== undefined && client?.connected) {
        // The gateway loses power: no DISCONNECT, so the broker publishes its will.
        client.stream.destroy();
        client.end(true);
        this.killed++;
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.endAsync()));
  }

  private topic(gatewayId: string): string {
    return `${this.prefix}/${gatewayId}/messages`;
  }

  private async connectGateway(gatewayId: string): Promise<void> {
    this.clients.get(gatewayId)?.end(true);
    const client = mqtt.connect(`${this.url.protocol}//${this.url.host}`, {
      protocolVersion: 5,
      clientId: `${this.runId}-${gatewayId}`,
      username: this.url.username ? decodeURIComponent(this.url.username).replace('{gatewayId}', gatewayId) : undefined,
      password: this.url.password ? decodeURIComponent(this.url.password) : undefined,
      will: { topic: this.topic(gatewayId), payload: WILL, qos: 1, retain: false },
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    this.clients.set(gatewayId, client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', (err) => reject(new Error(`MQTT broker ${this.url.host} refused gateway ${gatewayId}: ${err.message}`)));
    });
  }
}

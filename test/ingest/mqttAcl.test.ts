import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, deployConfig, type OwnBroker, ownBrokerSkipReason, startMosquitto } from '../helpers/mqttBroker.js';
import { waitFor } from '../scaleout/cluster.js';

const skip = ownBrokerSkipReason();
const users = { hearthook: 'hearthook-secret', '101506113': 'gw-one-secret', '101506114': 'gw-two-secret' };
const topic = (gatewayId: string) => `hearthook/gateways/${gatewayId}/messages`;

/** The broker of deploy/mosquitto (its mosquitto.conf and acl), on a free port of its own. */
describe.skipIf(skip)(`deploy/mosquitto: the ACL${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let broker: OwnBroker;
  let hearthook: MqttClient;
  const received: Array<[string, string]> = [];
  const clients: MqttClient[] = [];

  const gateway = async (gatewayId: keyof typeof users, password = users[gatewayId]) => {
    const client = await connectClient(broker.url, { clientId: `gw-${gatewayId}`, username: gatewayId, password });
    clients.push(client);
    return client;
  };

  let markers = 0;
  /** Publishes a message on the gateway's own topic and waits until Hearthook's client has it: the broker keeps order, so what it would have passed before has arrived by then. */
  const marker = async (client: MqttClient) => {
    const payload = `{"kind":"heartbeat","messageId":"marker-${++markers}"}`;
    await client.publishAsync(topic('101506113'), payload, { qos: 1 });
    await waitFor(() => received.some(([, p]) => p === payload), 5000, payload);
  };

  beforeAll(async () => {
    const { config, acl } = deployConfig();
    broker = await startMosquitto({ config, acl, users });
    hearthook = await connectClient(broker.url, { clientId: 'hearthook-acl-test', username: 'hearthook', password: users.hearthook });
    hearthook.on('message', (t, payload) => received.push([t, payload.toString()]));
    const granted = await hearthook.subscribeAsync('$share/hearthook/hearthook/gateways/+/messages', { qos: 1 });
    expect(granted[0].qos).toBe(1); // Hearthook may read every gateway's topic
  });
  afterAll(async () => {
    for (const c of [...clients, hearthook]) await c?.endAsync(true);
    await broker?.stop();
  });

  it("refuses a gateway publishing to another gateway's topic, and passes its own", async () => {
    const one = await gateway('101506113');
    // MQTT 5: the PUBACK says "not authorized" (0x87); Hearthook never sees the message.
    await expect(one.publishAsync(topic('101506114'), '{"kind":"heartbeat"}', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    // (The connection ends with the refusal; a new one publishes to its own topic.)
    await marker(await gateway('101506113'));
    expect(received).toEqual([[topic('101506113'), '{"kind":"heartbeat","messageId":"marker-1"}']]);
  });

  it("keeps other gateways' messages from a gateway, and refuses clients without a valid password", async () => {
    const two = await gateway('101506114');
    const stolen: string[] = [];
    two.on('message', (t) => stolen.push(t));
    await two.subscribeAsync(topic('101506113'), { qos: 1 }); // Mosquitto checks read access per message
    await marker(await gateway('101506113'));
    await marker(await gateway('101506113'));
    expect(stolen).toEqual([]);
    await expect(connectClient(broker.url, { clientId: 'anonymous' })).rejects.toThrow(/Not authorized|Bad User Name or Password/i);
    await expect(gateway('101506113', 'wrong')).rejects.toThrow(/Not authorized|Bad User Name or Password/i);
  });

  it("never publishes a gateway's last will on another gateway's topic", async () => {
    const liar = await connectClient(broker.url, {
      clientId: 'gw-will-liar',
      username: '101506113',
      password: users['101506113'],
      will: { topic: topic('101506114'), payload: Buffer.from('{"kind":"connection","status":"DISCONNECTED"}'), qos: 1, retain: false },
    });
    liar.stream.destroy(); // vanishes: the broker would publish the will now
    await marker(await gateway('101506113'));
    expect(received.filter(([t]) => t === topic('101506114'))).toEqual([]);
  });
});

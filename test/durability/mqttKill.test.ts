
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { call, freePort, HearthookProcess } from '../helpers/hearthookProcess.js';
import { connectClient, deployConfig, ownBrokerSkipReason, startMosquitto } from '../helpers/mqttBroker.js';
import { admin } from '../helpers/testRuntime.js';
import { waitFor } from '../scaleout/cluster.js';

const skip = ownBrokerSkipReason();
const GATEWAYS = Array.from({ length: 10 }, (_, i) => String(410000000 + i));
const PER_GATEWAY = 500;
/**
 * Publishes each gateway keeps in flight (unacknowledged by the broker) at once: the fleet
 * publishes faster than one node takes in, so the broker holds a backlog when the node dies.
 */
const WINDOW = 50;
/** Messages per gateway published before the kill; the rest while the node is down and restarting. */
const BEFORE_KILL = 200;

/** Every DATA_POINT event the partner can list, as "gatewayId key". */
async function dataPointEvents(base: string, apiKey: string): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page: { data: Array<{ gatewayId: string; data: { key: string } }>; nextCursor: string | null; hasMore: boolean } = await call(
      base,
      'GET',
      `/v1/events?type=DATA_POINT&limit=1000${after ? `&after=${after}` : ''}`,
      { 'x-api-key': apiKey },
    );
    seen.push(...page.data.map((e) => `${e.gatewayId} ${e.data.key}`));
    after = page.nextCursor;
    if (!page.hasMore) return seen;
  }
}

describe.skipIf(skip)(`hearthook serve SIGKILLed while gateways publish over MQTT${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const cleanup = useCleanup();

  it('turns every message the broker accepted into exactly one event after a restart, none twice', async () => {
    const users: Record<string, string> = { hearthook: 'hearthook-secret' };
    for (const g of GATEWAYS) users[g] = `pw-${g}`;
    const broker = await startMosquitto({ ...deployConfig(), users });
    cleanup.push(() => broker.stop());
    const dir = cleanup.tempDir('hearthook-mqtt-kill-');
    const env = {
      HEARTHOOK_DATABASE: join(dir, 'hearthook.db'),
      HEARTHOOK_MQTT_URL: `mqtt://hearthook:hearthook-secret@127.0.0.1:${broker.port}`,
      HEARTHOOK_MQTT_CLIENT_ID: 'hearthook-kill-test',
    };
    const port = await freePort();
    let server = await new HearthookProcess(port, env).start();
    cleanup.push(() => server.stop());

    const company = await call<{ id: string }>(server.url, 'POST', '/v1/admin/companies', admin, { name: 'MQTT Kill Test', languages: ['en'], autoAccept: true });
    const { apiKey } = await call<{ apiKey: string }>(server.url, 'POST', `/v1/admin/companies/${company.id}/api-keys`, admin);
    for (const gatewayId of GATEWAYS) {
      await call(server.url, 'POST', '/v1/admin/gateways', admin, { gatewayId, type: 'K40', timezone: 'UTC' });
      await call(server.url, 'POST', `/v1/admin/gateways/${gatewayId}/contracts`, admin, { companyId: company.id, consent: 'MONITOR_AND_CONTROL' });
    }

    // Each gateway publishes 500 data points of keys of their own (each one an event), QoS 1,
    // without message ids (redelivered ones are recognised by their derived ids): 200 before the
    // kill, as fast as the broker takes them, so the broker holds a backlog for the node when it
    // dies; the other 300 while it is down and restarting.
    let accepted = 0;
    let killed!: () => void;
    const afterKill = new Promise<void>((resolve) => (killed = resolve));
    const publish = async (gatewayId: string) => {
      const client: MqttClient = await connectClient(broker.url, { clientId: `gw-${gatewayId}`, username: gatewayId, password: users[gatewayId] });
      cleanup.push(() => client.endAsync(true));
      for (let i = 0; i < PER_GATEWAY; i += WINDOW) {
        if (i === BEFORE_KILL) await afterKill;
        await Promise.all(
          Array.from({ length: WINDOW }, (_, j) =>
            client
              .publishAsync(`hearthook/gateways/${gatewayId}/messages`, JSON.stringify({ kind: 'datapoint', key: `test.seq.${i + j}`, value: i + j }), { qos: 1 })
              .then(() => accepted++),
          ),
        );
      }
    };
    const killer = (async () => {
      // Killed as soon as its first commit shows.
      await waitFor(async () => (await dataPointEvents(server.url, apiKey)).length > 0, 60_000, 'ingest under way');
      await server.kill();
      killed();
      server = await new HearthookProcess(port, env).start();
    })();
    await Promise.all([...GATEWAYS.map(publish), killer]);
    expect(accepted).toBe(GATEWAYS.length * PER_GATEWAY);

    await waitFor(async () => (await dataPointEvents(server.url, apiKey)).length >= accepted, 60_000, 'an event for every message');
    const events = await dataPointEvents(server.url, apiKey);
    expect(new Set(events).size).toBe(accepted); // every message once
    expect(events).toHaveLength(accepted); // none twice
  }, 150_000);
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConnectivity } from '../../src/scheduler/jobs/checkConnectivity.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { addGateway, addPartner, count, events, GATEWAY, MINUTE, send } from '../ingest/fixtures.js';

async function statuses(hh: TestHearthook, gatewayId = GATEWAY): Promise<unknown[]> {
  return (await events(hh.rt, 'CONNECTIVITY_STATUS')).filter((e) => e.gateway_id === gatewayId).map((e) => e.data.connectivityStatus);
}

describe('connectivity rule', () => {
  let hh: TestHearthook;
  beforeEach(async () => {
    hh = await startTestHearthook();
    await addGateway(hh.rt);
  });
  afterEach(() => hh.close());

  it('reports ONLINE on the first message and then only on a change of status', async () => {
    await send(hh, { kind: 'heartbeat' }, { kind: 'heartbeat' }, { kind: 'connection', status: 'CONNECTED' });
    expect(await statuses(hh)).toEqual(['ONLINE']);
    await send(hh, { kind: 'connection', status: 'DISCONNECTED' });
    await send(hh, { kind: 'connection', status: 'DISCONNECTED' });
    expect(await statuses(hh)).toEqual(['ONLINE', 'OFFLINE']);
    // Any message from a gateway considered OFFLINE makes it ONLINE.
    await send(hh, { kind: 'datapoint', key: 'hvac.system.sensor.t0', value: 4 });
    expect(await statuses(hh)).toEqual(['ONLINE', 'OFFLINE', 'ONLINE']);
  });

  it('records when the gateway was last seen, rewriting it at most once a second', async () => {
    const lastSeen = async () =>
      (await hh.rt.store.get<{ last_seen_at: number }>('SELECT last_seen_at FROM gateways WHERE id = ?', [GATEWAY]))?.last_seen_at;
    await send(hh, { kind: 'heartbeat' });
    const first = hh.clock.now();
    expect(await lastSeen()).toBe(first);
    hh.clock.advance(999);
    await send(hh, { kind: 'heartbeat' });
    expect(await lastSeen()).toBe(first);
    hh.clock.advance(1);
    await send(hh, { kind: 'heartbeat' });
    expect(await lastSeen()).toBe(hh.clock.now());
  });

  it('check job reports a silent gateway OFFLINE exactly once after 15 minutes, and ONLINE once on its return', async () => {
    const { webhookId } = await addPartner(hh.rt);
    await addGateway(hh.rt, '2002');
    await send(hh, { kind: 'heartbeat' }, { kind: 'heartbeat', gatewayId: '2002' });

    hh.clock.advance(10 * MINUTE);
    await send(hh, { kind: 'heartbeat', gatewayId: '2002' }); // 2002 keeps talking
    hh.clock.advance(5 * MINUTE - 1);
    expect(await checkConnectivity(hh.rt)).toBe(0);
    hh.clock.advance(1);
    expect(await checkConnectivity(hh.rt)).toBe(1);
    expect(await checkConnectivity(hh.rt)).toBe(0);
    hh.clock.advance(60 * MINUTE);
    expect(await checkConnectivity(hh.rt)).toBe(1); // now 2002 is silent too, GATEWAY not again
    expect(await statuses(hh)).toEqual(['ONLINE', 'OFFLINE']);
    expect(await statuses(hh, '2002')).toEqual(['ONLINE', 'OFFLINE']);

    await send(hh, { kind: 'heartbeat' }, { kind: 'heartbeat' });
    expect(await statuses(hh)).toEqual(['ONLINE', 'OFFLINE', 'ONLINE']);
    expect(await checkConnectivity(hh.rt)).toBe(0);

    // Each reported status of our gateway became a delivery for the subscribed webhook.
    const delivered = await hh.rt.store.all<{ data: string }>(
      `SELECT e.data FROM deliveries d JOIN events e ON e.id = d.event_id
        WHERE d.webhook_id = ? AND e.gateway_id = ? ORDER BY d.sequence`,
      [webhookId, GATEWAY],
    );
    expect(delivered.map((d) => JSON.parse(d.data).connectivityStatus)).toEqual(['ONLINE', 'OFFLINE', 'ONLINE']);
  });

  it('check job leaves a gateway already reported OFFLINE alone', async () => {
    await send(hh, { kind: 'connection', status: 'DISCONNECTED' });
    hh.clock.advance(60 * MINUTE);
    expect(await checkConnectivity(hh.rt)).toBe(0);
    expect(await statuses(hh)).toEqual(['OFFLINE']);
    expect(await count(hh.rt, 'events')).toBe(1);
  });
});

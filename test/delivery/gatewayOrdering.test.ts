import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { HELD_PASS_MS } from '../../src/delivery/queue/deferHeldDeliveries.js';
import type { Store } from '../../src/store/db.js';
import { openStore } from '../../src/store/openStore.js';
import { createGateway, createPartner, createWebhook, expectCall, pairActive, type Partner, type Webhook } from '../api/fixtures.js';
import { Receiver } from '../helpers/receiver.js';
import { ingest, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { until } from '../helpers/until.js';

interface DeliveryJson {
  id: string;
  gatewayId: string;
  sequence: number;
  status: string;
  attemptCount: number;
  nextAttemptAt: string | null;
  waitingFor: string | null;
}

describe('ordering GATEWAY', () => {
  let hh: TestHearthook;
  let receiver: Receiver;
  let partner: Partner;
  let webhook: Webhook;
  let gateways: string[];
  const dispatchers: Dispatcher[] = [];
  const stores: Store[] = [];

  beforeEach(async () => {
    changes = 0;
    hh = await startTestHearthook({ retrySchedule: [0, 60_000, 60_000] });
    receiver = await new Receiver().start();
    partner = await createPartner(hh.app, { autoAccept: true });
    webhook = await createWebhook(hh.app, partner.apiKey, { url: receiver.url, eventTypes: ['CONNECTIVITY_STATUS'], ordering: 'GATEWAY' });
    gateways = [];
    for (let i = 0; i < 3; i++) {
      const gw = await createGateway(hh.app);
      await pairActive(hh.app, gw.gatewayId, partner);
      gateways.push(gw.gatewayId);
    }
  });
  afterEach(async () => {
    for (const d of dispatchers.splice(0)) await d.stop(0);
    await receiver.stop();
    for (const s of stores.splice(0)) await s.close();
    await hh.close();
  });

  /** A dispatcher; on PostgreSQL the second and later on connections of their own, as other nodes. */
  async function newDispatcher(): Promise<Dispatcher> {
    let store = hh.rt.store;
    if (dispatchers.length > 0 && store.engine === 'postgres') {
      store = await openStore(hh.rt.config.database);
      stores.push(store);
    }
    const dispatcher = new Dispatcher({ ...hh.rt, store });
    dispatchers.push(dispatcher);
    return dispatcher;
  }

  let changes = 0;
  /** `rounds` connectivity changes of every gateway, interleaved, each message its own request. */
  async function emit(rounds: number): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      const status = changes++ % 2 ? 'CONNECTED' : 'DISCONNECTED';
      for (const gatewayId of gateways) {
        await expectCall(hh.app, 'POST', '/v1/ingest', ingest, [{ kind: 'connection', gatewayId, status }], 202);
      }
    }
  }

  async function deliveries(): Promise<DeliveryJson[]> {
    const page = await expectCall<{ data: DeliveryJson[] }>(hh.app, 'GET', `/v1/webhooks/${webhook.id}/deliveries`, partner.headers, undefined, 200);
    return page.data.sort((a, b) => a.gatewayId.localeCompare(b.gatewayId) || a.sequence - b.sequence);
  }

  it("holds only the failing gateway's line: the others arrive in order meanwhile, the held ones use no attempts and name what they wait for, and a retry lets the line go", async () => {
    const [failing, ...healthy] = gateways;
    receiver.reply = (req) => (JSON.parse(req.body).gatewayId === failing ? { status: 500 } : { status: 200, body: 'ok' });
    await emit(4);
    const dispatcher = await newDispatcher();
    dispatcher.start();
    await until(() => healthy.every((g) => receiver.sequencesOf(g).length === 4), "the healthy gateways' deliveries");
    for (const g of healthy) expect(receiver.sequencesOf(g)).toEqual([1, 2, 3, 4]);
    // The failing gateway's first delivery failed (its retry is a minute away); the rest wait, untried.
    expect(receiver.sequencesOf(failing)).toEqual([1]);
    const line = (await deliveries()).filter((d) => d.gatewayId === failing);
    expect(line.map((d) => [d.sequence, d.status, d.attemptCount])).toEqual([
      [1, 'failed', 1],
      [2, 'pending', 0],
      [3, 'pending', 0],
      [4, 'pending', 0],
    ]);
    expect(line.map((d) => d.waitingFor)).toEqual([null, line[0].id, line[0].id, line[0].id]);
    const one = await expectCall<DeliveryJson>(hh.app, 'GET', `/v1/deliveries/${line[2].id}`, partner.headers, undefined, 200);
    expect(one.waitingFor).toBe(line[0].id);
    for (const d of (await deliveries()).filter((d) => d.gatewayId !== failing)) expect(d.waitingFor).toBeNull();

    // At the next pass the held ones are moved out of the claim's way, to the head's retry at the latest.
    await dispatcher.stop(0);
    const second = await newDispatcher();
    hh.clock.advance(HELD_PASS_MS);
    await second.tick();
    const moved = (await deliveries()).filter((d) => d.gatewayId === failing);
    const headDue = Date.parse(moved[0].nextAttemptAt as string);
    for (const d of moved.slice(1)) {
      expect(Date.parse(d.nextAttemptAt as string)).toBeGreaterThan(hh.clock.now());
      expect(Date.parse(d.nextAttemptAt as string)).toBeLessThanOrEqual(headDue);
      expect(d).toMatchObject({ status: 'pending', attemptCount: 0, waitingFor: line[0].id });
    }

    // The partner fixes its endpoint and retries the head of the line instead of waiting a minute:
    // the held ones are due again at once, and go as soon as it is delivered.
    receiver.reply = () => ({ status: 200, body: 'ok' });
    await expectCall(hh.app, 'POST', `/v1/deliveries/${line[0].id}/retry`, partner.headers, undefined, 202);
    for (const d of (await deliveries()).filter((d) => d.gatewayId === failing)) {
      expect(Date.parse(d.nextAttemptAt as string), `delivery ${d.sequence}`).toBe(hh.clock.now());
    }
    second.start();
    await until(() => receiver.sequencesOf(failing).length === 5, "the failing gateway's line");
    expect(receiver.sequencesOf(failing)).toEqual([1, 1, 2, 3, 4]);
    await until(async () => (await deliveries()).every((d) => d.status === 'delivered'), 'every delivery recorded');
    expect((await deliveries()).every((d) => d.waitingFor === null)).toBe(true);
  });

  it('lets the next delivery go once the earlier one is dead, its sequence showing the gap', async () => {
    const [failing] = gateways;
    receiver.reply = (req) => (JSON.parse(req.body).gatewayId === failing && req.headers['webhook-sequence'] === '1' ? { status: 500 } : { status: 200, body: 'ok' });
    await emit(3);
    const dispatcher = await newDispatcher();
    // Past each retry and its jitter (and any circuit the failures opened).
    await until(async () => {
      await dispatcher.tick();
      await dispatcher.idle();
      hh.clock.advance(70_000);
      return receiver.sequencesOf(failing).length === 5;
    }, 'the line after the dead delivery');
    expect(receiver.sequencesOf(failing)).toEqual([1, 1, 1, 2, 3]);
    const line = (await deliveries()).filter((d) => d.gatewayId === failing);
    expect(line.map((d) => d.status)).toEqual(['dead', 'delivered', 'delivered']);
  });

  it('never has one gateway’s next delivery in flight on a second dispatcher while the first still sends the earlier one', async () => {
    // A request is in flight from its arrival until its answer is written, 150 ms later.
    const inFlight = new Map<string, number>();
    let most = 0;
    receiver.reply = (req) => {
      const g = JSON.parse(req.body).gatewayId as string;
      inFlight.set(g, (inFlight.get(g) ?? 0) + 1);
      most = Math.max(most, inFlight.get(g) as number);
      setTimeout(() => inFlight.set(g, (inFlight.get(g) as number) - 1), 150);
      return { status: 200, body: 'ok', delayMs: 150 };
    };
    await emit(5);
    const [a, b] = [await newDispatcher(), await newDispatcher()];
    a.start();
    b.start();
    await until(() => receiver.received.length === 15, 'every delivery');
    for (const g of gateways) expect(receiver.sequencesOf(g)).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(1);
  });

  it('a switch applies to the next claims: GATEWAY to NONE lets the held deliveries go, NONE to GATEWAY holds them again', async () => {
    const [failing] = gateways;
    receiver.reply = (req) => (JSON.parse(req.body).gatewayId === failing ? { status: 500 } : { status: 200, body: 'ok' });
    await emit(3);
    const dispatcher = await newDispatcher();
    await dispatcher.tick();
    await dispatcher.idle();
    for (let i = 0; i < 3; i++) {
      await dispatcher.tick();
      await dispatcher.idle();
    }
    expect(receiver.sequencesOf(failing)).toEqual([1]);
    await expectCall(hh.app, 'PATCH', `/v1/webhooks/${webhook.id}`, partner.headers, { ordering: 'NONE' }, 200);
    await dispatcher.tick();
    await dispatcher.idle();
    expect(receiver.sequencesOf(failing).sort((x, y) => x - y)).toEqual([1, 2, 3]);
    expect((await deliveries()).every((d) => d.waitingFor === null)).toBe(true);

    await expectCall(hh.app, 'PATCH', `/v1/webhooks/${webhook.id}`, partner.headers, { ordering: 'GATEWAY' }, 200);
    await emit(1);
    await dispatcher.tick();
    await dispatcher.idle();
    // Sequence 4 waits behind the failed 1, 2 and 3 (their retries a minute away).
    expect(receiver.sequencesOf(failing)).toHaveLength(3);
    const held = (await deliveries()).find((d) => d.gatewayId === failing && d.sequence === 4);
    expect(held).toMatchObject({ status: 'pending', attemptCount: 0, attempts: [] });
    expect(held?.waitingFor).toBe((await deliveries()).find((d) => d.gatewayId === failing && d.sequence === 1)?.id);
  });
});

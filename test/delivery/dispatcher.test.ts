import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { fanOut } from '../../src/fanout/fanOut.js';
import { Receiver } from '../helpers/receiver.js';
import { seedPartner } from '../helpers/seed.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

async function emitConnectivity(hh: TestHearthook, gatewayId: string, status = 'OFFLINE') {
  await hh.rt.store.transaction((tx) =>
    fanOut(tx, hh.rt.clock.now(), [{ type: 'CONNECTIVITY_STATUS', gatewayId, data: { connectivityStatus: status } }]),
  );
}

async function deliveryRows(hh: TestHearthook) {
  return hh.rt.store.all<{ id: number; status: string; attempts: number; next_attempt_at: number | null; last_error: string | null }>(
    'SELECT id, status, attempts, next_attempt_at, last_error FROM deliveries ORDER BY id',
  );
}

describe('the dispatcher', () => {
  let hh: TestHearthook;
  let receiver: Receiver;
  let dispatcher: Dispatcher;

  beforeEach(async () => {
    hh = await startTestHearthook({ retrySchedule: [0, 5000, 60_000] });
    receiver = await new Receiver().start();
    dispatcher = new Dispatcher(hh.rt);
  });
  afterEach(async () => {
    await dispatcher.stop(0);
    await receiver.stop();
    await hh.close();
  });

  async function deliverDue() {
    await dispatcher.tick();
    await dispatcher.idle();
  }

  it('POSTs the event with the API key, version and a signature the standardwebhooks package verifies', async () => {
    hh.clock.set(Date.now()); // the package checks the timestamp against the real time
    const partner = await seedPartner(hh.rt, { url: receiver.url });
    await emitConnectivity(hh, partner.gatewayId);
    await deliverDue();

    expect(receiver.received).toHaveLength(1);
    const req = receiver.received[0];
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-api-key']).toBe(partner.apiKey);
    expect(req.headers['x-api-version']).toBe('2.0');
    expect(req.headers['user-agent']).toMatch(/^Hearthook\//);
    expect(req.headers['webhook-sequence']).toBe('1');
    const body = new Webhook(partner.secret).verify(req.body, req.headers as Record<string, string>) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'CONNECTIVITY_STATUS', gatewayId: partner.gatewayId, sequence: 1, data: { connectivityStatus: 'OFFLINE' } });
    expect(req.headers['webhook-id']).toBe(body.id);

    const [row] = await deliveryRows(hh);
    expect(row).toMatchObject({ status: 'delivered', attempts: 1, next_attempt_at: null });
    const attempts = await hh.rt.store.all<{ status_code: number }>('SELECT status_code FROM delivery_attempts');
    expect(attempts).toEqual([{ status_code: 200 }]);
  });

  it('renders major 1 in the flat manufacturer shape and puts a QUERY key in the URL', async () => {
    const partner = await seedPartner(hh.rt, { url: receiver.url, apiVersion: 1, apiKeyLocation: 'QUERY' });
    await emitConnectivity(hh, partner.gatewayId, 'ONLINE');
    await deliverDue();
    const req = receiver.received[0];
    expect(req.headers['x-api-version']).toBe('1.0');
    expect(new URL(req.url, 'http://x').searchParams.get('x-api-key')).toBe(partner.apiKey);
    expect(req.headers['x-api-key']).toBeUndefined();
    const body = JSON.parse(req.body);
    expect(body).toEqual({ eventType: 'CONNECTIVITY_STATUS', gatewayId: partner.gatewayId, timestamp: expect.any(String), connectivityStatus: 'ONLINE' });
  });

  it('reschedules a failed attempt on the schedule and delivers it when the endpoint recovers', async () => {
    const partner = await seedPartner(hh.rt, { url: receiver.url });
    receiver.reply = () => ({ status: 500, body: 'boom' });
    await emitConnectivity(hh, partner.gatewayId);
    await deliverDue();
    let [row] = await deliveryRows(hh);
    expect(row.status).toBe('failed');
    expect(row.next_attempt_at! - hh.clock.now()).toBeGreaterThanOrEqual(5000);
    expect(row.next_attempt_at! - hh.clock.now()).toBeLessThanOrEqual(5500);

    await deliverDue(); // not due yet: nothing sent
    expect(receiver.received).toHaveLength(1);

    receiver.reply = () => ({ status: 204 });
    hh.clock.advance(6000);
    await deliverDue();
    [row] = await deliveryRows(hh);
    expect(row).toMatchObject({ status: 'delivered', attempts: 2 });
    const attempts = await hh.rt.store.all<{ status_code: number; response_body: string }>(
      'SELECT status_code, response_body FROM delivery_attempts ORDER BY id',
    );
    expect(attempts).toEqual([
      { status_code: 500, response_body: 'boom' },
      { status_code: 204, response_body: '' },
    ]);
  });

  it('dead-letters a delivery once the schedule is used up', async () => {
    const partner = await seedPartner(hh.rt, { url: receiver.url });
    receiver.reply = () => ({ status: 502 });
    await emitConnectivity(hh, partner.gatewayId);
    for (let i = 0; i < 3; i++) {
      await deliverDue();
      hh.clock.advance(120_000);
    }
    const [row] = await deliveryRows(hh);
    expect(row).toMatchObject({ status: 'dead', attempts: 3, next_attempt_at: null });
    expect(receiver.received).toHaveLength(3);
  });

  it('does not follow a redirect, and counts it as a failure', async () => {
    const partner = await seedPartner(hh.rt, { url: receiver.url });
    receiver.reply = (req) => (req.url.startsWith('/elsewhere') ? { status: 200 } : { status: 301, headers: { location: '/elsewhere' } });
    await emitConnectivity(hh, partner.gatewayId);
    await deliverDue();
    expect(receiver.received.map((r) => r.url)).toEqual(['/hooks']);
    const [row] = await deliveryRows(hh);
    expect(row.status).toBe('failed');
    expect(row.last_error).toMatch(/redirects are not followed/);
  });

  it('disables the webhook at once when the endpoint answers 410 Gone', async () => {
    const partner = await seedPartner(hh.rt, { url: receiver.url });
    receiver.reply = () => ({ status: 410 });
    await emitConnectivity(hh, partner.gatewayId);
    await emitConnectivity(hh, partner.gatewayId, 'ONLINE');
    await hh.rt.store.run("UPDATE deliveries SET next_attempt_at = next_attempt_at + 1000 WHERE sequence = 2");
    await deliverDue();
    const webhook = await hh.rt.store.get<{ enabled: number }>('SELECT enabled FROM webhooks WHERE id = ?', [partner.webhookId]);
    expect(webhook?.enabled).toBe(0);
    hh.clock.advance(5000);
    await deliverDue();
    expect(receiver.received).toHaveLength(1); // the second delivery waits for re-enabling
    const rows = await deliveryRows(hh);
    expect(rows.map((r) => r.status)).toEqual(['dead', 'pending']);
  });

  it('waits as long as Retry-After says on 429, capped at the longest step', async () => {
    const partner = await seedPartner(hh.rt, { url: receiver.url });
    receiver.reply = () => ({ status: 429, headers: { 'retry-after': '30' } });
    await emitConnectivity(hh, partner.gatewayId);
    await deliverDue();
    let [row] = await deliveryRows(hh);
    expect(row.next_attempt_at! - hh.clock.now()).toBeGreaterThanOrEqual(30_000);
    expect(row.next_attempt_at! - hh.clock.now()).toBeLessThanOrEqual(33_000);

    receiver.reply = () => ({ status: 503, headers: { 'retry-after': '86400' } });
    hh.clock.advance(40_000);
    await deliverDue();
    [row] = await deliveryRows(hh);
    expect(row.next_attempt_at! - hh.clock.now()).toBeGreaterThanOrEqual(60_000);
    expect(row.next_attempt_at! - hh.clock.now()).toBeLessThanOrEqual(66_000);
  });

  it('records an unreachable endpoint (connection refused) as a failed attempt with the error', async () => {
    const partner = await seedPartner(hh.rt, { url: receiver.url });
    await receiver.stop();
    await emitConnectivity(hh, partner.gatewayId);
    await deliverDue();
    const [row] = await deliveryRows(hh);
    expect(row.status).toBe('failed');
    expect(row.last_error).toMatch(/ECONNREFUSED/);
  });
});

describe('the dispatcher without an allow-list', () => {
  it('refuses to connect to loopback, by IP literal and by a name resolving to it', async () => {
    const hh = await startTestHearthook({ allowPrivateNetworks: [], retrySchedule: [0, 1000] });
    const receiver = await new Receiver().start();
    const dispatcher = new Dispatcher(hh.rt);
    try {
      const byIp = await seedPartner(hh.rt, { url: receiver.url });
      const byName = await seedPartner(hh.rt, { url: `http://localhost:${receiver.port}/hooks` });
      await emitConnectivity(hh, byIp.gatewayId);
      await emitConnectivity(hh, byName.gatewayId);
      await dispatcher.tick();
      await dispatcher.idle();
      expect(receiver.received).toHaveLength(0);
      const rows = await deliveryRows(hh);
      expect(rows.map((r) => r.status)).toEqual(['failed', 'failed']);
      for (const row of rows) expect(row.last_error).toMatch(/^(?!.*(127\.0\.0\.1|::1)).*refused: .*destination not allowed/);
    } finally {
      await dispatcher.stop(0);
      await receiver.stop();
      await hh.close();
    }
  });
});

describe('the dispatcher facing a failing endpoint', () => {
  it('opens the circuit and parks the endpoint queue without using up attempts', async () => {
    const hh = await startTestHearthook({
      retrySchedule: [0, 1000, 1000, 1000, 1000],
      circuitFailureThreshold: 2,
      circuitOpenMs: 60_000,
      endpointMaxInFlight: 1,
    });
    const receiver = await new Receiver().start();
    receiver.reply = () => ({ status: 500 });
    const dispatcher = new Dispatcher(hh.rt);
    try {
      const partner = await seedPartner(hh.rt, { url: receiver.url });
      for (let i = 0; i < 4; i++) await emitConnectivity(hh, partner.gatewayId);
      for (let i = 0; i < 2; i++) {
        await dispatcher.tick(); // one goes out (in-flight limit 1), the others are given back untried
        await dispatcher.idle();
        hh.clock.advance(1);
      }
      expect(receiver.received).toHaveLength(2);
      expect(dispatcher.health.circuit(partner.webhookId, hh.clock.now())).toBe('open');
      const rows = await deliveryRows(hh);
      expect(rows.map((r) => r.attempts).sort()).toEqual([0, 0, 1, 1]);
      for (const row of rows) expect(row.next_attempt_at! - hh.clock.now()).toBeGreaterThanOrEqual(59_000);

      hh.clock.advance(30_000);
      await dispatcher.tick();
      await dispatcher.idle();
      expect(receiver.received).toHaveLength(2); // still open: nothing sent, nothing counted
    } finally {
      await dispatcher.stop(0);
      await receiver.stop();
      await hh.close();
    }
  });

  it('moves a hanging endpoint\'s queued deliveries out of the claim\'s way before its circuit opens, without using attempts', async () => {
    const hh = await startTestHearthook({ endpointMaxInFlight: 1 });
    const receiver = await new Receiver().start();
    receiver.delayMs = 5_000; // accepts, and does not answer within the test
    const dispatcher = new Dispatcher(hh.rt);
    try {
      const partner = await seedPartner(hh.rt, { url: receiver.url });
      await emitConnectivity(hh, partner.gatewayId);
      await dispatcher.tick(); // in flight, hanging: the endpoint is at its limit
      for (let i = 0; i < 2; i++) await emitConnectivity(hh, partner.gatewayId);

      hh.clock.advance(999);
      await dispatcher.tick(); // busy, but not yet quiet for a second: left in the queue
      let queued = (await deliveryRows(hh)).filter((r) => r.status === 'pending');
      expect(queued.map((r) => r.next_attempt_at! <= hh.clock.now())).toEqual([true, true]);

      hh.clock.advance(1);
      await dispatcher.tick();
      queued = (await deliveryRows(hh)).filter((r) => r.status === 'pending');
      expect(queued).toHaveLength(2);
      for (const row of queued) {
        expect(row.next_attempt_at).toBe(hh.clock.now() + 1000);
        expect(row.attempts).toBe(0);
      }
      expect(dispatcher.health.circuit(partner.webhookId, hh.clock.now())).toBe('closed');
    } finally {
      await dispatcher.stop(0);
      await receiver.stop();
      await hh.close();
    }
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { claimDeliveries } from '../../src/delivery/queue/claimDeliveries.js';
import { ATTEMPTS_USED_UP } from '../../src/delivery/queue/deadLetterExhausted.js';
import { fanOut } from '../../src/fanout/fanOut.js';
import { reclaimLeases } from '../../src/scheduler/jobs/reclaimLeases.js';
import { Receiver } from '../helpers/receiver.js';
import { seedPartner } from '../helpers/seed.js';
import { admin, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

/** The reproductions of issue 11, each on the engine the suite runs on. */
describe('the dispatcher keeps a fault inside the delivery it concerns', () => {
  let hh: TestHearthook;
  let receiver: Receiver;
  const dispatchers: Dispatcher[] = [];
  const gatewayId = '555000111';

  beforeEach(async () => {
    hh = await startTestHearthook({ retrySchedule: [0, 5000, 60_000] });
    receiver = await new Receiver().start();
  });
  afterEach(async () => {
    for (const d of dispatchers.splice(0)) await d.stop(0);
    await receiver.stop();
    await hh.close();
  });

  function dispatcher(hooks: ConstructorParameters<typeof Dispatcher>[1] = {}): Dispatcher {
    const d = new Dispatcher(hh.rt, hooks);
    dispatchers.push(d);
    return d;
  }

  async function emit(n = 1) {
    for (let i = 0; i < n; i++) {
      await hh.rt.store.transaction((tx) =>
        fanOut(tx, hh.rt.clock.now(), [{ type: 'CONNECTIVITY_STATUS', gatewayId, data: { connectivityStatus: i % 2 ? 'ONLINE' : 'OFFLINE' } }]),
      );
    }
  }

  const rows = () =>
    hh.rt.store.all<{ id: number; webhook_id: string; status: string; attempts: number; last_error: string | null }>(
      'SELECT id, webhook_id, status, attempts, last_error FROM deliveries ORDER BY id',
    );
  const attemptsOf = (id: number) =>
    hh.rt.store.all<{ error: string | null; status_code: number | null }>('SELECT error, status_code FROM delivery_attempts WHERE delivery_id = ? ORDER BY id', [id]);

  it("sends every other company's deliveries when one webhook's secrets cannot be decrypted, and flags that one for operators", async () => {
    const companies = [];
    for (let i = 0; i < 3; i++) companies.push(await seedPartner(hh.rt, { url: receiver.url, gatewayId }));
    // What a changed HEARTHOOK_MASTER_KEY does to a stored secret: it no longer decrypts.
    const broken = companies[1];
    await hh.rt.store.run('UPDATE webhooks SET api_key_enc = ? WHERE id = ?', [hh.rt.encrypter.encrypt('x').replace(/\.[^.]+$/, '.AAAA'), broken.webhookId]);
    await emit(2);
    const d = dispatcher();
    await d.tick();
    await d.idle();

    const after = await rows();
    expect(after).toHaveLength(6);
    for (const row of after.filter((r) => r.webhook_id !== broken.webhookId)) expect(row.status).toBe('delivered');
    expect(receiver.received).toHaveLength(4);
    for (const row of after.filter((r) => r.webhook_id === broken.webhookId)) {
      expect(row).toMatchObject({ status: 'failed', attempts: 1 });
      expect(row.last_error).toBe("configuration error: the webhook's stored secrets cannot be decrypted with the server's master key");
      expect(await attemptsOf(row.id)).toEqual([{ error: row.last_error, status_code: null }]);
    }
    expect(d.health.slotsInUse()).toBe(0);

    const list = await hh.app.inject({ method: 'GET', url: '/v1/admin/webhooks?status=broken', headers: admin });
    expect(list.statusCode).toBe(200);
    expect(list.json().data).toEqual([
      expect.objectContaining({ id: broken.webhookId, brokenAt: expect.any(String), brokenReason: after.find((r) => r.webhook_id === broken.webhookId)?.last_error }),
    ]);
  });

  it('dead-letters a delivery whose worker keeps getting lost once its attempts are used up, instead of looping', async () => {
    await seedPartner(hh.rt, { url: receiver.url, gatewayId });
    await emit();
    const schedule = hh.rt.config.retrySchedule.length;
    // 25 rounds of: claimed, the worker is lost, the lease runs out, the reclaim job runs.
    for (let round = 0; round < 25; round++) {
      await claimDeliveries(hh.rt.store, { token: `lost-${round}`, now: hh.rt.clock.now(), leaseMs: 60_000, limit: 10, scheduleLength: schedule });
      await hh.rt.store.run("UPDATE deliveries SET lease_until = 0 WHERE status = 'delivering'");
      await reclaimLeases(hh.rt);
    }
    const [row] = await rows();
    expect(row).toMatchObject({ status: 'dead', attempts: schedule, last_error: 'lease expired: the worker was lost' });
    expect((await attemptsOf(row.id)).map((a) => a.error)).toEqual(Array(schedule).fill('lease expired: the worker was lost'));
    expect(receiver.received).toHaveLength(0);
  });

  it('dead-letters a queued delivery whose attempts are used up once it is due, with an attempt record saying why', async () => {
    await seedPartner(hh.rt, { url: receiver.url, gatewayId });
    await emit(3);
    receiver.reply = () => ({ status: 500, body: 'down' });
    const d = dispatcher();
    await d.tick();
    await d.idle();
    const [used, granted, left] = await rows();
    expect([used, granted, left].map((r) => [r.status, r.attempts])).toEqual(Array(3).fill(['failed', 1]));
    // Changed by hand: one has no attempt left, one was granted a fourth (as a manual retry does).
    await hh.rt.store.run('UPDATE deliveries SET attempts = 3 WHERE id = ?', [used.id]);
    await hh.rt.store.run('UPDATE deliveries SET attempts = 3, attempt_limit = 4 WHERE id = ?', [granted.id]);

    await reclaimLeases(hh.rt); // not due yet: a schedule restored before then would retry it
    expect((await rows()).map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);

    hh.clock.advance(60_000);
    await reclaimLeases(hh.rt);
    expect((await rows()).map((r) => [r.status, r.attempts, r.last_error])).toEqual([
      ['dead', 3, ATTEMPTS_USED_UP],
      ['failed', 3, used.last_error],
      ['failed', 1, used.last_error],
    ]);
    expect((await attemptsOf(used.id)).map((a) => a.error ?? a.status_code)).toEqual([500, ATTEMPTS_USED_UP]);
    await reclaimLeases(hh.rt); // moved once
    expect(await attemptsOf(used.id)).toHaveLength(2);

    // The others are still sent; the dead one is not.
    receiver.reply = () => ({ status: 200, body: 'ok' });
    await d.tick();
    await d.idle();
    expect((await rows()).map((r) => r.status)).toEqual(['dead', 'delivered', 'delivered']);
    expect(receiver.received).toHaveLength(5);
  });

  it("ignores the late outcome of a node that stalled past its lease: the node that took the delivery over decides", async () => {
    await seedPartner(hh.rt, { url: receiver.url, gatewayId });
    await emit();
    let resumeFirst!: () => void;
    const stalled = new Promise<void>((resolve) => (resumeFirst = resolve));
    const refused: number[] = [];
    const first = dispatcher({ hooks: { post: () => stalled, stale: (outcomes) => refused.push(...outcomes.map((o) => o.delivery.id)) } });
    await first.tick(); // claimed, POST stalled
    await hh.rt.store.run("UPDATE deliveries SET lease_until = 0 WHERE status = 'delivering'");
    await reclaimLeases(hh.rt);

    let resumeSecond!: () => void;
    const second = dispatcher({ hooks: { post: () => new Promise<void>((resolve) => (resumeSecond = resolve)) } });
    await second.tick(); // claimed again; its POST is on its way
    receiver.reply = () => ({ status: 500, body: 'the first node got an error' });
    resumeFirst();
    await first.idle(); // its 500 arrives while the second node holds the delivery
    const [held] = await rows();
    expect(held).toMatchObject({ status: 'delivering', attempts: 2 });
    expect(refused).toEqual([held.id]);

    receiver.reply = () => ({ status: 200, body: 'ok' });
    resumeSecond();
    await second.idle();
    const [row] = await rows();
    expect(row).toMatchObject({ status: 'delivered', attempts: 2 });
    expect((await attemptsOf(row.id)).map((a) => a.error ?? a.status_code)).toEqual(['lease expired: the worker was lost', 200]);
  });

  it('releases every endpoint slot when an outcome write fails, and writes the outcomes on the next pass', async () => {
    await seedPartner(hh.rt, { url: receiver.url, gatewayId });
    await emit(3);
    let failures = 1;
    const d = dispatcher({
      hooks: {
        writeOutcomes: () => {
          if (failures-- > 0) throw new Error('the database went away');
        },
      },
    });
    await d.tick();
    await d.idle();
    expect(failures).toBeLessThan(0); // the first write failed
    expect(d.health.slotsInUse()).toBe(0);
    expect((await rows()).map((r) => [r.status, r.attempts])).toEqual([
      ['delivered', 1],
      ['delivered', 1],
      ['delivered', 1],
    ]);
    expect(receiver.received).toHaveLength(3);
  });

  it('fails only the deliveries whose request cannot be built, and gives their slots back', async () => {
    const poisoned = await seedPartner(hh.rt, { url: receiver.url, gatewayId });
    const healthy = await seedPartner(hh.rt, { url: receiver.url, gatewayId });
    await emit(2);
    const d = dispatcher({
      hooks: {
        render: (delivery) => {
          if (delivery.webhook_id === poisoned.webhookId) throw new Error('no renderer for this event');
        },
      },
    });
    await d.tick();
    await d.idle();
    const after = await rows();
    for (const row of after.filter((r) => r.webhook_id === poisoned.webhookId)) {
      expect(row).toMatchObject({ status: 'failed', last_error: 'configuration error: no renderer for this event' });
    }
    expect(after.filter((r) => r.webhook_id === healthy.webhookId).map((r) => r.status)).toEqual(['delivered', 'delivered']);
    expect(d.health.slotsInUse()).toBe(0);
    const flagged = await hh.rt.store.get<{ broken_reason: string }>('SELECT broken_reason FROM webhooks WHERE id = ?', [poisoned.webhookId]);
    expect(flagged?.broken_reason).toBe('configuration error: no renderer for this event');
  });
});

describe('one deadline per request', () => {
  let hh: TestHearthook;
  let server: Server;
  let url: string;
  const dripping = new Set<NodeJS.Timeout>();

  beforeEach(async () => {
    hh = await startTestHearthook({ retrySchedule: [0, 60_000], deliveryTimeoutMs: 1500 });
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/drip') {
          // Headers at once, then a byte every 100 ms for ever: no gap reaches an idle timeout.
          res.writeHead(200, { 'content-type': 'text/plain' });
          const timer = setInterval(() => res.write('.'), 100);
          dripping.add(timer);
          res.on('close', () => clearInterval(timer));
        } else {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('x'.repeat(1024 * 1024)); // a megabyte of error page
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const timer of dripping) clearInterval(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await hh.close();
  });

  it('cuts a response body that drips without end at the deadline, and keeps only the first KiB of a long one', async () => {
    await seedPartner(hh.rt, { url: `${url}/drip`, gatewayId: '555000222' });
    await seedPartner(hh.rt, { url: `${url}/long`, gatewayId: '555000222' });
    await hh.rt.store.transaction((tx) =>
      fanOut(tx, hh.rt.clock.now(), [{ type: 'CONNECTIVITY_STATUS', gatewayId: '555000222', data: { connectivityStatus: 'OFFLINE' } }]),
    );
    const d = new Dispatcher(hh.rt);
    try {
      await d.tick();
      await d.idle();
    } finally {
      await d.stop(0);
    }
    const attempts = await hh.rt.store.all<{ url: string; status_code: number | null; error: string | null; response_body: string | null }>(
      `SELECT w.url, a.status_code, a.error, a.response_body FROM delivery_attempts a
         JOIN deliveries d ON d.id = a.delivery_id JOIN webhooks w ON w.id = d.webhook_id ORDER BY w.url`,
    );
    expect(attempts).toEqual([
      { url: `${url}/drip`, status_code: null, error: 'timeout: no complete answer within 1.5 s', response_body: null },
      { url: `${url}/long`, status_code: 500, error: null, response_body: 'x'.repeat(1024) },
    ]);
  });
});

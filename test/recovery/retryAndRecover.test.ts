import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveryIds } from '../../src/api/deliveryIds.js';
import { type Harness, startHarness } from './harness.js';

describe('retrying one delivery', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ retrySchedule: [0, 5000, 60_000] });
  });
  afterEach(() => h.close());

  const publicId = async (id: number) => (await deliveryIds(h.hh.rt.store)).encode(id);
  const retry = async (id: number, headers: Record<string, string>) =>
    h.hh.app.inject({ method: 'POST', url: `/v1/deliveries/${await publicId(id)}/retry`, headers });

  it('re-sends a dead delivery, and a second failure makes it dead again without a new schedule', async () => {
    const p = await h.partner();
    h.receiver.reply = () => ({ status: 500 });
    await h.emit(p.gatewayId);
    for (let i = 0; i < 3; i++) {
      await h.deliverDue();
      h.hh.clock.advance(120_000);
    }
    let [row] = await h.deliveries(p.webhookId);
    expect(row).toMatchObject({ status: 'dead', attempts: 3 });
    expect(h.receiver.received).toHaveLength(3);

    const res = await retry(row.id, p.headers);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ id: await publicId(row.id), status: 'failed', attemptCount: 3, nextAttemptAt: new Date(h.hh.clock.now()).toISOString() });

    await h.deliverDue();
    expect(h.receiver.received).toHaveLength(4);
    [row] = await h.deliveries(p.webhookId);
    // Dead at once: a new schedule would have queued it again 0 s, 5 s, 1 min later.
    expect(row).toMatchObject({ status: 'dead', attempts: 4, next_attempt_at: null });

    h.receiver.reply = () => ({ status: 200 });
    expect((await retry(row.id, p.headers)).statusCode).toBe(202);
    await h.deliverDue();
    [row] = await h.deliveries(p.webhookId);
    expect(row).toMatchObject({ status: 'delivered', attempts: 5 });
    expect(new Set(h.receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([row.event_id]));
  });

  it('sends a failed delivery now and continues its schedule where it was', async () => {
    const p = await h.partner();
    h.receiver.reply = () => ({ status: 500 });
    await h.emit(p.gatewayId);
    await h.deliverDue();
    let [row] = await h.deliveries(p.webhookId);
    expect(row).toMatchObject({ status: 'failed', attempts: 1 }); // next try in 5 s

    expect((await retry(row.id, p.headers)).statusCode).toBe(202);
    await h.deliverDue(); // no clock move: the retry made it due now
    [row] = await h.deliveries(p.webhookId);
    expect(h.receiver.received).toHaveLength(2);
    // The third step (1 min) follows, not the second (5 s) again.
    expect(row).toMatchObject({ status: 'failed', attempts: 2 });
    expect(row.next_attempt_at! - h.hh.clock.now()).toBeGreaterThanOrEqual(60_000);
  });

  it('refuses with 409 a delivery that is pending or delivered, and changes nothing', async () => {
    const p = await h.partner();
    await h.emit(p.gatewayId);
    const [pending] = await h.deliveries(p.webhookId);
    const res = await retry(pending.id, p.headers);
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().errors).toEqual([{ field: '/params/id', message: 'is pending, not failed or dead' }]);

    await h.deliverDue();
    const [delivered] = await h.deliveries(p.webhookId);
    expect((await retry(delivered.id, p.headers)).statusCode).toBe(409);
    expect(await h.deliveries(p.webhookId)).toEqual([delivered]);
  });
});

describe('recovering dead deliveries since a time', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ retrySchedule: [0] }); // one attempt: a failure is dead at once
  });
  afterEach(() => h.close());

  it('re-queues exactly the dead deliveries created since then, which are delivered once the endpoint is up', async () => {
    const p = await h.partner();
    const other = await h.partner();
    await h.receiver.stop(); // connection refused
    await h.emit(p.gatewayId); // before T: stays dead
    h.hh.clock.advance(3_600_000);
    const since = h.hh.clock.now();
    await h.emit(p.gatewayId); // exactly at T: "since" includes it
    h.hh.clock.advance(1);
    await h.emit(p.gatewayId);
    await h.emit(other.gatewayId); // after T, but another webhook's
    await h.deliverDue();
    const dead = await h.deliveries(p.webhookId);
    expect(dead.map((d) => d.status)).toEqual(['dead', 'dead', 'dead']);

    const res = await h.hh.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${p.webhookId}/recover`,
      headers: p.headers,
      payload: { since: new Date(since).toISOString() },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ recovered: 2 });
    expect((await h.deliveries(p.webhookId)).map((d) => d.status)).toEqual(['dead', 'failed', 'failed']);
    expect((await h.deliveries(other.webhookId)).map((d) => d.status)).toEqual(['dead']);

    await h.receiver.start(h.receiver.port); // the endpoint is back
    await h.deliverDue();
    const after = await h.deliveries(p.webhookId);
    expect(after.map((d) => d.status)).toEqual(['dead', 'delivered', 'delivered']);
    expect(h.receiver.received.map((r) => r.headers['webhook-id']).sort()).toEqual([after[1].event_id, after[2].event_id].sort());
  });

  it('answers recovered: 0 when nothing is dead since then', async () => {
    const p = await h.partner();
    const res = await h.hh.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${p.webhookId}/recover`,
      headers: p.headers,
      payload: { since: '2020-01-01T00:00:00Z' },
    });
    expect(res.json()).toEqual({ recovered: 0 });
  });
});

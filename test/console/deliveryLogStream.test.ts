import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveryIds } from '../../src/api/deliveryIds.js';
import { listDeliveries } from '../../src/api/partner/deliveryQueries.js';
import { DeliveryLogStream, TRACKED_ROWS } from '../../src/console/partner/deliveryLogStream.js';
import { seedPartner } from '../helpers/seed.js';
import { type Harness, startHarness } from '../recovery/harness.js';
import { ConsoleSession } from './consoleSession.js';

/**
 * The delivery log's live stream: a row on the page keeps updating whatever the filter and
 * however far down, because each tick re-reads the rows it has sent by id when they changed.
 */
describe('the delivery log stream', () => {
  let h: Harness;
  let partner: Awaited<ReturnType<Harness['partner']>>;

  beforeEach(async () => {
    // One attempt, then dead.
    h = await startHarness({ retrySchedule: [0] });
    partner = await h.partner();
  });
  afterEach(() => h.close());

  const emit = (n: number) => h.emit(partner.gatewayId, n);
  const statuses = (rows: { id: number; status: string }[]) => rows.map((r) => [r.id, r.status]);

  it('keeps sending a row of a ?status=dead view after a retry takes it out of the filter, until it is delivered', async () => {
    h.receiver.reply = () => ({ status: 503 });
    await h.emit(partner.gatewayId);
    await h.deliverDue();
    const [dead] = await h.deliveries(partner.webhookId);
    expect(dead.status).toBe('dead');

    const log = new DeliveryLogStream(h.hh.rt.store, { companyId: partner.companyId, status: 'dead', limit: 50 });
    await log.track();
    expect(statuses(await log.tick(h.hh.rt.clock.now()))).toEqual([[dead.id, 'dead']]);
    expect(await log.tick(h.hh.rt.clock.now())).toEqual([]);

    // Retried from the console, as the row's button does.
    h.receiver.reply = () => ({ status: 200 });
    const session = new ConsoleSession(h.hh.app);
    await session.signIn(partner.headers['x-api-key']);
    await session.get('/console/deliveries?status=dead');
    const publicId = (await deliveryIds(h.hh.rt.store)).encode(dead.id);
    const retried = await session.post(`/console/deliveries/${publicId}/retry`, { _csrf: session.csrf }, { accept: 'application/json' });
    expect(retried.statusCode).toBe(200);
    h.hh.clock.advance(1000);
    expect(statuses(await log.tick(h.hh.rt.clock.now()))).toEqual([[dead.id, 'failed']]);
    await h.deliverDue();
    h.hh.clock.advance(1000);
    expect(statuses(await log.tick(h.hh.rt.clock.now()))).toEqual([[dead.id, 'delivered']]);
    expect(await log.tick(h.hh.rt.clock.now())).toEqual([]);
  });

  it('adds no new deliveries to a log whose until has passed, but keeps updating the rows shown', async () => {
    await emit(2);
    const shown = (await h.deliveries(partner.webhookId)).map((d) => d.id);
    h.hh.clock.advance(3_600_000);
    const log = new DeliveryLogStream(h.hh.rt.store, { companyId: partner.companyId, until: h.hh.rt.clock.now() - 1_800_000, limit: 50 });
    await log.track();
    expect((await log.tick(h.hh.rt.clock.now())).map((r) => r.id)).toEqual(shown.sort((a, b) => a - b));
    await emit(3);
    h.hh.clock.advance(1000);
    expect(await log.tick(h.hh.rt.clock.now())).toEqual([]);
    await h.hh.rt.store.run("UPDATE deliveries SET status = 'dead', updated_at = ? WHERE id = ?", [h.hh.rt.clock.now(), shown[0]]);
    h.hh.clock.advance(1000);
    expect((await log.tick(h.hh.rt.clock.now())).map((r) => [r.id, r.status])).toEqual([[shown[0], 'dead']]);
  });

  it('keeps sending a row that newer deliveries pushed out of the newest', async () => {
    h.receiver.reply = () => ({ status: 503 });
    await h.emit(partner.gatewayId);
    await h.deliverDue();
    const [old] = await h.deliveries(partner.webhookId);
    const log = new DeliveryLogStream(h.hh.rt.store, { companyId: partner.companyId, limit: 2 });
    await log.track();
    await log.tick(h.hh.rt.clock.now());

    await emit(3); // the log's newest two are these now (pending: not sent on)
    h.hh.clock.advance(1000);
    expect((await log.tick(h.hh.rt.clock.now())).map((r) => r.id)).not.toContain(old.id);
    await h.hh.rt.store.run("UPDATE deliveries SET status = 'failed', next_attempt_at = ?, attempt_limit = attempts + 1, updated_at = ? WHERE id = ?", [
      h.hh.rt.clock.now(),
      h.hh.rt.clock.now(),
      old.id,
    ]);
    h.hh.clock.advance(1000);
    expect(statuses(await log.tick(h.hh.rt.clock.now()))).toEqual([[old.id, 'failed']]);
  });

  it("lists the company's newest deliveries across its webhooks, newest first, and no other company's", async () => {
    const second = await seedPartner(h.hh.rt, { url: h.receiver.url, gatewayId: partner.gatewayId });
    await h.hh.rt.store.run('UPDATE webhooks SET company_id = ? WHERE id = ?', [partner.companyId, second.webhookId]);
    const stranger = await seedPartner(h.hh.rt, { url: h.receiver.url, gatewayId: partner.gatewayId });
    await emit(4); // each event: one delivery per webhook, three webhooks
    const all = await h.hh.rt.store.all<{ id: number; webhook_id: string }>('SELECT id, webhook_id FROM deliveries ORDER BY id DESC');
    const own = all.filter((d) => d.webhook_id !== stranger.webhookId).map((d) => Number(d.id));
    expect(own).toHaveLength(8);
    const rows = await listDeliveries(h.hh.rt.store, { companyId: partner.companyId, limit: 5 });
    expect(rows.map((r) => Number(r.id))).toEqual(own.slice(0, 5));
    const below = await listDeliveries(h.hh.rt.store, { companyId: partner.companyId, limit: 5, before: own[4] });
    expect(below.map((r) => Number(r.id))).toEqual(own.slice(5));
    // The dead ones are read through their own index and sorted: still newest first.
    const dead = [own[6], own[1], own[3]];
    await h.hh.rt.store.run(`UPDATE deliveries SET status = 'dead' WHERE id IN (${dead.join(', ')})`);
    const deadRows = await listDeliveries(h.hh.rt.store, { companyId: partner.companyId, status: 'dead', limit: 2 });
    expect(deadRows.map((r) => Number(r.id))).toEqual([own[1], own[3]]);
  });

  it("names, for a row that starts matching the filter, the filter's next older row (where the page puts it), not an internal id", async () => {
    await emit(4);
    const [d1, d2, d3, d4] = (await h.deliveries(partner.webhookId)).map((d) => Number(d.id)).sort((a, b) => a - b);
    const dead = (id: number) => h.hh.rt.store.run("UPDATE deliveries SET status = 'dead', updated_at = ? WHERE id = ?", [h.hh.rt.clock.now(), id]);
    await dead(d1);
    await dead(d4);
    const log = new DeliveryLogStream(h.hh.rt.store, { companyId: partner.companyId, status: 'dead', limit: 50 });
    await log.track();
    await log.tick(h.hh.rt.clock.now());
    // d2 dies after d4 did: it belongs between d4 and d1.
    await dead(d2);
    h.hh.clock.advance(1000);
    expect((await log.tick(h.hh.rt.clock.now())).map((r) => Number(r.id))).toEqual([d2]);
    expect(log.olderNeighbour(d2)).toBe(d1);
    expect(log.olderNeighbour(d4)).toBe(d2);
    expect(log.olderNeighbour(d1)).toBeUndefined();
    expect(log.olderNeighbour(d3)).toBeUndefined();
  });

  it(`remembers at most ${TRACKED_ROWS} rows, always the newest among them`, async () => {
    const log = new DeliveryLogStream(h.hh.rt.store, { companyId: partner.companyId, limit: 50 });
    for (let i = 0; i < 8; i++) {
      await emit(50);
      h.hh.clock.advance(1000);
      const sent = await log.tick(h.hh.rt.clock.now());
      expect(sent.length).toBe(50);
    }
    expect(log.tracked).toBe(TRACKED_ROWS);
    // The newest 50 are still known: unchanged, they are not sent again.
    expect(await log.tick(h.hh.rt.clock.now())).toEqual([]);
  });
});

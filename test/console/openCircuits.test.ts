import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleetCounters } from '../../src/console/queries/fleet.js';
import { formatTime } from '../../src/console/render.js';
import { type Harness, startHarness } from '../recovery/harness.js';
import { admin } from '../helpers/testRuntime.js';
import { ConsoleSession } from './consoleSession.js';

/**
 * An endpoint's circuit lives in the memory of the dispatcher that opened it; the operator's
 * fleet page, the troubled-webhooks list and the partner's webhook page read it from the
 * webhook's row (migration 023), so they show it whichever node serves them.
 */
describe('open circuits in the console and the operators API', () => {
  let h: Harness;
  let partner: Awaited<ReturnType<Harness['partner']>>;

  beforeEach(async () => {
    h = await startHarness({ circuitFailureThreshold: 2, circuitOpenMs: 30_000, retrySchedule: [0, 0, 0, 0, 0, 0] });
    partner = await h.partner();
  });
  afterEach(() => h.close());

  const failingList = async () => {
    const res = await h.hh.app.inject({ method: 'GET', url: '/v1/admin/webhooks?status=failing', headers: admin });
    expect(res.statusCode).toBe(200);
    return res.json().data as { id: string; circuitOpenUntil: string | null }[];
  };

  it('counts a circuit while it is open, says until when, and stops once a probe succeeds', async () => {
    const now = () => h.hh.rt.clock.now();
    expect((await fleetCounters(h.hh.rt.store, now())).openCircuits).toBe(0);

    h.receiver.reply = () => ({ status: 500 });
    await h.emit(partner.gatewayId);
    await h.emit(partner.gatewayId);
    await h.deliverDue(); // two failures: the circuit opens
    await h.deliverDue(); // the next pass writes it down
    const openUntil = now() + 30_000;
    const row = await h.hh.rt.store.get<{ circuit_open_until: number | null }>('SELECT circuit_open_until FROM webhooks WHERE id = ?', [partner.webhookId]);
    expect(Number(row?.circuit_open_until)).toBe(openUntil);
    expect((await fleetCounters(h.hh.rt.store, now())).openCircuits).toBe(1);
    expect(await failingList()).toEqual([expect.objectContaining({ id: partner.webhookId, circuitOpenUntil: new Date(openUntil).toISOString() })]);

    const operator = new ConsoleSession(h.hh.app);
    expect((await operator.signIn(admin.authorization.slice('Bearer '.length))).statusCode).toBe(303);
    const fleet = await operator.get('/console/operator');
    expect(fleet.body).toMatch(/data-counter="openCircuits">1</);
    // Why it is in the list, with times as every console page writes them.
    const troubled = (await operator.get('/console/operator/webhooks')).body;
    expect(troubled).toContain(`circuit open until ${formatTime(openUntil)}`);
    expect(troubled).toContain(`last attempt ${formatTime(now())}: HTTP 500`);
    expect(troubled).toContain(`<td>${formatTime(now())}</td>`); // failing since
    expect(troubled).toContain(`href="/console/operator/companies#company-${partner.companyId}"`);
    expect((await operator.get('/console/operator/companies')).body).toContain(`id="company-${partner.companyId}"`);
    const owner = new ConsoleSession(h.hh.app);
    await owner.signIn(partner.headers['x-api-key']);
    expect((await owner.get(`/console/webhooks/${partner.webhookId}`)).body).toContain('circuit open, next try in 30 s');

    // Past its end the circuit no longer counts as open; the probe's success closes it for good.
    h.hh.clock.advance(30_001);
    expect((await fleetCounters(h.hh.rt.store, now())).openCircuits).toBe(0);
    h.receiver.reply = () => ({ status: 200 });
    await h.deliverDue(); // one probe; the other delivery waits for its answer
    h.hh.clock.advance(1000);
    await h.deliverDue();
    expect((await h.deliveries(partner.webhookId)).map((d) => d.status)).toEqual(['delivered', 'delivered']);
    expect((await fleetCounters(h.hh.rt.store, now())).openCircuits).toBe(0);
    expect(await failingList()).toEqual([]);
    expect((await owner.get(`/console/webhooks/${partner.webhookId}`)).body).not.toContain('circuit open');
  });
});

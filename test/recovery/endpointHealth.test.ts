import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { loadRules } from '../../src/rules/ruleSet.js';
import { jobList } from '../../src/scheduler/jobList.js';
import { disableFailingWebhooks } from '../../src/scheduler/jobs/disableFailingWebhooks.js';
import { admin } from '../helpers/testRuntime.js';
import { type Harness, startHarness } from './harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface HealthEntry {
  id: string;
  companyId: string;
  url: string;
  enabled: boolean;
  failingSince: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
  queued: number;
  dead: number;
}

describe('endpoint health', () => {
  let h: Harness;
  let logLines: Array<Record<string, unknown>>;
  beforeEach(async () => {
    // Retries a day apart keep deliveries queued through the 5 days; no circuit in the way.
    h = await startHarness({ retrySchedule: [0, DAY, DAY, DAY, DAY, DAY, DAY, DAY], circuitFailureThreshold: 1000 });
    logLines = [];
    h.hh.rt.log = pino({ level: 'warn' }, { write: (line: string) => logLines.push(JSON.parse(line)) });
  });
  afterEach(() => h.close());

  async function listed(status: string): Promise<HealthEntry[]> {
    const res = await h.hh.app.inject({ method: 'GET', url: `/v1/admin/webhooks?status=${status}`, headers: admin });
    expect(res.statusCode).toBe(200);
    return res.json().data;
  }
  const failingSince = async (id: string) =>
    (await h.hh.rt.store.get<{ failing_since: number | null }>('SELECT failing_since FROM webhooks WHERE id = ?', [id]))!.failing_since;

  it('disables a webhook failing for 5 days, lists it for operators, and resumes delivery when PATCHed enabled', async () => {
    const p = await h.partner();
    const healthy = await h.partner();
    h.receiver.reply = (req) => (req.headers['x-api-key'] === healthy.apiKey ? { status: 200 } : { status: 500 });
    const t0 = h.hh.clock.now();
    await h.emit(p.gatewayId);
    await h.emit(healthy.gatewayId);
    await h.deliverDue();
    expect(await failingSince(p.webhookId)).toBe(t0);
    expect(await failingSince(healthy.webhookId)).toBeNull();

    h.hh.clock.advance(5 * DAY - HOUR);
    await h.deliverDue(); // the daily retry fails again: still the same failing run
    await h.emit(p.gatewayId); // queued, not yet tried
    expect(await failingSince(p.webhookId)).toBe(t0);
    expect(await disableFailingWebhooks(h.hh.rt)).toBe(0);
    expect(await listed('failing')).toEqual([
      {
        id: p.webhookId,
        companyId: p.companyId,
        url: h.receiver.url,
        enabled: true,
        failingSince: new Date(t0).toISOString(),
        disabledAt: null,
        disabledReason: null,
        circuitOpenUntil: null, // its circuit never opens here (threshold 1,000)
        queued: 2,
        dead: 0,
      },
    ]);
    expect(await listed('disabled')).toEqual([]);

    h.hh.clock.advance(HOUR);
    expect(await disableFailingWebhooks(h.hh.rt)).toBe(1);
    const [entry] = await listed('disabled');
    expect(entry).toMatchObject({
      id: p.webhookId,
      enabled: false,
      disabledAt: new Date(h.hh.clock.now()).toISOString(),
      disabledReason: 'its endpoint failed continuously for 5d',
      queued: 2,
    });
    expect(await listed('failing')).toEqual([]);
    const warning = logLines.find((l) => l.webhookId === p.webhookId);
    expect(warning).toMatchObject({ level: 40, companyId: p.companyId });
    expect(String(warning?.msg)).toContain(p.companyId);

    const sent = h.receiver.received.length;
    h.hh.clock.advance(2 * DAY); // both are due now (retry step plus jitter passed)
    await h.deliverDue();
    expect(h.receiver.received).toHaveLength(sent); // disabled: its queue waits, untouched
    expect((await h.deliveries(p.webhookId)).map((d) => d.status)).toEqual(['failed', 'pending']);

    h.receiver.reply = () => ({ status: 200 });
    const patched = await h.hh.app.inject({ method: 'PATCH', url: `/v1/webhooks/${p.webhookId}`, headers: p.headers, payload: { enabled: true } });
    expect(patched.json()).toMatchObject({ enabled: true });
    expect(await disableFailingWebhooks(h.hh.rt)).toBe(0); // the failing run was cleared, not still 6 days old
    expect(await listed('disabled')).toEqual([]);
    await h.deliverDue();
    const rows = await h.deliveries(p.webhookId);
    expect(rows.map((d) => d.status)).toEqual(['delivered', 'delivered']);
    expect(h.receiver.received.slice(sent).map((r) => r.headers['webhook-id']).sort()).toEqual(rows.map((d) => d.event_id).sort());
  });

  it('restarts the 5-day count after any success', async () => {
    const p = await h.partner();
    h.receiver.reply = () => ({ status: 500 });
    await h.emit(p.gatewayId);
    await h.deliverDue();
    h.hh.clock.advance(3 * DAY);
    h.receiver.reply = () => ({ status: 200 });
    await h.emit(p.gatewayId);
    await h.deliverDue(); // the new event goes through (the first is not due again until tomorrow)
    expect(await failingSince(p.webhookId)).toBeNull();

    h.receiver.reply = () => ({ status: 500 });
    h.hh.clock.advance(HOUR);
    const restarted = h.hh.clock.now();
    await h.emit(p.gatewayId);
    await h.deliverDue();
    expect(await failingSince(p.webhookId)).toBe(restarted);

    h.hh.clock.advance(3 * DAY); // 6 days after the first failure, 3 into this run
    expect(await disableFailingWebhooks(h.hh.rt)).toBe(0);
    h.hh.clock.advance(2 * DAY);
    expect(await disableFailingWebhooks(h.hh.rt)).toBe(1);
  });

  it('records why a webhook was disabled by a 410 Gone, for the operator list', async () => {
    const p = await h.partner();
    h.receiver.reply = () => ({ status: 410 });
    await h.emit(p.gatewayId);
    await h.deliverDue();
    const [entry] = await listed('disabled');
    expect(entry).toMatchObject({ id: p.webhookId, enabled: false, disabledReason: 'the endpoint answered 410 Gone', dead: 1 });
  });

  it('records a partner disabling its webhook, and forgets it on re-enabling', async () => {
    const p = await h.partner();
    const patch = (enabled: boolean) =>
      h.hh.app.inject({ method: 'PATCH', url: `/v1/webhooks/${p.webhookId}`, headers: p.headers, payload: { enabled } });
    await patch(false);
    expect((await listed('disabled'))[0]).toMatchObject({ id: p.webhookId, disabledReason: 'disabled by the partner' });
    await patch(true);
    expect(await listed('disabled')).toEqual([]);
  });
});

describe('the disable setting and job', () => {
  it('disables after 5 days unless HEARTHOOK_DISABLE_AFTER says otherwise', () => {
    expect(loadConfig({}).disableAfterMs).toBe(5 * DAY);
    expect(loadConfig({ HEARTHOOK_DISABLE_AFTER: '36h' }).disableAfterMs).toBe(36 * HOUR);
  });

  it('runs every minute in the scheduler', () => {
    expect(jobList(loadRules())).toContainEqual({ name: 'disable-failing-webhooks', intervalMs: 60_000, run: disableFailingWebhooks });
  });
});

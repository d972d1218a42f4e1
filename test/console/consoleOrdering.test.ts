import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveryIds } from '../../src/api/deliveryIds.js';
import type { Harness } from '../recovery/harness.js';
import { type ConsoleSession, startSignedInPartner } from './consoleSession.js';

describe('the console and ordering per gateway', () => {
  let h: Harness;
  let partner: Awaited<ReturnType<Harness['partner']>>;
  let session: ConsoleSession;

  beforeEach(async () => {
    ({ h, partner, session } = await startSignedInPartner());
  });
  afterEach(() => h.close());

  it("shows a webhook's ordering and changes it, the audit log saying who", async () => {
    const page = await session.get(`/console/webhooks/${partner.webhookId}`);
    expect(page.body).toMatch(/data-ordering>none: events go out concurrently/);
    const res = await session.post(`/console/webhooks/${partner.webhookId}/ordering`, { _csrf: session.csrf, ordering: 'GATEWAY' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/data-ordering>per gateway/);
    expect(res.body).toContain('Stop ordering per gateway');
    const row = await h.hh.rt.store.get<{ ordering: string }>('SELECT ordering FROM webhooks WHERE id = ?', [partner.webhookId]);
    expect(row?.ordering).toBe('GATEWAY');
    const audit = await h.hh.rt.store.get<{ actor: string; before_state: string; after_state: string }>(
      "SELECT actor, before_state, after_state FROM audit_log WHERE action = 'webhook.update' AND target = ?",
      [partner.webhookId],
    );
    expect(audit?.actor).toBe(`console:${partner.companyId}`);
    expect(JSON.parse(audit?.before_state ?? '{}').ordering).toBe('NONE');
    expect(JSON.parse(audit?.after_state ?? '{}').ordering).toBe('GATEWAY');

    const bad = await session.post(`/console/webhooks/${partner.webhookId}/ordering`, { _csrf: session.csrf, ordering: 'EVENT' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('ordering must be NONE or GATEWAY');
  });

  it('says which earlier delivery a held one waits for, in the log and on its page', async () => {
    await session.post(`/console/webhooks/${partner.webhookId}/ordering`, { _csrf: session.csrf, ordering: 'GATEWAY' });
    h.receiver.reply = () => ({ status: 500 });
    await h.emit(partner.gatewayId);
    await h.emit(partner.gatewayId);
    await h.deliverDue();
    const [first, second] = await h.deliveries(partner.webhookId);
    expect([first.status, second.status, second.attempts]).toEqual(['failed', 'pending', 0]);
    const ids = await deliveryIds(h.hh.rt.store);
    const page = await session.get(`/console/deliveries/${ids.encode(second.id)}`);
    expect(page.body).toMatch(new RegExp(`data-waiting-for><a href="/console/deliveries/${ids.encode(first.id)}">`));
    const log = await session.get(`/console/deliveries?webhookId=${partner.webhookId}`);
    expect(log.body).toContain(`data-waiting-for href="/console/deliveries/${ids.encode(first.id)}"`);
    expect((await session.get(`/console/deliveries/${ids.encode(first.id)}`)).body).not.toContain('data-waiting-for');
  });
});

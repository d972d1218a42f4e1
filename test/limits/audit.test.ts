import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, createPartner, createWebhook, expectCall, pairActive, type Partner } from '../api/fixtures.js';
import { deliveryIds } from '../../src/api/deliveryIds.js';
import { ConsoleSession } from '../console/consoleSession.js';
import { admin, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { startHarness } from '../recovery/harness.js';

let hh: TestHearthook;
afterEach(() => hh?.close());

interface Entry {
  seq: number;
  at: string;
  actor: string;
  companyId: string | null;
  action: string;
  target: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}
interface Page {
  data: Entry[];
  nextCursor: string | null;
  hasMore: boolean;
}

const keyIdOf = async (partner: Partner) =>
  (await expectCall<{ keyId: string }>(hh.app, 'GET', '/v1/api-keys/me', partner.headers, undefined, 200)).keyId;

describe('the audit log', () => {
  it('records every management write with actor, action, target, time and before/after, and never a secret', async () => {
    hh = await startTestHearthook();
    const partner = await createPartner(hh.app);
    const keyId = await keyIdOf(partner);
    const gw = await createGateway(hh.app);
    await pairActive(hh.app, gw.gatewayId, partner);
    await expectCall(hh.app, 'PUT', `/v1/admin/gateways/${gw.gatewayId}/contracts/${partner.companyId}/consent`, admin, { consent: 'ERROR_NOTIFICATIONS' }, 200);
    const webhook = await createWebhook(hh.app, partner.apiKey, { apiKey: 'partner-receiver-secret-XYZ' });
    await expectCall(hh.app, 'PATCH', `/v1/webhooks/${webhook.id}`, partner.headers, { description: 'night shift', apiKey: 'another-receiver-secret' }, 200);
    const rotated = await expectCall<{ secret: string }>(hh.app, 'POST', `/v1/webhooks/${webhook.id}/rotate-secret`, partner.headers, undefined, 200);
    await expectCall(hh.app, 'POST', `/v1/webhooks/${webhook.id}/recover`, partner.headers, { since: '2026-01-01T00:00:00Z' }, 200);
    const minted = await expectCall<{ id: string; apiKey: string }>(hh.app, 'POST', '/v1/api-keys', partner.headers, undefined, 201);
    await expectCall(hh.app, 'DELETE', `/v1/api-keys/${minted.id}`, partner.headers, undefined, 204);
    await expectCall(hh.app, 'DELETE', `/v1/webhooks/${webhook.id}`, partner.headers, undefined, 204);
    await expectCall(hh.app, 'DELETE', `/v1/admin/gateways/${gw.gatewayId}/contracts/${partner.companyId}`, admin, undefined, 200);
    await expectCall(hh.app, 'DELETE', `/v1/contracts/${gw.gatewayId}`, partner.headers, undefined, 204);

    const page = await expectCall<Page>(hh.app, 'GET', '/v1/admin/audit?limit=1000', admin, undefined, 200);
    const seen = page.data.map((e) => [e.actor === 'operator' ? 'operator' : e.actor === keyId ? 'key' : e.actor, e.action]);
    expect(seen).toEqual([
      ['operator', 'company.create'],
      ['operator', 'api_key.create'],
      ['operator', 'gateway.create'],
      ['operator', 'contract.pair'],
      ['key', 'contract.accept'],
      ['operator', 'contract.consent'],
      ['key', 'webhook.create'],
      ['key', 'webhook.update'],
      ['key', 'webhook.rotate_secret'],
      ['key', 'webhook.recover'],
      ['key', 'api_key.create'],
      ['key', 'api_key.revoke'],
      ['key', 'webhook.delete'],
      ['operator', 'contract.close'],
      ['key', 'contract.acknowledge'],
    ]);
    const update = page.data.find((e) => e.action === 'webhook.update')!;
    expect(update).toMatchObject({ companyId: partner.companyId, target: webhook.id, at: new Date(hh.clock.now()).toISOString() });
    expect(update.before).toMatchObject({ description: null });
    expect(update.after).toMatchObject({ description: 'night shift' });
    expect(page.data.find((e) => e.action === 'contract.consent')).toMatchObject({
      target: `${gw.gatewayId}/${partner.companyId}`,
      before: { consent: 'MONITOR_AND_CONTROL' },
      after: { consent: 'ERROR_NOTIFICATIONS' },
    });
    const everything = JSON.stringify(await hh.rt.store.all('SELECT * FROM audit_log'));
    for (const secret of [partner.apiKey, minted.apiKey, 'partner-receiver-secret-XYZ', 'another-receiver-secret', rotated.secret, webhook.secret!]) {
      expect(everything).not.toContain(secret);
    }
    expect(everything).not.toMatch(/whsec_|xHCSAPI[A-Za-z0-9_-]{20}/);
  });

  it('pages with nextCursor without gaps or repeats, and shows a partner only its own entries', async () => {
    hh = await startTestHearthook();
    const partner = await createPartner(hh.app);
    const other = await createPartner(hh.app);
    for (let i = 0; i < 5; i++) await createWebhook(hh.app, partner.apiKey);
    await createWebhook(hh.app, other.apiKey);
    const seqs: number[] = [];
    let cursor: string | null = null;
    for (;;) {
      const url: string = `/v1/audit?limit=2${cursor ? `&after=${cursor}` : ''}`;
      const page: Page = await expectCall<Page>(hh.app, 'GET', url, partner.headers, undefined, 200);
      expect(page.data.every((e) => e.companyId === partner.companyId)).toBe(true);
      seqs.push(...page.data.map((e) => e.seq));
      cursor = page.nextCursor;
      if (!page.hasMore) break;
    }
    expect(seqs).toHaveLength(7); // company, its key, five webhooks
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(7);
    // The last cursor picks up later entries.
    await createWebhook(hh.app, partner.apiKey);
    const later = await expectCall<Page>(hh.app, 'GET', `/v1/audit?after=${cursor}`, partner.headers, undefined, 200);
    expect(later.data.map((e) => e.action)).toEqual(['webhook.create']);
    const bad = await hh.app.inject({ method: 'GET', url: '/v1/audit?after=nonsense', headers: partner.headers });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('/querystring/after');
    const forOther = await expectCall<Page>(hh.app, 'GET', `/v1/admin/audit?companyId=${other.companyId}`, admin, undefined, 200);
    expect(forOther.data.map((e) => e.action)).toEqual(['company.create', 'api_key.create', 'webhook.create']);
  });

  it('records a retry and a recovery made in the console as the API records them, with the console as actor', async () => {
    const h = await startHarness();
    hh = h.hh;
    try {
      const p = await h.partner();
      for (let i = 0; i < 3; i++) await h.emit(p.gatewayId);
      h.receiver.reply = () => ({ status: 500, body: 'down' });
      await h.deliverDue();
      await hh.rt.store.run("UPDATE deliveries SET status = 'dead', next_attempt_at = NULL");
      const ids = await deliveryIds(hh.rt.store);
      const [byApi, byConsole] = (await h.deliveries(p.webhookId)).map((d) => ids.encode(d.id));
      const { keyId } = await expectCall<{ keyId: string }>(hh.app, 'GET', '/v1/api-keys/me', p.headers, undefined, 200);

      await expectCall(hh.app, 'POST', `/v1/deliveries/${byApi}/retry`, p.headers, undefined, 202);
      const browser = new ConsoleSession(hh.app);
      expect((await browser.signIn(p.headers['x-api-key'])).statusCode).toBe(303);
      expect((await browser.post(`/console/deliveries/${byConsole}/retry`, { _csrf: browser.csrf })).statusCode).toBe(200);
      const recover = await browser.post(`/console/webhooks/${p.webhookId}/recover`, { _csrf: browser.csrf, since: '2026-01-01T00:00' });
      expect(recover.statusCode).toBe(200);
      expect(recover.body).toContain('1 dead delivery re-queued');
      await expectCall(hh.app, 'POST', `/v1/webhooks/${p.webhookId}/recover`, p.headers, { since: '2026-01-01T00:00:00Z' }, 200);

      const own = await expectCall<Page>(hh.app, 'GET', '/v1/audit?limit=1000', p.headers, undefined, 200);
      const console = `console:${p.companyId}`;
      const recovered = (n: number) => ({ since: '2026-01-01T00:00:00.000Z', recovered: n });
      expect(own.data.filter((e) => e.action !== 'api_key.create').map((e) => [e.actor, e.action, e.target, e.after])).toEqual([
        [keyId, 'delivery.retry', byApi, null],
        [console, 'delivery.retry', byConsole, null],
        [console, 'webhook.recover', p.webhookId, recovered(1)],
        [keyId, 'webhook.recover', p.webhookId, recovered(0)],
      ]);
    } finally {
      await h.close();
    }
  });

  it('records nothing for a refused write', async () => {
    hh = await startTestHearthook();
    const partner = await createPartner(hh.app);
    const before = await hh.rt.store.all('SELECT * FROM audit_log');
    const res = await hh.app.inject({ method: 'POST', url: '/v1/webhooks', headers: partner.headers, payload: { url: 'ftp://x' } });
    expect(res.statusCode).toBe(400);
    expect((await hh.app.inject({ method: 'DELETE', url: '/v1/webhooks/wh_nothing', headers: partner.headers })).statusCode).toBe(404);
    expect(await hh.rt.store.all('SELECT * FROM audit_log')).toEqual(before);
  });
});

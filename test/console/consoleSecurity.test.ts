import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveryIds } from '../../src/api/deliveryIds.js';
import { snapshot } from '../api/fixtures.js';
import { type Harness, startHarness } from '../recovery/harness.js';
import { ADMIN_TOKEN } from '../helpers/testRuntime.js';
import { ConsoleSession } from './consoleSession.js';

const SCRIPT = '<script>window.__pwned = 1</script>';
const IMG = '"><img src=x onerror="window.__pwned = 1">';

/** The partner pages a session can reach for its webhook and delivery. */
const partnerPages = (webhookId: string, deliveryId: string) => [
  '/console/webhooks',
  `/console/webhooks/${webhookId}`,
  '/console/deliveries',
  `/console/deliveries?webhookId=${webhookId}`,
  `/console/deliveries/${deliveryId}`,
  '/console/contracts',
  '/console/catalog',
];
const OPERATOR_PAGES = ['/console/operator', '/console/operator/webhooks', '/console/operator/companies'];

describe('the console keeps partners apart, refuses forged forms and escapes what partners wrote', () => {
  let h: Harness;
  let a: Awaited<ReturnType<Harness['partner']>>;
  let b: Awaited<ReturnType<Harness['partner']>>;
  let aDelivery: number;
  let bDelivery: number;
  /** The same deliveries as the console and the API name them (`dlv_…`). */
  let aPublic: string;
  let bPublic: string;
  let asA: ConsoleSession;

  beforeEach(async () => {
    h = await startHarness();
    a = await h.partner();
    b = await h.partner();
    // Hostile text where partners and operators can write it: a company name, a webhook description.
    await h.hh.rt.store.run('UPDATE companies SET name = ? WHERE id = ?', [`Acme ${SCRIPT}${IMG}`, a.companyId]);
    await h.hh.rt.store.run('UPDATE webhooks SET description = ? WHERE id IN (?, ?)', [`Hook ${IMG}${SCRIPT}`, a.webhookId, b.webhookId]);
    h.receiver.reply = () => ({ status: 500, body: `${SCRIPT}${IMG}` });
    await h.emit(a.gatewayId);
    await h.emit(b.gatewayId);
    await h.deliverDue();
    [aDelivery] = (await h.deliveries(a.webhookId)).map((d) => d.id);
    [bDelivery] = (await h.deliveries(b.webhookId)).map((d) => d.id);
    await h.hh.rt.store.run("UPDATE deliveries SET status = 'dead', next_attempt_at = NULL WHERE id IN (?, ?)", [aDelivery, bDelivery]);
    const ids = await deliveryIds(h.hh.rt.store);
    [aPublic, bPublic] = [ids.encode(aDelivery), ids.encode(bDelivery)];
    await h.hh.rt.store.run("UPDATE webhooks SET failing_since = ? WHERE id = ?", [h.hh.clock.now(), a.webhookId]);
    asA = new ConsoleSession(h.hh.app);
    expect((await asA.signIn(a.headers['x-api-key'])).statusCode).toBe(303);
  });
  afterEach(async () => h.close());

  it('shows a hostile company name, webhook description and endpoint answer as text on every page', async () => {
    const operator = new ConsoleSession(h.hh.app);
    expect((await operator.signIn(ADMIN_TOKEN)).statusCode).toBe(303);
    const pages = [
      ...partnerPages(a.webhookId, aPublic).map((url) => [asA, url] as const),
      ...OPERATOR_PAGES.map((url) => [operator, url] as const),
    ];
    let shown = 0;
    for (const [session, url] of pages) {
      const res = await session.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).not.toContain('<script>window');
      expect(res.body, url).not.toContain('<img src=x');
      if (res.body.includes('&lt;script&gt;window.__pwned') || res.body.includes('&lt;img src=x')) shown++;
    }
    // The hostile text is on the pages (escaped), not merely absent.
    expect(shown).toBeGreaterThanOrEqual(6);
  });

  it('refuses a form posted without the session CSRF token, or with another one, and changes nothing', async () => {
    const before = await snapshot(h.hh.rt);
    for (const token of [undefined, 'forged', new ConsoleSession(h.hh.app).csrf]) {
      const form: Record<string, string> = token ? { _csrf: token } : {};
      for (const action of ['disable', 'ordering', 'rotate-secret']) {
        const res = await asA.post(`/console/webhooks/${a.webhookId}/${action}`, form, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
        expect(res.statusCode, `${action} with ${token}`).toBe(403);
      }
      expect((await asA.post(`/console/deliveries/${aPublic}/retry`, form)).statusCode).toBe(403);
      expect((await asA.post('/console/sign-out', form)).statusCode).toBe(403);
    }
    expect(await snapshot(h.hh.rt)).toEqual(before);
    // The sign-in form has its own token: a cross-site sign-in (login CSRF) is refused too.
    const fresh = new ConsoleSession(h.hh.app);
    const res = await fresh.post('/console/sign-in', { credential: b.headers['x-api-key'] });
    expect(res.statusCode).toBe(403);
    expect(fresh.cookies.has('hh_console')).toBe(false);
    // With the token, the same action goes through.
    expect((await asA.post(`/console/webhooks/${a.webhookId}/disable`, { _csrf: asA.csrf })).statusCode).toBe(200);
  });

  it("gives one partner a 404 for every console URL of another partner's webhook or delivery, and changes nothing", async () => {
    await asA.get('/console/webhooks');
    const before = await snapshot(h.hh.rt);
    for (const url of [
      `/console/webhooks/${b.webhookId}`,
      `/console/webhooks/${b.webhookId}/series?range=hour`,
      `/console/webhooks/${b.webhookId}/upgrade?to=2`,
      `/console/deliveries/${bPublic}`,
      ...OPERATOR_PAGES,
    ]) {
      expect((await asA.get(url)).statusCode, url).toBe(404);
    }
    const form = { _csrf: asA.csrf, eventType: 'CONNECTIVITY_STATUS', apiVersion: '1', since: '2020-01-01T00:00', ordering: 'GATEWAY' };
    for (const action of ['enable', 'disable', 'ordering', 'rotate-secret', 'test', 'recover', 'upgrade']) {
      expect((await asA.post(`/console/webhooks/${b.webhookId}/${action}`, form)).statusCode, action).toBe(404);
    }
    expect((await asA.post(`/console/deliveries/${bPublic}/retry`, form)).statusCode).toBe(404);
    expect((await asA.post(`/console/contracts/${b.gatewayId}/accept`, form)).statusCode).toBe(404);
    expect(await snapshot(h.hh.rt)).toEqual(before);
    // Filtering the log by the other partner's webhook shows none of its deliveries.
    const log = await asA.get(`/console/deliveries?webhookId=${b.webhookId}`);
    expect(log.body).not.toContain(`delivery-${bPublic}"`);
    expect((await asA.get('/console/deliveries')).body).toContain(`delivery-${aPublic}"`);
    // An operator session is not a partner session either.
    const operator = new ConsoleSession(h.hh.app);
    await operator.signIn(ADMIN_TOKEN);
    expect((await operator.get('/console/webhooks')).statusCode).toBe(404);
  });

  it('keeps the API key out of every page and URL, and sets the session cookie HttpOnly, SameSite=Strict', async () => {
    const key = a.headers['x-api-key'];
    const fresh = new ConsoleSession(h.hh.app);
    await fresh.get('/console/sign-in');
    const res = await fresh.post('/console/sign-in', { _csrf: fresh.csrf, credential: key });
    expect(res.headers.location).not.toContain(key);
    const cookie = [res.headers['set-cookie']].flat().find((c) => c?.startsWith('hh_console='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(key);
    for (const url of partnerPages(a.webhookId, aPublic)) expect((await fresh.get(url)).body, url).not.toContain(key);
  });

  it('ends a partner session when its API key is gone, and sends a signed-out browser to the sign-in form', async () => {
    await h.hh.rt.store.run('DELETE FROM api_keys WHERE company_id = ?', [a.companyId]);
    const res = await asA.get('/console/webhooks');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/sign-in');
  });
});

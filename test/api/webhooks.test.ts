import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentMajor } from '../../src/versions/registry.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import {
  createGateway,
  createPartner,
  createWebhook,
  countRows,
  PAGE_REGISTRATION,
  pairActive,
  type Partner,
  snapshot,
  type Webhook,
} from './fixtures.js';

describe('partner webhooks', () => {
  let hh: TestHearthook;
  let partner: Partner;
  beforeEach(async () => {
    hh = await startTestHearthook();
    partner = await createPartner(hh.app);
  });
  afterEach(() => hh.close());

  it("accepts the reference page's registration object as written, plus event types", async () => {
    const res = await hh.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: partner.headers,
      payload: { ...PAGE_REGISTRATION, eventTypes: ['APPLIANCE_STATUS'] },
    });
    expect(res.statusCode).toBe(201);
    const webhook = res.json<Webhook>();
    expect(webhook).toMatchObject({
      url: 'http://partner.backend/',
      apiKeyName: 'x-api-key',
      apiKeyLocation: 'HEADER',
      eventTypes: ['APPLIANCE_STATUS'],
      description: null,
      enabled: true,
      apiVersion: currentMajor(hh.clock.now()),
      createdAt: new Date(hh.clock.now()).toISOString(),
    });
    expect(webhook.id).toMatch(/^wh_/);
    expect(webhook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(webhook.secret!.slice(6), 'base64')).toHaveLength(24);
  });

  it('stores the API key and the secret only encrypted, and never shows the API key', async () => {
    const created = await createWebhook(hh.app, partner.apiKey, { apiKey: 'the-partner-secret-key' });
    const row = await hh.rt.store.get<{ api_key_enc: string; secret_enc: string }>('SELECT * FROM webhooks WHERE id = ?', [
      created.id,
    ]);
    expect(row!.api_key_enc).not.toContain('the-partner-secret-key');
    expect(hh.rt.encrypter.decrypt(row!.api_key_enc)).toBe('the-partner-secret-key');
    expect(hh.rt.encrypter.decrypt(row!.secret_enc)).toBe(created.secret);
    const answers = [
      JSON.stringify(created),
      (await hh.app.inject({ method: 'GET', url: `/v1/webhooks/${created.id}`, headers: partner.headers })).body,
      (await hh.app.inject({ method: 'GET', url: '/v1/webhooks', headers: partner.headers })).body,
      (await hh.app.inject({ method: 'PATCH', url: `/v1/webhooks/${created.id}`, headers: partner.headers, payload: { apiKey: 'new-key' } }))
        .body,
    ];
    for (const body of answers) {
      expect(body).not.toContain('the-partner-secret-key');
      expect(body).not.toContain('new-key');
      expect(body).not.toContain('apiKey"');
    }
    // The secret is answered once, at creation.
    for (const body of answers.slice(1)) expect(body).not.toContain('whsec_');
  });

  it('refuses an http URL with an error naming /body/url when allowHttp is off, and stores nothing', async () => {
    const strict = await startTestHearthook({ allowHttp: false });
    try {
      const p = await createPartner(strict.app);
      const before = await snapshot(strict.rt);
      const res = await strict.app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: p.headers,
        payload: { ...PAGE_REGISTRATION, eventTypes: ['APPLIANCE_STATUS'] },
      });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors).toEqual([{ field: '/body/url', message: 'must be an https URL' }]);
      expect(await snapshot(strict.rt)).toEqual(before);
      await createWebhook(strict.app, p.apiKey, { url: 'https://partner.example/hook' });
    } finally {
      await strict.close();
    }
  });

  it.each([
    ['a relative URL', '/hook'],
    ['credentials in the URL', 'https://user:pass@partner.example/hook'],
    ['a non-HTTP scheme', 'ftp://partner.example/hook'],
  ])('refuses %s naming /body/url', async (_what, url) => {
    const before = await countRows(hh.rt);
    const res = await hh.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: partner.headers,
      payload: { ...PAGE_REGISTRATION, url, eventTypes: ['DATA_POINT'] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('/body/url');
    expect(await countRows(hh.rt)).toEqual(before);
  });

  it('refuses empty, duplicate and unknown event types, and an API version that does not exist', async () => {
    const before = await countRows(hh.rt);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ eventTypes: [] }, '/body/eventTypes'],
      [{ eventTypes: ['DATA_POINT', 'DATA_POINT'] }, '/body/eventTypes'],
      [{ eventTypes: ['NOT_A_TYPE'] }, '/body/eventTypes/0'],
      [{ eventTypes: ['DATA_POINT'], apiVersion: 99 }, '/body/apiVersion'],
    ];
    for (const [extra, field] of cases) {
      const res = await hh.app.inject({ method: 'POST', url: '/v1/webhooks', headers: partner.headers, payload: { ...PAGE_REGISTRATION, ...extra } });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(await countRows(hh.rt)).toEqual(before);
  });

  it('pins a chosen API version', async () => {
    const webhook = await createWebhook(hh.app, partner.apiKey, { apiVersion: 1 });
    expect(webhook.apiVersion).toBe(1);
  });

  it('changes the fields a PATCH names, and a PATCH with one bad field changes nothing', async () => {
    const webhook = await createWebhook(hh.app, partner.apiKey);
    hh.clock.advance(1000);
    const ok = await hh.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${webhook.id}`,
      headers: partner.headers,
      payload: { enabled: false, description: 'night shift', eventTypes: ['DATA_POINT'], apiKeyLocation: 'QUERY' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ enabled: false, description: 'night shift', eventTypes: ['DATA_POINT'], apiKeyLocation: 'QUERY' });
    expect(ok.json().updatedAt).not.toBe(webhook.updatedAt);

    const before = await snapshot(hh.rt);
    const bad = await hh.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${webhook.id}`,
      headers: partner.headers,
      payload: { description: 'changed', url: 'https://u:p@partner.example/' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('/body/url');
    const empty = await hh.app.inject({ method: 'PATCH', url: `/v1/webhooks/${webhook.id}`, headers: partner.headers, payload: {} });
    expect(empty.statusCode).toBe(400);
    expect(await snapshot(hh.rt)).toEqual(before);
  });

  it("answers 404 to a partner reading, changing or deleting another partner's webhook, and changes nothing", async () => {
    const webhook = await createWebhook(hh.app, partner.apiKey);
    const other = await createPartner(hh.app, { name: 'Other Co' });
    const before = await snapshot(hh.rt);
    const url = `/v1/webhooks/${webhook.id}`;
    const attempts = [
      { method: 'GET' as const, url },
      { method: 'PATCH' as const, url, payload: { enabled: false } },
      { method: 'DELETE' as const, url },
      { method: 'GET' as const, url: `${url}/deliveries` },
    ];
    for (const attempt of attempts) {
      const res = await hh.app.inject({ ...attempt, headers: other.headers });
      expect(res.statusCode, `${attempt.method} ${attempt.url}`).toBe(404);
      expect(res.json().title).toBe('webhook not found');
    }
    const list = await hh.app.inject({ method: 'GET', url: '/v1/webhooks', headers: other.headers });
    expect(list.json().data).toEqual([]);
    expect(await snapshot(hh.rt)).toEqual(before);
  });

  it('deletes a webhook and dead-letters its queued deliveries, keeping them for history', async () => {
    const gw = await createGateway(hh.app);
    const webhook = await createWebhook(hh.app, partner.apiKey, { eventTypes: ['CONTRACT_STATUS'] });
    await pairActive(hh.app, gw.gatewayId, partner); // PENDING → ACTIVE queues one CONTRACT_STATUS delivery
    await hh.rt.store.run("UPDATE deliveries SET status = 'delivered', next_attempt_at = NULL");
    await hh.app.inject({ method: 'PATCH', url: `/v1/contracts/${gw.gatewayId}`, headers: partner.headers, payload: { action: 'REVOKE' } });
    hh.clock.advance(5000);

    const res = await hh.app.inject({ method: 'DELETE', url: `/v1/webhooks/${webhook.id}`, headers: partner.headers });
    expect(res.statusCode).toBe(204);
    const rows = await hh.rt.store.all<{ status: string; next_attempt_at: number | null; last_error: string | null }>(
      'SELECT status, next_attempt_at, last_error FROM deliveries WHERE webhook_id = ? ORDER BY id',
      [webhook.id],
    );
    expect(rows).toEqual([
      { status: 'delivered', next_attempt_at: null, last_error: null },
      { status: 'dead', next_attempt_at: null, last_error: 'webhook deleted' },
    ]);
    const gone = await hh.app.inject({ method: 'GET', url: `/v1/webhooks/${webhook.id}`, headers: partner.headers });
    expect(gone.statusCode).toBe(404);
  });
});

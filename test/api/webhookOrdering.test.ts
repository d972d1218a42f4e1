import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { createPartner, createWebhook, expectCall, type Partner, snapshot } from './fixtures.js';

interface AuditEntry {
  action: string;
  target: string;
  before: { ordering?: string } | null;
  after: { ordering?: string } | null;
}

describe('a webhook’s ordering option', () => {
  let hh: TestHearthook;
  let partner: Partner;
  beforeEach(async () => {
    hh = await startTestHearthook();
    partner = await createPartner(hh.app);
  });
  afterEach(() => hh.close());

  it('is NONE unless registered GATEWAY, shows in every representation, and a PATCH changes it with the audit log saying from what', async () => {
    const plain = await createWebhook(hh.app, partner.apiKey);
    expect(plain).toMatchObject({ ordering: 'NONE' });
    const ordered = await createWebhook(hh.app, partner.apiKey, { ordering: 'GATEWAY' });
    expect(ordered).toMatchObject({ ordering: 'GATEWAY' });
    const one = await expectCall<{ ordering: string }>(hh.app, 'GET', `/v1/webhooks/${ordered.id}`, partner.headers, undefined, 200);
    expect(one.ordering).toBe('GATEWAY');
    const list = await expectCall<{ data: Array<{ id: string; ordering: string }> }>(hh.app, 'GET', '/v1/webhooks', partner.headers, undefined, 200);
    expect(Object.fromEntries(list.data.map((w) => [w.id, w.ordering]))).toEqual({ [plain.id]: 'NONE', [ordered.id]: 'GATEWAY' });

    const patched = await expectCall<{ ordering: string }>(hh.app, 'PATCH', `/v1/webhooks/${plain.id}`, partner.headers, { ordering: 'GATEWAY' }, 200);
    expect(patched.ordering).toBe('GATEWAY');
    const row = await hh.rt.store.get<{ ordering: string }>('SELECT ordering FROM webhooks WHERE id = ?', [plain.id]);
    expect(row?.ordering).toBe('GATEWAY');
    const audit = await expectCall<{ data: AuditEntry[] }>(hh.app, 'GET', '/v1/audit', partner.headers, undefined, 200);
    const update = audit.data.find((e) => e.action === 'webhook.update' && e.target === plain.id);
    expect(update?.before?.ordering).toBe('NONE');
    expect(update?.after?.ordering).toBe('GATEWAY');
    const created = audit.data.find((e) => e.action === 'webhook.create' && e.target === ordered.id);
    expect(created?.after?.ordering).toBe('GATEWAY');
  });

  it('refuses an unknown ordering on registration and on PATCH with a problem naming /body/ordering, and changes nothing', async () => {
    const webhook = await createWebhook(hh.app, partner.apiKey);
    const before = await snapshot(hh.rt);
    for (const [method, url, payload] of [
      ['POST', '/v1/webhooks', { url: 'http://partner.backend/', apiKeyName: 'x-api-key', apiKeyLocation: 'HEADER', apiKey: 'k', eventTypes: ['DATA_POINT'], ordering: 'EVENT' }],
      ['PATCH', `/v1/webhooks/${webhook.id}`, { ordering: 'gateway' }],
      ['PATCH', `/v1/webhooks/${webhook.id}`, { ordering: null }],
    ] as const) {
      const res = await hh.app.inject({ method, url, headers: partner.headers, payload });
      expect(res.statusCode, `${method} ${JSON.stringify(payload)}`).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain('/body/ordering');
    }
    expect(await snapshot(hh.rt)).toEqual(before);
  });

  it('is documented in OpenAPI: an enum on the webhook, its registration and its PATCH, and waitingFor on a delivery', async () => {
    const spec = (await hh.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const schemaOf = (path: string, method: string) => spec.paths[path][method].requestBody.content['application/json'].schema;
    for (const schema of [schemaOf('/v1/webhooks', 'post'), schemaOf('/v1/webhooks/{id}', 'patch'), spec.paths['/v1/webhooks/{id}'].get.responses['200'].content['application/json'].schema]) {
      expect(schema.properties.ordering.enum).toEqual(['NONE', 'GATEWAY']);
      expect(schema.properties.ordering.description).toMatch(/sequence/);
    }
    const delivery = spec.paths['/v1/deliveries/{id}'].get.responses['200'].content['application/json'].schema;
    expect(delivery.properties.waitingFor.description).toMatch(/GATEWAY/);
  });
});

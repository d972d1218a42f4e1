import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryIds } from '../../src/api/deliveryIds.js';
import { snapshot } from '../api/fixtures.js';
import { admin } from '../helpers/testRuntime.js';
import { type Harness, startHarness } from './harness.js';

interface Case {
  name: string;
  method: 'GET' | 'POST';
  url: string;
  payload?: Record<string, unknown>;
  /** Whose credentials: the webhook's owner, another partner, the operator, or none. */
  as: 'owner' | 'intruder' | 'admin' | 'nobody';
  status: number;
  /** The field the problem must name (absent for a plain 404 or 401). */
  field?: string;
}

describe('the recovery endpoints facing bad input and other partners', () => {
  let h: Harness;
  let owner: Record<string, string>;
  let intruder: Record<string, string>;
  let webhookId: string;
  let deliveryId: string;
  beforeAll(async () => {
    h = await startHarness({ retrySchedule: [0] });
    const p = await h.partner({ eventTypes: ['CONNECTIVITY_STATUS'] });
    owner = p.headers;
    intruder = (await h.partner()).headers;
    webhookId = p.webhookId;
    h.receiver.reply = () => ({ status: 500 });
    await h.emit(p.gatewayId);
    await h.deliverDue();
    const [{ id }] = await h.deliveries(webhookId); // dead: retryable by its owner only
    deliveryId = (await deliveryIds(h.hh.rt.store)).encode(id);
  });
  afterAll(() => h.close());

  const since = { since: '2026-01-01T00:00:00Z' };
  const cases = (): Case[] => [
    { name: 'a delivery id that is no dlv_ id', method: 'POST', url: '/v1/deliveries/abc/retry', as: 'owner', status: 400, field: '/params/id' },
    { name: "retrying another partner's delivery", method: 'POST', url: `/v1/deliveries/${deliveryId}/retry`, as: 'intruder', status: 404 },
    { name: 'a delivery id that is the internal number', method: 'POST', url: '/v1/deliveries/1/retry', as: 'owner', status: 400, field: '/params/id' },
    { name: 'retrying an unknown delivery', method: 'POST', url: '/v1/deliveries/dlv_AAAAAAAAAAAAAAAAAAAAAA/retry', as: 'owner', status: 404 },
    { name: 'a since that is no time', method: 'POST', url: `/v1/webhooks/${webhookId}/recover`, payload: { since: 'yesterday' }, as: 'owner', status: 400, field: '/body/since' },
    { name: 'a since without a time zone', method: 'POST', url: `/v1/webhooks/${webhookId}/recover`, payload: { since: '2026-01-01T00:00:00' }, as: 'owner', status: 400, field: '/body/since' },
    { name: 'a missing since', method: 'POST', url: `/v1/webhooks/${webhookId}/recover`, payload: {}, as: 'owner', status: 400, field: '/body/since' },
    { name: 'an unknown recover field', method: 'POST', url: `/v1/webhooks/${webhookId}/recover`, payload: { ...since, until: 'x' }, as: 'owner', status: 400, field: '/body/until' },
    { name: "recovering another partner's webhook", method: 'POST', url: `/v1/webhooks/${webhookId}/recover`, payload: since, as: 'intruder', status: 404 },
    { name: 'a test in an unknown API major', method: 'POST', url: `/v1/webhooks/${webhookId}/test?apiVersion=9`, as: 'owner', status: 400, field: '/querystring/apiVersion' },
    { name: 'a test in a non-numeric API major', method: 'POST', url: `/v1/webhooks/${webhookId}/test?apiVersion=two`, as: 'owner', status: 400, field: '/querystring/apiVersion' },
    { name: 'a test of an unsubscribed type', method: 'POST', url: `/v1/webhooks/${webhookId}/test?eventType=DATA_POINT`, as: 'owner', status: 400, field: '/querystring/eventType' },
    { name: 'a test of an unknown type', method: 'POST', url: `/v1/webhooks/${webhookId}/test?eventType=NOISE`, as: 'owner', status: 400, field: '/querystring/eventType' },
    { name: "testing another partner's webhook", method: 'POST', url: `/v1/webhooks/${webhookId}/test`, as: 'intruder', status: 404 },
    { name: "rotating another partner's secret", method: 'POST', url: `/v1/webhooks/${webhookId}/rotate-secret`, as: 'intruder', status: 404 },
    { name: 'rotating an unknown webhook', method: 'POST', url: '/v1/webhooks/wh_nothing/rotate-secret', as: 'owner', status: 404 },
    { name: 'an unknown health status', method: 'GET', url: '/v1/admin/webhooks?status=unwell', as: 'admin', status: 400, field: '/querystring/status' },
    { name: 'a health list without status', method: 'GET', url: '/v1/admin/webhooks', as: 'admin', status: 400, field: '/querystring/status' },
    { name: 'the health list with a partner key', method: 'GET', url: '/v1/admin/webhooks?status=failing', as: 'owner', status: 401 },
    { name: 'a retry without a key', method: 'POST', url: `/v1/deliveries/${deliveryId}/retry`, as: 'nobody', status: 401 },
  ];

  it('answers each with problem+json (naming the field where one is wrong) and changes nothing', async () => {
    const headers = { owner, intruder, admin, nobody: {} };
    for (const c of cases()) {
      const before = await snapshot(h.hh.rt);
      const sentBefore = h.receiver.received.length;
      const res = await h.hh.app.inject({
        method: c.method,
        url: c.url,
        headers: headers[c.as],
        ...(c.payload ? { payload: c.payload } : {}),
      });
      expect(res.statusCode, c.name).toBe(c.status);
      expect(res.headers['content-type'], c.name).toContain('application/problem+json');
      if (c.field) expect(res.json().errors?.map((e: { field: string }) => e.field), c.name).toContain(c.field);
      expect(await snapshot(h.hh.rt), c.name).toEqual(before);
      expect(h.receiver.received.length, `${c.name}: nothing sent`).toBe(sentBefore);
    }
  });

  it('still lets the owner act on what the intruder could not', async () => {
    expect((await h.hh.app.inject({ method: 'POST', url: `/v1/deliveries/${deliveryId}/retry`, headers: owner })).statusCode).toBe(202);
  });
});

describe('the OpenAPI document', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it.each([
    ['post', '/v1/deliveries/{id}/retry', 'partnerKey'],
    ['post', '/v1/webhooks/{id}/recover', 'partnerKey'],
    ['post', '/v1/webhooks/{id}/test', 'partnerKey'],
    ['post', '/v1/webhooks/{id}/rotate-secret', 'partnerKey'],
    ['get', '/v1/admin/webhooks', 'adminToken'],
  ])('documents %s %s with a tag, a summary, its security and problem+json errors', async (method, path, scheme) => {
    const paths = (await h.hh.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths;
    const op = paths[path]?.[method];
    expect(op, `${method} ${path}`).toBeDefined();
    expect(op.tags?.length).toBeGreaterThan(0);
    expect(op.summary).toBeTruthy();
    expect(op.security).toEqual([{ [scheme]: [] }]);
    expect(op.responses['401'].content).toHaveProperty(['application/problem+json']);
  });
});

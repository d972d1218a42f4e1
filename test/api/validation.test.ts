import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { createGateway, createPartner, createWebhook, PAGE_REGISTRATION, type Partner, snapshot } from './fixtures.js';

interface BadCase {
  name: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'GET';
  url: string;
  payload?: Record<string, unknown>;
  partner?: boolean;
  status: number;
  field: string;
}

describe('bad input', () => {
  let hh: TestHearthook;
  let partner: Partner;
  let gatewayId: string;
  let webhookId: string;
  beforeAll(async () => {
    hh = await startTestHearthook();
    partner = await createPartner(hh.app);
    gatewayId = (await createGateway(hh.app)).gatewayId;
    webhookId = (await createWebhook(hh.app, partner.apiKey)).id;
  });
  afterAll(() => hh.close());

  const company = { name: 'Acme', languages: ['en'] };
  const gateway = { gatewayId: '101506999', type: 'K30', timezone: 'Europe/Berlin' };
  const webhook = { ...PAGE_REGISTRATION, eventTypes: ['DATA_POINT'] };
  const cases = (): BadCase[] => [
    { name: 'a missing company name', method: 'POST', url: '/v1/admin/companies', payload: { languages: ['en'] }, status: 400, field: '/body/name' },
    { name: 'an empty language list', method: 'POST', url: '/v1/admin/companies', payload: { ...company, languages: [] }, status: 400, field: '/body/languages' },
    { name: 'a malformed language tag', method: 'POST', url: '/v1/admin/companies', payload: { ...company, languages: ['english!'] }, status: 400, field: '/body/languages/0' },
    { name: 'an unknown company field', method: 'POST', url: '/v1/admin/companies', payload: { ...company, vatId: 'x' }, status: 400, field: '/body/vatId' },
    { name: 'a gatewayId with letters', method: 'POST', url: '/v1/admin/gateways', payload: { ...gateway, gatewayId: '10150a' }, status: 400, field: '/body/gatewayId' },
    { name: 'an unknown time zone', method: 'POST', url: '/v1/admin/gateways', payload: { ...gateway, timezone: 'Mars/Olympus_Mons' }, status: 400, field: '/body/timezone' },
    { name: 'a UTC offset for a time zone', method: 'POST', url: '/v1/admin/gateways', payload: { ...gateway, timezone: '+01:00' }, status: 400, field: '/body/timezone' },
    { name: 'a missing gateway type', method: 'POST', url: '/v1/admin/gateways', payload: { gatewayId: '1', timezone: 'UTC' }, status: 400, field: '/body/type' },
    { name: 'a duplicate gateway', method: 'POST', url: '/v1/admin/gateways', payload: { ...gateway, gatewayId }, status: 409, field: '/body/gatewayId' },
    { name: 'pairing an unknown company', method: 'POST', url: `/v1/admin/gateways/${gatewayId}/contracts`, payload: { companyId: 'cmp_nobody', consent: 'ERROR_NOTIFICATIONS' }, status: 404, field: '/body/companyId' },
    { name: 'pairing an unknown gateway', method: 'POST', url: '/v1/admin/gateways/999999/contracts', payload: { companyId: partner.companyId, consent: 'ERROR_NOTIFICATIONS' }, status: 404, field: '/params/gatewayId' },
    { name: 'pairing with a bad gatewayId', method: 'POST', url: '/v1/admin/gateways/abc/contracts', payload: { companyId: partner.companyId, consent: 'ERROR_NOTIFICATIONS' }, status: 400, field: '/params/gatewayId' },
    { name: 'an unknown consent', method: 'POST', url: `/v1/admin/gateways/${gatewayId}/contracts`, payload: { companyId: partner.companyId, consent: 'EVERYTHING' }, status: 400, field: '/body/consent' },
    { name: 'an unknown contract action', method: 'PATCH', url: `/v1/contracts/${gatewayId}`, payload: { action: 'DESTROY' }, partner: true, status: 400, field: '/body/action' },
    { name: 'a webhook without apiKey', method: 'POST', url: '/v1/webhooks', payload: { ...webhook, apiKey: undefined }, partner: true, status: 400, field: '/body/apiKey' },
    { name: 'a webhook without eventTypes', method: 'POST', url: '/v1/webhooks', payload: { ...PAGE_REGISTRATION }, partner: true, status: 400, field: '/body/eventTypes' },
    { name: 'an unknown apiKeyLocation', method: 'POST', url: '/v1/webhooks', payload: { ...webhook, apiKeyLocation: 'BODY' }, partner: true, status: 400, field: '/body/apiKeyLocation' },
    { name: 'an apiKeyName that is no header name', method: 'POST', url: '/v1/webhooks', payload: { ...webhook, apiKeyName: 'x api key' }, partner: true, status: 400, field: '/body/apiKeyName' },
    { name: 'an unknown webhook field', method: 'POST', url: '/v1/webhooks', payload: { ...webhook, secret: 'whsec_mine' }, partner: true, status: 400, field: '/body/secret' },
    { name: 'a PATCH of the API version', method: 'PATCH', url: `/v1/webhooks/${webhookId}`, payload: { apiVersion: 1 }, partner: true, status: 400, field: '/body/apiVersion' },
    { name: 'an unknown delivery status filter', method: 'GET', url: `/v1/webhooks/${webhookId}/deliveries?status=lost`, partner: true, status: 400, field: '/querystring/status' },
    { name: 'a page size over 500', method: 'GET', url: `/v1/webhooks/${webhookId}/deliveries?limit=501`, partner: true, status: 400, field: '/querystring/limit' },
  ];

  it('answers each kind of bad input with problem+json naming the field, and changes nothing', async () => {
    for (const c of cases()) {
      const before = await snapshot(hh.rt);
      const res = await hh.app.inject({
        method: c.method,
        url: c.url,
        headers: c.partner ? partner.headers : admin,
        ...(c.payload ? { payload: c.payload } : {}),
      });
      expect(res.statusCode, c.name).toBe(c.status);
      expect(res.headers['content-type'], c.name).toContain('application/problem+json');
      const problem = res.json();
      expect(problem.status, c.name).toBe(c.status);
      expect(problem.errors?.map((e: { field: string }) => e.field), c.name).toContain(c.field);
      expect(await snapshot(hh.rt), c.name).toEqual(before);
    }
  });

  it('stores a time zone under its canonical IANA name', async () => {
    const gw = await createGateway(hh.app, { timezone: 'europe/berlin' });
    expect(gw.timezone).toBe('Europe/Berlin');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { createPartner, createWebhook, snapshot } from '../api/fixtures.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

let hh: TestHearthook;
afterEach(() => hh?.close());

describe('caps per company', () => {
  it('refuses the 21st webhook of a company with 409 naming the cap, and changes nothing; other companies are not counted', async () => {
    hh = await startTestHearthook();
    const partner = await createPartner(hh.app);
    const other = await createPartner(hh.app);
    await createWebhook(hh.app, other.apiKey);
    for (let i = 0; i < 20; i++) await createWebhook(hh.app, partner.apiKey);
    const before = await snapshot(hh.rt);
    const res = await hh.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: partner.headers,
      payload: { url: 'http://partner.backend/', apiKeyName: 'x-api-key', apiKeyLocation: 'HEADER', apiKey: 'XXX', eventTypes: ['DATA_POINT'] },
    });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().title).toBe('cap reached: webhooks per company (HEARTHOOK_MAX_WEBHOOKS=20)');
    expect(await snapshot(hh.rt)).toEqual(before);
    // Deleting one makes room again.
    const list = (await hh.app.inject({ method: 'GET', url: '/v1/webhooks', headers: partner.headers })).json().data;
    await hh.app.inject({ method: 'DELETE', url: `/v1/webhooks/${list[0].id}`, headers: partner.headers });
    await createWebhook(hh.app, partner.apiKey);
  });

  it('takes its caps from HEARTHOOK_ variables: webhooks, event types per webhook', async () => {
    hh = await startTestHearthook({ maxWebhooks: 2, maxEventTypesPerWebhook: 2 });
    const partner = await createPartner(hh.app);
    const webhook = await createWebhook(hh.app, partner.apiKey, { eventTypes: ['DATA_POINT', 'CONTRACT_STATUS'] });
    const tooMany = await hh.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: partner.headers,
      payload: { url: 'http://partner.backend/', apiKeyName: 'x-api-key', apiKeyLocation: 'HEADER', apiKey: 'XXX', eventTypes: ['DATA_POINT', 'CONTRACT_STATUS', 'APPLIANCE_STATUS'] },
    });
    expect(tooMany.statusCode).toBe(409);
    expect(tooMany.json().title).toBe('cap reached: event types per webhook (HEARTHOOK_MAX_EVENT_TYPES_PER_WEBHOOK=2)');
    expect(tooMany.json().errors[0].field).toBe('/body/eventTypes');
    const patch = await hh.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${webhook.id}`,
      headers: partner.headers,
      payload: { eventTypes: ['DATA_POINT', 'CONTRACT_STATUS', 'APPLIANCE_STATUS'] },
    });
    expect(patch.statusCode).toBe(409);
    await createWebhook(hh.app, partner.apiKey, { eventTypes: ['DATA_POINT'] });
    const third = await hh.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: partner.headers,
      payload: { url: 'http://partner.backend/', apiKeyName: 'x-api-key', apiKeyLocation: 'HEADER', apiKey: 'XXX', eventTypes: ['DATA_POINT'] },
    });
    expect(third.json().title).toBe('cap reached: webhooks per company (HEARTHOOK_MAX_WEBHOOKS=2)');
  });

  it('refuses a catch-up page larger than HEARTHOOK_MAX_PAGE_SIZE with 409 naming the cap, and pages by the cap unless asked', async () => {
    hh = await startTestHearthook({ maxPageSize: 50 });
    const partner = await createPartner(hh.app);
    const res = await hh.app.inject({ method: 'GET', url: '/v1/events?limit=51', headers: partner.headers });
    expect(res.statusCode).toBe(409);
    expect(res.json().title).toBe('cap reached: catch-up page size (HEARTHOOK_MAX_PAGE_SIZE=50)');
    expect(res.json().errors[0].field).toBe('/querystring/limit');
    expect((await hh.app.inject({ method: 'GET', url: '/v1/events?limit=50', headers: partner.headers })).statusCode).toBe(200);
    expect((await hh.app.inject({ method: 'GET', url: '/v1/events', headers: partner.headers })).statusCode).toBe(200);
  });
});

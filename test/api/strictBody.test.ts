import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { countRows, createPartner, PAGE_REGISTRATION, type Partner } from './fixtures.js';

describe('JSON bodies are taken as typed', () => {
  let hh: TestHearthook;
  let partner: Partner;
  beforeEach(async () => {
    hh = await startTestHearthook();
    partner = await createPartner(hh.app);
  });
  afterEach(() => hh.close());

  it.each([
    ['eventTypes', 'DATA_POINT', '/body/eventTypes'],
    ['apiVersion', '2', '/body/apiVersion'],
    ['description', 42, '/body/description'],
  ])('refuses %s given as %j instead of guessing, naming %s, and stores nothing', async (field, value, pointer) => {
    const before = await countRows(hh.rt);
    const res = await hh.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: partner.headers,
      payload: { ...PAGE_REGISTRATION, eventTypes: ['DATA_POINT'], [field]: value },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(pointer);
    expect(await countRows(hh.rt)).toEqual(before);
  });

  it('still reads numbers in a query string', async () => {
    const res = await hh.app.inject({ method: 'GET', url: '/v1/events?limit=5', headers: partner.headers });
    expect(res.statusCode).toBe(200);
  });
});

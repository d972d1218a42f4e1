import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../src/util/timestamps.js';
import { admin, ingest, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { addGateway, GATEWAY } from '../ingest/fixtures.js';
import { createPartner, createWebhook, type Partner, snapshot } from './fixtures.js';

const BAD_TIMESTAMPS = [
  '2026-02-30T00:00:00Z', // Date.parse makes it March 2
  '2026-02-29T00:00:00Z', // not a leap year
  '0000-01-01T00:00:00Z',
  '1999-12-31T23:59:59Z',
  '2101-01-01T00:00:00Z',
  '2026-13-01T00:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-06-30T23:59:60Z',
  '2026-01-01T00:00:00+24:00',
  '2026-01-01T00:00:00',
  '2026-01-01 00:00:00Z',
  '+002026-01-01T00:00:00Z',
  'yesterday',
];

describe('strict values in every request', () => {
  let hh: TestHearthook;
  let partner: Partner;
  let webhookId: string;
  beforeAll(async () => {
    hh = await startTestHearthook();
    await addGateway(hh.rt);
    partner = await createPartner(hh.app);
    webhookId = (await createWebhook(hh.app, partner.apiKey)).id;
  });
  afterAll(() => hh.close());

  /** Sends the request; it must be a 400 problem naming `field` (or a field inside it), and the store must not change. */
  async function refused(request: { method: 'GET' | 'POST' | 'PATCH'; url: string; headers: Record<string, string>; payload?: unknown }, field: string) {
    const before = await snapshot(hh.rt);
    const res = await hh.app.inject({
      ...request,
      ...(typeof request.payload === 'string'
        ? { payload: request.payload, headers: { ...request.headers, 'content-type': 'application/json' } }
        : { payload: request.payload as object }),
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json<{ errors: Array<{ field: string }> }>();
    const fields = body.errors.map((e) => e.field);
    expect(fields.some((f) => f === field || f.startsWith(`${field}/`)), `${fields.join(', ')} names ${field}`).toBe(true);
    expect(await snapshot(hh.rt)).toEqual(before);
    return body;
  }
  const ingestOf = (payload: unknown) => ({ method: 'POST' as const, url: '/v1/ingest', headers: ingest, payload });

  it.each([
    ['a lone high surrogate', '\ud83d-x'],
    ['a lone low surrogate', 'x\ude00'],
    ['NUL', 'm-\u0000-1'],
  ])('refuses a messageId holding %s with 400 naming /body/0/messageId (issue 11)', async (_what, messageId) => {
    await refused(ingestOf([{ kind: 'heartbeat', gatewayId: GATEWAY, messageId }]), '/body/0/messageId');
  });

  it('refuses NUL and lone surrogates in every string of a message, keys of objects too', async () => {
    await refused(ingestOf([{ kind: 'datapoint', gatewayId: GATEWAY, key: 'hvac.x\u0000', value: 1 }]), '/body/0/key');
    await refused(ingestOf([{ kind: 'datapoint', gatewayId: GATEWAY, key: 'hvac.x', value: 'on\ud800' }]), '/body/0/value');
    await refused(ingestOf({ kind: 'heartbeat', gatewayId: GATEWAY, ['x\u0000']: 1 }), '/body/x\\u0000'.replace('\\u0000', '\u0000'));
  });

  it.each(BAD_TIMESTAMPS)('refuses the sentAt %s, naming /body/0/sentAt', async (sentAt) => {
    expect(parseTimestamp(sentAt)).toBeUndefined();
    await refused(ingestOf([{ kind: 'heartbeat', gatewayId: GATEWAY, sentAt }]), '/body/0/sentAt');
  });

  it.each(BAD_TIMESTAMPS)('refuses the recover time %s, naming /body/since', async (since) => {
    await refused({ method: 'POST', url: `/v1/webhooks/${webhookId}/recover`, headers: partner.headers, payload: { since } }, '/body/since');
  });

  it('reads the timestamps it takes exactly, offsets and fractions included', () => {
    expect(parseTimestamp('2026-03-29T14:05:00+02:00')).toBe(Date.UTC(2026, 2, 29, 12, 5));
    expect(parseTimestamp('2024-02-29T23:59:59.123456z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 123));
    expect(parseTimestamp('2000-01-01T00:00:00-23:59')).toBe(Date.UTC(2000, 0, 1, 23, 59));
    expect(parseTimestamp('2100-12-31T23:59:59Z')).toBe(Date.UTC(2100, 11, 31, 23, 59, 59));
  });

  it('refuses integers beyond the safe range, which JSON.parse has already rounded', async () => {
    const text = `[{"kind":"datapoint","gatewayId":"${GATEWAY}","key":"hvac.x","value":1152921504606846977}]`;
    const body = await refused(ingestOf(text), '/body/0/value');
    expect(JSON.stringify(body)).toMatch(/safe|9007199254740991/);
    await refused(ingestOf(`{"kind":"fault","gatewayId":"${GATEWAY}","displayCode":"A11","causeCode":1e300,"severity":"ERROR","active":true}`), '/body/causeCode');
  });

  it('refuses deep nesting with a 400, not a crash', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    await refused(ingestOf(deep), '/body');
    const nestedField = `{"name":"x","languages":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const res = await refused({ method: 'POST', url: '/v1/admin/companies', headers: admin, payload: nestedField }, '/body/languages');
    expect(res).toBeDefined();
    expect((await hh.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });

  it('refuses NUL and lone surrogates in JSON bodies of every route, in query strings and paths', async () => {
    await refused({ method: 'PATCH', url: `/v1/webhooks/${webhookId}`, headers: partner.headers, payload: { description: 'a\u0000b' } }, '/body/description');
    await refused({ method: 'PATCH', url: `/v1/webhooks/${webhookId}`, headers: partner.headers, payload: { description: '\udfff' } }, '/body/description');
    await refused({ method: 'POST', url: '/v1/admin/companies', headers: admin, payload: { name: 'Heat\u0000', languages: ['en'] } }, '/body/name');
    await refused({ method: 'GET', url: `/v1/webhooks/${webhookId}/deliveries?status=%00`, headers: partner.headers }, '/querystring/status');
    await refused({ method: 'GET', url: '/v1/webhooks/wh_%00', headers: partner.headers }, '/params/id');
    await refused({ method: 'GET', url: '/v1/webhooks/%ED%A0%80', headers: partner.headers }, '/params');
  });

  it('refuses a string value for a key the rules declare numeric, naming /body/<i>/value, and takes it where they do not', async () => {
    const power = 'hvac.emon.compressor.powerCurrent';
    await refused(ingestOf([{ kind: 'heartbeat', gatewayId: GATEWAY }, { kind: 'datapoint', gatewayId: GATEWAY, key: power, value: '1450' }]), '/body/1/value');
    await refused(ingestOf({ kind: 'datapoint', gatewayId: GATEWAY, key: `hvac.cascade.hs1.emon.compressor.energyConsumption`, value: 'x' }), '/body/value');
    for (const [key, value] of [
      [power, 1450],
      ['hvac.emon.compressor.operationStatus', 'HEATING'],
      ['hvac.heatingCircuit.hc1.flowTemperature', 35.5],
    ] as const) {
      const res = await hh.app.inject({ method: 'POST', url: '/v1/ingest', headers: ingest, payload: [{ kind: 'datapoint', gatewayId: GATEWAY, key, value }] });
      expect(res.statusCode, res.body).toBe(202);
    }
  });
});

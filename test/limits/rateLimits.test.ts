import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createGateway, createPartner, createWebhook, pairActive, type Partner } from '../api/fixtures.js';
import { admin, ingest, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

let hh: TestHearthook;
afterEach(() => hh?.close());

const get = (url: string, headers: Record<string, string>, remoteAddress?: string) =>
  hh.app.inject({ method: 'GET', url, headers, ...(remoteAddress ? { remoteAddress } : {}) });

describe('the manufacturer rate limits on the partner REST API', () => {
  let partner: Partner;
  const start = async () => {
    hh = await startTestHearthook({ rateLimit: true });
    partner = await createPartner(hh.app);
  };

  it('allows a burst of 5 on a path without a gateway, then answers 429 with Retry-After and the draft headers', async () => {
    await start();
    for (let i = 0; i < 5; i++) {
      const res = await get('/v1/webhooks', partner.headers);
      expect(res.statusCode).toBe(200);
      expect(res.headers['ratelimit-policy']).toBe('"path";q=5;w=3');
      expect(res.headers.ratelimit).toBe(`"path";r=${4 - i};t=${Math.ceil(((i + 1) * 500) / 1000)}`);
    }
    const refused = await get('/v1/webhooks', partner.headers);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['ratelimit-policy']).toBe('"path";q=5;w=3');
    expect(refused.headers.ratelimit).toBe('"path";r=0;t=3');
    expect(refused.json().title).toMatch(/rate limit of GET \/v1\/webhooks/);
    // One token every 500 ms: not a millisecond earlier, and exactly then.
    hh.clock.advance(499);
    expect((await get('/v1/webhooks', partner.headers)).statusCode).toBe(429);
    hh.clock.advance(1);
    expect((await get('/v1/webhooks', partner.headers)).statusCode).toBe(200);
  });

  it('sustains the documented 2 requests a second without a single 429', async () => {
    await start();
    for (let i = 0; i < 40; i++) {
      hh.clock.advance(500);
      expect((await get('/v1/webhooks', partner.headers)).statusCode).toBe(200);
    }
  });

  it('keys the bucket by company, endpoint and path', async () => {
    await start();
    const other = await createPartner(hh.app);
    const a = await createWebhook(hh.app, partner.apiKey);
    const b = await createWebhook(hh.app, partner.apiKey);
    for (let i = 0; i < 5; i++) expect((await get(`/v1/webhooks/${a.id}`, partner.headers)).statusCode).toBe(200);
    expect((await get(`/v1/webhooks/${a.id}`, partner.headers)).statusCode).toBe(429);
    expect((await get(`/v1/webhooks/${b.id}`, partner.headers)).statusCode).toBe(200); // another path
    expect((await get(`/v1/webhooks/${a.id}/deliveries`, partner.headers)).statusCode).toBe(200); // another endpoint
    expect((await get(`/v1/webhooks/${a.id}`, other.headers)).statusCode).toBe(404); // another company: its own bucket
  });

  it('allows 3 at once on a path with a gatewayId, then one every 2 s, per gateway', async () => {
    await start();
    const gw1 = await createGateway(hh.app);
    const gw2 = await createGateway(hh.app);
    await pairActive(hh.app, gw1.gatewayId, partner);
    await pairActive(hh.app, gw2.gatewayId, partner);
    for (let i = 0; i < 3; i++) {
      const res = await get(`/v1/contracts/${gw1.gatewayId}`, partner.headers);
      expect(res.statusCode).toBe(200);
      expect(res.headers['ratelimit-policy']).toBe('"gateway-path";q=3;w=6');
    }
    const refused = await get(`/v1/contracts/${gw1.gatewayId}`, partner.headers);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('2');
    expect((await get(`/v1/contracts/${gw2.gatewayId}`, partner.headers)).statusCode).toBe(200);
    hh.clock.advance(1999);
    expect((await get(`/v1/contracts/${gw1.gatewayId}`, partner.headers)).statusCode).toBe(429);
    hh.clock.advance(1);
    expect((await get(`/v1/contracts/${gw1.gatewayId}`, partner.headers)).statusCode).toBe(200);
  });

  it('is all off with HEARTHOOK_RATE_LIMIT=off', async () => {
    expect(loadConfig({}).rateLimit).toBe(true);
    expect(loadConfig({ HEARTHOOK_RATE_LIMIT: 'off' }).rateLimit).toBe(false);
    expect(() => loadConfig({ HEARTHOOK_RATE_LIMIT: 'sometimes' })).toThrow(/HEARTHOOK_RATE_LIMIT/);
    hh = await startTestHearthook(loadConfig({ HEARTHOOK_RATE_LIMIT: 'off' }, { database: ':memory:' }));
    partner = await createPartner(hh.app);
    for (let i = 0; i < 30; i++) {
      const res = await get('/v1/webhooks', partner.headers);
      expect(res.statusCode).toBe(200);
      expect(res.headers.ratelimit).toBeUndefined();
    }
    for (let i = 0; i < 30; i++) expect((await get('/v1/webhooks', { 'x-api-key': 'xHCSAPIwrong' })).statusCode).toBe(401);
  });
});

describe('failed authentication, per client address', () => {
  const credentials: Array<[string, string, Record<string, string>, Record<string, string>]> = [
    ['operator', '/v1/admin/webhooks', { authorization: 'Bearer wrong' }, admin],
    ['ingest', '/v1/ingest', { authorization: 'Bearer wrong' }, ingest],
  ];

  it.each(credentials)('answers %s token guesses 429 after 10 failures, even a right one, and only for that address', async (_, url, wrong, right) => {
    hh = await startTestHearthook({ rateLimit: true });
    const call = (headers: Record<string, string>, remoteAddress = '198.51.100.7') =>
      hh.app.inject({ method: url === '/v1/ingest' ? 'POST' : 'GET', url, headers, remoteAddress, ...(url === '/v1/ingest' ? { payload: [] } : {}) });
    for (let i = 0; i < 10; i++) expect((await call(wrong)).statusCode).toBe(401);
    const refused = await call(wrong);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('6');
    expect(refused.headers['ratelimit-policy']).toBe('"auth-failure";q=10;w=60');
    expect((await call(right)).statusCode).toBe(429); // a blocked guesser learns nothing
    expect((await call(right, '198.51.100.8')).statusCode).not.toBe(429);
    expect((await call(wrong, '198.51.100.8')).statusCode).toBe(401);
    hh.clock.advance(6000);
    expect((await call(right)).statusCode).not.toBe(429);
  });

  it('keys failures by the socket address unless HEARTHOOK_TRUST_PROXY names the peer: X-Forwarded-For is believed only from a trusted proxy', async () => {
    const guess = (remoteAddress: string, forwardedFor?: string) =>
      hh.app.inject({
        method: 'GET',
        url: '/v1/admin/webhooks',
        remoteAddress,
        headers: { authorization: 'Bearer wrong', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
      });
    // Not set: a client behind a proxy (or claiming to be) is its socket address, whatever it writes.
    hh = await startTestHearthook({ rateLimit: true });
    for (let i = 0; i < 10; i++) expect((await guess('10.0.0.5', `198.51.100.${i}`)).statusCode).toBe(401);
    expect((await guess('10.0.0.5', '198.51.100.99')).statusCode).toBe(429);
    await hh.close();

    // Set to the proxy's network: each client behind it has its own count.
    hh = await startTestHearthook({ rateLimit: true, trustProxy: ['10.0.0.0/8'] });
    for (let i = 0; i < 10; i++) expect((await guess('10.0.0.5', '198.51.100.7')).statusCode).toBe(401);
    expect((await guess('10.0.0.5', '198.51.100.7')).statusCode).toBe(429);
    expect((await guess('10.0.0.6', '198.51.100.7')).statusCode).toBe(429); // the same client through another proxy
    expect((await guess('10.0.0.5', '198.51.100.8')).statusCode).toBe(401); // another client through the same proxy
    // A client's own X-Forwarded-For entry is not believed: the proxy appends the address it saw.
    expect((await guess('10.0.0.5', '203.0.113.1, 198.51.100.7')).statusCode).toBe(429);
    // A peer that is not a trusted proxy is its own address, whatever it writes.
    for (let i = 0; i < 10; i++) expect((await guess('192.0.2.1', `198.51.100.${20 + i}`)).statusCode).toBe(401);
    expect((await guess('192.0.2.1', '198.51.100.50')).statusCode).toBe(429);
  });

  it('counts unknown partner keys the same way', async () => {
    hh = await startTestHearthook({ rateLimit: true });
    const partner = await createPartner(hh.app);
    const address = '203.0.113.9';
    for (let i = 0; i < 10; i++) expect((await get('/v1/webhooks', { 'x-api-key': `xHCSAPIguess${i}` }, address)).statusCode).toBe(401);
    expect((await get('/v1/webhooks', { 'x-api-key': 'xHCSAPIguess' }, address)).statusCode).toBe(429);
    expect((await get('/v1/webhooks', partner.headers, address)).statusCode).toBe(429);
    expect((await get('/v1/webhooks', partner.headers)).statusCode).toBe(200);
  });
});

describe('test sends, per webhook', () => {
  it('sends 5 at once, then refuses with 429 until 10 s have passed', async () => {
    hh = await startTestHearthook({ rateLimit: true });
    const partner = await createPartner(hh.app);
    // Port 9 on loopback refuses: the send happens and fails fast, which is all this test needs.
    const webhook = await createWebhook(hh.app, partner.apiKey, { url: 'http://127.0.0.1:9/' });
    const other = await createWebhook(hh.app, partner.apiKey, { url: 'http://127.0.0.1:9/' });
    const send = (id: string) => hh.app.inject({ method: 'POST', url: `/v1/webhooks/${id}/test`, headers: partner.headers });
    for (let i = 0; i < 5; i++) {
      hh.clock.advance(500); // within the REST limit of the path: only the test-send limit can refuse
      expect((await send(webhook.id)).statusCode).toBe(200);
    }
    hh.clock.advance(500);
    const refused = await send(webhook.id);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['ratelimit-policy']).toBe('"test-send";q=5;w=50');
    expect(refused.headers['retry-after']).toBe('8'); // 10 s after the first send, 2.5 s of it gone
    expect((await send(other.id)).statusCode).toBe(200);
    hh.clock.advance(7500);
    expect((await send(webhook.id)).statusCode).toBe(200);
  });
});

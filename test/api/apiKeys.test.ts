import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/util/secrets.js';
import { admin, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { createApiKey, createPartner, partnerHeaders, type Partner } from './fixtures.js';

const DAY = 24 * 60 * 60 * 1000;

describe('partner API keys', () => {
  let hh: TestHearthook;
  let partner: Partner;
  beforeEach(async () => {
    hh = await startTestHearthook();
    partner = await createPartner(hh.app);
  });
  afterEach(() => hh.close());

  const me = (apiKey: string) => hh.app.inject({ method: 'GET', url: '/v1/api-keys/me', headers: partnerHeaders(apiKey) });

  it('makes xHCSAPI keys with 40 random characters, stored only as a sha256 with a short prefix', async () => {
    expect(partner.apiKey).toMatch(/^xHCSAPI[A-Za-z0-9_-]{40}$/);
    const rows = await hh.rt.store.all<Record<string, unknown>>('SELECT * FROM api_keys');
    expect(rows).toHaveLength(1);
    expect(rows[0].key_hash).toBe(sha256(partner.apiKey));
    expect(rows[0].key_prefix).toBe(partner.apiKey.slice(0, 12));
    expect(JSON.stringify(rows)).not.toContain(partner.apiKey);
  });

  it('tells a key its company, id and expiry, 183 days after it was made', async () => {
    const res = await me(partner.apiKey);
    expect(res.statusCode).toBe(200);
    const key = await hh.rt.store.get<{ id: string }>('SELECT id FROM api_keys');
    expect(res.json()).toEqual({
      companyId: partner.companyId,
      keyId: key!.id,
      expiresAt: new Date(hh.clock.now() + 183 * DAY).toISOString(),
    });
  });

  it('refuses a key once it has expired (184 days on), with 401', async () => {
    hh.clock.advance(182 * DAY);
    expect((await me(partner.apiKey)).statusCode).toBe(200);
    hh.clock.advance(2 * DAY);
    const res = await me(partner.apiKey);
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('rotates: a key mints a new key for the same company, and the old one stays valid', async () => {
    const res = await hh.app.inject({ method: 'POST', url: '/v1/api-keys', headers: partner.headers });
    expect(res.statusCode).toBe(201);
    const minted = res.json<{ id: string; apiKey: string; expiresAt: string }>();
    expect(minted.apiKey).not.toBe(partner.apiKey);
    expect((await me(minted.apiKey)).json()).toMatchObject({ companyId: partner.companyId, keyId: minted.id });
    expect((await me(partner.apiKey)).statusCode).toBe(200);
  });

  it('refuses the partner an 11th unexpired key with 409 naming the cap, and counts only unexpired keys', async () => {
    for (let i = 1; i < 10; i++) await createApiKey(hh.app, partner.companyId);
    const partnerMint = await hh.app.inject({ method: 'POST', url: '/v1/api-keys', headers: partner.headers });
    expect(partnerMint.statusCode).toBe(409);
    expect(partnerMint.json().title).toMatch(/cap reached: api keys \(10 unexpired per company\)/);
    const count = await hh.rt.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM api_keys');
    expect(Number(count!.n)).toBe(10);

    hh.clock.advance(184 * DAY); // all ten expired
    expect((await hh.app.inject({ method: 'POST', url: `/v1/admin/companies/${partner.companyId}/api-keys`, headers: admin })).statusCode).toBe(201);
  });

  it('answers 401 to a missing, malformed or unknown key', async () => {
    for (const headers of [{}, { 'x-api-key': 'not-a-key' }, partnerHeaders(`xHCSAPI${'A'.repeat(40)}`)]) {
      const res = await hh.app.inject({ method: 'GET', url: '/v1/webhooks', headers });
      expect(res.statusCode).toBe(401);
    }
  });

  it('answers 404 naming the company when minting a key for an unknown company', async () => {
    const res = await hh.app.inject({ method: 'POST', url: '/v1/admin/companies/cmp_nobody/api-keys', headers: admin });
    expect(res.statusCode).toBe(404);
    expect(res.json().errors).toEqual([{ field: '/params/companyId', message: 'no company has the id cmp_nobody' }]);
  });
});

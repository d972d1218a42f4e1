import { afterEach, describe, expect, it } from 'vitest';
import { createPartner, expectCall, type Partner, partnerHeaders } from '../api/fixtures.js';
import { admin, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { startTwoNodes } from './twoNodes.js';

let hh: TestHearthook;
let nodes: Awaited<ReturnType<typeof startTwoNodes>> | undefined;
afterEach(async () => {
  await hh?.close();
  await nodes?.close();
  nodes = undefined;
});

interface KeyJson {
  id: string;
  prefix: string;
  mintedBy: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
}

const mint = (partner: Partner) => expectCall<{ id: string; apiKey: string }>(hh.app, 'POST', '/v1/api-keys', partner.headers, undefined, 201);
const list = (partner: Partner) => expectCall<{ data: KeyJson[] }>(hh.app, 'GET', '/v1/api-keys', partner.headers, undefined, 200);
const webhooks = (apiKey: string) => hh.app.inject({ method: 'GET', url: '/v1/webhooks', headers: partnerHeaders(apiKey) });

describe('API keys: list and revoke', () => {
  it('lists the company’s keys with id, prefix, minter, created, expires and last used, never the key', async () => {
    hh = await startTestHearthook();
    const partner = await createPartner(hh.app);
    hh.clock.advance(60_000);
    const second = await mint(partner);
    const { data } = await list(partner);
    expect(data.map((k) => k.mintedBy)).toEqual(['operator', 'partner']);
    expect(data[1]).toEqual({
      id: second.id,
      prefix: second.apiKey.slice(0, 12),
      mintedBy: 'partner',
      createdAt: new Date(hh.clock.now()).toISOString(),
      expiresAt: expect.any(String),
      lastUsedAt: null,
    });
    expect(data[0].lastUsedAt).toBe(new Date(hh.clock.now()).toISOString()); // the two calls just now
    expect(JSON.stringify(data)).not.toContain(partner.apiKey);
    expect(JSON.stringify(data)).not.toContain(second.apiKey);
    const other = await createPartner(hh.app);
    expect((await list(other)).data).toHaveLength(1);
  });

  it('refuses a key the partner revoked with 401 from the next request on; another company’s key is a 404', async () => {
    hh = await startTestHearthook();
    const partner = await createPartner(hh.app);
    const other = await createPartner(hh.app);
    const second = await mint(partner);
    const otherKeys = (await list(other)).data;
    const foreign = await hh.app.inject({ method: 'DELETE', url: `/v1/api-keys/${otherKeys[0].id}`, headers: partner.headers });
    expect(foreign.statusCode).toBe(404);
    expect((await webhooks(other.apiKey)).statusCode).toBe(200);
    expect((await hh.app.inject({ method: 'DELETE', url: `/v1/api-keys/${second.id}`, headers: partner.headers })).statusCode).toBe(204);
    const refused = await webhooks(second.apiKey);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().title).toMatch(/revoked/);
    expect((await webhooks(partner.apiKey)).statusCode).toBe(200);
  });

  it('lets the operator list and revoke a company’s keys, and 404s an unknown company or key', async () => {
    hh = await startTestHearthook();
    const partner = await createPartner(hh.app);
    const keys = await expectCall<{ data: KeyJson[] }>(hh.app, 'GET', `/v1/admin/companies/${partner.companyId}/api-keys`, admin, undefined, 200);
    expect(keys.data).toHaveLength(1);
    await expectCall(hh.app, 'GET', '/v1/admin/companies/cmp_nobody/api-keys', admin, undefined, 404);
    await expectCall(hh.app, 'DELETE', `/v1/admin/companies/${partner.companyId}/api-keys/key_nothing`, admin, undefined, 404);
    await expectCall(hh.app, 'DELETE', `/v1/admin/companies/${partner.companyId}/api-keys/${keys.data[0].id}`, admin, undefined, 204);
    expect((await webhooks(partner.apiKey)).statusCode).toBe(401);
  });

  it('lets the operator always mint: at 10 keys it revokes the oldest partner-minted one', async () => {
    hh = await startTestHearthook();
    const partner = await createPartner(hh.app); // operator-minted, the oldest
    const minted = [];
    for (let i = 0; i < 9; i++) {
      hh.clock.advance(1000);
      minted.push(await mint(partner));
    }
    expect((await hh.app.inject({ method: 'POST', url: '/v1/api-keys', headers: partner.headers })).statusCode).toBe(409);
    const res = await hh.app.inject({ method: 'POST', url: `/v1/admin/companies/${partner.companyId}/api-keys`, headers: admin });
    expect(res.statusCode).toBe(201);
    expect(res.json().revokedKeyId).toBe(minted[0].id);
    expect((await webhooks(minted[0].apiKey)).statusCode).toBe(401);
    expect((await webhooks(partner.apiKey)).statusCode).toBe(200);
    expect((await webhooks(res.json().apiKey)).statusCode).toBe(200);
    expect((await list(partner)).data).toHaveLength(10);
  });
});

describe('revocation across nodes', () => {
  it('refuses a key revoked on one node on the other at once', async () => {
    nodes = await startTwoNodes({ rateLimit: false });
    const partner = await createPartner(nodes.a.app);
    const onB = () => nodes!.b.app.inject({ method: 'GET', url: '/v1/webhooks', headers: partner.headers });
    expect((await onB()).statusCode).toBe(200);
    const keys = await expectCall<{ data: KeyJson[] }>(nodes.a.app, 'GET', '/v1/api-keys', partner.headers, undefined, 200);
    await expectCall(nodes.a.app, 'DELETE', `/v1/api-keys/${keys.data[0].id}`, partner.headers, undefined, 204);
    expect((await onB()).statusCode).toBe(401);
  });
});

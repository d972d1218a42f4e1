import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPartner, type Partner } from '../api/fixtures.js';
import { admin, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { DEPRECATION_WINDOW, TEST_VERSIONS, V1_SUPPORT_END, V2_RELEASE } from './testVersions.js';

describe('x-api-version on the REST API (test versions; the clock in major 1’s deprecation window)', () => {
  let hh: TestHearthook;
  let partner: Partner;
  beforeEach(async () => {
    hh = await startTestHearthook({ apiVersions: TEST_VERSIONS });
    partner = await createPartner(hh.app);
    hh.clock.set(DEPRECATION_WINDOW);
  });
  afterEach(() => hh.close());

  const get = (url: string, headers: Record<string, string> = {}) => hh.app.inject({ method: 'GET', url, headers });

  it('answers MAJOR.MINOR of the current major when the request names none', async () => {
    const res = await get('/v1/webhooks', partner.headers);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-api-version']).toBe('2.0');
  });

  it('answers MAJOR.MINOR of the major the request names, while it is supported', async () => {
    for (const [asked, answered] of [['1', '1.0'], ['2', '2.0']]) {
      const res = await get('/v1/webhooks', { ...partner.headers, 'x-api-version': asked });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-api-version']).toBe(answered);
    }
  });

  it.each([
    ['minor-qualified', '2.0', 'must be a major only, such as "2", not MAJOR.MINOR'],
    ['malformed', 'x', '"x" is not an API major; send a whole number such as "2"'],
    ['unknown', '99', 'API version 99 does not exist; supported: 1, 2'],
    ['repeated', '1, 2', '"1, 2" is not an API major; send a whole number such as "2"'],
  ])('refuses a %s x-api-version (%s) with 400 problem+json naming the header, before authentication', async (_what, value, message) => {
    for (const headers of [{ ...partner.headers, 'x-api-version': value }, { 'x-api-version': value }]) {
      const res = await get('/v1/webhooks', headers);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors).toEqual([{ field: '/headers/x-api-version', message }]);
      expect(res.headers['x-api-version']).toBe('2.0');
    }
  });

  it('refuses a major past its support end, and one not yet released', async () => {
    hh.clock.set(V1_SUPPORT_END);
    const retired = await get('/v1/versions', { 'x-api-version': '1' });
    expect(retired.statusCode).toBe(400);
    expect(retired.json().errors[0].message).toBe('API version 1 reached its end of support on 2027-01-01; supported: 2');
    hh.clock.set(V2_RELEASE - 1);
    const early = await get('/v1/versions', { 'x-api-version': '2' });
    expect(early.statusCode).toBe(400);
    expect(early.headers['x-api-version']).toBe('1.0');
  });

  it('carries x-api-version on every error: 401, 404, validation 400, and the operator and ingest APIs', async () => {
    const answers = [
      await get('/v1/webhooks'),
      await get('/v1/webhooks/wh_nope', partner.headers),
      await get('/v1/no-such-route'),
      await hh.app.inject({ method: 'POST', url: '/v1/webhooks', headers: partner.headers, payload: {} }),
      await get('/v1/admin/companies/nope', admin),
      await hh.app.inject({ method: 'POST', url: '/v1/ingest', payload: {} }),
    ];
    expect(answers.map((r) => r.statusCode)).toEqual([401, 404, 404, 400, 404, 401]);
    for (const res of answers) expect(res.headers['x-api-version'], res.body).toBe('2.0');
    const asked = await get('/v1/webhooks', { 'x-api-version': '1' });
    expect(asked.statusCode).toBe(401);
    expect(asked.headers['x-api-version']).toBe('1.0');
  });
});

describe('GET /v1/versions', () => {
  it('lists each major with its status and dates, without credentials, as time passes', async () => {
    const hh = await startTestHearthook({ apiVersions: TEST_VERSIONS });
    try {
      const at = async (time: number) => {
        hh.clock.set(time);
        const res = await hh.app.inject({ method: 'GET', url: '/v1/versions' });
        expect(res.statusCode).toBe(200);
        return res.json() as { current: string; data: Array<Record<string, unknown>> };
      };
      const june = await at(Date.UTC(2026, 5, 1));
      expect(june.current).toBe('1.0');
      expect(june.data.map((v) => v.status)).toEqual(['current', 'upcoming']);

      const august = await at(DEPRECATION_WINDOW);
      expect(august).toEqual({
        current: '2.0',
        data: [
          {
            major: 1,
            minor: 0,
            version: '1.0',
            status: 'deprecated',
            releasedAt: '2026-01-01T00:00:00.000Z',
            deprecatedAt: '2026-07-01T00:00:00.000Z',
            supportEndsAt: '2027-01-01T00:00:00.000Z',
          },
          { major: 2, minor: 0, version: '2.0', status: 'current', releasedAt: '2026-07-01T00:00:00.000Z', deprecatedAt: null, supportEndsAt: null },
        ],
      });
      expect((await at(V1_SUPPORT_END)).data.map((v) => v.status)).toEqual(['retired', 'current']);
    } finally {
      await hh.close();
    }
  });
});

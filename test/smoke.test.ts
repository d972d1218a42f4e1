import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { admin, startTestHearthook, type TestHearthook } from './helpers/testRuntime.js';

describe('the API edge', () => {
  let hh: TestHearthook;
  beforeEach(async () => {
    hh = await startTestHearthook();
  });
  afterEach(() => hh.close());

  it('serves an OpenAPI 3.1 document', async () => {
    const res = await hh.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.json().openapi).toBe('3.1.0');
  });

  it('answers unknown routes and missing credentials with problem+json', async () => {
    const missing = await hh.app.inject({ method: 'GET', url: '/v1/nothing-here', headers: admin });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    const noKey = await hh.app.inject({ method: 'POST', url: '/v1/admin/companies', payload: {} });
    expect(noKey.statusCode).toBe(401);
    expect(noKey.json().title).toMatch(/operator token/);
  });
});

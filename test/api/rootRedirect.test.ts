import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

/** `GET /` was a 404 "no route GET /" (audit 3 of issue 14): it leads to the console. */
describe('GET /', () => {
  let hh: TestHearthook;
  beforeEach(async () => {
    hh = await startTestHearthook();
  });
  afterEach(async () => hh.close());

  it('redirects to the console, whose sign-in form answers, and leaves /health and /docs as they were', async () => {
    const root = await hh.app.inject({ method: 'GET', url: '/' });
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/console');
    const consolePage = await hh.app.inject({ method: 'GET', url: '/console', headers: { accept: 'text/html' } });
    expect(consolePage.statusCode).toBe(303);
    expect(consolePage.headers.location).toBe('/console/sign-in');
    expect((await hh.app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
    expect((await hh.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBe(200);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageVersion } from '../../src/util/packageVersion.js';
import { seedPartner } from '../helpers/seed.js';
import { ADMIN_TOKEN, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { createApiKey } from '../api/fixtures.js';
import { ConsoleSession } from './consoleSession.js';

describe('console URLs that are not pages of the session', () => {
  let hh: TestHearthook;
  beforeEach(async () => {
    hh = await startTestHearthook();
  });
  afterEach(() => hh.close());

  it('answers an unknown console URL with a page to a browser (navigation kept) and problem+json to a script', async () => {
    const operator = new ConsoleSession(hh.app);
    await operator.signIn(ADMIN_TOKEN);
    const page = await operator.get('/console/no-such-page?x=1');
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('There is no console page at /console/no-such-page.');
    expect(page.body).toContain('href="/console/operator"'); // the signed-in navigation
    expect(page.body).toContain(`Hearthook ${packageVersion} · times in UTC`);
    const script = await hh.app.inject({ method: 'GET', url: '/console/no-such-page', headers: { accept: 'application/json' } });
    expect(script.statusCode).toBe(404);
    expect(script.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('shows the event catalog to an operator as to a partner; other partner pages stay 404 for an operator', async () => {
    const operator = new ConsoleSession(hh.app);
    await operator.signIn(ADMIN_TOKEN);
    const catalog = await operator.get('/console/catalog');
    expect(catalog.statusCode).toBe(200);
    expect(catalog.body).toContain('CONNECTIVITY_STATUS');
    expect(catalog.body).toContain('href="/console/catalog" aria-current="page"');
    expect((await operator.get('/console/webhooks')).statusCode).toBe(404);

    const { companyId } = await seedPartner(hh.rt, { url: 'http://127.0.0.1:9/hook' });
    const partner = new ConsoleSession(hh.app);
    expect((await partner.signIn(await createApiKey(hh.app, companyId))).statusCode).toBe(303);
    expect((await partner.get('/console/catalog')).statusCode).toBe(200);
    expect((await partner.get('/console/operator')).statusCode).toBe(404);
  });
});

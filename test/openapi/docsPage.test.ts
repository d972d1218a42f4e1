import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

let hh: TestHearthook;
beforeAll(async () => {
  hh = await startTestHearthook();
});
afterAll(() => hh.close());

it('serves the API reference at /docs from the package: every script and style it loads is ours, nothing from a CDN', async () => {
  const page = await hh.app.inject({ method: 'GET', url: '/docs' });
  expect(page.statusCode).toBe(200);
  expect(page.headers['content-type']).toContain('text/html');
  expect(page.headers['content-security-policy']).toContain("default-src 'self'");
  expect(page.body).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
  const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => new URL(m[1], 'http://h/docs/').pathname);
  expect(assets.some((a) => a.endsWith('swagger-ui-bundle.js'))).toBe(true);
  for (const asset of assets) expect((await hh.app.inject({ method: 'GET', url: asset })).statusCode, asset).toBe(200);
  const initializer = await hh.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
  // The page loads the document from this server (a relative URL), never from elsewhere.
  expect(initializer.body).toMatch(/url: resolveUrl\('\.\/json'\)/);
  const shown = await hh.app.inject({ method: 'GET', url: '/docs/json' });
  expect(shown.json().paths).toEqual((await hh.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths);
});

import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, admin, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

let hh: TestHearthook;
afterEach(() => hh?.close());

/** The sign-in form as a browser at `remoteAddress` fills it: its cookie and token, then the post. */
async function signIn(credential: string, remoteAddress: string) {
  const form = await hh.app.inject({ method: 'GET', url: '/console/sign-in', remoteAddress });
  const cookie = String(form.headers['set-cookie']).split(';')[0];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
  return hh.app.inject({
    method: 'POST',
    url: '/console/sign-in',
    remoteAddress,
    headers: { accept: 'text/html', cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrf, credential }).toString(),
  });
}

describe('the console sign-in form', () => {
  it("counts wrong credentials in the API's failed-authentication limit, per address: 429, even for the right one", async () => {
    hh = await startTestHearthook({ rateLimit: true });
    const guesser = '198.51.100.7';
    for (let i = 0; i < 10; i++) expect((await signIn(`xHCSAPI-guess-${i}`, guesser)).statusCode).toBe(401);
    const refused = await signIn('hha_another-guess', guesser);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('6');
    expect(refused.body).toContain('Too many failed sign-ins from this address: try again in 6 s.');
    // A blocked guesser learns nothing, from the form or from the API.
    const right = await signIn(ADMIN_TOKEN, guesser);
    expect([right.statusCode, right.headers.location]).toEqual([429, undefined]);
    expect((await hh.app.inject({ method: 'GET', url: '/v1/admin/webhooks?status=failing', headers: admin, remoteAddress: guesser })).statusCode).toBe(429);
    // Another address signs in; the guesser may again once its block ends.
    expect((await signIn(ADMIN_TOKEN, '198.51.100.8')).statusCode).toBe(303);
    hh.clock.advance(6000);
    expect((await signIn(ADMIN_TOKEN, guesser)).statusCode).toBe(303);
  });

  it('says why the sign-in cookie did not come back when the console is reached over plain http from another machine', async () => {
    hh = await startTestHearthook({ allowHttp: false });
    const post = (host: string) =>
      hh.app.inject({
        method: 'POST',
        url: '/console/sign-in',
        headers: { host, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: 'from-a-page-whose-cookie-was-dropped', credential: ADMIN_TOKEN }).toString(),
      });
    const remote = await post('192.0.2.2:8080');
    expect(remote.statusCode).toBe(403);
    expect(remote.body).toContain('HEARTHOOK_ALLOW_HTTP');
    const local = await post('localhost:8080');
    expect(local.statusCode).toBe(403);
    expect(local.body).toContain('The form expired or came from another site');
  });
});

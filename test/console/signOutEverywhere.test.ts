import { afterEach, describe, expect, it } from 'vitest';
import { seedPartner } from '../helpers/seed.js';
import { sharedDatabase } from '../helpers/sharedDatabase.js';
import { admin, ADMIN_TOKEN } from '../helpers/testRuntime.js';
import { ConsoleSession } from './consoleSession.js';

/** Two Hearthook API nodes on one database. */
async function twoNodes(allowHttp: boolean) {
  const database = sharedDatabase({ allowHttp });
  return { nodes: [await database.node(), await database.node()], close: database.close };
}

describe('console sessions live in the database', () => {
  let cluster: Awaited<ReturnType<typeof twoNodes>> | undefined;
  afterEach(async () => cluster?.close());

  it('signing out on one node ends the session on the other at once', async () => {
    cluster = await twoNodes(true);
    const [one, two] = cluster.nodes;
    const seeded = await seedPartner(one.rt, { url: 'http://127.0.0.1:9/hook' });
    const key = (await one.app.inject({ method: 'POST', url: `/v1/admin/companies/${seeded.companyId}/api-keys`, headers: admin })).json().apiKey;
    const onOne = new ConsoleSession(one.app);
    expect((await onOne.signIn(key)).statusCode).toBe(303);
    // The same browser (cookie) on the other node: signed in there too.
    const onTwo = new ConsoleSession(two.app);
    onTwo.cookies = new Map(onOne.cookies);
    expect((await onTwo.get('/console/webhooks')).statusCode).toBe(200);
    // An operator session on node two, to show sign-out ends only the one session.
    const operator = new ConsoleSession(two.app);
    await operator.signIn(ADMIN_TOKEN);

    const out = await onOne.post('/console/sign-out', { _csrf: onOne.csrf });
    expect(out.statusCode).toBe(303);
    expect(onOne.cookies.has('hh_console')).toBe(false);
    // Node two still holds the old cookie value in the browser that did not get the answer.
    const after = await onTwo.get('/console/webhooks');
    expect(after.statusCode).toBe(303);
    expect(after.headers.location).toBe('/console/sign-in');
    expect((await onTwo.post(`/console/webhooks/${seeded.webhookId}/disable`, { _csrf: onOne.csrf })).statusCode).toBe(401);
    expect((await operator.get('/console/operator')).statusCode).toBe(200);
  });

  it('marks the session cookie Secure unless HEARTHOOK_ALLOW_HTTP is set', async () => {
    cluster = await twoNodes(false);
    const session = new ConsoleSession(cluster.nodes[0].app);
    await session.get('/console/sign-in');
    const res = await session.post('/console/sign-in', { _csrf: session.csrf, credential: ADMIN_TOKEN });
    const cookie = [res.headers['set-cookie']].flat().find((c) => c?.startsWith('hh_console='))!;
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/util/secrets.js';
import { sharedDatabase } from '../helpers/sharedDatabase.js';
import { ADMIN_TOKEN } from '../helpers/testRuntime.js';
import { ConsoleSession } from './consoleSession.js';

const NEW_ADMIN_TOKEN = 'hha_test-admin-token-changed';

/** Audit 3 of issue 14, finding 1: an operator session outlived a changed HEARTHOOK_ADMIN_TOKEN. */
describe('an operator console session ends with the admin token it was opened with', () => {
  let database: ReturnType<typeof sharedDatabase> | undefined;
  afterEach(async () => database?.close());

  it('is refused on pages and live views of a node started with another admin token, and the new token signs in', async () => {
    database = sharedDatabase({ allowHttp: true });
    const before = await database.node();
    const operator = new ConsoleSession(before.app);
    expect((await operator.signIn(ADMIN_TOKEN)).statusCode).toBe(303);
    expect((await operator.get('/console/operator/companies')).statusCode).toBe(200);
    // The session row keeps neither the token nor its plain hash.
    const stored = await before.rt.store.all<Record<string, unknown>>('SELECT * FROM console_sessions');
    expect(stored).toHaveLength(1);
    for (const value of Object.values(stored[0])) expect([ADMIN_TOKEN, sha256(ADMIN_TOKEN)]).not.toContain(value);

    // The same database, restarted with a new admin token; the browser keeps its cookie.
    const after = await database.node({ adminToken: NEW_ADMIN_TOKEN });
    const stale = new ConsoleSession(after.app);
    stale.cookies = new Map(operator.cookies);
    const page = await stale.get('/console/operator/companies');
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/console/sign-in');
    const live = await stale.get('/console/operator/live', { accept: 'text/event-stream' });
    expect(live.statusCode).toBe(401);

    const fresh = new ConsoleSession(after.app);
    expect((await fresh.signIn(ADMIN_TOKEN)).statusCode).toBe(401);
    expect((await fresh.signIn(NEW_ADMIN_TOKEN)).statusCode).toBe(303);
    expect((await fresh.get('/console/operator/companies')).statusCode).toBe(200);
  });

  it('still opens on a node that runs with the same admin token', async () => {
    database = sharedDatabase({ allowHttp: true });
    const one = await database.node();
    const operator = new ConsoleSession(one.app);
    expect((await operator.signIn(ADMIN_TOKEN)).statusCode).toBe(303);
    const two = new ConsoleSession((await database.node()).app);
    two.cookies = new Map(operator.cookies);
    expect((await two.get('/console/operator/companies')).statusCode).toBe(200);
  });
});

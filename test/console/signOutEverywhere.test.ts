import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { Runtime } from '../../src/runtime.js';
import { createRuntime } from '../../src/server/createRuntime.js';
import { seedPartner } from '../helpers/seed.js';
import { dropTestSchema, newTestSchema, testPostgresUrl } from '../helpers/testDatabase.js';
import { admin, ADMIN_TOKEN } from '../helpers/testRuntime.js';
import { ConsoleSession } from './consoleSession.js';

interface Node {
  rt: Runtime;
  app: FastifyInstance;
}

/** Two Hearthook API nodes on one database: a PostgreSQL schema, or one SQLite file. */
async function twoNodes(allowHttp: boolean) {
  const postgres = testPostgresUrl();
  const schema = postgres ? newTestSchema(postgres) : undefined;
  const dir = postgres ? undefined : mkdtempSync(join(tmpdir(), 'hearthook-console-'));
  const config = loadConfig(
    {},
    {
      database: schema?.database ?? join(dir!, 'hearthook.db'),
      adminToken: ADMIN_TOKEN,
      ingestToken: 'hhi_test',
      masterKey: Buffer.alloc(32, 7).toString('base64'),
      allowHttp,
      logLevel: 'silent',
    },
  );
  const nodes: Node[] = [];
  for (let i = 0; i < 2; i++) {
    const { rt } = await createRuntime(config, { log: pino({ level: 'silent' }) });
    const app = await buildApp(rt);
    await app.ready();
    nodes.push({ rt, app });
  }
  return {
    nodes,
    async close() {
      for (const node of nodes) {
        await node.app.close();
        await node.rt.store.close();
      }
      if (postgres && schema) await dropTestSchema(postgres, schema.schema);
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
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

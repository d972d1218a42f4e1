import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { type RunningHearthook, startHearthook } from '../../src/server/startHearthook.js';
import { dropTestSchema, newTestSchema, testPostgresUrl } from '../helpers/testDatabase.js';
import { ADMIN_TOKEN, INGEST_TOKEN, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

describe('GET /ready', () => {
  let hh: TestHearthook | undefined;
  afterEach(async () => {
    await hh?.close();
    hh = undefined;
  });

  it('is 200 when the database answers and every migration is applied, with no credentials', async () => {
    hh = await startTestHearthook();
    const res = await hh.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready' });
    expect((await hh.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });

  it('is 503 naming a migration the database lacks', async () => {
    hh = await startTestHearthook();
    const [last] = await hh.rt.store.all<{ name: string }>('SELECT name FROM schema_migrations ORDER BY version DESC LIMIT 1');
    await hh.rt.store.run('DELETE FROM schema_migrations WHERE name = ?', [last.name]);
    const res = await hh.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().title).toBe(`not ready: migrations not applied: ${last.name}`);
  });

  it('is 503 "database unreachable" once the database is closed, while /health still answers', async () => {
    hh = await startTestHearthook();
    await hh.rt.store.close();
    const res = await hh.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 503, title: 'not ready: database unreachable' });
    expect((await hh.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});

describe('GET /ready of a running hearthook serve', () => {
  let running: RunningHearthook | undefined;
  let dropSchema = async () => {};
  afterEach(async () => {
    await running?.stop();
    await dropSchema();
  });

  it('is 503 naming a role that stopped, here the dispatcher', async () => {
    const postgres = testPostgresUrl();
    const schema = postgres ? newTestSchema(postgres) : undefined;
    if (postgres && schema) dropSchema = () => dropTestSchema(postgres, schema.schema);
    const config = loadConfig(
      {},
      { database: schema?.database ?? ':memory:', port: 0, host: '127.0.0.1', adminToken: ADMIN_TOKEN, ingestToken: INGEST_TOKEN },
    );
    running = await startHearthook(config, ['api', 'worker', 'scheduler'], { log: pino({ level: 'silent' }) });
    const ready = await fetch(`${running.url}/ready`);
    expect(ready.status).toBe(200);

    await running.dispatcher!.stop(0);
    const res = await fetch(`${running.url}/ready`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ title: 'not ready: role worker is not running' });
  });
});

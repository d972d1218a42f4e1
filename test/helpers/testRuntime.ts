import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { buildApp } from '../../src/api/app.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import type { Runtime } from '../../src/runtime.js';
import { createRuntime } from '../../src/server/createRuntime.js';
import { ManualClock } from '../../src/util/clock.js';
import { dropTestSchema, newTestSchema, testPostgresUrl } from './testDatabase.js';

export const ADMIN_TOKEN = 'hha_test-admin-token';
export const INGEST_TOKEN = 'hhi_test-ingest-token';
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
export const ingest = { authorization: `Bearer ${INGEST_TOKEN}` };

export interface TestHearthook {
  rt: Runtime;
  app: FastifyInstance;
  clock: ManualClock;
  close(): Promise<void>;
}

/**
 * A Hearthook with known tokens and a manual clock; the app is called in-process with
 * `app.inject`. Its database is in-memory SQLite, or, when `HEARTHOOK_TEST_DATABASE` (or
 * `DATABASE_URL`) names a PostgreSQL server, a fresh schema there, dropped on close. Logs go
 * nowhere unless `options.log` is given (see `captureLog`).
 */
export async function startTestHearthook(overrides: Partial<Config> = {}, options: { log?: Logger } = {}): Promise<TestHearthook> {
  const postgres = testPostgresUrl();
  const schema = postgres ? newTestSchema(postgres) : undefined;
  const config = loadConfig(
    {},
    {
      database: schema?.database ?? ':memory:',
      adminToken: ADMIN_TOKEN,
      ingestToken: INGEST_TOKEN,
      allowHttp: true,
      allowPrivateNetworks: ['127.0.0.0/8', '::1/128'],
      logLevel: 'silent',
      ...overrides,
    },
  );
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const dropSchema = async () => {
    if (postgres && schema) await dropTestSchema(postgres, schema.schema);
  };
  let rt: Runtime;
  try {
    ({ rt } = await createRuntime(config, { clock, log: options.log ?? pino({ level: 'silent' }) }));
  } catch (err) {
    await dropSchema();
    throw err;
  }
  const app = await buildApp(rt);
  await app.ready();
  let closed = false;
  return {
    rt,
    app,
    clock,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await rt.store.close();
      await dropSchema();
    },
  };
}

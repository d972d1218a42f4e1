import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/api/app.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import type { Runtime } from '../../src/runtime.js';
import { createRuntime } from '../../src/server/createRuntime.js';
import { ManualClock } from '../../src/util/clock.js';

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
 * A Hearthook on an in-memory SQLite database with known tokens and a manual clock; the app is
 * called in-process with `app.inject`.
 */
export async function startTestHearthook(overrides: Partial<Config> = {}): Promise<TestHearthook> {
  const config = loadConfig(
    {},
    {
      database: ':memory:',
      adminToken: ADMIN_TOKEN,
      ingestToken: INGEST_TOKEN,
      allowHttp: true,
      allowPrivateNetworks: ['127.0.0.0/8', '::1/128'],
      logLevel: 'silent',
      ...overrides,
    },
  );
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const { rt } = await createRuntime(config, { clock, log: pino({ level: 'silent' }) });
  const app = await buildApp(rt);
  await app.ready();
  return {
    rt,
    app,
    clock,
    async close() {
      await app.close();
      await rt.store.close();
    },
  };
}

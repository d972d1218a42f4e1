import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/api/app.js';
import type { Config } from '../../src/config/config.js';
import type { Runtime } from '../../src/runtime.js';
import { createRuntime } from '../../src/server/createRuntime.js';
import { testPostgresUrl } from '../helpers/testDatabase.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

/**
 * Two nodes on one database: two runtimes and apps, each with its own connection (a file shared
 * by two connections on SQLite, one schema on PostgreSQL), on one manual clock.
 */
export async function startTwoNodes(overrides: Partial<Config> = {}): Promise<{ a: TestHearthook; b: { rt: Runtime; app: FastifyInstance }; close(): Promise<void> }> {
  const dir = testPostgresUrl() ? undefined : mkdtempSync(join(tmpdir(), 'hh-two-nodes-'));
  const a = await startTestHearthook({ rateLimit: true, ...overrides, ...(dir ? { database: join(dir, 'hearthook.db') } : {}) });
  const { rt } = await createRuntime(a.rt.config, { clock: a.clock, log: pino({ level: 'silent' }) });
  const app = await buildApp(rt);
  await app.ready();
  return {
    a,
    b: { rt, app },
    async close() {
      await app.close();
      await rt.store.close();
      await a.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}


import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/api/app.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import type { Runtime } from '../../src/runtime.js';
import { createRuntime } from '../../src/server/createRuntime.js';
import { dropTestSchema, newTestSchema, testPostgresUrl } from './testDatabase.js';
import { ADMIN_TOKEN } from './testRuntime.js';

export interface ApiNode {
  rt: Runtime;
  app: FastifyInstance;
}

/**
 * One database (a PostgreSQL schema, or one SQLite file) for several Hearthook API nodes, each
 * started with its own settings over the shared ones: a cluster, or a node restarted with other
 * settings. `close` closes every node and drops the database.
 */
export function sharedDatabase(shared: Partial<Config> = {}) {
  const postgres = testPostgresUrl();
  const schema = postgres ? newTestSchema(postgres) : undefined;
  const dir = postgres ? undefined : mkdtempSync(join(tmpdir(), 'hearthook-shared-'));
  const nodes: ApiNode[] = [];
  return {
    async node(overrides: Partial<Config> = {}): Promise<ApiNode> {
      const config = loadConfig(
        {},
        {
          database: schema?.database ?? join(dir!, 'hearthook.db'),
          adminToken: ADMIN_TOKEN,
          ingestToken: 'hhi_test',
          masterKey: Buffer.alloc(32, 7).toString('base64'),
          logLevel: 'silent',
          ...shared,
          ...overrides,
        },
      );
      const { rt } = await createRuntime(config, { log: pino({ level: 'silent' }) });
      const app = await buildApp(rt);
      await app.ready();
      nodes.push({ rt, app });
      return { rt, app };
    },
    async close() {
      for (const node of nodes.splice(0)) {
        await node.app.close();
        await node.rt.store.close();
      }
      if (postgres && schema) await dropTestSchema(postgres, schema.schema);
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Prints the OpenAPI document as `GET /openapi.json` serves it, without a server or a database
 * file (an in-memory SQLite): the build generates `hearthook/client` from it, and the lint test
 * and partners' tooling can read it offline.
 *
 * @example node dist/api/openapi/printOpenapi.js > openapi.json
 */
import { writeFileSync } from 'node:fs';
import pino from 'pino';
import { loadConfig } from '../../config/config.js';
import { createRuntime } from '../../server/createRuntime.js';
import { buildApp } from '../app.js';

/** The document of a Hearthook with default settings. */
export async function openapiDocument(): Promise<unknown> {
  const config = loadConfig({}, { database: ':memory:', adminToken: 'unused', ingestToken: 'unused', logLevel: 'silent' });
  const { rt } = await createRuntime(config, { log: pino({ level: 'silent' }) });
  try {
    const app = await buildApp(rt);
    await app.ready();
    const doc = app.swagger();
    await app.close();
    return doc;
  } finally {
    await rt.store.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = `${JSON.stringify(await openapiDocument(), null, 2)}\n`;
  if (process.argv[2]) writeFileSync(process.argv[2], text);
  else process.stdout.write(text);
}

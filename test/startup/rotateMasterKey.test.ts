import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, freePort, HearthookProcess, runCli } from '../helpers/hearthookProcess.js';
import { flipConnection, processPartner } from '../helpers/processFixtures.js';
import { Receiver, verifies } from '../helpers/receiver.js';
import { dropTestSchema, newTestSchema, testPostgresUrl } from '../helpers/testDatabase.js';
import { until } from '../helpers/until.js';

const OLD_KEY = Buffer.alloc(32, 7).toString('base64');
const NEW_KEY = Buffer.alloc(32, 9).toString('hex');

// On PostgreSQL when HEARTHOOK_TEST_DATABASE is set (npm run test:postgres), else a SQLite file.
describe(`hearthook rotate-master-key (${testPostgresUrl() ? 'PostgreSQL' : 'SQLite'})`, () => {
  let database: string;
  let cleanup: () => Promise<void>;
  let receiver: Receiver;
  beforeEach(async () => {
    const postgres = testPostgresUrl();
    if (postgres) {
      const schema = newTestSchema(postgres);
      database = schema.database;
      cleanup = () => dropTestSchema(postgres, schema.schema);
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'hearthook-rotate-'));
      database = join(dir, 'hearthook.db');
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
    receiver = await new Receiver().start();
  });
  afterEach(async () => {
    await receiver.stop();
    await cleanup();
  });

  it('re-encrypts every secret under the new key; deliveries sign with the same secrets and send the same API key', async () => {
    const port = await freePort();
    let server = await new HearthookProcess(port, { HEARTHOOK_DATABASE: database, HEARTHOOK_MASTER_KEY: OLD_KEY }).start();
    const p = await processPartner(server.url, receiver.url, '300000001');
    // A rotated signing secret: the previous one (also encrypted) keeps signing during the grace.
    const { secret: current } = await call<{ secret: string }>(server.url, 'POST', `/v1/webhooks/${p.webhookId}/rotate-secret`, p.headers);
    await flipConnection(server.url, p.gatewayId, 1, 0);
    await until(() => receiver.received.length === 1, 'the delivery before the rotation');
    expect(await server.stop()).toBe(0);

    // A wrong current key changes nothing.
    const wrong = await runCli(['rotate-master-key'], { HEARTHOOK_DATABASE: database, HEARTHOOK_MASTER_KEY: NEW_KEY, HEARTHOOK_NEW_MASTER_KEY: OLD_KEY });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('HEARTHOOK_MASTER_KEY');

    const rotated = await runCli(['rotate-master-key'], { HEARTHOOK_DATABASE: database, HEARTHOOK_MASTER_KEY: OLD_KEY, HEARTHOOK_NEW_MASTER_KEY: NEW_KEY });
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('re-encrypted 3 secrets'); // API key, secret, previous secret

    const withOld = await runCli(['serve'], { HEARTHOOK_DATABASE: database, HEARTHOOK_MASTER_KEY: OLD_KEY, HEARTHOOK_PORT: String(port) });
    expect(withOld.code).not.toBe(0);
    expect(withOld.stderr).toContain('HEARTHOOK_MASTER_KEY is not the key');

    server = await new HearthookProcess(port, { HEARTHOOK_DATABASE: database, HEARTHOOK_MASTER_KEY: NEW_KEY }).start();
    try {
      await flipConnection(server.url, p.gatewayId, 1, 1);
      await until(() => receiver.received.length === 2, 'the delivery after the rotation');
      for (const req of receiver.received) {
        expect(verifies(current, req)).toBe(true);
        expect(verifies(p.secret, req)).toBe(true); // the previous secret, still in its grace
        expect(req.headers['x-api-key']).toBe(p.receiverKey);
      }
    } finally {
      await server.stop();
    }
  }, 240_000);

  it('on a database that stores its own key, replaces the stored key and prints no new one to set', async () => {
    const port = await freePort();
    let server = await new HearthookProcess(port, { HEARTHOOK_DATABASE: database }).start();
    const p = await processPartner(server.url, receiver.url, '300000002');
    expect(await server.stop()).toBe(0);

    const rotated = await runCli(['rotate-master-key'], { HEARTHOOK_DATABASE: database });
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('re-encrypted 2 secrets');
    expect(rotated.stdout).not.toContain('HEARTHOOK_MASTER_KEY=');

    server = await new HearthookProcess(port, { HEARTHOOK_DATABASE: database }).start();
    try {
      await flipConnection(server.url, p.gatewayId, 1, 0);
      await until(() => receiver.received.length === 1, 'a delivery after the rotation');
      expect(verifies(p.secret, receiver.received[0])).toBe(true);
    } finally {
      await server.stop();
    }
  }, 240_000);
});

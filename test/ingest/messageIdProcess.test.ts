import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, freePort, HearthookProcess } from '../helpers/hearthookProcess.js';
import { admin, ingest } from '../helpers/testRuntime.js';

/** Issue 11: a message id SQLite would store as another string was acknowledged and dropped. */
describe('a hearthook serve process on a SQLite file, given message ids it could not keep', () => {
  let dir: string;
  let server: HearthookProcess;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hearthook-ids-'));
    server = await new HearthookProcess(await freePort(), { HEARTHOOK_DATABASE: join(dir, 'hearthook.db') }).start();
    await call(server.url, 'POST', '/v1/admin/gateways', admin, { gatewayId: '101506113', type: 'K40', timezone: 'Europe/Berlin' });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The body as JSON text, escapes kept: `\ud83d` reaches the server as a lone surrogate. */
  const send = (messageId: string) =>
    fetch(`${server.url}/v1/ingest`, {
      method: 'POST',
      headers: { ...ingest, 'content-type': 'application/json' },
      body: `[{"kind":"heartbeat","gatewayId":"101506113","messageId":${JSON.stringify(messageId)}}]`,
    });

  it.each([
    ['a lone surrogate', '\ud83d-x'],
    ['NUL', 'm\u00001'],
  ])('answers 400 naming /body/0/messageId to a messageId holding %s, and keeps nothing', async (_what, messageId) => {
    const res = await send(messageId);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await res.json()) as { errors: Array<{ field: string }> };
    expect(problem.errors.map((e) => e.field)).toEqual(['/body/0/messageId']);
  });

  it('takes the message id it refused, written well, as new: 202 accepted, not a duplicate', async () => {
    const res = await send('\ud83d\ude00-x');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, events: expect.any(Number) });
    const again = await send('\ud83d\ude00-x');
    expect(await again.json()).toMatchObject({ accepted: 0, duplicates: 1 });
  });
});

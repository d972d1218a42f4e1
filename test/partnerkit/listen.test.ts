/**
 * `hearthook listen` as a partner runs it: a real `hearthook serve`, the CLI as a process
 * forwarding to a local receiver that verifies with the official `standardwebhooks` package.
 * Hearthook is SIGKILLed and restarted mid-way: listen reconnects from the last forwarded event,
 * and the receiver gets every event GET /v1/events lists, once each, in order.
 * On SQLite (a file) by default, on PostgreSQL with HEARTHOOK_TEST_DATABASE.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, call, freePort, HearthookProcess, oldestSupportedMajor, runCli } from '../helpers/hearthookProcess.js';
import { flipConnection } from '../helpers/processFixtures.js';
import { Receiver, verifies } from '../helpers/receiver.js';
import { dropTestSchema, newTestSchema, testPostgresUrl } from '../helpers/testDatabase.js';
import { admin } from '../helpers/testRuntime.js';
import { until } from '../helpers/until.js';

const GATEWAY = '300000020';
const pgUrl = testPostgresUrl();
let dir: string;
let env: Record<string, string>;
let schema: string | undefined;
let port: number;
let server: HearthookProcess;
let apiKey: string;
const started: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hearthook-listen-'));
  if (pgUrl) {
    const test = newTestSchema(pgUrl);
    schema = test.schema;
    env = { HEARTHOOK_DATABASE: test.database };
  } else env = { HEARTHOOK_DATABASE: join(dir, 'hearthook.db') };
  port = await freePort();
  server = await new HearthookProcess(port, env).start();
  const company = await call<{ id: string }>(server.url, 'POST', '/v1/admin/companies', admin, { name: 'Listen Heating', languages: ['en'], autoAccept: true });
  apiKey = (await call<{ apiKey: string }>(server.url, 'POST', `/v1/admin/companies/${company.id}/api-keys`, admin)).apiKey;
  await call(server.url, 'POST', '/v1/admin/gateways', admin, { gatewayId: GATEWAY, type: 'K40', timezone: 'Europe/Berlin' });
  await call(server.url, 'POST', `/v1/admin/gateways/${GATEWAY}/contracts`, admin, { companyId: company.id, consent: 'ERROR_NOTIFICATIONS' });
}, 120_000);

afterAll(async () => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
  await server?.stop();
  if (pgUrl && schema) await dropTestSchema(pgUrl, schema);
  rmSync(dir, { recursive: true, force: true });
});

/** `hearthook listen` as a running process; its output so far in `out()`. */
function startListen(args: string[]): { child: ChildProcess; out: () => string } {
  const child = spawn(process.execPath, [CLI, 'listen', ...args], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  return { child, out: () => out };
}

const catchUp = async () =>
  (await call<{ data: Array<{ id: string; type: string }> }>(server.url, 'GET', `/v1/events?gatewayId=${GATEWAY}&limit=1000`, { 'x-api-key': apiKey })).data;

describe('hearthook listen', () => {
  it('forwards every new event signed as a delivery, and after Hearthook is killed and restarted loses and repeats none', async () => {
    const receiver = await new Receiver().start();
    try {
      const before = (await catchUp()).length; // the pairing's CONTRACT_STATUS: before listen, not forwarded
      const listen = startListen(['--forward-to', receiver.url, '--target', server.url, '--api-key', apiKey, '--forward-api-key', 'local-key']);
      await until(() => listen.out().includes('Ready:'), 'listen to connect', 30_000);
      const secret = /Signing secret: (whsec_\S+)/.exec(listen.out())?.[1];
      expect(secret).toBeDefined();
      receiver.reply = (req) => (verifies(secret!, req) ? { status: 204 } : { status: 400, body: 'bad signature' });

      await flipConnection(server.url, GATEWAY, 5, 0);
      await until(() => receiver.received.length >= 2, 'the first forwards');
      // Mid-way: more events committed, then the server dies while a slow receiver keeps most
      // of them unforwarded.
      receiver.delayMs = 200;
      await flipConnection(server.url, GATEWAY, 10, 5);
      await server.kill();
      const atKill = receiver.received.length;
      receiver.delayMs = 0;
      await until(() => listen.out().includes('Connection lost'), 'listen to notice the drop', 30_000);
      server = await new HearthookProcess(port, env).start();
      await until(() => listen.out().includes('Reconnected'), 'listen to reconnect', 60_000);
      await flipConnection(server.url, GATEWAY, 5, 15);

      const expected = (await catchUp()).slice(before);
      expect(expected).toHaveLength(20);
      await until(() => receiver.received.length >= expected.length, 'all 20 events at the receiver', 60_000);
      // Nothing more arrives: a repeat would show up behind the last one.
      await flipConnection(server.url, GATEWAY, 1, 20);
      await until(() => receiver.received.length >= 21, 'the marker event');

      expect(atKill).toBeLessThan(15); // the drop really came with events still to forward
      const received = receiver.received.slice(0, 20);
      expect(receiver.received).toHaveLength(21);
      expect(received.map((r) => r.headers['webhook-id'])).toEqual(expected.map((e) => e.id));
      expect(received.every((r) => verifies(secret!, r))).toBe(true);
      expect(received.map((r) => Number(r.headers['webhook-sequence']))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(received.every((r) => r.headers['x-api-version'] === '2.0' && r.headers['x-api-key'] === 'local-key')).toBe(true);
      const bodies = received.map((r) => JSON.parse(r.body));
      expect(bodies.map((b) => [b.id, b.type, b.gatewayId])).toEqual(expected.map((e) => [e.id, 'CONNECTIVITY_STATUS', GATEWAY]));
      expect(bodies.map((b) => b.sequence)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      // One line per event with the local answer (printed once the answer is in).
      const lines = () => listen.out().match(/CONNECTIVITY_STATUS\s+evt_\S+\s+gateway 300000020\s+seq \d+\s+→ 204\s+\d+ ms/g) ?? [];
      await until(() => lines().length >= 21, 'the line of the marker event');
      expect(lines()).toHaveLength(21);

      listen.child.kill('SIGINT');
      await until(() => listen.child.exitCode !== null, 'listen to stop on Ctrl-C', 10_000);
      expect(listen.child.exitCode).toBe(0);
    } finally {
      await receiver.stop();
    }
  }, 180_000);

  it('renders the major --api-version names (the oldest still supported), signs with a given --secret, and forwards only --events types', async () => {
    const receiver = await new Receiver().start();
    try {
      const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
      const major = await oldestSupportedMajor(server.url);
      const listen = startListen(['--forward-to', receiver.url, '--target', server.url, '--api-key', apiKey, '--secret', secret, '--api-version', String(major), '--events', 'CONNECTIVITY_STATUS']);
      await until(() => listen.out().includes('Ready:'), 'listen to connect', 30_000);
      expect(listen.out()).not.toContain(secret);
      await flipConnection(server.url, GATEWAY, 2, 101); // the last flip (20) was DISCONNECTED
      await until(() => receiver.received.length >= 2, 'two forwards');
      expect(receiver.received.every((r) => verifies(secret, r) && r.headers['x-api-version'] === `${major}.0` && r.headers['x-api-key'] === undefined)).toBe(true);
      expect(JSON.parse(receiver.received[0].body)).toMatchObject({ eventType: 'CONNECTIVITY_STATUS', gatewayId: GATEWAY });
      listen.child.kill('SIGINT');
      await until(() => listen.child.exitCode !== null, 'listen to stop', 10_000);
    } finally {
      await receiver.stop();
    }
  }, 60_000);

  it('stops with a clear error and a non-zero exit on a refused key, an unreachable Hearthook and a bad URL', async () => {
    const refused = await runCli(['listen', '--forward-to', 'http://127.0.0.1:9/hooks', '--target', server.url, '--api-key', 'xHCSAPI-not-a-key'], {}, 30_000);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the API key was refused (401)');

    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await runCli(['listen', '--forward-to', 'http://127.0.0.1:9/hooks', '--target', nowhere, '--api-key', apiKey], {}, 30_000);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(`cannot reach Hearthook at ${nowhere}: ECONNREFUSED`);

    const badUrl = await runCli(['listen', '--forward-to', 'localhost:3000/hooks', '--target', server.url, '--api-key', apiKey], {}, 30_000);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain("option '--forward-to <url>' argument 'localhost:3000/hooks' is invalid");

    const badType = await runCli(['listen', '--forward-to', 'http://127.0.0.1:9/hooks', '--target', server.url, '--api-key', apiKey, '--events', 'DATA_POINTS'], {}, 30_000);
    expect(badType.code).toBe(2);
    expect(badType.stderr).toContain('unknown event type DATA_POINTS');
  }, 120_000);
});

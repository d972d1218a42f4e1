/**
 * `hearthook trigger` as a partner runs it against a real `hearthook serve`: the test event goes
 * through the webhook's real endpoint (signed with its secret, with its API key), and the
 * endpoint's answer is printed; the exit code says whether the endpoint took it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, HearthookProcess, oldestSupportedMajor, runCli } from '../helpers/hearthookProcess.js';
import { type ProcessPartner, processPartner } from '../helpers/processFixtures.js';
import { Receiver, verifies } from '../helpers/receiver.js';

let dir: string;
let server: HearthookProcess;
let receiver: Receiver;
let p: ProcessPartner;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hearthook-trigger-'));
  receiver = await new Receiver().start();
  server = await new HearthookProcess(await freePort(), { HEARTHOOK_DATABASE: join(dir, 'hearthook.db') }).start();
  p = await processPartner(server.url, receiver.url, '300000030');
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const trigger = (...args: string[]) => runCli(['trigger', ...args, '--target', server.url], { HEARTHOOK_API_KEY: p.headers['x-api-key'] }, 30_000);

it("sends a signed test event to the webhook's endpoint and prints its answer, exiting 0 on a 2xx", async () => {
  receiver.reply = () => ({ status: 200, body: 'thanks' });
  const major = await oldestSupportedMajor(server.url);
  const run = await trigger('CONNECTIVITY_STATUS', '--webhook', p.webhookId, '--api-version', String(major));
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(new RegExp(`^CONNECTIVITY_STATUS evt_\\S+ \\(API major ${major}\\) → the endpoint of ${p.webhookId} answered 200 in \\d+ ms: thanks\\n$`));
  expect(receiver.received).toHaveLength(1);
  const req = receiver.received[0];
  expect(verifies(p.secret, req)).toBe(true);
  expect(req.headers['x-api-key']).toBe(p.receiverKey);
  expect(req.headers['x-api-version']).toBe(`${major}.0`);
  expect(run.stdout).toContain(String(req.headers['webhook-id']));
  expect(JSON.parse(req.body)).toMatchObject({ eventType: 'CONNECTIVITY_STATUS', gatewayId: '000000000', test: true });
}, 60_000);

it('exits 1 when the endpoint does not answer 2xx, printing what it answered', async () => {
  receiver.reply = () => ({ status: 500, body: 'broken\nparser' });
  const run = await trigger('CONNECTIVITY_STATUS', '--webhook', p.webhookId);
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(/\(API major 2\) → the endpoint of \S+ answered 500 in \d+ ms: broken parser\n$/);
}, 60_000);

it("exits 1 naming the problem when Hearthook refuses: a type the webhook does not take, a webhook not the caller's, a bad key; 2 on a bad type", async () => {
  const unsubscribed = await trigger('DATA_POINT', '--webhook', p.webhookId);
  expect(unsubscribed.code).toBe(1);
  expect(unsubscribed.stderr).toContain('Hearthook answered 400: /querystring/eventType: the webhook is not subscribed to DATA_POINT; it receives CONNECTIVITY_STATUS');

  const missing = await trigger('CONNECTIVITY_STATUS', '--webhook', 'wh_doesnotexist');
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('Hearthook answered 404');

  const refused = await runCli(['trigger', 'CONNECTIVITY_STATUS', '--webhook', p.webhookId, '--target', server.url, '--api-key', 'xHCSAPI-wrong'], {}, 30_000);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('the API key was refused (401)');

  const badType = await trigger('DATA_POINTS', '--webhook', p.webhookId);
  expect(badType.code).toBe(2);
  expect(badType.stderr).toContain('unknown event type DATA_POINTS');
}, 60_000);

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, call, freePort, HearthookProcess } from '../helpers/hearthookProcess.js';
import { mqttSkipReason, testBroker, uniquePrefix } from '../helpers/mqttBroker.js';
import { ADMIN_TOKEN, admin } from '../helpers/testRuntime.js';
import { waitFor } from '../scaleout/cluster.js';

const skip = await mqttSkipReason();

/** Runs `hearthook simulate …` as its own process until it exits. */
function simulate(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'simulate', ...args], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe.skipIf(skip)(`hearthook simulate --mqtt against hearthook serve on a real broker${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const prefix = uniquePrefix('simulate');
  let broker: { url: string; stop(): Promise<void> };
  let dir: string;
  let server: HearthookProcess;

  beforeAll(async () => {
    broker = await testBroker();
    dir = mkdtempSync(join(tmpdir(), 'hearthook-simulate-mqtt-'));
    server = await new HearthookProcess(await freePort(), {
      HEARTHOOK_DATABASE: join(dir, 'hearthook.db'),
      HEARTHOOK_MQTT_URL: broker.url,
      HEARTHOOK_MQTT_TOPIC_PREFIX: `${prefix}/gateways`,
      HEARTHOOK_MQTT_SHARE_GROUP: prefix,
      HEARTHOOK_MQTT_CLIENT_ID: `${prefix}-hearthook`,
    }).start();
  });
  afterAll(async () => {
    await server?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes one client per gateway; the killed ones leave through their wills, reported OFFLINE', async () => {
    const company = (await call<{ id: string }>(server.url, 'POST', '/v1/admin/companies', admin, { name: 'Sim MQTT', languages: ['en'], autoAccept: true })).id;
    const { apiKey } = await call<{ apiKey: string }>(server.url, 'POST', `/v1/admin/companies/${company}/api-keys`, admin);
    const run = await simulate(
      ...['--gateways', '25', '--rate', '100', '--duration', '5s', '--outages', '--seed', '11'],
      ...['--target', server.url, '--admin-token', ADMIN_TOKEN, '--company', company],
      ...['--mqtt', broker.url, '--mqtt-topic-prefix', `${prefix}/gateways`],
    );
    expect(run.code, run.stderr).toBe(0);
    const [, sent, accepted, errors] = /messages sent (\d+) in \d+ requests, accepted (\d+), duplicates 0, errors (\d+)/.exec(run.stdout)!;
    expect(Number(sent)).toBeGreaterThan(100);
    expect(accepted).toBe(sent); // every publish acknowledged by the broker
    expect(errors).toBe('0');
    const killed = Number(/over MQTT: (\d+) gateway connections killed/.exec(run.stdout)![1]);
    expect(killed).toBeGreaterThan(0);

    // Each will becomes CONNECTIVITY_STATUS OFFLINE (wills of gateways that returned are followed by ONLINE).
    const offline = async () => {
      const events = await call<{ data: Array<{ type: string; data: { connectivityStatus?: string } }> }>(
        server.url,
        'GET',
        '/v1/events?type=CONNECTIVITY_STATUS&limit=1000',
        { 'x-api-key': apiKey },
      );
      return events.data.filter((e) => e.data.connectivityStatus === 'OFFLINE').length;
    };
    await waitFor(async () => (await offline()) >= killed, 20_000, 'an OFFLINE per killed gateway');
    const rejected = await call<{ data: unknown[] }>(server.url, 'GET', '/v1/admin/rejected-messages', admin);
    expect(rejected.data).toEqual([]);
  });
});

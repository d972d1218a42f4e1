import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_GATEWAY_ID } from '../../src/simulator/fleet.js';
import { CLI, call, freePort, HearthookProcess } from '../helpers/hearthookProcess.js';
import { ADMIN_TOKEN, admin, INGEST_TOKEN } from '../helpers/testRuntime.js';

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `hearthook simulate …` as its own process until it exits. */
function simulate(...args: string[]): Promise<Finished> {
  const child = spawn(process.execPath, [CLI, 'simulate', ...args], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('hearthook simulate against a running hearthook serve', () => {
  let dir: string;
  let server: HearthookProcess;
  let company: string;
  let partner: { 'x-api-key': string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hearthook-simulate-'));
    server = await new HearthookProcess(await freePort(), { HEARTHOOK_DATABASE: join(dir, 'hearthook.db') }).start();
    company = (await call<{ id: string }>(server.url, 'POST', '/v1/admin/companies', admin, { name: 'Sim Heating', languages: ['en'], autoAccept: true })).id;
    const { apiKey } = await call<{ apiKey: string }>(server.url, 'POST', `/v1/admin/companies/${company}/api-keys`, admin);
    partner = { 'x-api-key': apiKey };
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const fleetFlags = () => ['--target', server.url, '--ingest-token', INGEST_TOKEN, '--admin-token', ADMIN_TOKEN, '--company', company];

  it('registers and pairs its gateways, gets every batch accepted, and produces events the partner can catch up on', async () => {
    const run = await simulate('--gateways', '5', '--rate', '20', '--duration', '3s', '--faults', '--outages', '--seed', '7', ...fleetFlags());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('registered 5 gateways (0 were already there)');
    expect(run.stderr).toMatch(/\] sent \d+ {2}accepted \d+ {2}events \d+ {2}errors 0 {2}[\d.]+ msg\/s/);
    expect(run.stdout).toMatch(/simulated 5 gateways for 3\.\ds \(seed 7\)/);
    const [, sent, accepted, errors] = /messages sent (\d+) in \d+ requests, accepted (\d+), duplicates 0, errors (\d+)/.exec(run.stdout)!;
    expect(Number(sent)).toBeGreaterThanOrEqual(30 + 40); // the previous day's readings, then about 20 a second
    expect(accepted).toBe(sent);
    expect(errors).toBe('0');

    const ids = Array.from({ length: 5 }, (_, i) => String(FIRST_GATEWAY_ID + i));
    const contracts = await call<{ data: Array<{ gatewayId: string; status: string; consent: string }> }>(server.url, 'GET', '/v1/contracts', partner);
    expect(contracts.data.map((c) => [c.gatewayId, c.status, c.consent])).toEqual(ids.map((id) => [id, 'ACTIVE', 'MONITOR_AND_CONTROL']));

    const events = await call<{ data: Array<{ type: string; gatewayId: string }> }>(server.url, 'GET', '/v1/events?limit=1000', partner);
    const types = new Set(events.data.map((e) => e.type));
    for (const type of ['CONTRACT_STATUS', 'CONNECTIVITY_STATUS', 'DATA_POINT']) expect(types).toContain(type);
    expect(events.data.every((e) => ids.includes(e.gatewayId))).toBe(true);
  });

  it('runs again over the same fleet: gateways already there and already paired are fine', async () => {
    const run = await simulate('--gateways', '5', '--rate', '10', '--duration', '1s', ...fleetFlags());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('registered 0 gateways (5 were already there)');
  });

  it('exits with 2 and says which flag is wrong, and with 1 when the ingest token is refused', async () => {
    const bad = await simulate('--gateways', 'many', ...fleetFlags());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("option '--gateways <n>' argument 'many' is invalid");
    const missing = await simulate('--target', server.url);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--ingest-token');

    const refused = await simulate('--target', server.url, '--ingest-token', 'wrong', '--duration', '1s');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the ingest token was refused');
  });
});

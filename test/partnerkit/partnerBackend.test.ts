/**
 * examples/partner-backend against a real Hearthook, through the troubles a partner meets: a
 * simulated fleet's traffic while the backend is stopped for a while (retries), Hearthook
 * SIGKILLed once mid-delivery (duplicates), and the webhook disabled and enabled again (a
 * sequence gap, filled from the catch-up API). Afterwards the backend's state table equals
 * GET /v1/hvacs/{id}/status for every gateway, and every event Hearthook holds for the company
 * was applied exactly once. On a SQLite file by default, on PostgreSQL with HEARTHOOK_TEST_DATABASE.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, expect, it } from 'vitest';
import { runSimulation } from '../../src/simulator/runSimulation.js';
import { call, freePort, HearthookProcess } from '../helpers/hearthookProcess.js';
import { dropTestSchema, newTestSchema, testPostgresUrl } from '../helpers/testDatabase.js';
import { ADMIN_TOKEN, admin, INGEST_TOKEN, ingest } from '../helpers/testRuntime.js';
import { until } from '../helpers/until.js';

const BACKEND = resolve('examples/partner-backend/server.mjs');
const GATEWAYS = Array.from({ length: 4 }, (_, i) => String(900000001 + i));
const pgUrl = testPostgresUrl();
const dir = mkdtempSync(join(tmpdir(), 'hearthook-partner-backend-'));
const cleanup: Array<() => unknown> = [];

afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
  rmSync(dir, { recursive: true, force: true });
});

interface Status {
  connectivity: { status: string } | null;
  faults: Array<{ displayCode: string; causeCode: string | number; severity: string }>;
  operationStatus?: { value: unknown } | null;
  dataPoints?: Array<{ key: string; value: unknown }>;
}

/**
 * The network between Hearthook and the backend: forwards each delivery, and can hold the answer
 * back (`delayMs`) after the backend has applied the event, so a Hearthook killed meanwhile never
 * learns it was taken and sends it again. Answers 502 while the backend is down.
 */
class SlowLink {
  delayMs = 0;
  /** Deliveries the backend took whose answer is being held back. */
  holding = 0;
  /** Deliveries that found the backend down. */
  refused = 0;
  private server: Server | undefined;

  constructor(private readonly backendUrl: string) {}

  async start(): Promise<string> {
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name))) as Record<string, string>;
      try {
        const answer = await fetch(`${this.backendUrl}/hooks`, { method: 'POST', headers, body: Buffer.concat(chunks) });
        const body = await answer.text();
        if (this.delayMs > 0) {
          this.holding++;
          await new Promise((r) => setTimeout(r, this.delayMs));
          this.holding--;
        }
        res.writeHead(answer.status).end(body);
      } catch {
        this.refused++;
        res.writeHead(502).end();
      }
    });
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((done) => this.server?.close(done));
  }
}

/** The part of a gateway's state both sides know, in one comparable form. */
function comparable(s: Status | undefined) {
  return {
    connectivity: s?.connectivity?.status ?? null,
    faults: (s?.faults ?? []).map((f) => `${f.displayCode}/${f.causeCode}/${f.severity}`).sort(),
    operationStatus: s?.operationStatus?.value ?? null,
    dataPoints: Object.fromEntries((s?.dataPoints ?? []).map((d) => [d.key, d.value])),
  };
}

it('ends with the state table GET /v1/hvacs/{id}/status shows, every event applied once, after a stopped backend, a killed Hearthook and a disabled webhook', async () => {
  let env: Record<string, string> = { HEARTHOOK_DATABASE: join(dir, 'hearthook.db') };
  if (pgUrl) {
    const test = newTestSchema(pgUrl);
    env = { HEARTHOOK_DATABASE: test.database };
    cleanup.push(() => dropTestSchema(pgUrl, test.schema));
  }
  env = {
    ...env,
    HEARTHOOK_DELIVERY_TIMEOUT: '1s', // the killed process's leases (4 × timeout) expire in 4 s
    HEARTHOOK_RETRY_SCHEDULE: Array.from({ length: 40 }, (_, i) => (i === 0 ? '0s' : '1s')).join(','),
    HEARTHOOK_CIRCUIT_OPEN: '1s',
  };
  const port = await freePort();
  let server = await new HearthookProcess(port, env).start();
  cleanup.push(() => server.stop());

  const company = await call<{ id: string }>(server.url, 'POST', '/v1/admin/companies', admin, { name: 'Backend Heating', languages: ['en'], autoAccept: true });
  const apiKey = (await call<{ apiKey: string }>(server.url, 'POST', `/v1/admin/companies/${company.id}/api-keys`, admin)).apiKey;
  const partner = { 'x-api-key': apiKey };
  const backendPort = await freePort();
  const backendUrl = `http://127.0.0.1:${backendPort}`;
  const link = new SlowLink(backendUrl);
  const linkUrl = await link.start();
  cleanup.push(() => link.stop());
  const webhook = await call<{ id: string; secret: string }>(server.url, 'POST', '/v1/webhooks', partner, {
    url: linkUrl,
    apiKeyName: 'x-api-key',
    apiKeyLocation: 'HEADER',
    apiKey: 'backend-key',
    eventTypes: ['CONNECTIVITY_STATUS', 'APPLIANCE_STATUS', 'CONTRACT_STATUS', 'DATA_POINT', 'DAILY_AGGREGATE'],
  });

  let backend: ChildProcess | undefined;
  let backendOutput = '';
  const startBackend = async () => {
    backend = spawn(process.execPath, [BACKEND], {
      env: {
        PATH: process.env.PATH,
        PORT: String(backendPort),
        HEARTHOOK_URL: server.url,
        HEARTHOOK_API_KEY: apiKey,
        WEBHOOK_ID: webhook.id,
        WEBHOOK_SECRET: webhook.secret,
        DATABASE: join(dir, 'backend.db'),
        HOLD_MS: '1500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    backend.stdout?.on('data', (d) => (backendOutput += d));
    backend.stderr?.on('data', (d) => (backendOutput += d));
    await until(async () => (await fetch(`${backendUrl}/health`).catch(() => undefined))?.ok === true, `the backend to start: ${backendOutput}`, 30_000);
  };
  const stopBackend = async () => {
    const child = backend!;
    if (child.exitCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await exited;
  };
  cleanup.push(() => stopBackend());
  await startBackend();

  const backendGet = async <T>(path: string): Promise<T> => (await fetch(`${backendUrl}${path}`)).json() as Promise<T>;
  const applied = () => backendGet<string[]>('/applied-events');
  /** Every event Hearthook holds for the company, oldest first. */
  const hearthookEvents = async (): Promise<string[]> => {
    const ids: string[] = [];
    let after = '';
    for (;;) {
      const page = await call<{ data: Array<{ id: string }>; nextCursor: string | null; hasMore: boolean }>(server.url, 'GET', `/v1/events?limit=1000${after}`, partner);
      ids.push(...page.data.map((e) => e.id));
      if (!page.hasMore) return ids;
      after = `&after=${page.nextCursor}`;
    }
  };

  // The fleet runs through everything below; its sends fail while Hearthook is down, as a real one's would.
  const stopFleet = new AbortController();
  const sink = new PassThrough().resume();
  const fleet = runSimulation(
    { gateways: GATEWAYS.length, rate: 20, target: new URL(server.url), faults: true, outages: true, ingestToken: INGEST_TOKEN, adminToken: ADMIN_TOKEN, company: company.id, seed: 1313 },
    { stdout: sink, stderr: sink, signal: stopFleet.signal },
  );
  cleanup.push(() => stopFleet.abort());

  await until(async () => (await applied()).length >= 20, 'the first events applied');

  // 1. The backend is stopped for a while: deliveries fail and wait on the retry schedule.
  await stopBackend();
  const atStop = (await hearthookEvents()).length;
  await until(async () => (await hearthookEvents()).length >= atStop + 20 && link.refused > 0, 'events (and refused deliveries) while the backend is down');
  await startBackend();
  const atRestart = (await hearthookEvents()).length;
  await until(async () => (await applied()).length >= atRestart, 'the backlog to be retried and applied', 60_000);

  // 2. Hearthook is SIGKILLed after the backend took deliveries but before their answers came
  //    back, and started again on its database: it sends those again.
  link.delayMs = 400;
  await until(() => link.holding > 0, 'a delivery taken and not yet answered');
  await server.kill();
  link.delayMs = 0;
  server = await new HearthookProcess(port, env).start();
  const duplicates = async () => (await backendGet<{ duplicates: number }>('/health')).duplicates;
  await until(async () => (await duplicates()) > 0, 'the unanswered delivery sent again, and dropped as a duplicate', 60_000);

  // 3. The webhook is disabled for a while: its sequences count on without deliveries (a gap).
  await call(server.url, 'PATCH', `/v1/webhooks/${webhook.id}`, partner, { enabled: false });
  const whileDisabled = (await hearthookEvents()).length;
  await until(async () => (await hearthookEvents()).length >= whileDisabled + 20, 'events while the webhook is disabled');
  await call(server.url, 'PATCH', `/v1/webhooks/${webhook.id}`, partner, { enabled: true });
  await until(async () => (await hearthookEvents()).length >= whileDisabled + 40, 'events after enabling it again');
  stopFleet.abort();
  await fleet;
  // A gap is seen when a later event arrives: one last, certain event per gateway shows every gap.
  await call(server.url, 'POST', '/v1/ingest', ingest, GATEWAYS.map((gatewayId) => ({ kind: 'datapoint', gatewayId, key: 'hvac.emon.compressor.powerCurrent', value: 31_000, unit: 'W' })));

  const expected = await hearthookEvents();
  await until(async () => (await applied()).length >= expected.length, `all ${expected.length} events applied`, 60_000);
  const appliedIds = await applied();
  expect(new Set(appliedIds).size).toBe(appliedIds.length); // the table's key makes it so; and the stats below
  expect([...appliedIds].sort()).toEqual([...expected].sort());

  const stats = await backendGet<{ received: number; applied: number; duplicates: number; gapsFilled: number; gapsGivenUp: number }>('/health');
  expect(stats.gapsGivenUp).toBe(0);
  expect(stats.gapsFilled).toBeGreaterThan(0); // the disabled webhook's gap came from catch-up

  for (const gatewayId of GATEWAYS) {
    const status = await call<Status>(server.url, 'GET', `/v1/hvacs/${gatewayId}/status`, partner);
    const mine = (await fetch(`${backendUrl}/gateways/${gatewayId}`)).ok ? await backendGet<Status>(`/gateways/${gatewayId}`) : undefined;
    expect({ gatewayId, ...comparable(mine) }).toEqual({ gatewayId, ...comparable(status) });
  }
  console.log(`partner backend: ${expected.length} events, ${stats.received} deliveries received, ${stats.duplicates} duplicates dropped, ${stats.gapsFilled} gaps filled from catch-up`);
}, 240_000);

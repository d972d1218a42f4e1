/**
 * The unit costs of the capacity model (BENCHMARKS.md, "Capacity model for 10^6 gateways"): what
 * one gateway message, one event and one delivery cost a `hearthook serve` process and
 * PostgreSQL, with ingest and delivery in separate processes as a fleet deployment runs them
 * (`--roles api`, `--roles worker`). Phases, each measured alone, in rounds:
 *   quiet  heartbeats of online gateways: a message that makes no event (resend guard, state);
 *   event  `connection` messages flipping status: each one event and two deliveries (two webhooks);
 *   drain  a fresh worker delivering what `event` queued, to a receiver process.
 * Per unit: CPU µs of the serve process (/proc/<pid>/stat) and of its PostgreSQL backends, WAL
 * bytes of the schema's records and commits (pg_walinspect), row writes. Run from the build:
 *
 *   node dist/bench/unitCosts.js [--postgres postgres://…] [--messages 20000] [--rounds 3]
 */
import { parseArgs } from 'node:util';
import { newPostgresDatabase } from './benchDatabase.js';
import { setUpFleetThroughApiProcess } from './fleet.js';
import { GatewayTraffic, HeartbeatTraffic, IngestClient, IngestLoad, type Traffic } from './loadGenerator.js';
import { PostgresCost, type PostgresCostDelta } from './postgresCost.js';
import { withClient } from './postgres.js';
import { processCpuMs } from './processCpu.js';
import { Receiver } from './receiver.js';
import { ServeProcess } from './serveProcess.js';
import { median, sleep } from './stats.js';

const GATEWAYS = 1000;
const FANOUT = 2;
/**
 * Messages per ingest request (the ingest scenario's), two requests in flight; one for the
 * status flips, whose order matters: two batches committing out of order would turn a flip
 * and its flip back into no change, and a message would make no event.
 */
const BATCH = 1000;
const IN_FLIGHT = 2;

interface UnitCost {
  phase: string;
  units: number;
  serveCpuUs: number;
  postgresCpuUs: number;
  walBytes: number;
  walFpiBytes: number;
  serverWalBytes: number;
  commits: number;
  rowWrites: number;
  events: number;
  deliveries: number;
  perSecond: number;
}

const { values } = parseArgs({
  options: {
    postgres: { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    messages: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
  },
});
const server = values.postgres as string;
const messages = Math.ceil(Number(values.messages) / (2 * GATEWAYS)) * 2 * GATEWAYS; // every gateway flips back
const rounds = Number(values.rounds);

const db = newPostgresDatabase(server, 'units');
const schema = db.schema as string;
const url = (role: string) => `${db.url}&application_name=${schema}_${role}`;
const receiver = await Receiver.start(1);
let api: ServeProcess | undefined;
const meters: PostgresCost[] = [];
try {
  await setUpFleetThroughApiProcess(db.url, receiver.urls[0], FANOUT, GATEWAYS);
  api = await ServeProcess.start(url('api'), { roles: 'api' });
  const apiCost = await PostgresCost.open(server, schema, `${schema}_api`);
  const workerCost = await PostgresCost.open(server, schema, `${schema}_worker`);
  meters.push(apiCost, workerCost);
  const client = new IngestClient(api.url);
  const gatewayIds = Array.from({ length: GATEWAYS }, (_, i) => String(100_000_000 + i));
  const flips = new GatewayTraffic(gatewayIds);
  const heartbeats = new HeartbeatTraffic(gatewayIds);

  // Warm-up: every gateway online (its first heartbeat reports it), JIT, pools; delivered.
  await new IngestLoad(client, heartbeats, BATCH).sendCount(GATEWAYS, IN_FLIGHT);
  await new IngestLoad(client, flips, BATCH).sendCount(2 * GATEWAYS, 1);
  await drain(workerCost);

  const results: UnitCost[] = [];
  for (let r = 0; r < rounds; r++) {
    results.push(await ingest('quiet message', heartbeats, apiCost, IN_FLIGHT));
    results.push(await ingest('event message', flips, apiCost, 1));
    results.push(await drain(workerCost));
    process.stderr.write(`round ${r + 1} of ${rounds} done\n`);
  }
  print(results);
  await printStorage();
  await client.close();
} finally {
  await api?.stop();
  for (const meter of meters) await meter.close();
  await receiver.stop();
  await db.drop();
}

/** Sends `messages` messages of `traffic` to the api process and measures them. */
async function ingest(phase: string, traffic: Traffic, cost: PostgresCost, inFlight: number): Promise<UnitCost> {
  const serve = api as ServeProcess;
  const client = new IngestClient(serve.url);
  await sleep(1100); // the previous phase's table statistics reach the view first (flushed at most once a second)
  const before = await counts();
  const cpu = processCpuMs(serve.pid);
  await cost.mark();
  const started = performance.now();
  await new IngestLoad(client, traffic, BATCH).sendCount(messages, inFlight);
  const seconds = (performance.now() - started) / 1000;
  await sleep(1100);
  const spent = await cost.since();
  const cpuMs = processCpuMs(serve.pid) - cpu;
  const after = await counts();
  await client.close();
  return unit(phase, messages, cpuMs, spent, after.events - before.events, after.deliveries - before.deliveries, messages / seconds);
}

/**
 * A fresh `--roles worker` process delivers every pending delivery; measured from the first
 * look past 5% (its start-up, JIT and connections left out) until every outcome is recorded.
 */
async function drain(cost: PostgresCost): Promise<UnitCost> {
  await sleep(1100);
  const pending = (await counts()).pending;
  const start = receiver.latest.total;
  const worker = await ServeProcess.start(url('worker'), { roles: 'worker' });
  try {
    let from: { delivered: number; cpuMs: number; at: number } | undefined;
    const deadline = Date.now() + 10 * 60_000;
    for (;;) {
      if (worker.exited) throw new Error(`the worker exited:\n${worker.log}`);
      if (Date.now() > deadline) throw new Error(`drained ${receiver.latest.total - start} of ${pending}`);
      await sleep(from ? 100 : 10);
      const delivered = receiver.latest.total - start;
      if (!from && delivered >= pending / 20) {
        from = { delivered, cpuMs: processCpuMs(worker.pid), at: performance.now() };
        await cost.mark();
      } else if (from && delivered >= pending && (await counts()).pending === 0) {
        break;
      }
    }
    const cpuMs = processCpuMs(worker.pid) - from.cpuMs;
    const seconds = (performance.now() - from.at) / 1000;
    await sleep(1100);
    const spent = await cost.since();
    const n = pending - from.delivered;
    return unit('delivery', n, cpuMs, spent, 0, 0, n / seconds);
  } finally {
    await worker.stop();
  }
}

function unit(phase: string, units: number, cpuMs: number, s: PostgresCostDelta, events: number, deliveries: number, perSecond: number): UnitCost {
  return {
    phase,
    units,
    serveCpuUs: (cpuMs * 1000) / units,
    postgresCpuUs: (s.backendCpuMs * 1000) / units,
    walBytes: s.walBytes / units,
    walFpiBytes: s.walFpiBytes / units,
    serverWalBytes: s.serverWalBytes / units,
    commits: s.commits / units,
    rowWrites: (s.rowsInserted + s.rowsUpdated + s.rowsDeleted) / units,
    events: events / units,
    deliveries: deliveries / units,
    perSecond,
  };
}

async function counts(): Promise<{ events: number; deliveries: number; pending: number }> {
  return withClient(server, schema, async (c) => {
    const { rows } = await c.query(
      `SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM deliveries)::int AS deliveries,
              (SELECT count(*) FROM deliveries WHERE status NOT IN ('delivered', 'dead'))::int AS pending`,
    );
    return rows[0];
  });
}

/** On-disk bytes per row of the tables that grow with traffic (heap, indexes, TOAST; dead row versions included). */
async function printStorage(): Promise<void> {
  const tables = ['events', 'event_recipients', 'deliveries', 'delivery_attempts', 'message_ids_recent', 'message_ids_kept'];
  const lines = ['table               rows      bytes    bytes/row'];
  await withClient(server, schema, async (c) => {
    for (const table of tables) {
      const { rows } = await c.query(`SELECT count(*)::float8 AS n, pg_total_relation_size($1::regclass)::float8 AS bytes FROM ${table}`, [`${schema}.${table}`]);
      const { n, bytes } = rows[0] as { n: number; bytes: number };
      lines.push(`${table.padEnd(18)} ${String(n).padStart(8)} ${String(bytes).padStart(10)} ${String(Math.round(bytes / Math.max(1, n))).padStart(9)}`);
    }
  });
  process.stdout.write(`${lines.join('\n')}\n`);
}

function print(results: UnitCost[]): void {
  const fmt = (v: number, digits = 0) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const lines = [
    `Unit costs on PostgreSQL (${GATEWAYS} gateways, ${FANOUT} webhooks each, ingest batches of ${BATCH}, ${IN_FLIGHT} in flight (status flips: 1); ${rounds} rounds, medians; per round in brackets)`,
    'unit            serve CPU µs           PostgreSQL CPU µs      WAL bytes (FPI; server)   commits  row writes  events  deliveries  units/s',
  ];
  for (const phase of ['quiet message', 'event message', 'delivery']) {
    const rs = results.filter((r) => r.phase === phase);
    const m = (f: (r: UnitCost) => number) => median(rs.map(f));
    const all = (f: (r: UnitCost) => number) => rs.map((r) => fmt(f(r))).join(' ');
    lines.push(
      [
        phase.padEnd(15),
        `${fmt(m((r) => r.serveCpuUs))} (${all((r) => r.serveCpuUs)})`.padEnd(22),
        `${fmt(m((r) => r.postgresCpuUs))} (${all((r) => r.postgresCpuUs)})`.padEnd(22),
        `${fmt(m((r) => r.walBytes))} (${fmt(m((r) => r.walFpiBytes))}; ${fmt(m((r) => r.serverWalBytes))})`.padEnd(25),
        fmt(m((r) => r.commits), 3).padStart(7),
        fmt(m((r) => r.rowWrites), 2).padStart(10),
        fmt(m((r) => r.events), 2).padStart(7),
        fmt(m((r) => r.deliveries), 2).padStart(11),
        fmt(m((r) => r.perSecond)).padStart(8),
      ].join(' '),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

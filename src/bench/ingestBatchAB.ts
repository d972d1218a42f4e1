import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import pino from 'pino';
import type { loadConfig as LoadConfig } from '../config/config.js';
import type { ingestBatch as IngestBatch } from '../ingest/ingestBatch.js';
import type { GatewayMessage } from '../rules/messages.js';
import type { Runtime } from '../runtime.js';
import type { createRuntime as CreateRuntime } from '../server/createRuntime.js';
import { setUpFleet } from './fleet.js';
import { FANOUT, GATEWAYS } from './scenarios/endToEnd.js';
import { ADMIN_TOKEN, INGEST_TOKEN } from './serveProcess.js';
import { median } from './stats.js';

/**
 * Compares ingest builds on the SQLite hot path, as BENCHMARKS.md "How the changes were
 * measured" describes: one process loads `ingestBatch` from each build (a `dist/` directory with
 * its `migrations/` beside it), gives each a file database with the ingest scenario's fleet
 * (1,000 gateways, 2 webhooks) and `--grow` message ids already taken in (round-robin over the
 * gateways, `m1` … `mN`, as the load generator names them: the tables a long run reaches), then
 * runs 1,000-message batches of the scenario's traffic on the builds in turn and prints the median
 * milliseconds per batch of each, per block of batches, so growth shows.
 *
 *   node dist/bench/ingestBatchAB.js --build before=.ab/before/dist --build after=dist --grow 3000000 --batches 400
 *   node dist/bench/ingestBatchAB.js --build a=dist --build b=dist --sql 'b=DROP INDEX deliveries_event' --grow 0
 */
interface Build {
  name: string;
  ingestBatch: typeof IngestBatch;
  createRuntime: typeof CreateRuntime;
  loadConfig: typeof LoadConfig;
}

interface Subject {
  build: Build;
  rt: Runtime;
  gatewayIds: string[];
  next: number;
  times: number[];
  /** Process CPU per batch (all threads: the checkpointer's share lands on whichever batch it overlaps). */
  cpu: number[];
  /** WAL frames each batch appended (`mxFrame` in the WAL index; a batch during which the WAL was rewound is left out). */
  frames: number[];
  shm: number;
}

async function loadBuild(name: string, dist: string): Promise<Build> {
  const url = (path: string) => pathToFileURL(join(resolve(dist), path)).href;
  const { ingestBatch } = await import(url('ingest/ingestBatch.js'));
  const { createRuntime } = await import(url('server/createRuntime.js'));
  const { loadConfig } = await import(url('config/config.js'));
  return { name, ingestBatch, createRuntime, loadConfig };
}

async function open(build: Build, file: string): Promise<Runtime> {
  const config = build.loadConfig({}, {
    database: file,
    adminToken: ADMIN_TOKEN,
    ingestToken: INGEST_TOKEN,
    allowHttp: true,
    allowPrivateNetworks: ['127.0.0.0/8'],
    logLevel: 'silent',
    rateLimit: false,
  });
  const { rt } = await build.createRuntime(config, { log: pino({ level: 'silent' }) });
  return rt;
}

/** A fleet through the build's own API (listening on a free port), then `grow` ids written straight into its guard table. */
async function prepare(build: Build, file: string, grow: number): Promise<string[]> {
  const rt = await open(build, file);
  const app = await (await import(pathToFileURL(join(distOf.get(build)!, 'api/app.js')).href)).buildApp(rt);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const fleet = await setUpFleet(address, Array.from({ length: FANOUT }, (_, i) => `http://127.0.0.1:9/partner-${i + 1}`), GATEWAYS);
  await app.close();
  await rt.store.close();
  const db = new Database(file);
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  // The table that holds ids once they are no longer recent (after the redesign) or the only one (before).
  const target = tables.includes('message_ids_kept') ? 'message_ids_kept' : 'ingested_messages';
  db.prepare('CREATE TEMP TABLE fleet (i INTEGER PRIMARY KEY, id TEXT NOT NULL)').run();
  const add = db.prepare('INSERT INTO temp.fleet (i, id) VALUES (?, ?)');
  db.transaction(() => {
    for (const [i, id] of fleet.gatewayIds.entries()) add.run(i, id);
  })();
  const since = Date.now() - 600_000;
  db.prepare(
    `WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < ?)
     INSERT INTO ${target} (gateway_id, message_id, received_at)
     SELECT f.id, 'm' || k, ? + k / 25 FROM n JOIN temp.fleet f ON f.i = (k - 1) % ?`,
  ).run(grow, since, fleet.gatewayIds.length);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return fleet.gatewayIds;
}

const distOf = new Map<Build, string>();

/** The ingest scenario's traffic: `connection` messages flipping each gateway's status, ids continuing after the grown ones. */
function batch(s: Subject, size: number): GatewayMessage[] {
  const sentAt = Date.now();
  const out: GatewayMessage[] = [];
  for (let i = 0; i < size; i++) {
    const n = ++s.next;
    const g = (n - 1) % s.gatewayIds.length;
    const status = Math.floor((n - 1) / s.gatewayIds.length) % 2 === 0 ? 'CONNECTED' : 'DISCONNECTED';
    out.push({ kind: 'connection', gatewayId: s.gatewayIds[g], status, messageId: `m${n}`, sentAt } as GatewayMessage);
  }
  return out;
}

const header = Buffer.alloc(4);
/** The last valid frame of the WAL: `mxFrame`, bytes 16–19 of the WAL index header in `-shm` (native byte order). */
function walFrames(shm: number): number {
  readSync(shm, header, 0, 4, 16);
  return header.readUInt32LE(0);
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Median and mean ms per batch (the mean counts the occasional batch that also moves ids), and mean CPU ms. */
function summary(s: Subject, from: number): string {
  const times = s.times.slice(from);
  return `${s.build.name} median ${median(times).toFixed(1)} mean ${mean(times).toFixed(1)} ms, cpu ${mean(s.cpu.slice(from)).toFixed(1)} ms, WAL frames median ${median(s.frames.slice(Math.floor((from * s.frames.length) / s.times.length)))}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const builds: Array<[string, string]> = [];
  /** `--sql name=STATEMENT`: run on that build's database once it is prepared (e.g. to drop an index and see what it costs). */
  const sql = new Map<string, string>();
  let grow = 3_000_000;
  let batches = 400;
  let block = 100;
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] === '--build') {
      const [name, dist] = args[i + 1].split('=');
      builds.push([name, dist]);
    } else if (args[i] === '--sql') {
      const at = args[i + 1].indexOf('=');
      sql.set(args[i + 1].slice(0, at), args[i + 1].slice(at + 1));
    } else if (args[i] === '--grow') grow = Number(args[i + 1]);
    else if (args[i] === '--batches') batches = Number(args[i + 1]);
    else if (args[i] === '--block') block = Number(args[i + 1]);
    else throw new Error(`unknown argument ${args[i]}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'hearthook-ab-'));
  const subjects: Subject[] = [];
  try {
    for (const [name, dist] of builds) {
      const build = await loadBuild(name, dist);
      distOf.set(build, resolve(dist));
      const file = join(dir, `${name}.db`);
      const started = Date.now();
      const gatewayIds = await prepare(build, file, grow);
      if (sql.has(name)) {
        const db = new Database(file);
        db.exec(sql.get(name)!);
        db.close();
      }
      console.log(`${name}: fleet and ${grow} ids in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      subjects.push({ build, rt: await open(build, file), gatewayIds, next: grow, times: [], cpu: [], frames: [], shm: openSync(`${file}-shm`, 'r') });
    }
    for (let b = 0; b < batches; b++) {
      // Alternating which build goes first, so neither always follows the other's commit.
      const order = b % 2 === 0 ? subjects : [...subjects].reverse();
      for (const s of order) {
        const messages = batch(s, 1000);
        const w0 = walFrames(s.shm);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await s.build.ingestBatch(s.rt, messages, 'http');
        s.times.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        s.cpu.push((c.user + c.system) / 1000);
        const grown = walFrames(s.shm) - w0;
        if (grown >= 0) s.frames.push(grown);
      }
      if ((b + 1) % block === 0) {
        const from = b + 1 - block;
        console.log(`batches ${from + 1}–${b + 1}: ${subjects.map((s) => summary(s, from)).join('; ')}`);
      }
    }
    console.log(`all ${batches}: ${subjects.map((s) => summary(s, 0)).join('; ')}`);
  } finally {
    for (const s of subjects) {
      closeSync(s.shm);
      await s.rt.store.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

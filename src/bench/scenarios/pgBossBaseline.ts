import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { newPostgresDatabase } from '../benchDatabase.js';
import { setUpFleet, setUpFleetThroughApiProcess } from '../fleet.js';
import { GatewayTraffic, IngestClient } from '../loadGenerator.js';
import type { BaselineSettings } from '../pgbossBaseline.js';
import { measurePgCeiling } from '../pgCeiling.js';
import { postgresProblem } from '../postgres.js';
import { Receiver } from '../receiver.js';
import { measureSaturation, type SaturationSettings } from '../saturation.js';
import { round, type Scenario } from '../scenario.js';
import { INGEST_TOKEN, ServeProcess } from '../serveProcess.js';
import { median } from '../stats.js';
import { FANOUT, SATURATION_BATCH, SATURATION_OUTSTANDING } from './endToEnd.js';

const GATEWAYS = 200;
/**
 * The baseline's workers and jobs per fetch: the best of a sweep on this machine (BENCHMARKS.md),
 * so the baseline is a well-tuned straightforward dispatcher, not a strawman. A pg-boss 10 worker
 * sleeps out its polling interval (0.5 s at least) after every fetch, so throughput grows with
 * workers × batch until the endpoint pool (64 connections) and PostgreSQL are the limit.
 */
export const BASELINE_WORKERS = 8;
export const BASELINE_BATCH = 250;
/**
 * The raw-SQL ceiling's claim → outcome loops, each on a connection of its own: more than one
 * dispatcher keeps in flight, so the figure is what PostgreSQL can take, not what one loop waits.
 */
const CEILING_DISPATCH_LANES = 4;

/**
 * 6. The same end-to-end work (ingest batches → one delivery per webhook → POSTed and
 * acknowledged) by Hearthook on PostgreSQL and by a straightforward pg-boss dispatcher
 * (`pgbossBaseline.ts`) against the same PostgreSQL, receiver and load; deliveries/s of each
 * at saturation and their ratio.
 */
export const pgBossBaseline: Scenario = {
  name: 'baseline',
  title: 'Hearthook on PostgreSQL vs a pg-boss dispatcher',
  async run({ options, progress }) {
    const problem = await postgresProblem(options.postgres);
    if (problem) return skipped(this.title, problem);
    const quick = options.quick;
    const settings: SaturationSettings = {
      fanout: FANOUT,
      batch: SATURATION_BATCH,
      outstanding: SATURATION_OUTSTANDING,
      warmMs: quick ? 1000 : 3000,
      windows: quick ? 3 : 5,
      windowMs: quick ? 1500 : 4000,
    };
    const receiver = await Receiver.start(1);
    const endpoints = Array.from({ length: FANOUT }, (_, i) => `${receiver.urls[0]}/partner-${i + 1}`);
    try {
      // Hearthook on PostgreSQL.
      const db = newPostgresDatabase(options.postgres, 'hh');
      let hearthook: Awaited<ReturnType<typeof measureSaturation>>;
      let gatewayIds: string[];
      try {
        const serve = await ServeProcess.start(db.url);
        const client = new IngestClient(serve.url);
        try {
          const fleet = await setUpFleet(serve.url, endpoints, GATEWAYS);
          gatewayIds = fleet.gatewayIds;
          hearthook = await measureSaturation(client, new GatewayTraffic(gatewayIds), receiver, settings, progress, 'hearthook');
        } finally {
          await client.close();
          await serve.stop();
        }
      } catch (err) {
        return skipped(this.title, `Hearthook's PostgreSQL engine is not ready: ${(err as Error).message.split('\n')[0]}`);
      } finally {
        await db.drop();
      }

      // PostgreSQL's own limit for the same work: its statements driven raw, on a fresh schema
      // with the same fleet (set up through the API, as above), no HTTP, no rules, no rendering.
      const rawDb = newPostgresDatabase(options.postgres, 'raw');
      let ceiling: number[];
      try {
        await setUpFleetThroughApiProcess(rawDb.url, receiver.urls[0], FANOUT, GATEWAYS);
        ceiling = await measurePgCeiling(
          rawDb.url,
          {
            fanout: FANOUT,
            batch: settings.batch,
            outstanding: settings.outstanding,
            ingestLanes: 2,
            dispatchLanes: CEILING_DISPATCH_LANES,
            claimBatch: 100,
            warmMs: settings.warmMs,
            windows: settings.windows,
            windowMs: settings.windowMs,
          },
          progress,
        );
      } finally {
        await rawDb.drop();
      }

      // The pg-boss baseline, same receiver, same load.
      const boss = newPostgresDatabase(options.postgres, 'pgboss');
      const baseline = await startBaseline({
        connectionString: options.postgres,
        schema: boss.schema!,
        endpoints,
        ingestToken: INGEST_TOKEN,
        workers: BASELINE_WORKERS,
        batchSize: BASELINE_BATCH,
      });
      let pgboss: Awaited<ReturnType<typeof measureSaturation>>;
      const client = new IngestClient(baseline.url);
      try {
        pgboss = await measureSaturation(client, new GatewayTraffic(gatewayIds), receiver, settings, progress, 'pg-boss');
      } finally {
        await client.close();
        baseline.child.kill('SIGKILL');
        await boss.drop();
      }
      const hh = median(hearthook.rates);
      const pb = median(pgboss.rates);
      const raw = median(ceiling);
      return {
        scenario: 'baseline',
        title: this.title,
        figures: [
          { name: 'Hearthook on PostgreSQL', value: round(hh), unit: 'deliveries/s', note: `median of ${settings.windows} windows` },
          { name: 'pg-boss baseline', value: round(pb), unit: 'deliveries/s', note: `${BASELINE_WORKERS} workers × batches of ${BASELINE_BATCH}` },
          { name: 'Hearthook / pg-boss', value: round(hh / pb, 2), unit: '×', target: { op: '>=', value: 3, text: '≥ 3.00' } },
          { name: 'raw-SQL ceiling (same statements, no HTTP)', value: round(raw), unit: 'deliveries/s', note: `${CEILING_DISPATCH_LANES} claim → outcome loops, 2 ingest loops` },
          { name: 'Hearthook / raw-SQL ceiling', value: round(hh / raw, 2), unit: '×', target: { op: '>=', value: 0.5, text: '≥ 0.50' } },
          { name: 'Hearthook latency p99 at saturation', value: round(hearthook.latency.p99, 1), unit: 'ms' },
          { name: 'pg-boss latency p99 at saturation', value: round(pgboss.latency.p99, 1), unit: 'ms' },
        ],
        details: {
          hearthook: { windows: hearthook.rates.map((r) => round(r)), latency: hearthook.latency },
          pgboss: { windows: pgboss.rates.map((r) => round(r)), latency: pgboss.latency, workers: BASELINE_WORKERS, batch: BASELINE_BATCH },
          rawSqlCeiling: { windows: ceiling.map((r) => round(r)), dispatchLanes: CEILING_DISPATCH_LANES },
          settings,
        },
      };
    } finally {
      await receiver.stop();
    }
  },
};

function skipped(title: string, reason: string) {
  return { scenario: 'baseline', title, figures: [], skipped: reason, details: {} };
}

/** Forks `pgbossBaseline.ts` and waits until its ingest endpoint listens. */
export async function startBaseline(settings: BaselineSettings): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(new URL('../pgbossBaseline.js', import.meta.url)), [JSON.stringify(settings)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`pg-boss baseline exited (${code})`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

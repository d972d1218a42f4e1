import { newDatabase } from '../benchDatabase.js';
import { setUpFleet } from '../fleet.js';
import { GatewayTraffic, IngestClient, IngestLoad } from '../loadGenerator.js';
import { formatNumber } from '../progress.js';
import { Receiver } from '../receiver.js';
import { measureSaturation } from '../saturation.js';
import { type Scenario, round } from '../scenario.js';
import { ServeProcess } from '../serveProcess.js';
import { median, sleep, waitUntil } from '../stats.js';

/** The fleet of the end-to-end and ingest scenarios, in both modes so their figures compare. */
export const GATEWAYS = 1000;
/** Webhooks per gateway: two partners (say, the installer and an energy provider). */
export const FANOUT = 2;
/** Messages per ingest request at saturation: a bridge forwarding a fleet's messages. */
export const SATURATION_BATCH = 100;
/** Events sent but not yet delivered at most, at saturation: enough to keep every lane busy. */
export const SATURATION_OUTSTANDING = 5_000;
const FIXED_RATE = 1_000;
const FIXED_BATCH = 10;

/**
 * 2. Gateway messages in through `POST /v1/ingest` → rules → fan-out (two webhooks) → delivered
 * to the receiver and acknowledged, attempts recorded: one default `hearthook serve` process.
 * Latency (receive time − ingest send time) at a fixed 1,000 events/s, then deliveries/s at
 * saturation and its ratio to the ceiling measured earlier in the same run.
 */
export const endToEnd: Scenario = {
  name: 'e2e',
  title: 'End to end: ingest → rules → fan-out → delivered',
  needs: ['ceiling'],
  async run({ options, earlier, progress }) {
    const quick = options.quick;
    const db = newDatabase(options, 'e2e');
    const receiver = await Receiver.start(1);
    const serve = await ServeProcess.start(db.url);
    const client = new IngestClient(serve.url);
    try {
      progress.update('setting up companies, webhooks, gateways');
      const endpoints = Array.from({ length: FANOUT }, (_, i) => `${receiver.urls[0]}/partner-${i + 1}`);
      const fleet = await setUpFleet(serve.url, endpoints, GATEWAYS);
      const traffic = new GatewayTraffic(fleet.gatewayIds);
      const drain = async (events: number) => {
        const expected = events * FANOUT;
        await waitUntil(
          () => {
            if (serve.exited) throw new Error(`hearthook serve exited:\n${serve.log}`);
            return receiver.latest.total >= expected;
          },
          120_000,
          `${expected} deliveries`,
        ).catch((err: Error) => {
          throw new Error(`${err.message} (${receiver.latest.total} arrived)\n${serve.log.slice(-2000)}`);
        });
      };

      progress.update('warming up');
      const warm = new IngestLoad(client, traffic, SATURATION_BATCH);
      await warm.sendCount(quick ? 2_000 : 10_000, 2);
      let sentTotal = warm.sent;
      await drain(sentTotal);

      // Latency at a fixed offered load.
      const fixedMs = quick ? 4_000 : 20_000;
      const fixed = new IngestLoad(client, traffic, FIXED_BATCH).startFixedRate(FIXED_RATE);
      await sleep(1000);
      const since = Date.now();
      for (let t = 0; t < fixedMs; t += 1000) {
        await sleep(1000);
        progress.update(`${FIXED_RATE} events/s: ${Math.round((t + 1000) / 1000)}/${fixedMs / 1000} s`);
      }
      const until = Date.now();
      await fixed.stop();
      sentTotal += fixed.sent;
      const fixedLatency = await receiver.latency(since, until);
      await drain(sentTotal);

      // Saturation.
      const windows = quick ? 3 : 5;
      const saturation = await measureSaturation(
        client,
        traffic,
        receiver,
        {
          fanout: FANOUT,
          batch: SATURATION_BATCH,
          outstanding: SATURATION_OUTSTANDING,
          warmMs: quick ? 1000 : 3000,
          windows,
          windowMs: quick ? 1500 : 4000,
        },
        progress,
      );
      const rates = saturation.rates;
      const satLatency = saturation.latency;
      const rss = serve.peakRssMiB();

      const rate = median(rates);
      const ceilingRate = earlier.get('ceiling')?.figures[0]?.value ?? Number.NaN;
      return {
        scenario: 'e2e',
        title: this.title,
        figures: [
          { name: 'deliveries/s at saturation', value: round(rate), unit: 'deliveries/s', note: `median of ${windows} windows` },
          {
            name: 'ratio to ceiling',
            value: round(rate / ceilingRate, 2),
            unit: '×',
            target: { op: '>=', value: 0.5, text: '≥ 0.50' },
            note: 'same run',
          },
          {
            name: `latency p50 at ${formatNumber(FIXED_RATE)} events/s`,
            value: round(fixedLatency.p50, 1),
            unit: 'ms',
            note: `${fixedLatency.samples} deliveries`,
          },
          {
            name: `latency p99 at ${formatNumber(FIXED_RATE)} events/s`,
            value: round(fixedLatency.p99, 1),
            unit: 'ms',
            target: { op: '<=', value: 25, text: '≤ 25 ms' },
          },
          {
            name: 'latency p50 at saturation',
            value: round(satLatency.p50, 1),
            unit: 'ms',
            note: `≤ ${formatNumber(SATURATION_OUTSTANDING)} events queued`,
          },
          { name: 'latency p99 at saturation', value: round(satLatency.p99, 1), unit: 'ms' },
        ],
        details: {
          engine: db.engine,
          gateways: fleet.gatewayIds.length,
          fanout: FANOUT,
          saturationBatch: SATURATION_BATCH,
          saturationOutstanding: SATURATION_OUTSTANDING,
          windows: rates.map((r) => round(r)),
          fixedRate: { eventsPerSecond: FIXED_RATE, batch: FIXED_BATCH, seconds: fixedMs / 1000, latency: fixedLatency },
          saturationLatency: satLatency,
          peakRssMiB: round(rss, 1),
        },
      };
    } finally {
      await client.close();
      await serve.stop();
      await receiver.stop();
      await db.drop();
    }
  },
};

import { newDatabase } from '../benchDatabase.js';
import { setUpFleet } from '../fleet.js';
import { GatewayTraffic, IngestClient, IngestLoad } from '../loadGenerator.js';
import { formatNumber } from '../progress.js';
import { type Scenario, round, windowRates } from '../scenario.js';
import { ServeProcess } from '../serveProcess.js';
import { median, sleep } from '../stats.js';
import { FANOUT, GATEWAYS } from './endToEnd.js';

/** Messages per ingest request: the most one request may carry. */
const BATCH = 1000;
/** Requests in flight: one being committed while the next is parsed. */
const CONCURRENCY = 2;
/**
 * A full run is sustained: 10 one-minute windows, so the tables grow to what ten minutes at the
 * target leave behind (15 million message ids, events and 30 million deliveries) and the last
 * minute shows what that growth costs. Quick: 4 windows of 12 s (under a minute).
 */
const FULL = { windows: 10, windowMs: 60_000, warmUpMs: 3000 };
const QUICK = { windows: 4, windowMs: 12_000, warmUpMs: 1000 };

/**
 * 3. Ingest alone: `hearthook serve --roles api` (no dispatcher: delivery paused) takes gateway
 * messages as fast as it answers 202, with the end-to-end fleet, so every message still goes
 * through the rules and fans out into the outbox durably before its answer. Sustained: the
 * figure is the median window and the last window against the first as the tables grow.
 */
export const ingestOnly: Scenario = {
  name: 'ingest',
  title: 'Ingest alone (--roles api, delivery paused)',
  async run({ options, progress }) {
    const quick = options.quick;
    const db = newDatabase(options, 'ingest');
    const serve = await ServeProcess.start(db.url, { roles: 'api' });
    const client = new IngestClient(serve.url);
    try {
      progress.update('setting up companies, webhooks, gateways');
      const endpoints = Array.from({ length: FANOUT }, (_, i) => `http://127.0.0.1:9/partner-${i + 1}`);
      const fleet = await setUpFleet(serve.url, endpoints, GATEWAYS);
      const load = new IngestLoad(client, new GatewayTraffic(fleet.gatewayIds), BATCH).startClosedLoop(CONCURRENCY);
      const { windows, windowMs, warmUpMs } = quick ? QUICK : FULL;
      await sleep(warmUpMs);
      const rates = await windowRates(
        windows,
        windowMs,
        async () => ({ count: load.accepted, at: performance.timeOrigin + performance.now() }),
        (rate, i) => progress.update(`window ${i + 1}/${windows} (${windowMs / 1000} s each): ${formatNumber(rate)} messages/s, ${formatNumber(load.accepted)} taken in`),
      );
      await load.stop();
      const rate = median(rates);
      const first = rates[0];
      const last = rates[rates.length - 1];
      return {
        scenario: 'ingest',
        title: this.title,
        figures: [
          {
            name: 'accepted messages/s',
            value: round(rate),
            unit: 'msg/s',
            target: { op: '>=', value: 25_000, text: '≥ 25,000' },
            note: `median of ${windows} windows of ${windowMs / 1000} s, sustained; batches of ${BATCH}, ${FANOUT} deliveries queued per message`,
          },
          { name: 'first window', value: round(first), unit: 'msg/s' },
          { name: 'last window', value: round(last), unit: 'msg/s', note: `${formatNumber(load.accepted)} messages taken in by then` },
          {
            name: 'last window / first',
            value: round(last / first, 2),
            unit: '×',
            target: { op: '>=', value: 0.8, text: '≥ 0.80' },
            note: 'the tables grow: every message an id, an event and two deliveries',
          },
        ],
        details: {
          engine: db.engine,
          gateways: fleet.gatewayIds.length,
          batch: BATCH,
          concurrency: CONCURRENCY,
          windows: rates.map((r) => round(r)),
          accepted: load.accepted,
          peakRssMiB: round(serve.peakRssMiB(), 1),
        },
      };
    } finally {
      await client.close();
      await serve.stop();
      await db.drop();
    }
  },
};

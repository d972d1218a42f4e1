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
 * 3. Ingest alone: `hearthook serve --roles api` (no dispatcher: delivery paused) takes gateway
 * messages as fast as it answers 202, with the end-to-end fleet, so every message still goes
 * through the rules and fans out into the outbox durably before its answer.
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
      await sleep(quick ? 1000 : 3000);
      const windows = quick ? 3 : 5;
      const rates = await windowRates(
        windows,
        quick ? 1500 : 4000,
        async () => ({ count: load.accepted, at: performance.timeOrigin + performance.now() }),
        (rate, i) => progress.update(`window ${i + 1}/${windows}: ${formatNumber(rate)} messages/s`),
      );
      await load.stop();
      const rate = median(rates);
      return {
        scenario: 'ingest',
        title: this.title,
        figures: [
          {
            name: 'accepted messages/s',
            value: round(rate),
            unit: 'msg/s',
            target: { op: '>=', value: 25_000, text: '≥ 25,000' },
            note: `median of ${windows} windows; batches of ${BATCH}, ${FANOUT} deliveries queued per message`,
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

import { Pool } from 'undici';
import { newDatabase } from '../benchDatabase.js';
import { setUpFleet } from '../fleet.js';
import { measureHeldClaim } from '../heldClaim.js';
import { GatewayTraffic, IngestClient, IngestLoad } from '../loadGenerator.js';
import { Receiver } from '../receiver.js';
import { round, type Scenario } from '../scenario.js';
import { ServeProcess } from '../serveProcess.js';
import { median, sleep, waitUntil } from '../stats.js';
import { FANOUT, GATEWAYS, SATURATION_BATCH, SATURATION_OUTSTANDING } from './endToEnd.js';

const HELD = 10_000;
const OTHERS = 100_000;
type Ordering = 'NONE' | 'GATEWAY';

/**
 * Ordered delivery per gateway (issue 17). The end-to-end saturation of the e2e scenario (1,000
 * gateways, two webhooks, one default `hearthook serve`), in windows that alternate the
 * webhooks' ordering (NONE, GATEWAY, NONE, …), switched by `PATCH /v1/webhooks/{id}` under load:
 * the same process, database and traffic, and whatever else the machine is doing falls on both
 * alike (separate runs per ordering swung 0.1–2.3× on the shared machine). The switch takes
 * effect at the next claim; a second after it is left out of the window. The ratio of the
 * medians is what ordering costs (target ≥ 0.8). Then what a gateway stuck behind a failing
 * delivery costs everyone's claims (src/bench/heldClaim.ts).
 */
export const ordered: Scenario = {
  name: 'ordered',
  title: 'Ordered delivery per gateway: GATEWAY vs NONE',
  async run({ options, progress }) {
    const quick = options.quick;
    const rates: Record<Ordering, number[]> = { NONE: [], GATEWAY: [] };
    const db = newDatabase(options, 'ordered');
    const receiver = await Receiver.start(1);
    const serve = await ServeProcess.start(db.url);
    const client = new IngestClient(serve.url);
    const api = new Pool(serve.url, { connections: 2 });
    try {
      progress.update('setting up companies, webhooks, gateways');
      const endpoints = Array.from({ length: FANOUT }, (_, i) => `${receiver.urls[0]}/partner-${i + 1}`);
      const fleet = await setUpFleet(serve.url, endpoints, GATEWAYS);
      const traffic = new GatewayTraffic(fleet.gatewayIds);
      const setOrdering = async (ordering: Ordering) => {
        for (const [i, id] of fleet.webhookIds.entries()) {
          const res = await api.request({
            method: 'PATCH',
            path: `/v1/webhooks/${id}`,
            headers: { 'x-api-key': fleet.apiKeys[i], 'content-type': 'application/json' },
            body: JSON.stringify({ ordering }),
          });
          const text = await res.body.text();
          if (res.statusCode !== 200) throw new Error(`PATCH ordering → ${res.statusCode}: ${text}`);
        }
      };
      progress.update('warming up');
      const warm = new IngestLoad(client, traffic, SATURATION_BATCH);
      await warm.sendCount(quick ? 2_000 : 10_000, 2);
      await waitUntil(() => receiver.latest.total >= warm.sent * FANOUT, 120_000, 'the warm-up deliveries');

      const base = receiver.latest.total;
      const load = new IngestLoad(client, traffic, SATURATION_BATCH).startClosedLoop(
        2,
        () => (receiver.latest.total - base) / FANOUT,
        SATURATION_OUTSTANDING,
      );
      try {
        await sleep(quick ? 1000 : 3000);
        const windows = quick ? 6 : 10;
        const windowMs = quick ? 2000 : 4000;
        for (let w = 0; w < windows; w++) {
          const ordering: Ordering = w % 2 === 0 ? 'NONE' : 'GATEWAY';
          await setOrdering(ordering);
          await sleep(1000);
          const start = await receiver.counts();
          await sleep(windowMs);
          const end = await receiver.counts();
          const rate = ((end.total - start.total) * 1000) / (end.at - start.at);
          rates[ordering].push(rate);
          progress.update(`window ${w + 1}/${windows}, ${ordering}: ${Math.round(rate)} deliveries/s`);
          if (serve.exited) throw new Error(`hearthook serve exited:\n${serve.log}`);
        }
      } finally {
        await load.stop();
      }
    } finally {
      await api.close();
      await client.close();
      await serve.stop();
      await receiver.stop();
      await db.drop();
    }

    progress.update(`claims with ${HELD} held deliveries`);
    const heldDb = newDatabase(options, 'held');
    let held: Awaited<ReturnType<typeof measureHeldClaim>>;
    try {
      held = await measureHeldClaim(heldDb, HELD, OTHERS);
    } finally {
      await heldDb.drop();
    }
    const none = median(rates.NONE);
    const gateway = median(rates.GATEWAY);
    return {
      scenario: 'ordered',
      title: this.title,
      figures: [
        {
          name: 'deliveries/s, ordering NONE',
          value: round(none),
          unit: 'deliveries/s',
          note: `median of ${rates.NONE.length} windows, ${GATEWAYS} gateways, alternating`,
        },
        { name: 'deliveries/s, ordering GATEWAY', value: round(gateway), unit: 'deliveries/s', note: `median of ${rates.GATEWAY.length} windows` },
        { name: 'GATEWAY / NONE', value: round(gateway / none, 2), unit: '×', target: { op: '>=', value: 0.8, text: '≥ 0.80' } },
        {
          name: `claim of 100, ${HELD.toLocaleString('en')} held rows due first`,
          value: round(held.heldMs, 1),
          unit: 'ms',
          note: `median of 21; ${OTHERS.toLocaleString('en')} other rows due`,
        },
        { name: 'claim of 100, held rows moved', value: round(held.movedMs, 1), unit: 'ms', note: 'after one deferHeldDeliveries pass' },
        { name: `deferHeldDeliveries moving ${HELD.toLocaleString('en')}`, value: round(held.deferMs, 1), unit: 'ms', note: 'once per head retry, or per minute' },
      ],
      details: { engine: db.engine, none: rates.NONE.map((r) => round(r)), gateway: rates.GATEWAY.map((r) => round(r)), gateways: GATEWAYS, fanout: FANOUT, held },
    };
  },
};

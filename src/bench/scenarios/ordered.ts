import { newDatabase } from '../benchDatabase.js';
import { setUpFleet } from '../fleet.js';
import { measureHeldClaim } from '../heldClaim.js';
import { GatewayTraffic, IngestClient, IngestLoad } from '../loadGenerator.js';
import type { Progress } from '../progress.js';
import { Receiver } from '../receiver.js';
import { measureSaturation } from '../saturation.js';
import { type BenchOptions, round, type Scenario } from '../scenario.js';
import { ServeProcess } from '../serveProcess.js';
import { median, waitUntil } from '../stats.js';
import { FANOUT, GATEWAYS, SATURATION_BATCH, SATURATION_OUTSTANDING } from './endToEnd.js';

const HELD = 10_000;
const OTHERS = 100_000;

/**
 * Ordered delivery per gateway (issue 17): the end-to-end saturation of the e2e scenario (1,000
 * gateways, two webhooks, one default `hearthook serve`), once with the webhooks registered
 * `ordering: NONE` and once `GATEWAY`, each on a fresh database with the same traffic; the
 * ratio is what ordering costs (target ≥ 0.8). Then what a gateway stuck behind a failing
 * delivery costs everyone's claims (src/bench/heldClaim.ts): a claim of 100 with 10,000 held
 * deliveries due before 100,000 others, and once deferHeldDeliveries has moved them.
 */
export const ordered: Scenario = {
  name: 'ordered',
  title: 'Ordered delivery per gateway: GATEWAY vs NONE',
  async run({ options, progress }) {
    const none = await saturate(options, 'NONE', progress);
    const gateway = await saturate(options, 'GATEWAY', progress);
    progress.update(`claims with ${HELD} held deliveries`);
    const db = newDatabase(options, 'held');
    let held: Awaited<ReturnType<typeof measureHeldClaim>>;
    try {
      held = await measureHeldClaim(db, HELD, OTHERS);
    } finally {
      await db.drop();
    }
    const noneRate = median(none);
    const gatewayRate = median(gateway);
    return {
      scenario: 'ordered',
      title: this.title,
      figures: [
        { name: 'deliveries/s, ordering NONE', value: round(noneRate), unit: 'deliveries/s', note: `median of ${none.length} windows, ${GATEWAYS} gateways` },
        { name: 'deliveries/s, ordering GATEWAY', value: round(gatewayRate), unit: 'deliveries/s', note: 'same traffic, fresh database' },
        { name: 'GATEWAY / NONE', value: round(gatewayRate / noneRate, 2), unit: '×', target: { op: '>=', value: 0.8, text: '≥ 0.80' } },
        {
          name: `claim of 100, ${HELD.toLocaleString('en')} held rows due first`,
          value: round(held.heldMs, 1),
          unit: 'ms',
          note: `median of 21; ${OTHERS.toLocaleString('en')} other rows due`,
        },
        { name: 'claim of 100, held rows moved', value: round(held.movedMs, 1), unit: 'ms', note: 'after one deferHeldDeliveries pass' },
        { name: `deferHeldDeliveries moving ${HELD.toLocaleString('en')}`, value: round(held.deferMs, 1), unit: 'ms', note: 'once per head retry, or per minute' },
      ],
      details: { none: none.map((r) => round(r)), gateway: gateway.map((r) => round(r)), gateways: GATEWAYS, fanout: FANOUT, held },
    };
  },
};

/** Deliveries/s per window at saturation with every webhook registered with `ordering`. */
async function saturate(options: BenchOptions, ordering: 'NONE' | 'GATEWAY', progress: Progress): Promise<number[]> {
  const db = newDatabase(options, `ordered-${ordering.toLowerCase()}`);
  const receiver = await Receiver.start(1);
  const serve = await ServeProcess.start(db.url);
  const client = new IngestClient(serve.url);
  try {
    progress.update(`${ordering}: setting up companies, webhooks, gateways`);
    const endpoints = Array.from({ length: FANOUT }, (_, i) => `${receiver.urls[0]}/partner-${i + 1}`);
    const fleet = await setUpFleet(serve.url, endpoints, GATEWAYS, { ordering });
    const traffic = new GatewayTraffic(fleet.gatewayIds);
    progress.update(`${ordering}: warming up`);
    const warm = new IngestLoad(client, traffic, SATURATION_BATCH);
    await warm.sendCount(options.quick ? 2_000 : 10_000, 2);
    await waitUntil(() => receiver.latest.total >= warm.sent * FANOUT, 120_000, 'the warm-up deliveries');
    const { rates } = await measureSaturation(
      client,
      traffic,
      receiver,
      {
        fanout: FANOUT,
        batch: SATURATION_BATCH,
        outstanding: SATURATION_OUTSTANDING,
        warmMs: options.quick ? 1000 : 3000,
        windows: options.quick ? 3 : 5,
        windowMs: options.quick ? 1500 : 4000,
      },
      progress,
      ordering,
    );
    if (serve.exited) throw new Error(`hearthook serve exited:\n${serve.log}`);
    return rates;
  } finally {
    await client.close();
    await serve.stop();
    await receiver.stop();
    await db.drop();
  }
}

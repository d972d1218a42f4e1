import { newDatabase } from '../benchDatabase.js';
import { setUpFleet } from '../fleet.js';
import { GatewayTraffic, IngestClient } from '../loadGenerator.js';
import type { Progress } from '../progress.js';
import { Receiver } from '../receiver.js';
import { measureSaturation } from '../saturation.js';
import { type BenchOptions, round, type Scenario } from '../scenario.js';
import { ServeProcess } from '../serveProcess.js';
import { median } from '../stats.js';
import { SATURATION_BATCH } from './endToEnd.js';

const HEALTHY = 9;
const GATEWAYS = 200;
/** Events undelivered to the healthy nine at most: enough to keep every lane busy. */
const OUTSTANDING = 1_000;

/**
 * 5. Isolation (issue 4): ten webhooks on ten endpoints under saturating load, one of which
 * accepts connections and never answers (the default 15 s timeout applies, then the circuit
 * opens); the healthy nine's deliveries/s as a ratio to the same run without the bad one.
 * The full run lasts long enough for the hung requests to time out and the circuit to open.
 */
export const isolation: Scenario = {
  name: 'isolation',
  title: 'Isolation: nine healthy endpoints and one that never answers',
  async run({ options, progress }) {
    const quick = options.quick;
    // Alternated, so a drift of the machine's load does not favour one side.
    const plan = quick ? [false, true] : [false, true, true, false];
    const runs: Array<{ withBad: boolean; rate: number; windows: number[]; badRequests: number }> = [];
    for (const [i, withBad] of plan.entries()) {
      progress.update(`run ${i + 1}/${plan.length} ${withBad ? 'with' : 'without'} the bad endpoint`);
      runs.push({ withBad, ...(await runOnce(options, withBad, progress, `run ${i + 1}/${plan.length}`)) });
    }
    const withBad = median(runs.filter((r) => r.withBad).map((r) => r.rate));
    const without = median(runs.filter((r) => !r.withBad).map((r) => r.rate));
    return {
      scenario: 'isolation',
      title: this.title,
      figures: [
        { name: 'healthy deliveries/s, no bad endpoint', value: round(without), unit: 'deliveries/s', note: `${HEALTHY} endpoints` },
        { name: 'healthy deliveries/s, with bad endpoint', value: round(withBad), unit: 'deliveries/s', note: '+1 that never answers' },
        {
          name: 'isolation ratio',
          value: round(withBad / without, 2),
          unit: '×',
          target: { op: '>=', value: 0.9, text: '≥ 0.90' },
          note: `medians of ${plan.length / 2} runs each`,
        },
      ],
      details: { runs, gateways: GATEWAYS, outstanding: OUTSTANDING, measuredSeconds: quick ? 6 : 45 },
    };
  },
};

async function runOnce(
  options: BenchOptions,
  withBad: boolean,
  progress: Progress,
  label: string,
): Promise<{ rate: number; windows: number[]; badRequests: number }> {
  const quick = options.quick;
  const db = newDatabase(options, 'isolation');
  const healthy = await Receiver.start(HEALTHY);
  const bad = withBad ? await Receiver.start(1, 'hang') : undefined;
  const serve = await ServeProcess.start(db.url);
  const client = new IngestClient(serve.url);
  try {
    const fleet = await setUpFleet(serve.url, [...healthy.urls, ...(bad?.urls ?? [])], GATEWAYS);
    const windowMs = quick ? 2000 : 5000;
    const windows = quick ? 3 : 9;
    const result = await measureSaturation(
      client,
      new GatewayTraffic(fleet.gatewayIds),
      healthy,
      { fanout: HEALTHY, batch: SATURATION_BATCH, outstanding: OUTSTANDING, warmMs: 1000, windows, windowMs },
      progress,
      label,
    );
    // The mean over the whole run, not a median of windows: a stall when the hung requests time
    // out or the circuit opens must count.
    const rate = result.rates.reduce((a, b) => a + b, 0) / result.rates.length;
    const badRequests = bad ? (await bad.counts()).total : 0;
    return { rate: round(rate), windows: result.rates.map((r) => round(r)), badRequests };
  } finally {
    await client.close();
    await serve.stop();
    await healthy.stop();
    await bad?.stop();
    await db.drop();
  }
}

import { newPostgresDatabase } from '../benchDatabase.js';
import { setUpFleetThroughApiProcess } from '../fleet.js';
import { formatNumber, type Progress } from '../progress.js';
import { postgresProblem } from '../postgres.js';
import { Receiver } from '../receiver.js';
import { type BenchOptions, round, type Scenario } from '../scenario.js';
import { seedBacklog } from '../seedBacklog.js';
import { ServeProcess } from '../serveProcess.js';
import { sleep } from '../stats.js';
import { FANOUT } from './endToEnd.js';

const GATEWAYS = 100;

/**
 * 7. Scale-out on one PostgreSQL database: the same backlog drained by one, then by two
 * `hearthook serve --roles worker` processes (claims with FOR UPDATE SKIP LOCKED); the drain
 * rate between 10% and 90% of each, and their ratio.
 */
export const scaleOut: Scenario = {
  name: 'scaleout',
  title: 'Scale-out: 1 vs 2 worker processes on one PostgreSQL',
  async run({ options, progress }) {
    const problem = await postgresProblem(options.postgres);
    if (problem) return { scenario: 'scaleout', title: this.title, figures: [], skipped: problem, details: {} };
    const total = options.quick ? 20_000 : 100_000;
    let one: number;
    let two: number;
    try {
      one = await drain(options, 1, total, progress);
      two = await drain(options, 2, total, progress);
    } catch (err) {
      const reason = `Hearthook's PostgreSQL engine is not ready: ${(err as Error).message.split('\n')[0]}`;
      return { scenario: 'scaleout', title: this.title, figures: [], skipped: reason, details: {} };
    }
    return {
      scenario: 'scaleout',
      title: this.title,
      figures: [
        { name: '1 worker process', value: round(one), unit: 'deliveries/s', note: `${formatNumber(total)} pending, 10%→90%` },
        { name: '2 worker processes', value: round(two), unit: 'deliveries/s' },
        { name: '2 workers / 1 worker', value: round(two / one, 2), unit: '×', note: 'on this machine, PostgreSQL and receiver share the cores' },
      ],
      details: { deliveries: total, gateways: GATEWAYS },
    };
  },
};

async function drain(options: BenchOptions, workers: number, total: number, progress: Progress): Promise<number> {
  const db = newPostgresDatabase(options.postgres, 'scaleout');
  const receiver = await Receiver.start(1);
  const nodes: ServeProcess[] = [];
  try {
    await setUpFleetThroughApiProcess(db.url, receiver.urls[0], FANOUT, GATEWAYS);
    await seedBacklog(db, total / FANOUT, GATEWAYS);
    await receiver.setMilestones([total / 10, total - total / 10]);
    for (let i = 0; i < workers; i++) nodes.push(await ServeProcess.start(db.url, { roles: 'worker' }));
    const deadline = Date.now() + 10 * 60_000;
    while (receiver.latest.total < total - total / 10) {
      if (Date.now() > deadline) throw new Error(`${workers} worker(s) drained only ${receiver.latest.total} of ${total}`);
      const dead = nodes.find((n) => n.exited);
      if (dead) throw new Error(`a worker exited:\n${dead.log}`);
      await sleep(500);
      progress.update(`${workers} worker(s): ${formatNumber(receiver.latest.total)} / ${formatNumber(total)} delivered`);
    }
    await sleep(100);
    const [t10, t90] = await receiver.milestoneTimes();
    return ((total * 0.8) / (t90 - t10)) * 1000;
  } finally {
    for (const node of nodes) await node.stop();
    await receiver.stop();
    await db.drop();
  }
}

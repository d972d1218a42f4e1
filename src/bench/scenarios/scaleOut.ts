import { newPostgresDatabase } from '../benchDatabase.js';
import { setUpFleetThroughApiProcess } from '../fleet.js';
import { formatNumber, type Progress } from '../progress.js';
import { PostgresCost, type PostgresCostDelta } from '../postgresCost.js';
import { postgresProblem } from '../postgres.js';
import { machineBusyMs, sumCpuMs } from '../processCpu.js';
import { Receiver } from '../receiver.js';
import { type BenchOptions, type Figure, round, type Scenario } from '../scenario.js';
import { seedBacklog } from '../seedBacklog.js';
import { ServeProcess } from '../serveProcess.js';
import { sleep } from '../stats.js';
import { FANOUT } from './endToEnd.js';

const GATEWAYS = 100;
const WORKER_COUNTS = [1, 2, 3];

/** One drain: its rate between 10% and 90%, and what each delivery cost the workers and PostgreSQL there. */
interface Drain {
  workers: number;
  rate: number;
  workerCpuUs: number;
  postgresCpuUs: number;
  receiverCpuUs: number;
  /** Cores busy on the whole machine over the stretch (all processes, other people's too). */
  machineCores: number;
  walBytes: number;
  walFpiBytes: number;
  serverWalBytes: number;
  commits: number;
  /** Approximate: other backends' table statistics reach the view up to a second late. */
  rowWrites: number;
}

/**
 * 7. Scale-out on one PostgreSQL database: the same backlog drained by one, two and three
 * `hearthook serve --roles worker` processes (claims with FOR UPDATE SKIP LOCKED); the drain
 * rate between 10% and 90% of each, its ratio to one worker, and per delivery over the same
 * stretch: the workers' CPU, the CPU of their PostgreSQL backends and the WAL written for the
 * schema (the capacity model in BENCHMARKS.md is built on these).
 */
export const scaleOut: Scenario = {
  name: 'scaleout',
  title: 'Scale-out: 1, 2 and 3 worker processes on one PostgreSQL',
  async run({ options, progress }) {
    const problem = await postgresProblem(options.postgres);
    if (problem) return { scenario: 'scaleout', title: this.title, figures: [], skipped: problem, details: {} };
    const total = options.quick ? 20_000 : 100_000;
    const drains: Drain[] = [];
    try {
      for (const workers of WORKER_COUNTS) drains.push(await drain(options, workers, total, progress));
    } catch (err) {
      const reason = `Hearthook's PostgreSQL engine is not ready: ${(err as Error).message.split('\n')[0]}`;
      return { scenario: 'scaleout', title: this.title, figures: [], skipped: reason, details: {} };
    }
    const one = drains[0].rate;
    const figures: Figure[] = [];
    for (const d of drains) {
      const name = `${d.workers} worker process${d.workers > 1 ? 'es' : ''}`;
      figures.push({ name, value: round(d.rate), unit: 'deliveries/s', note: d.workers === 1 ? `${formatNumber(total)} pending, 10%→90%` : undefined });
      if (d.workers > 1) {
        figures.push({ name: `${d.workers} workers / 1 worker`, value: round(d.rate / one, 2), unit: '×', note: 'on this machine, PostgreSQL and receiver share the cores' });
      }
      figures.push({ name: `${d.workers}: CPU per delivery, workers`, value: round(d.workerCpuUs), unit: 'µs', note: 'between 10% and 90%' });
      figures.push({ name: `${d.workers}: CPU per delivery, PostgreSQL`, value: round(d.postgresCpuUs), unit: 'µs', note: 'their backends' });
      figures.push({ name: `${d.workers}: CPU per delivery, receiver`, value: round(d.receiverCpuUs), unit: 'µs' });
      figures.push({ name: `${d.workers}: cores busy (whole machine)`, value: round(d.machineCores, 2), unit: 'cores', note: 'every process, anyone\'s' });
      figures.push({
        name: `${d.workers}: WAL per delivery`,
        value: round(d.walBytes),
        unit: 'bytes',
        note: `the schema's records, ${round(d.walFpiBytes)} of it full pages; ${round(d.commits, 3)} commits per delivery`,
      });
    }
    return { scenario: 'scaleout', title: this.title, figures, details: { deliveries: total, gateways: GATEWAYS, drains } };
  },
};

async function drain(options: BenchOptions, workers: number, total: number, progress: Progress): Promise<Drain> {
  const db = newPostgresDatabase(options.postgres, 'scaleout');
  const schema = db.schema as string;
  // Our backends are the connections with this name (PostgresCost), whoever else uses the server.
  const url = `${db.url}&application_name=${schema}`;
  const receiver = await Receiver.start(1);
  const nodes: ServeProcess[] = [];
  let cost: PostgresCost | undefined;
  try {
    await setUpFleetThroughApiProcess(db.url, receiver.urls[0], FANOUT, GATEWAYS);
    await seedBacklog(db, total / FANOUT, GATEWAYS);
    await receiver.setMilestones([total / 10, total - total / 10]);
    cost = await PostgresCost.open(options.postgres, schema, schema);
    for (let i = 0; i < workers; i++) nodes.push(await ServeProcess.start(url, { roles: 'worker' }));
    const pids = nodes.map((n) => n.pid);
    const deadline = Date.now() + 10 * 60_000;
    // CPU and WAL between the first look past 10% and the first past 90%, per delivery in between.
    type Look = { delivered: number; cpuMs: number; receiverMs: number; machineMs: number; at: number };
    const look = (delivered: number): Look => ({
      delivered,
      cpuMs: sumCpuMs(pids),
      receiverMs: sumCpuMs([receiver.pid ?? 0]),
      machineMs: machineBusyMs(),
      at: performance.now(),
    });
    let from: Look | undefined;
    let to: (Look & { spent: PostgresCostDelta }) | undefined;
    while (!to) {
      if (Date.now() > deadline) throw new Error(`${workers} worker(s) drained only ${receiver.latest.total} of ${total}`);
      const dead = nodes.find((n) => n.exited);
      if (dead) throw new Error(`a worker exited:\n${dead.log}`);
      await sleep(20);
      const delivered = receiver.latest.total;
      if (!from && delivered >= total / 10) {
        from = look(delivered);
        await cost.mark();
      } else if (from && delivered >= total - total / 10) {
        to = { ...look(delivered), spent: await cost.since() };
      }
      progress.update(`${workers} worker(s): ${formatNumber(delivered)} / ${formatNumber(total)} delivered`);
    }
    await sleep(100);
    const [t10, t90] = await receiver.milestoneTimes();
    const start = from as Look;
    const n = to.delivered - start.delivered;
    const s = to.spent;
    return {
      workers,
      rate: ((total * 0.8) / (t90 - t10)) * 1000,
      workerCpuUs: ((to.cpuMs - start.cpuMs) * 1000) / n,
      postgresCpuUs: (s.backendCpuMs * 1000) / n,
      receiverCpuUs: ((to.receiverMs - start.receiverMs) * 1000) / n,
      machineCores: (to.machineMs - start.machineMs) / (to.at - start.at),
      walBytes: s.walBytes / n,
      walFpiBytes: s.walFpiBytes / n,
      serverWalBytes: s.serverWalBytes / n,
      commits: s.commits / n,
      rowWrites: (s.rowsInserted + s.rowsUpdated + s.rowsDeleted) / n,
    };
  } finally {
    for (const node of nodes) await node.stop();
    await cost?.close();
    await receiver.stop();
    await db.drop();
  }
}

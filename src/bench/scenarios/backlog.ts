import { newDatabase } from '../benchDatabase.js';
import { setUpFleetThroughApiProcess } from '../fleet.js';
import { formatNumber } from '../progress.js';
import { Receiver } from '../receiver.js';
import { type Scenario, round } from '../scenario.js';
import { seedBacklog } from '../seedBacklog.js';
import { migrate, ServeProcess } from '../serveProcess.js';
import { sleep } from '../stats.js';
import { FANOUT } from './endToEnd.js';

const GATEWAYS = 100;

/**
 * 4. A backlog of 1,000,000 pending deliveries (quick: 100,000), seeded straight into the
 * database after `hearthook migrate`, drained by a default `hearthook serve` to one receiver.
 * The drain rate over the first and the last 10% shows whether the claim slows down as the
 * delivered rows pile up; the serve process's peak RSS whether memory stays flat.
 */
export const backlog: Scenario = {
  name: 'backlog',
  title: 'Backlog drain',
  async run({ options, progress }) {
    const total = options.quick ? 100_000 : 1_000_000;
    const db = newDatabase(options, 'backlog');
    const receiver = await Receiver.start(1);
    let serve: ServeProcess | undefined;
    try {
      progress.update('migrating and setting up webhooks');
      await migrate(db.url);
      await setUpFleetThroughApiProcess(db.url, receiver.urls[0], FANOUT, GATEWAYS);
      progress.update(`seeding ${formatNumber(total)} pending deliveries`);
      const seeded = await seedBacklog(db, total / FANOUT, GATEWAYS);
      if (seeded !== total) throw new Error(`seeded ${seeded} deliveries, expected ${total}`);
      // The first 1% is the process warming up (JIT, 64 connections opening): the start rate is
      // taken over the 10% after it, so it measures the claim on a full table, not the warm-up.
      const tenth = total / 10;
      const warm = total / 100;
      await receiver.setMilestones([warm, warm + tenth, total - tenth, total]);

      serve = await ServeProcess.start(db.url);
      const deadline = Date.now() + (options.quick ? 5 : 30) * 60_000;
      let last = { count: 0, at: Date.now() };
      while (receiver.latest.total < total) {
        if (Date.now() > deadline) throw new Error(`drained only ${receiver.latest.total} of ${total} in time`);
        if (serve.exited) throw new Error(`hearthook serve exited:\n${serve.log}`);
        await sleep(1000);
        const now = { count: receiver.latest.total, at: Date.now() };
        progress.update(
          `${formatNumber(now.count)} / ${formatNumber(total)} delivered, ${formatNumber(((now.count - last.count) * 1000) / (now.at - last.at))}/s`,
        );
        last = now;
      }
      const [t1, t11, t90, t100] = await receiver.milestoneTimes();
      const rss = serve.peakRssMiB();
      const startRate = (tenth * 1000) / (t11 - t1);
      const endRate = (tenth * 1000) / (t100 - t90);
      return {
        scenario: 'backlog',
        title: this.title,
        figures: [
          {
            name: 'drain rate, first 10%',
            value: round(startRate),
            unit: 'deliveries/s',
            note: `${formatNumber(total)} pending at start; after the first 1% (warm-up)`,
          },
          { name: 'drain rate, last 10%', value: round(endRate), unit: 'deliveries/s' },
          {
            name: 'end rate / start rate',
            value: round(endRate / startRate, 2),
            unit: '×',
            target: { op: '>=', value: 0.8, text: '≥ 0.80' },
          },
          { name: 'drain rate, 1% to 100%', value: round(((total - warm) * 1000) / (t100 - t1)), unit: 'deliveries/s' },
          { name: 'peak RSS of serve', value: round(rss), unit: 'MiB' },
        ],
        details: { engine: db.engine, deliveries: total, gateways: GATEWAYS, webhooks: FANOUT, drainSeconds: round((t100 - t1) / 1000, 1) },
      };
    } finally {
      await serve?.stop();
      await receiver.stop();
      await db.drop();
    }
  },
};

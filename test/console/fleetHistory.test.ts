import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleetSeries } from '../../src/console/queries/fleet.js';
import { jobList } from '../../src/scheduler/jobList.js';
import { forgetOldFleetSamples } from '../../src/scheduler/jobs/forgetOldFleetSamples.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { admin } from '../helpers/testRuntime.js';
import { type Harness, startHarness } from '../recovery/harness.js';
import { ConsoleSession } from './consoleSession.js';

const MINUTE = 60_000;

/**
 * The fleet page's charts of the last hour: deliveries that die are counted when they die, by
 * every path that makes them dead, and the counters with no history of their own are sampled
 * once a minute by a scheduler job into fleet_samples (migration 024), kept a day.
 */
describe('the fleet history', () => {
  let h: Harness;
  let partner: Awaited<ReturnType<Harness['partner']>>;

  beforeEach(async () => {
    h = await startHarness({ retrySchedule: [0, 0], circuitFailureThreshold: 1000 });
    partner = await h.partner();
  });
  afterEach(() => h.close());

  const now = () => h.hh.rt.clock.now();

  it('counts a delivery dead in the minute its last attempt failed, not as a failure to retry', async () => {
    h.receiver.reply = () => ({ status: 503 });
    await h.emit(partner.gatewayId);
    await h.deliverDue(); // first attempt: failed, due again at once
    await h.deliverDue(); // second and last: dead
    expect((await h.deliveries(partner.webhookId)).map((d) => d.status)).toEqual(['dead']);
    const s = await fleetSeries(h.hh.rt.store, 'hour', now());
    const seconds = Math.max(1, (now() % MINUTE) / 1000);
    expect(s.dead.at(-1)).toBeCloseTo(1 / seconds);
    expect(s.failed.at(-1)).toBeCloseTo(1 / seconds);
    expect(s.delivered.at(-1)).toBe(0);
  });

  it('samples the counters once a minute through the scheduler, charts them per minute and forgets them after a day', async () => {
    h.receiver.reply = () => ({ status: 503 });
    await h.emit(partner.gatewayId); // one queued delivery
    const start = now();
    const scheduler = new Scheduler(h.hh.rt, jobList(h.hh.rt.rules));
    await scheduler.tick(); // first run of every job: sample-fleet writes one row
    h.hh.clock.advance(30_000);
    await scheduler.tick(); // within the minute: no second sample
    h.hh.clock.advance(35_000);
    await h.deliverDue();
    await h.deliverDue(); // dead now
    await scheduler.tick();

    const rows = await h.hh.rt.store.all<{ sampled_at: number | string; queue_depth: number | string; dead_letters: number | string }>(
      'SELECT sampled_at, queue_depth, dead_letters FROM fleet_samples ORDER BY sampled_at',
    );
    expect(rows.map((r) => [Number(r.sampled_at), Number(r.queue_depth), Number(r.dead_letters)])).toEqual([
      [start, 1, 0],
      [start + 65_000, 0, 1],
    ]);

    const s = await fleetSeries(h.hh.rt.store, 'hour', now());
    const bucketOf = (t: number) => s.times.indexOf(Math.floor(t / MINUTE) * 60);
    expect(s.samples.deadLetters[bucketOf(start)]).toBe(0);
    expect(s.samples.deadLetters[bucketOf(start + 65_000)]).toBe(1);
    expect(s.samples.gatewaysOffline[bucketOf(start)]).toBe(1);
    expect(s.samples.queueDepth.filter((v) => v !== null)).toHaveLength(2);

    // The page's series: the current minute filled from the live counters.
    const operator = new ConsoleSession(h.hh.app);
    expect((await operator.signIn(admin.authorization.slice('Bearer '.length))).statusCode).toBe(303);
    h.hh.clock.advance(MINUTE);
    const series = (await operator.get('/console/operator/series?range=hour', { accept: 'application/json' })).json();
    expect(series.samples.deadLetters.at(-1)).toBe(1);
    expect(series.samples.openCircuits.at(-1)).toBe(0);
    expect(series.dead.some((v: number) => v > 0)).toBe(true);

    h.hh.clock.advance(24 * 3_600_000);
    expect(await forgetOldFleetSamples(h.hh.rt)).toBe(2);
    expect(await forgetOldFleetSamples(h.hh.rt)).toBe(0);
  });
});

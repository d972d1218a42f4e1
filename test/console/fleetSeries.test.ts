import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleetSeries } from '../../src/console/queries/fleet.js';
import { bucketSeconds, bucketTimes, windowOf } from '../../src/console/queries/timeSeries.js';
import { newEventId } from '../../src/util/ids.js';
import { seedPartner } from '../helpers/seed.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

const MINUTE = 60_000;
/** 12:00:15 UTC: a quarter of the current minute has passed. */
const NOW = Date.UTC(2026, 5, 1, 12, 0, 15);

describe('chart windows', () => {
  it('cuts the last hour into 60 whole minutes, the current one last', () => {
    const w = windowOf('hour', NOW);
    expect(w.buckets).toBe(60);
    expect(w.from).toBe(Date.UTC(2026, 5, 1, 11, 1));
    const times = bucketTimes(w);
    expect(times).toHaveLength(60);
    expect(times.at(-1)).toBe(Date.UTC(2026, 5, 1, 12, 0) / 1000);
    // The same window for any moment of the same minute: points do not wander between refreshes.
    expect(windowOf('hour', NOW + 40_000).from).toBe(w.from);
    expect(windowOf('day', NOW).buckets).toBe(96);
  });

  it('counts a whole step for past buckets and only the elapsed seconds for the current one', () => {
    const w = windowOf('hour', NOW);
    expect(bucketSeconds(w, 0)).toBe(60);
    expect(bucketSeconds(w, 58)).toBe(60);
    expect(bucketSeconds(w, 59)).toBe(15);
    // At least a second, so a bucket that just began is not divided by zero.
    expect(bucketSeconds(windowOf('hour', Date.UTC(2026, 5, 1, 12)), 59)).toBe(1);
    const day = windowOf('day', NOW);
    expect(bucketSeconds(day, 94)).toBe(900);
    expect(bucketSeconds(day, 95)).toBe(15);
  });
});

describe('the fleet series', () => {
  let hh: TestHearthook;
  let partner: Awaited<ReturnType<typeof seedPartner>>;

  beforeEach(async () => {
    hh = await startTestHearthook();
    hh.clock.set(NOW);
    partner = await seedPartner(hh.rt, { url: 'https://partner.example/hook' });
  });
  afterEach(() => hh.close());

  /**
   * `n` DATA_POINT events, each with one delivery and one attempt answered `status`, spread over
   * [from, from + spanMs); `died` makes the delivery dead, dying 2 s after its attempt.
   */
  const traffic = async (from: number, spanMs: number, n: number, status: number, died = false) => {
    for (let i = 0; i < n; i++) {
      const at = from + Math.floor((i * spanMs) / n);
      const eventId = newEventId(at);
      await hh.rt.store.run('INSERT INTO events (id, type, gateway_id, data, occurred_at, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
        eventId,
        'DATA_POINT',
        partner.gatewayId,
        '{}',
        at,
        at,
      ]);
      await hh.rt.store.run(
        `INSERT INTO deliveries (event_id, webhook_id, gateway_id, sequence, status, attempts, api_version, last_status_code, created_at, updated_at)
         VALUES (?, ?, ?, 0, ?, 1, 2, ?, ?, ?)`,
        [eventId, partner.webhookId, partner.gatewayId, status < 300 ? 'delivered' : died ? 'dead' : 'failed', status, at, died ? at + 2000 : at],
      );
      const d = await hh.rt.store.get<{ id: number }>('SELECT id FROM deliveries WHERE event_id = ?', [eventId]);
      await hh.rt.store.run('INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, duration_ms) VALUES (?, ?, ?, 10)', [
        d?.id,
        at,
        status,
      ]);
    }
  };

  it('divides the current minute by the seconds it has run: a steady rate shows no drop at the right edge', async () => {
    const minuteStart = Date.UTC(2026, 5, 1, 12);
    // 2 events/s all along: 120 in the last whole minute, 30 in the 15 s of the current one.
    await traffic(minuteStart - MINUTE, MINUTE, 120, 200);
    await traffic(minuteStart, 15_000, 30, 200);
    const s = await fleetSeries(hh.rt.store, 'hour', NOW);
    expect(s.events.DATA_POINT.slice(-2)).toEqual([2, 2]);
    expect(s.delivered.slice(-2)).toEqual([2, 2]);
    expect(s.failed.slice(-2)).toEqual([0, 0]);
    expect(s.dead.slice(-2)).toEqual([0, 0]);
  });

  it('splits deliveries by outcome: delivered, failed to be retried, and dead when they died', async () => {
    const lastMinute = Date.UTC(2026, 5, 1, 11, 59);
    await traffic(lastMinute, 50_000, 60, 200);
    await traffic(lastMinute, 50_000, 30, 503);
    await traffic(lastMinute, 50_000, 12, 503, true); // their last attempts: dead, not failed
    const s = await fleetSeries(hh.rt.store, 'hour', NOW);
    expect(s.delivered.at(-2)).toBe(1);
    expect(s.failed.at(-2)).toBe(0.5);
    expect(s.dead.at(-2)).toBe(0.2);
    expect(s.dead.slice(0, -2).every((v) => v === 0)).toBe(true);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emitDailyAggregates } from '../../src/scheduler/jobs/emitDailyAggregates.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { addGateway, addPartner, events, MINUTE, send } from '../ingest/fixtures.js';

const ENERGY = 'hvac.emon.compressor.energyConsumption';
const HEATING = 'hvac.compressor.heating.numberOfStarts';
const DHW = 'hvac.compressor.domesticHotWater.numberOfStarts';

/** Sends data points at the clock's time `iso` (so they belong to that instant's local day). */
async function at(hh: TestHearthook, iso: string, values: Record<string, number>) {
  hh.clock.set(Date.parse(iso));
  await send(hh, ...Object.entries(values).map(([key, value]) => ({ kind: 'datapoint', key, value })));
}

async function aggregates(hh: TestHearthook) {
  return (await events(hh.rt, 'DAILY_AGGREGATE')).map((e) => e.data);
}

describe('daily aggregate rule', () => {
  let hh: TestHearthook;
  beforeEach(async () => {
    hh = await startTestHearthook();
    await addGateway(hh.rt, '101506113', 'Europe/Berlin');
  });
  afterEach(() => hh.close());

  it('covers exactly the 23-hour local day of the DST change in Europe/Berlin (2026-03-29)', async () => {
    const { webhookId } = await addPartner(hh.rt);
    await at(hh, '2026-03-28T22:59:59Z', { [ENERGY]: 100, [HEATING]: 50 }); // 23:59:59 CET on the 28th
    await at(hh, '2026-03-28T23:00:00Z', { [ENERGY]: 101, [HEATING]: 51 }); // 00:00 CET on the 29th
    // Sent at 03:30 CEST (after the clocks jumped) but uploaded later: its sentAt decides the day.
    hh.clock.set(Date.parse('2026-03-29T05:00:00Z'));
    await send(hh, { kind: 'datapoint', key: ENERGY, value: 103.5, sentAt: '2026-03-29T01:30:00Z' }, { kind: 'datapoint', key: DHW, value: 7, sentAt: '2026-03-29T01:30:00Z' });
    await at(hh, '2026-03-29T21:59:59Z', { [ENERGY]: 110, [HEATING]: 54, [DHW]: 9 }); // 23:59:59 CEST
    await at(hh, '2026-03-29T22:00:00Z', { [ENERGY]: 111 }); // 00:00 CEST on the 30th

    // The 29th ends at 22:00 UTC (23 hours after it began at 23:00 UTC); it is sent 5 minutes later.
    hh.clock.set(Date.parse('2026-03-29T22:05:00Z') - 1);
    expect(await emitDailyAggregates(hh.rt)).toBe(1); // the 28th only
    hh.clock.set(Date.parse('2026-03-29T22:05:00Z'));
    expect(await emitDailyAggregates(hh.rt)).toBe(1);
    expect(await emitDailyAggregates(hh.rt)).toBe(0);

    expect(await aggregates(hh)).toEqual([
      { date: '2026-03-28', energyConsumption: { value: 0, unit: 'kWh' }, numberOfStarts: { heating: 0 }, sampleCount: 2 },
      {
        date: '2026-03-29',
        energyConsumption: { value: 10, unit: 'kWh' },
        numberOfStarts: { heating: 4, domesticHotWater: 2 },
        sampleCount: 7,
      },
    ]);
    const delivered = await hh.rt.store.all<{ n: number }>(
      `SELECT COUNT(*) AS n FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.webhook_id = ? AND e.type = 'DAILY_AGGREGATE'`,
      [webhookId],
    );
    expect(delivered[0].n).toBe(2);

    // The 30th (one sample so far) goes out after its own midnight.
    hh.clock.set(Date.parse('2026-03-30T22:05:00Z'));
    expect(await emitDailyAggregates(hh.rt)).toBe(1);
    expect((await aggregates(hh))[2]).toMatchObject({ date: '2026-03-30', energyConsumption: { value: 1 }, sampleCount: 1 });
  });

  it('counts a counter reset as consumption since the reset, never as negative energy', async () => {
    await at(hh, '2026-06-01T08:00:00Z', { [ENERGY]: 500, [HEATING]: 900 });
    await at(hh, '2026-06-01T09:00:00Z', { [ENERGY]: 502, [HEATING]: 905 });
    await at(hh, '2026-06-01T10:00:00Z', { [ENERGY]: 1, [HEATING]: 0 }); // meter replaced / reset
    await at(hh, '2026-06-01T11:00:00Z', { [ENERGY]: 3, [HEATING]: 2 });
    hh.clock.set(Date.parse('2026-06-02T00:00:00Z'));
    expect(await emitDailyAggregates(hh.rt)).toBe(1);
    const [day] = await aggregates(hh);
    expect(day).toMatchObject({ date: '2026-06-01', energyConsumption: { value: 5 }, numberOfStarts: { heating: 7 } });
  });

  it('sends nothing for a day with no data', async () => {
    await at(hh, '2026-06-01T08:00:00Z', { [ENERGY]: 500 });
    hh.clock.set(Date.parse('2026-06-02T10:00:00Z'));
    await send(hh, { kind: 'heartbeat' }); // messages, but no data points, on the 2nd
    expect(await emitDailyAggregates(hh.rt)).toBe(1); // the 1st
    hh.clock.set(Date.parse('2026-06-04T12:00:00Z'));
    expect(await emitDailyAggregates(hh.rt)).toBe(0); // nothing for the 2nd and 3rd
    expect((await aggregates(hh)).map((d) => d.date)).toEqual(['2026-06-01']);
  });

  it('does not send a day twice when a sample for it arrives after it was sent', async () => {
    await at(hh, '2026-06-01T08:00:00Z', { [ENERGY]: 500 });
    await at(hh, '2026-06-01T09:00:00Z', { [ENERGY]: 501 });
    hh.clock.set(Date.parse('2026-06-01T22:05:00Z')); // Berlin midnight is 22:00 UTC in summer
    expect(await emitDailyAggregates(hh.rt)).toBe(1);
    await send(hh, { kind: 'datapoint', key: ENERGY, value: 502, sentAt: '2026-06-01T10:00:00Z' });
    hh.clock.advance(24 * 60 * MINUTE);
    expect(await emitDailyAggregates(hh.rt)).toBe(0);
    expect(await aggregates(hh)).toHaveLength(1);
  });

  it('places samples by the local day of the gateway, not by UTC', async () => {
    await addGateway(hh.rt, '3003', 'America/New_York');
    hh.clock.set(Date.parse('2026-06-02T02:00:00Z')); // 22:00 on June 1st in New York
    await send(hh, { kind: 'datapoint', gatewayId: '3003', key: ENERGY, value: 1 });
    hh.clock.set(Date.parse('2026-06-02T04:05:00Z')); // New York midnight + 5 min
    expect(await emitDailyAggregates(hh.rt)).toBe(1);
    const [day] = await events(hh.rt, 'DAILY_AGGREGATE');
    expect([day.gateway_id, day.data.date]).toEqual(['3003', '2026-06-01']);
  });
});

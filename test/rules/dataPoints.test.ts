import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { addGateway, addPartner, events, send } from '../ingest/fixtures.js';

const POWER = 'hvac.emon.compressor.powerCurrent';
const ENERGY = 'hvac.emon.compressor.energyConsumption';
const STATUS = 'hvac.emon.compressor.operationStatus';

async function reported(hh: TestHearthook, key?: string) {
  return (await events(hh.rt, 'DATA_POINT')).map((e) => e.data).filter((d) => !key || d.key === key);
}

async function sendValues(hh: TestHearthook, key: string, values: Array<number | string>) {
  await send(hh, ...values.map((value) => ({ kind: 'datapoint', key, value })));
}

describe('data point rule', () => {
  let hh: TestHearthook;
  beforeEach(async () => {
    hh = await startTestHearthook();
    await addGateway(hh.rt);
  });
  afterEach(() => hh.close());

  it('sends electrical power only when it moved past both thresholds (100 W and 10 %) from the last reported value', async () => {
    // 1000 first (always); +50 and +99 small; 1100 reaches 100 W = 10 %; 5000 large; 5400 < 10 %; 5510 >= 10 % of 5000.
    await sendValues(hh, POWER, [1000, 1050, 1099, 1100, 1150, 5000, 5400, 5510, 5520]);
    expect((await reported(hh, POWER)).map((d) => d.value)).toEqual([1000, 1100, 5000, 5510]);
    expect((await reported(hh, POWER))[0]).toEqual({ key: POWER, value: 1000, unit: 'W' });
  });

  it('compares with the last reported value, so slow drift is sent once it adds up', async () => {
    await sendValues(hh, POWER, [1000, 1040, 1080, 1120]);
    expect((await reported(hh, POWER)).map((d) => d.value)).toEqual([1000, 1120]);
  });

  it('sends energy consumption per kWh and a counter reset as the new baseline, never as a negative', async () => {
    await sendValues(hh, ENERGY, [12000, 12000.4, 12001, 12001.5, 3, 3.2, 4]);
    const values = (await reported(hh, ENERGY)).map((d) => d.value);
    expect(values).toEqual([12000, 12001, 3, 4]);
    expect((await reported(hh, ENERGY))[0].unit).toBe('kWh');
  });

  it('never reports the not-available values 32767 and -32768, nor lets them move the baseline', async () => {
    await sendValues(hh, POWER, [1000, 32767, -32768, 1050]);
    await sendValues(hh, 'hvac.heatingCircuit.hc1.flowTemperature', [-32768, 35.5, 32767, 35.5]);
    const all = await reported(hh);
    expect(all.map((d) => d.value)).toEqual([1000, 35.5]);
  });

  it('sends operation status and unknown keys on change only', async () => {
    await sendValues(hh, STATUS, ['HEATING', 'HEATING', 'DEFROST', 'DEFROST', 'HEATING']);
    await sendValues(hh, 'hvac.heatingCircuit.hc1.roomTemperature', [21.5, 21.5, 21.6]);
    expect((await reported(hh, STATUS)).map((d) => d.value)).toEqual(['HEATING', 'DEFROST', 'HEATING']);
    expect((await reported(hh, 'hvac.heatingCircuit.hc1.roomTemperature')).map((d) => d.value)).toEqual([21.5, 21.6]);
  });

  it('applies pattern rules to cascade keys and keeps each key apart', async () => {
    const cascade = 'hvac.cascade.hs1.emon.compressor.powerCurrent';
    await sendValues(hh, cascade, [2000, 2050]);
    await sendValues(hh, POWER, [2050]);
    expect((await reported(hh)).map((d) => [d.key, d.value])).toEqual([
      [cascade, 2000],
      [POWER, 2050],
    ]);
  });

  it('keeps start counters out of DATA_POINT: they go to the daily aggregate', async () => {
    await sendValues(hh, 'hvac.compressor.heating.numberOfStarts', [10, 11]);
    expect(await reported(hh)).toEqual([]);
  });

  it('passes the unit the gateway sent, and fans out only to companies with monitor-and-control consent', async () => {
    const { webhookId } = await addPartner(hh.rt);
    await addPartner(hh.rt, { company: 'cmp_errors_only', consent: 'ERROR_NOTIFICATIONS' });
    await send(hh, { kind: 'datapoint', key: 'hvac.system.sensor.t0', value: 3.5, unit: '°C' });
    const [event] = await events(hh.rt, 'DATA_POINT');
    expect(event.data).toEqual({ key: 'hvac.system.sensor.t0', value: 3.5, unit: '°C' });
    const webhooks = await hh.rt.store.all<{ webhook_id: string }>('SELECT webhook_id FROM deliveries WHERE event_id = ?', [event.id]);
    expect(webhooks.map((w) => w.webhook_id)).toEqual([webhookId]);
  });
});

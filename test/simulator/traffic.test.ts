import { describe, expect, it } from 'vitest';
import type { RawMessage } from '../../src/ingest/messageSchema.js';
import { checkIngestBody } from '../../src/ingest/messageSchema.js';
import { createFleet, energyCounter, FIRST_GATEWAY_ID, heatDemand, startsCounter, TIME_ZONES } from '../../src/simulator/fleet.js';
import { Random } from '../../src/simulator/random.js';
import { faultCatalogCodes, type TrafficOptions, TrafficGenerator } from '../../src/simulator/traffic.js';

const START = Date.UTC(2026, 5, 1, 12);
const ENERGY = 'hvac.emon.compressor.energyConsumption';

/** `slots` message slots, one every 100 ms, from a fleet of `gateways`. */
function run(seed: number, options: Partial<TrafficOptions> = {}, slots = 5000, gateways = 20): RawMessage[] {
  const rng = new Random(seed);
  const fleet = createFleet(gateways);
  const traffic = new TrafficGenerator(fleet, rng, {
    faults: false,
    outages: false,
    faultCodes: faultCatalogCodes(),
    messageIdPrefix: 'test',
    ...options,
  });
  const messages = traffic.previousDay(START);
  for (let i = 0; i < slots; i++) messages.push(...traffic.next(START + i * 100));
  return messages;
}

describe('simulated gateway traffic', () => {
  it('is the same for the same seed and different for another', () => {
    const options = { faults: true, outages: true };
    expect(run(7, options)).toEqual(run(7, options));
    expect(run(8, options)).not.toEqual(run(7, options));
  });

  it('sends only messages the ingest API accepts, with ids unique per gateway', () => {
    const messages = run(1, { faults: true, outages: true });
    for (let i = 0; i < messages.length; i += 1000) expect(checkIngestBody(messages.slice(i, i + 1000))).toEqual([]);
    expect(new Set(messages.map((m) => `${m.gatewayId}/${m.messageId}`)).size).toBe(messages.length);
  });

  it('spreads the fleet over fixed ids and several time zones', () => {
    const fleet = createFleet(30);
    expect(fleet.map((g) => g.id)).toEqual(Array.from({ length: 30 }, (_, i) => String(FIRST_GATEWAY_ID + i)));
    expect(new Set(fleet.map((g) => g.timezone)).size).toBe(TIME_ZONES.length);
  });

  it("opens with each gateway's previous local day: energy and start counters early and late that day", () => {
    const [gateway] = createFleet(1);
    const day = new TrafficGenerator([gateway], new Random(3), { faults: false, outages: false, faultCodes: [], messageIdPrefix: 't' }).previousDay(START);
    const energy = day.filter((m) => m.key === ENERGY);
    expect(energy).toHaveLength(2);
    expect(energy[1].value as number).toBeGreaterThan(energy[0].value as number);
    for (const m of day) expect(Date.parse(m.sentAt!)).toBeLessThan(START - 12 * 3_600_000);
  });

  it('keeps each energy counter monotonic except for an occasional reset to 0', () => {
    for (const g of createFleet(5)) {
      let last = energyCounter(g, START);
      let resets = 0;
      // Every 10 minutes for a year: back to (nearly) 0 once per reset cycle, otherwise never down.
      for (let at = START; at < START + 365 * 86_400_000; at += 600_000) {
        const value = energyCounter(g, at);
        if (value < last) {
          expect(value).toBeLessThanOrEqual(g.averageKw / 6 + 0.01);
          resets++;
        }
        last = value;
      }
      expect(resets).toBeGreaterThanOrEqual(3);
      expect(resets).toBeLessThanOrEqual(13);
    }
  });

  it('simulates the same fleet whatever the seed, so a rerun continues its counters', () => {
    expect(createFleet(3).map((g) => [g.type, g.ratedPowerW])).toEqual(createFleet(3).map((g) => [g.type, g.ratedPowerW]));
    const counters = (seed: number) => run(seed, {}, 0).map((m) => [m.gatewayId, m.key, m.value, m.sentAt]);
    expect(counters(1)).toEqual(counters(2));
    const [g] = createFleet(1);
    expect(startsCounter(g, 'heating', START + 86_400_000)).toBeGreaterThan(startsCounter(g, 'heating', START));
  });

  it('raises catalog faults and clears them, some within the transient window, only with faults on', () => {
    expect(run(2, { faults: false }).some((m) => m.kind === 'fault')).toBe(false);
    const codes = new Set(faultCatalogCodes());
    const raised = new Map<string, number>();
    const lasted: number[] = [];
    for (const m of run(2, { faults: true }, 20_000)) {
      if (m.kind !== 'fault') continue;
      const code = `${m.gatewayId}:${m.displayCode}/${m.causeCode}`;
      expect(codes.has(`${m.displayCode}/${m.causeCode}`)).toBe(true);
      if (m.active) raised.set(code, Date.parse(m.sentAt!));
      else lasted.push(Date.parse(m.sentAt!) - raised.get(code)!);
    }
    expect(lasted.some((ms) => ms < 120_000)).toBe(true);
    expect(lasted.some((ms) => ms > 120_000)).toBe(true);
  });

  it('takes gateways offline and back only with outages on; an offline gateway is silent', () => {
    expect(run(4, { outages: false }).some((m) => m.kind === 'connection')).toBe(false);
    const messages = run(4, { outages: true }, 30_000);
    const offline = new Map<string, boolean>();
    let silentReturns = 0;
    for (const m of messages) {
      if (m.kind === 'connection') {
        if (m.status === 'CONNECTED' && !offline.get(m.gatewayId)) silentReturns++;
        offline.set(m.gatewayId, m.status === 'DISCONNECTED');
      } else {
        expect(offline.get(m.gatewayId), `${m.gatewayId} spoke while DISCONNECTED`).not.toBe(true);
      }
    }
    expect(messages.some((m) => m.status === 'DISCONNECTED')).toBe(true);
    // Some outages are silence only: the gateway comes back without having said it left.
    expect(silentReturns).toBeGreaterThan(0);
  });

  it('draws most power in the early morning and least in the afternoon', () => {
    expect(heatDemand(5.5)).toBeGreaterThan(heatDemand(12));
    expect(heatDemand(12)).toBeGreaterThan(heatDemand(16.5));
    expect(heatDemand(7)).toBeGreaterThan(heatDemand(21));
  });
});

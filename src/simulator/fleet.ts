import { endOfLocalDay, localDate, startOfLocalDay } from '../rules/localDay.js';
import { Random } from './random.js';

/** Simulated gateways get the ids FIRST_GATEWAY_ID, +1, …: a rerun finds its fleet registered. */
export const FIRST_GATEWAY_ID = 900_000_001;

/** Sites across time zones, so daily aggregates close at different instants. */
export const TIME_ZONES = [
  'Europe/Berlin',
  'Europe/Vienna',
  'Europe/Zurich',
  'Europe/Amsterdam',
  'Europe/Paris',
  'Europe/London',
  'Europe/Madrid',
  'Europe/Warsaw',
  'Europe/Helsinki',
  'America/New_York',
  'Australia/Sydney',
] as const;

export const GATEWAY_TYPES = ['ICOM', 'K30', 'K40', 'RRC2'] as const;

/** What the heat pump is doing (`hvac.emon.compressor.operationStatus`). */
export type OperationStatus = 'STANDBY' | 'HEATING' | 'DHW' | 'DEFROST';

export type StartsDomain = 'heating' | 'domesticHotWater';

/** Counters start counting here: they are a function of time, the same in every run. */
const COUNTER_EPOCH = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;

/**
 * One simulated gateway and the heat pump behind it. What it *is* (type, zone, size, counter
 * rates) follows from its id, so every run, whatever its seed, simulates the same fleet and its
 * counters carry on where an earlier run left them; what it *does* comes from the seed.
 */
export interface SimGateway {
  id: string;
  type: string;
  timezone: string;
  /** Electrical power of the compressor at full heating load (W). */
  ratedPowerW: number;
  /** Average electrical load (kW): the energy counter's pace. */
  averageKw: number;
  /** The energy counter restarts at 0 every this many hours (a meter or firmware reset). */
  resetEveryH: number;
  /** Where in that cycle the counter epoch fell (h). */
  resetPhaseH: number;
  startsPerHour: Record<StartsDomain, number>;
  operation: OperationStatus;
  /** The last power reading (W). */
  powerW: number;
  /** Set while the gateway is offline (ms): until then it sends nothing. */
  offlineUntil?: number;
  /** Active faults by `displayCode/causeCode`. */
  faults: Set<string>;
  /** Messages sent, for unique message ids. */
  sent: number;
}

/** The first `count` gateways of the simulated fleet. */
export function createFleet(count: number): SimGateway[] {
  return Array.from({ length: count }, (_, i) => {
    const id = FIRST_GATEWAY_ID + i;
    const traits = new Random(id);
    const ratedPowerW = Math.round(traits.between(1200, 4500));
    return {
      id: String(id),
      type: traits.pick(GATEWAY_TYPES),
      timezone: TIME_ZONES[i % TIME_ZONES.length],
      ratedPowerW,
      averageKw: Math.round((ratedPowerW / 1000) * traits.between(0.25, 0.45) * 1000) / 1000,
      resetEveryH: traits.int(30, 120) * 24,
      resetPhaseH: traits.between(0, 120 * 24),
      startsPerHour: { heating: traits.between(0.3, 0.8), domesticHotWater: traits.between(0.05, 0.2) },
      operation: 'STANDBY',
      powerW: 0,
      faults: new Set(),
      sent: 0,
    };
  });
}

/**
 * The gateway's cumulative energy counter (kWh, to 0.01) at `at`: it grows at the average load
 * and restarts at 0 once per reset cycle, so it only goes back at a reset.
 */
export function energyCounter(g: SimGateway, at: number): number {
  const sinceReset = ((at - COUNTER_EPOCH) / HOUR + g.resetPhaseH) % g.resetEveryH;
  return Math.round(g.averageKw * sinceReset * 100) / 100;
}

/** The gateway's cumulative compressor starts in a domain at `at` (never reset). */
export function startsCounter(g: SimGateway, domain: StartsDomain, at: number): number {
  return 1000 + Math.floor(((at - COUNTER_EPOCH) / HOUR) * g.startsPerHour[domain]);
}

/** Each zone's current local day: finding a day's bounds costs several Intl calls, a lookup none. */
const days = new Map<string, { start: number; end: number }>();

/** Hours since local midnight (0 to <24; the extra hour of a 25-hour DST day is clamped). */
export function localHour(ms: number, timeZone: string): number {
  let day = days.get(timeZone);
  if (!day || ms < day.start || ms >= day.end) {
    const date = localDate(ms, timeZone);
    day = { start: startOfLocalDay(date, timeZone), end: endOfLocalDay(date, timeZone) };
    days.set(timeZone, day);
  }
  return Math.min(23.99, (ms - day.start) / HOUR);
}

/**
 * How hard a heat pump works at a local hour, 0..1: most in the cold early morning (about 5–6 h),
 * least in the warm afternoon (about 16–17 h), with a hot-water bump in the morning.
 *
 * @example heatDemand(5.5) > heatDemand(16.5) // true
 */
export function heatDemand(hour: number): number {
  const daily = 0.55 + 0.35 * Math.cos((2 * Math.PI * (hour - 5.5)) / 24);
  const morning = hour >= 6 && hour < 9 ? 0.1 : 0;
  return Math.min(1, daily + morning);
}

/** Electrical power (W) of the compressor in its current operation at a local hour, with noise. */
export function powerFor(gateway: SimGateway, hour: number, rng: Random): number {
  const noise = rng.between(0.85, 1.15);
  switch (gateway.operation) {
    case 'HEATING':
      return Math.round(gateway.ratedPowerW * heatDemand(hour) * noise);
    case 'DHW':
      return Math.round(gateway.ratedPowerW * 0.9 * noise);
    case 'DEFROST':
      return Math.round(gateway.ratedPowerW * 0.3 * noise);
    default:
      return Math.round(rng.between(5, 25));
  }
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawMessage } from '../ingest/messageSchema.js';
import { addDays, endOfLocalDay, localDate, startOfLocalDay } from '../rules/localDay.js';
import { packageRoot } from '../util/packageRoot.js';
import { energyCounter, heatDemand, localHour, type OperationStatus, powerFor, type SimGateway, startsCounter } from './fleet.js';
import type { Random } from './random.js';

const MINUTE = 60_000;
const KEYS = {
  power: 'hvac.emon.compressor.powerCurrent',
  energy: 'hvac.emon.compressor.energyConsumption',
  operation: 'hvac.emon.compressor.operationStatus',
  heatingStarts: 'hvac.compressor.heating.numberOfStarts',
  hotWaterStarts: 'hvac.compressor.domesticHotWater.numberOfStarts',
  flow: 'hvac.heatingCircuit.hc1.flowTemperature',
  room: 'hvac.heatingCircuit.hc1.roomTemperature',
  outdoor: 'hvac.system.sensor.t0',
} as const;

/** What the generator may do besides steady readings. */
export interface TrafficOptions {
  /** Faults become active and clear again (some within the transient window). */
  faults: boolean;
  /** Gateways drop offline (announced with DISCONNECTED, or just silent) and come back. */
  outages: boolean;
  /** `displayCode/causeCode` pairs to raise faults from. */
  faultCodes: readonly string[];
  /** Starts every message id, so a rerun's ids never collide with an earlier run's. */
  messageIdPrefix: string;
}

type Action = { at: number; gateway: SimGateway } & ({ kind: 'clear'; code: string; severity: string } | { kind: 'return' });

/**
 * Realistic gateway traffic, one message slot at a time, from a seeded generator: the same seed,
 * fleet and start give the same messages. Counters follow the clock (see `energyCounter`), the
 * rest the generator. Compressed in time so that a short run shows faults and outages (real
 * fleets have far fewer per gateway and hour).
 *
 * @example
 * const traffic = new TrafficGenerator(fleet, rng, { faults: true, outages: true, faultCodes, messageIdPrefix: 'run1' });
 * const batch = traffic.next(Date.now()); // e.g. [{ kind: 'datapoint', key: 'hvac.emon.compressor.powerCurrent', … }]
 */
export class TrafficGenerator {
  /** Fault clearings and returns from outages still to come. Few at a time: a list will do. */
  private readonly actions: Action[] = [];
  private offline = 0;
  /** At most a fifth of the fleet is offline at once, or a small fleet would fall silent. */
  private readonly maxOffline: number;

  constructor(
    private readonly fleet: readonly SimGateway[],
    private readonly rng: Random,
    private readonly options: TrafficOptions,
  ) {
    this.maxOffline = Math.max(1, Math.floor(fleet.length / 5));
  }

  /**
   * Each gateway's meter readings from its previous local day (early and late that day), as a
   * gateway uploads buffered readings when it connects: they give the daily-aggregate job a
   * finished day to report within a minute instead of after the next local midnight.
   */
  previousDay(now: number): RawMessage[] {
    const messages: RawMessage[] = [];
    for (const g of this.fleet) {
      const date = addDays(localDate(now, g.timezone), -1);
      const early = startOfLocalDay(date, g.timezone) + 20 * MINUTE;
      const late = endOfLocalDay(date, g.timezone) - 20 * MINUTE;
      for (const at of [early, late]) {
        messages.push(
          this.datapoint(g, at, KEYS.energy, energyCounter(g, at), 'kWh'),
          this.datapoint(g, at, KEYS.heatingStarts, startsCounter(g, 'heating', at)),
          this.datapoint(g, at, KEYS.hotWaterStarts, startsCounter(g, 'domesticHotWater', at)),
        );
      }
    }
    return messages;
  }

  /** The messages of one slot at `at`: usually one, two for a change of operation, none for silence. */
  next(at: number): RawMessage[] {
    const due = this.takeDue(at);
    if (due) return this.act(due, at);
    let g = this.rng.pick(this.fleet);
    for (let tries = 0; g.offlineUntil !== undefined && tries < 4; tries++) g = this.rng.pick(this.fleet);
    if (g.offlineUntil !== undefined) return [];

    const kind = this.rng.weighted({
      power: 30,
      energy: 12,
      operation: 8,
      starts: 5,
      temperature: 15,
      heartbeat: 10,
      fault: this.options.faults && this.options.faultCodes.length > 0 ? 3 : 0,
      outage: this.options.outages ? 1 : 0,
    });
    const hour = localHour(at, g.timezone);
    switch (kind) {
      case 'power':
        g.powerW = powerFor(g, hour, this.rng);
        return [this.datapoint(g, at, KEYS.power, g.powerW, 'W')];
      case 'energy':
        return [this.datapoint(g, at, KEYS.energy, energyCounter(g, at), 'kWh')];
      case 'operation':
        return this.changeOperation(g, at, hour);
      case 'starts':
        return this.rng.chance(0.7)
          ? [this.datapoint(g, at, KEYS.heatingStarts, startsCounter(g, 'heating', at))]
          : [this.datapoint(g, at, KEYS.hotWaterStarts, startsCounter(g, 'domesticHotWater', at))];
      case 'temperature':
        return [this.temperature(g, at, hour)];
      case 'fault':
        return this.raiseFault(g, at);
      case 'outage':
        return this.dropOffline(g, at);
      default:
        return [this.message(g, at, { kind: 'heartbeat' })];
    }
  }

  private changeOperation(g: SimGateway, at: number, hour: number): RawMessage[] {
    const demand = heatDemand(hour);
    const hotWaterTime = (hour >= 6 && hour < 9) || (hour >= 18 && hour < 22);
    const next: OperationStatus = this.rng.weighted({
      STANDBY: 1 - demand * 0.8,
      HEATING: demand,
      DHW: hotWaterTime ? 0.4 : 0.1,
      DEFROST: 0.05,
    });
    g.operation = next;
    g.powerW = powerFor(g, hour, this.rng);
    return [this.datapoint(g, at, KEYS.operation, next), this.datapoint(g, at, KEYS.power, g.powerW, 'W')];
  }

  private temperature(g: SimGateway, at: number, hour: number): RawMessage {
    const demand = heatDemand(hour);
    const which = this.rng.pick(['flow', 'room', 'outdoor'] as const);
    if (which === 'room') return this.datapoint(g, at, KEYS.room, round(this.rng.between(20, 22.5), 0.5), '°C');
    if (which === 'outdoor') {
      // Now and then the outdoor sensor answers "not available".
      const value = this.rng.chance(0.02) ? 32767 : round(15 - 15 * demand + this.rng.between(-1, 1), 0.5);
      return this.datapoint(g, at, KEYS.outdoor, value, '°C');
    }
    const flow = g.operation === 'DHW' ? 52 : g.operation === 'HEATING' ? 30 + 20 * demand : 27;
    return this.datapoint(g, at, KEYS.flow, round(flow + this.rng.between(-1, 1), 0.5), '°C');
  }

  private raiseFault(g: SimGateway, at: number): RawMessage[] {
    const code = this.rng.pick(this.options.faultCodes);
    if (g.faults.has(code)) return [this.message(g, at, { kind: 'heartbeat' })];
    const severity = this.rng.weighted({ ERROR: 6, WARNING: 3, INFO: 1 });
    // Four in ten clear within the 2-minute transient window and must never reach a partner.
    const lasts = this.rng.chance(0.4) ? this.rng.between(5_000, 90_000) : this.rng.between(150_000, 15 * MINUTE);
    g.faults.add(code);
    this.actions.push({ at: at + lasts, gateway: g, kind: 'clear', code, severity });
    return [this.fault(g, at, code, severity, true)];
  }

  private dropOffline(g: SimGateway, at: number): RawMessage[] {
    if (this.offline >= this.maxOffline) return [this.message(g, at, { kind: 'heartbeat' })];
    this.offline++;
    // Short drops and ones longer than the 15-minute offline threshold, which the check reports.
    const lasts = this.rng.chance(0.5) ? this.rng.between(30_000, 5 * MINUTE) : this.rng.between(16 * MINUTE, 45 * MINUTE);
    g.offlineUntil = at + lasts;
    this.actions.push({ at: g.offlineUntil, gateway: g, kind: 'return' });
    return this.rng.chance(0.5) ? [this.message(g, at, { kind: 'connection', status: 'DISCONNECTED' })] : [];
  }

  private act(action: Action, at: number): RawMessage[] {
    const g = action.gateway;
    if (action.kind === 'return') {
      g.offlineUntil = undefined;
      this.offline--;
      return [this.message(g, at, { kind: 'connection', status: 'CONNECTED' })];
    }
    if (g.offlineUntil !== undefined) {
      // An offline gateway says nothing: the clearing comes after it is back.
      this.actions.push({ ...action, at: g.offlineUntil + 1000 });
      return [];
    }
    g.faults.delete(action.code);
    return [this.fault(g, at, action.code, action.severity, false)];
  }

  /** The earliest action due at `at`, removed from the list. */
  private takeDue(at: number): Action | undefined {
    let index = -1;
    for (let i = 0; i < this.actions.length; i++) {
      if (this.actions[i].at <= at && (index < 0 || this.actions[i].at < this.actions[index].at)) index = i;
    }
    return index < 0 ? undefined : this.actions.splice(index, 1)[0];
  }

  private fault(g: SimGateway, at: number, code: string, severity: string, active: boolean): RawMessage {
    const [displayCode, causeCode] = code.split('/');
    const cause = /^\d+$/.test(causeCode) ? Number(causeCode) : causeCode;
    return this.message(g, at, { kind: 'fault', displayCode, causeCode: cause, severity, active });
  }

  private datapoint(g: SimGateway, at: number, key: string, value: number | string, unit?: string): RawMessage {
    return this.message(g, at, { kind: 'datapoint', key, value, ...(unit ? { unit } : {}) });
  }

  private message(g: SimGateway, at: number, body: Record<string, unknown> & { kind: RawMessage['kind'] }): RawMessage {
    g.sent++;
    return { ...body, gatewayId: g.id, messageId: `${this.options.messageIdPrefix}-${g.id}-${g.sent}`, sentAt: new Date(at).toISOString() };
  }
}

/** The `displayCode/causeCode` pairs of the shipped fault catalog (`rules/fault-catalog.json`). */
export function faultCatalogCodes(): string[] {
  const catalog = JSON.parse(readFileSync(join(packageRoot, 'rules', 'fault-catalog.json'), 'utf8')) as Record<string, unknown>;
  return Object.keys(catalog).filter((key) => !key.startsWith('$'));
}

/** `value` rounded to a multiple of `step` (0.5 °C). */
function round(value: number, step: number): number {
  return Math.round(value / step) * step;
}

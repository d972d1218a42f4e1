import { canonicalTimeZone, endOfLocalDay, localDate } from './localDay.js';
import type { DataPointMessage } from './messages.js';
import type { GatewayInfo, RuleContext } from './ruleContext.js';

/** The gateway_state key holding daily accumulators; its `due_at` is the earliest open day's end. */
export const DAILY_KEY = 'daily';

/** What one gateway-local day has gathered so far. */
interface DayTotals {
  /** The instant the local day ends (next local midnight). */
  end: number;
  /** kWh, the sum of the energy counter's increments. */
  energy: number;
  /** Compressor starts per domain: the start counters' increments. */
  starts: Record<string, number>;
  samples: number;
}

interface DailyState {
  /** The last value seen of each cumulative counter, to take increments from. */
  counters: Record<string, number>;
  /** Open days by local date (`YYYY-MM-DD`). */
  days: Record<string, DayTotals>;
  /** The latest date already sent: samples for it or earlier come too late and are not counted. */
  sentThrough?: string;
}

/**
 * Adds a data point sample to its gateway-local day (by `sentAt` if given, else now): one more
 * sample, and for the energy and compressor-start counters their increment since the previous
 * value. A counter that went backwards was reset: its value is the increment since the reset,
 * so consumption is never negative. "Not available" values are filtered out before this.
 */
export function accumulateDaily(ctx: RuleContext, gateway: GatewayInfo, message: DataPointMessage): void {
  const state = ctx.state.get<DailyState>(gateway.id, DAILY_KEY) ?? { counters: {}, days: {} };
  const domain = ctx.rules.startsDomains.get(message.key);
  const isEnergy = message.key === ctx.rules.energyKey;

  let increment = 0;
  if ((isEnergy || domain) && typeof message.value === 'number') {
    const last = state.counters[message.key];
    state.counters[message.key] = message.value;
    if (last !== undefined) increment = message.value >= last ? message.value - last : Math.max(message.value, 0);
  }

  const timeZone = canonicalTimeZone(gateway.timezone) ?? 'UTC';
  const date = localDate(message.sentAt ?? ctx.now, timeZone);
  if (state.sentThrough === undefined || date > state.sentThrough) {
    let day = state.days[date];
    if (!day) {
      day = { end: endOfLocalDay(date, timeZone), energy: 0, starts: {}, samples: 0 };
      state.days[date] = day;
    }
    day.samples++;
    if (isEnergy) day.energy += increment;
    if (domain) day.starts[domain] = (day.starts[domain] ?? 0) + increment;
  }
  saveDaily(ctx, gateway.id, state);
}

/**
 * Sends DAILY_AGGREGATE for each day of a gateway that ended at least the grace period ago, in
 * date order, and forgets it (for the job). Returns how many it sent.
 */
export function emitDueDays(ctx: RuleContext, gatewayId: string): number {
  const state = ctx.state.get<DailyState>(gatewayId, DAILY_KEY);
  if (!state) return 0;
  const due = Object.keys(state.days)
    .filter((date) => state.days[date].end + ctx.rules.dailyAggregateGrace <= ctx.now)
    .sort();
  for (const date of due) {
    const day = state.days[date];
    ctx.events.push({
      type: 'DAILY_AGGREGATE',
      gatewayId,
      data: {
        date,
        // Rounded to Wh: increments of decimal kWh readings carry binary floating-point noise.
        energyConsumption: { value: Math.round(day.energy * 1000) / 1000, unit: 'kWh' },
        numberOfStarts: day.starts,
        sampleCount: day.samples,
      },
    });
    delete state.days[date];
    if (state.sentThrough === undefined || date > state.sentThrough) state.sentThrough = date;
  }
  // Saved even when nothing was due, so a stale due_at is corrected and not selected again.
  saveDaily(ctx, gatewayId, state);
  return due.length;
}

function saveDaily(ctx: RuleContext, gatewayId: string, state: DailyState): void {
  const ends = Object.values(state.days).map((d) => d.end);
  ctx.state.set(gatewayId, DAILY_KEY, state, ends.length ? Math.min(...ends) : null);
}

import { DEFAULTS } from '../config/config.js';
import { claimDeliveries } from '../delivery/queue/claimDeliveries.js';
import { type Outcome, recordOutcomes } from '../delivery/recordOutcomes.js';
import { fanOut, type NewEvent } from '../fanout/fanOut.js';
import { RecipientCache } from '../fanout/recipientCache.js';
import { lockGateways, recordMessageIds } from '../ingest/ingestBatch.js';
import { noteRecentIds } from '../ingest/recentMessageIds.js';
import { CONNECTIVITY_KEY } from '../rules/connectivity.js';
import { GatewayStateCache } from '../rules/gatewayState.js';
import type { GatewayMessage } from '../rules/messages.js';
import { openStore } from '../store/openStore.js';
import pino from 'pino';
import { formatNumber, type Progress } from './progress.js';
import { windowRates } from './scenario.js';
import { sleep } from './stats.js';

export interface PgCeilingSettings {
  /** Deliveries per event (webhooks per gateway). */
  fanout: number;
  /** Messages per ingest transaction, each one event. */
  batch: number;
  /** Events written but not yet delivered at most (the closed loop of `measureSaturation`). */
  outstanding: number;
  /** Ingest transactions in flight. */
  ingestLanes: number;
  /** Claim → outcome loops in flight, each on its own connection. */
  dispatchLanes: number;
  /** Rows per claim (Hearthook's default `claimBatchSize`). */
  claimBatch: number;
  warmMs: number;
  windows: number;
  windowMs: number;
}

/** Hearthook's default retry schedule: what a default serve process claims and records with. */
const SCHEDULE = DEFAULTS.retrySchedule;

/**
 * PostgreSQL's own limit for Hearthook's work: the statements a delivery costs, driven raw on
 * `database` (a migrated schema with a fleet set up), with no HTTP, no rules, no rendering. Ingest
 * lanes run ingest's transaction (gateways locked, message ids, gateway state, fan-out: events,
 * recipients, counters, deliveries) with the functions `ingestBatch` calls; dispatch lanes claim
 * with `claimDeliveries` and at once record every claimed row delivered with `recordOutcomes`
 * (completion, attempt row, webhook health). Deliveries/s recorded, per window: the ceiling the
 * `baseline` scenario compares Hearthook with.
 */
export async function measurePgCeiling(database: string, settings: PgCeilingSettings, progress: Progress): Promise<number[]> {
  const store = await openStore(database);
  const gatewayIds = (await store.all<{ id: string }>('SELECT id FROM gateways ORDER BY id')).map((g) => g.id);
  const recipients = new RecipientCache();
  let stopping = false;
  let events = 0;
  let delivered = 0;
  let nextGateway = 0;
  let messageIds = 0;
  const online = new Map<string, boolean>();

  const ingestOnce = async () => {
    const messages: GatewayMessage[] = [];
    for (let i = 0; i < settings.batch; i++) {
      const gatewayId = gatewayIds[nextGateway];
      nextGateway = (nextGateway + 1) % gatewayIds.length;
      const status = online.get(gatewayId) ? 'DISCONNECTED' : 'CONNECTED';
      online.set(gatewayId, status === 'CONNECTED');
      messages.push({ kind: 'connection', gatewayId, status, messageId: `c${++messageIds}` });
    }
    const now = Date.now();
    const recorded = await store.transaction(async (tx) => {
      const ids = [...new Set(messages.map((m) => m.gatewayId))].sort();
      await lockGateways(tx, ids);
      const state = new GatewayStateCache(tx);
      await state.load(ids);
      const { recorded } = await recordMessageIds(tx, messages, now);
      const newEvents: NewEvent[] = messages.map((m) => {
        const status = (m as { status: string }).status;
        state.set(m.gatewayId, CONNECTIVITY_KEY, { status });
        return { type: 'CONNECTIVITY_STATUS', gatewayId: m.gatewayId, data: { connectivityStatus: status } };
      });
      await state.flush(now);
      await fanOut(tx, now, newEvents, recipients);
      return recorded;
    });
    // As ingestBatch does after its commit: the recent ids move to the kept table in bulk.
    await noteRecentIds(store, pino({ level: 'silent' }), recorded);
    events += messages.length;
  };

  let claims = 0;
  const dispatchOnce = async (): Promise<number> => {
    const now = Date.now();
    const token = `ceiling.${++claims}`;
    const claimed = await claimDeliveries(store, { token, now, leaseMs: 60_000, limit: settings.claimBatch, scheduleLength: SCHEDULE.length });
    if (claimed.length === 0) return 0;
    const attemptedAt = Date.now();
    const outcomes: Outcome[] = claimed.map((delivery) => ({
      delivery,
      attemptedAt,
      result: { sent: { statusCode: 200, headers: {}, body: '', error: null, durationMs: 1 } },
      major: 2,
    }));
    const { finished } = await recordOutcomes(store, outcomes, Date.now(), SCHEDULE);
    delivered += finished.length;
    return claimed.length;
  };

  const lanes: Promise<void>[] = [];
  for (let i = 0; i < settings.ingestLanes; i++) {
    lanes.push(
      (async () => {
        while (!stopping) {
          if (events - delivered / settings.fanout >= settings.outstanding) await sleep(1);
          else await ingestOnce();
        }
      })(),
    );
  }
  for (let i = 0; i < settings.dispatchLanes; i++) {
    lanes.push(
      (async () => {
        while (!stopping) if ((await dispatchOnce()) === 0) await sleep(1);
      })(),
    );
  }
  const failure = Promise.race(lanes.map((lane) => lane.then(() => new Promise<never>(() => {}))));
  try {
    await Promise.race([sleep(settings.warmMs), failure]);
    return await Promise.race([
      windowRates(
        settings.windows,
        settings.windowMs,
        async () => ({ count: delivered, at: Date.now() }),
        (rate, i) => progress.update(`raw SQL ceiling window ${i + 1}/${settings.windows}: ${formatNumber(rate)} deliveries/s`),
      ),
      failure,
    ]);
  } finally {
    stopping = true;
    await Promise.allSettled(lanes);
    await store.close();
  }
}

import { fanOut, type NewEvent } from '../fanout/fanOut.js';
import type { Runtime } from '../runtime.js';
import { GatewayStateCache } from './gatewayState.js';
import type { RuleContext } from './ruleContext.js';

/** Gateways per transaction: a fleet-wide outage must not hold the SQLite write lock for long. */
const CHUNK = 500;

/** A gateway as a job sees it, read after its row was locked. */
export interface LockedGateway {
  id: string;
  lastSeenAt: number | null;
}

/**
 * One pass of a time-driven rule (the scheduler jobs) at `now`: selects the gateways that may
 * be due, locks each (in id order, as ingest does) and loads its state, applies `apply`, writes
 * the state back and fans the events out, in transactions of up to 500 gateways until none is
 * left. `selectSql` must return `gateway_id` rows, take `params` and then a LIMIT, and stop
 * selecting a gateway once `apply` has handled it (or the pass would not end). `apply` must
 * check again what the selection assumed: an ingest may have committed between select and lock.
 * Returns how many events were emitted.
 *
 * @example
 * await rulePass(rt, now, "SELECT gateway_id FROM gateway_state WHERE key = 'faults' AND due_at <= ? LIMIT ?", [t], apply);
 */
export async function rulePass(
  rt: Runtime,
  now: number,
  selectSql: string,
  params: readonly unknown[],
  apply: (ctx: RuleContext, gateway: LockedGateway) => void,
): Promise<number> {
  let emitted = 0;
  for (;;) {
    const pass = await rt.store.transaction(async (tx) => {
      const rows = await tx.all<{ gateway_id: string }>(selectSql, [...params, CHUNK]);
      const gateways: LockedGateway[] = [];
      for (const id of rows.map((r) => r.gateway_id).sort()) {
        const row = await tx.get<{ id: string; last_seen_at: number | null }>(
          `SELECT id, last_seen_at FROM gateways WHERE id = ? ${tx.dialect.lockRows}`,
          [id],
        );
        if (row) gateways.push({ id: row.id, lastSeenAt: row.last_seen_at });
      }
      const state = new GatewayStateCache(tx);
      await state.load(gateways.map((g) => g.id));
      const events: NewEvent[] = [];
      const ctx: RuleContext = { rules: rt.rules, now, state, events };
      for (const gateway of gateways) apply(ctx, gateway);
      await state.flush(now);
      const deliveries = await fanOut(tx, now, events, rt.recipients);
      // A full chunk of rows whose gateway no longer exists would be selected forever: stop.
      return { events, deliveries, more: rows.length === CHUNK && gateways.length > 0 };
    });
    emitted += pass.events.length;
    if (pass.deliveries > 0) rt.store.notifyWork();
    rt.observer.eventsMade(pass.events);
    if (!pass.more) return emitted;
  }
}

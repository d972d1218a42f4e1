import type { Db } from '../../store/db.js';

/** The longest a held delivery is moved at a time: the most it can lag behind its line moving. */
export const HELD_STEP_MS = 60_000;
/**
 * How often a dispatcher moves held deliveries. A pass walks the lines of the deliveries waiting
 * for a retry: 15 ms on PostgreSQL with one line of 10,000 already moved (0.03 ms on SQLite), so
 * not every second; what fan-out adds behind a stuck line meanwhile is walked by claims till then.
 */
export const HELD_PASS_MS = 5000;

/** When the head of `row`'s line (its lowest unfinished earlier delivery) is due; NULL while in flight. */
const headDue = (row: string) => `(SELECT h.next_attempt_at FROM deliveries h
      WHERE h.webhook_id = ${row}.webhook_id AND h.gateway_id = ${row}.gateway_id AND h.sequence < ${row}.sequence
        AND h.ordered = 1 AND h.status NOT IN ('delivered', 'dead')
      ORDER BY h.sequence LIMIT 1)`;

/**
 * Moves due deliveries of GATEWAY-ordered webhooks that wait behind an earlier delivery waiting
 * for a retry to when their line's head is due, `HELD_STEP_MS` at the most; their attempts are
 * untouched.
 * Why: a held delivery stays due (it must go the moment its line moves), and the claim walks the
 * due rows oldest first, probing each one's line (claimDeliveries.ts). A gateway stuck behind a
 * failing delivery piled its queue at the front of that walk: with 10,000 held rows before
 * 100,000 others, a claim of 100 took 110-400 ms on PostgreSQL instead of 4.5-23 ms, and 9-38 ms
 * on SQLite instead of 2-13 (medians of 21 claims on the busy 2-core machine, src/bench/heldClaim.ts,
 * npm run bench -- --scenario ordered; BENCHMARKS.md). Moving those 10,000 rows takes 0.55-1.4 s
 * on PostgreSQL (every index of the row is rewritten) and 33-235 ms on SQLite, so it is done once per retry of the line's head,
 * or per minute (HELD_STEP_MS) while that retry is further away, not per claim or per second.
 * The step bounds what moving them can cost: whatever lets the line go sooner than its head's
 * retry (a switch to NONE, the head going dead early), the held deliveries are due again within
 * a step; a partner's retry moves them back at once (advanceHeldDeliveries.ts). Behind a head in
 * flight nothing is moved (it ends within a request deadline). Rows other nodes hold locked are
 * skipped, so two nodes' passes never wait for each other. Returns how many it moved.
 *
 * @example const moved = await deferHeldDeliveries(db, now);
 */
export function deferHeldDeliveries(db: Db, now: number): Promise<number> {
  const until = now + HELD_STEP_MS;
  // Found from the retrying side (deliveries_retry_due, then each one's line through
  // deliveries_unfinished_sequence, hence d.ordered = 1), so a pass costs nothing when no GATEWAY
  // line waits for a retry: walking every due GATEWAY row instead cost each pass 30-100 ms at
  // saturation (npm run bench -- --scenario ordered, where every line's head is in flight and
  // nothing is moved).
  return db.run(
    `UPDATE deliveries
        SET next_attempt_at = CASE WHEN ${headDue('deliveries')} < ? THEN ${headDue('deliveries')} ELSE ? END, updated_at = ?
      WHERE id IN (SELECT d.id FROM deliveries r
                     JOIN deliveries d ON d.webhook_id = r.webhook_id AND d.gateway_id = r.gateway_id AND d.sequence > r.sequence
                    WHERE r.next_attempt_at > ? AND r.attempts > 0
                      AND r.webhook_id IN (SELECT id FROM webhooks WHERE ordering = 'GATEWAY')
                      AND d.ordered = 1 AND d.status NOT IN ('delivered', 'dead') AND d.next_attempt_at <= ?
                      AND ${headDue('d')} > ?
                      ${db.dialect.lockRowsSkipLocked})
        AND status IN ('pending', 'failed')`,
    [until, until, now, now, now, now],
  );
}

import type { Db } from '../../store/db.js';

export interface ClaimedDelivery {
  id: number;
  event_id: string;
  webhook_id: string;
  gateway_id: string;
  sequence: number;
  /** Including this attempt: counted at claim, so a crash mid-delivery still counts. */
  attempts: number;
  api_version: number | null;
  /** The claim holding the row: every later move of it names this token. */
  claim_token: string;
}

export interface ClaimRequest {
  /** Names this claim; unique per claim statement (dispatcher id and a counter). */
  token: string;
  now: number;
  /** How long the lease lasts, measured by the lease clock (`Dialect.leaseNow`). */
  leaseMs: number;
  limit: number;
  /** The retry schedule's length: rows with this many attempts (or their own higher limit) are used up. */
  scheduleLength: number;
  /** Endpoints this dispatcher cannot send to now (open circuit, in-flight limit reached): left untouched. */
  skipWebhooks?: readonly string[];
}

/**
 * The attempts a delivery may use: the schedule's, or more when a manual retry granted them.
 * Shared by the claim (which skips used-up rows) and the reclaim (which dead-letters them).
 */
export const ATTEMPT_CAP = 'CASE WHEN attempt_limit > ? THEN attempt_limit ELSE ? END';

/**
 * A delivery of a webhook with `ordering = 'GATEWAY'` waits while an earlier one (lower
 * sequence) of its (webhook, gateway) is unfinished: pending, in flight ('delivering', on this
 * node or another) or waiting for a retry. So only the lowest unfinished delivery of a pair can
 * be claimed, and only once it is due; the ones behind it stay untouched (no attempt used).
 * Unfinished -> finished is one-way (only a partner's retry or recovery of a dead delivery moves
 * back), so a statement whose snapshot is older than another node's claim or completion errs on
 * the side of waiting: two nodes never have one pair's consecutive deliveries in flight.
 * The ordering is read here, at each claim, so a PATCH takes effect for the next claims.
 * One seek into deliveries_unfinished_sequence (migration 019) per GATEWAY row the claim looks at;
 * rows held behind a retry are moved out of its way (deferHeldDeliveries.ts says what that saves).
 * That index holds only rows with `ordered` = 1 (migration 022), hence `p.ordered = 1`: every
 * unfinished delivery of a GATEWAY webhook has it (fan-out writes it, the switch to GATEWAY sets it
 * on the queue, a retry or recovery sets it), so the probe still sees the whole line.
 *
 * With the other moves of the queue: a node that dies mid-send leaves its row 'delivering' until
 * reclaimExpiredLeases takes it back (pending, or dead when its attempts are used up), so the next
 * one waits out the lease; releaseDeliveries and deferWebhookDeliveries keep rows unfinished, so
 * the line waits with them. retryDelivery and recoverDeliveries make a dead delivery unfinished
 * again: it goes first among its gateway's unfinished deliveries (they wait for it again), but the
 * ones after it that were already delivered stay delivered; it arrives after them, late, as any
 * retry does.
 */
export const HELD_BY_PREDECESSOR = `d.webhook_id IN (SELECT id FROM webhooks WHERE ordering = 'GATEWAY')
   AND EXISTS (SELECT 1 FROM deliveries p
                WHERE p.webhook_id = d.webhook_id AND p.gateway_id = d.gateway_id AND p.sequence < d.sequence
                  AND p.ordered = 1 AND p.status NOT IN ('delivered', 'dead'))`;

/**
 * Takes up to `limit` due deliveries of enabled webhooks with attempts left, oldest due first,
 * except those held behind an unfinished earlier delivery of their gateway (HELD_BY_PREDECESSOR),
 * counts the attempt and leases them under `token`. One statement: the inner SELECT skips rows
 * other nodes hold locked (where the engine can).
 *
 * @example const rows = await claimDeliveries(db, { token: 'a1b2.7', now, leaseMs: 60_000, limit: 100, scheduleLength: 10 });
 */
export function claimDeliveries(db: Db, claim: ClaimRequest): Promise<ClaimedDelivery[]> {
  return db.all<ClaimedDelivery>(CLAIM(db), claimParams(claim));
}

/** The claim statement: `claimDeliveries`, and the one `claimForSending` wraps. */
export const CLAIM = (db: Db) => `UPDATE deliveries
        SET status = 'delivering', attempts = attempts + 1, next_attempt_at = NULL,
            lease_until = ${db.dialect.leaseNow} + CAST(? AS BIGINT), claim_token = ?, updated_at = ?
      WHERE id IN (SELECT d.id FROM deliveries d
                    WHERE d.next_attempt_at <= ?
                      AND d.attempts < ${ATTEMPT_CAP}
                      AND d.webhook_id NOT IN (SELECT id FROM webhooks WHERE enabled = 0)
                      AND d.webhook_id NOT IN (${db.dialect.jsonTextList})
                      AND NOT (${HELD_BY_PREDECESSOR})
                    ORDER BY d.next_attempt_at
                    LIMIT ? ${db.dialect.lockRowsSkipLocked})
  RETURNING id, event_id, webhook_id, gateway_id, sequence, attempts, api_version, claim_token`;

export function claimParams(claim: ClaimRequest): unknown[] {
  const { token, now, leaseMs, limit, scheduleLength, skipWebhooks = [] } = claim;
  return [now, leaseMs, token, now, now, scheduleLength, scheduleLength, JSON.stringify(skipWebhooks), limit];
}

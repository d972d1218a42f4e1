import type { Db } from '../../store/db.js';
import type { ClaimRef } from './claimGroups.js';
import { placeholders } from './placeholders.js';

export interface Completion extends ClaimRef {
  statusCode: number;
  /** The API major the attempt was rendered in (`deliveries.api_version`). */
  major: number | undefined;
}

/**
 * Marks leased deliveries delivered, recording each one's status code and rendered major: one
 * statement per (claim, status code, major) in the batch, almost always one. Only rows their
 * claim still holds change; returns their ids (the others' claim was taken over: their outcome
 * is stale). The major is written here rather than by a statement of its own, which rewrote
 * every delivered row a second time.
 */
export async function completeDeliveries(db: Db, completions: readonly Completion[], now: number): Promise<number[]> {
  const groups = new Map<string, { token: string; statusCode: number; major: number | null; ids: number[] }>();
  for (const { id, claim_token, statusCode, major } of completions) {
    const key = `${claim_token} ${statusCode} ${major}`;
    const group = groups.get(key);
    if (group) group.ids.push(id);
    else groups.set(key, { token: claim_token, statusCode, major: major ?? null, ids: [id] });
  }
  const changed: number[] = [];
  for (const { token, statusCode, major, ids } of groups.values()) {
    const rows = await db.all<{ id: number }>(
      `UPDATE deliveries
          SET status = 'delivered', lease_until = NULL, last_status_code = ?, last_error = NULL,
              api_version = COALESCE(CAST(? AS INTEGER), api_version), updated_at = ?
        WHERE id IN (${placeholders(ids.length)}) AND status = 'delivering' AND claim_token = ?
    RETURNING id`,
      [statusCode, major, now, ...ids, token],
    );
    for (const row of rows) changed.push(row.id);
  }
  return changed;
}

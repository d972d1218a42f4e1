import type { Db } from '../../store/db.js';
import { placeholders } from './placeholders.js';

export interface Completion {
  id: number;
  statusCode: number;
  /** The API major the attempt was rendered in (`deliveries.api_version`). */
  major: number | undefined;
}

/**
 * Marks leased deliveries delivered, recording each one's status code and rendered major: one
 * statement per (status code, major) in the batch, almost always one. The major is written here
 * rather than by a statement of its own, which rewrote every delivered row a second time.
 */
export async function completeDeliveries(db: Db, completions: readonly Completion[], now: number): Promise<number> {
  const groups = new Map<string, { statusCode: number; major: number | null; ids: number[] }>();
  for (const { id, statusCode, major } of completions) {
    const key = `${statusCode} ${major}`;
    const group = groups.get(key);
    if (group) group.ids.push(id);
    else groups.set(key, { statusCode, major: major ?? null, ids: [id] });
  }
  let changed = 0;
  for (const { statusCode, major, ids } of groups.values()) {
    changed += await db.run(
      `UPDATE deliveries
          SET status = 'delivered', lease_until = NULL, last_status_code = ?, last_error = NULL,
              api_version = COALESCE(CAST(? AS INTEGER), api_version), updated_at = ?
        WHERE id IN (${placeholders(ids.length)}) AND status = 'delivering'`,
      [statusCode, major, now, ...ids],
    );
  }
  return changed;
}

import { placeholders } from '../delivery/queue/placeholders.js';
import type { Db } from '../store/db.js';

/**
 * Stores on each delivery the major its latest attempt was rendered in (`deliveries.api_version`),
 * one statement per major in the batch (almost always one). A retry after an upgrade renders the
 * new major (see `registry.ts`), so this is overwritten per attempt. Entries without a major
 * (nothing was sent: the event or webhook was gone) are skipped.
 */
export async function recordRenderedMajors(
  db: Db,
  attempts: Iterable<{ deliveryId: number; major?: number }>,
): Promise<void> {
  const byMajor = new Map<number, number[]>();
  for (const { deliveryId, major } of attempts) {
    if (major === undefined) continue;
    const ids = byMajor.get(major) ?? [];
    ids.push(deliveryId);
    byMajor.set(major, ids);
  }
  for (const [major, ids] of byMajor) {
    await db.run(`UPDATE deliveries SET api_version = ? WHERE id IN (${placeholders(ids.length)})`, [major, ...ids]);
  }
}

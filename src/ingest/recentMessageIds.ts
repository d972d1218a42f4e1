import type { Logger } from 'pino';
import type { Db, Store } from '../store/db.js';

/**
 * Ids taken in (by this process) after which the recent ones are moved into `message_ids_kept`.
 * The recent table stays a few hundred pages, so a batch dirties at most that many of it, and
 * each move gives every gateway a run of ids to append at once instead of one per batch.
 * Measured in BENCHMARKS.md ("Resend guard").
 */
export const MOVE_AFTER_IDS = 20_000;

const takenIn = new WeakMap<Store, number>();

/**
 * Counts ids a committed batch put into `message_ids_recent` and, every MOVE_AFTER_IDS of them,
 * moves the recent table into the kept one. Runs after the batch's commit, in a transaction of
 * its own; a failure is logged and changes nothing (the ids stay recent, and recent ids are
 * checked as kept ones are), so it never fails the batch that was already acknowledged.
 */
export async function noteRecentIds(store: Store, log: Logger, count: number): Promise<void> {
  const total = (takenIn.get(store) ?? 0) + count;
  if (total < MOVE_AFTER_IDS) {
    takenIn.set(store, total);
    return;
  }
  takenIn.set(store, 0);
  try {
    await moveRecentMessageIds(store);
  } catch (err) {
    log.warn({ err }, 'moving recent message ids failed; they stay in message_ids_recent');
  }
}

/**
 * Moves the recent ids into `message_ids_kept`, sorted by their key, so each gateway's ids are
 * appended together, in one transaction: a reader sees every id in one table or the other (a
 * batch's check reads both in one statement). On PostgreSQL the move first waits for the batches
 * under way and holds new ones back (Dialect.lockMessageIds): a batch whose insert met an id this
 * move deletes from the recent table would otherwise insert it again, having checked the kept
 * table before the move's commit. Returns how many it moved.
 */
export function moveRecentMessageIds(store: Store): Promise<number> {
  return store.transaction(async (tx: Db) => {
    if (tx.dialect.lockMessageIds) await tx.get(tx.dialect.lockMessageIds);
    // `WHERE true`: SQLite reads an upsert's ON after a bare SELECT as a join's.
    const moved = await tx.run(
      `INSERT INTO message_ids_kept (gateway_id, message_id, received_at)
       SELECT gateway_id, message_id, received_at FROM message_ids_recent WHERE true ORDER BY gateway_id, message_id
       ON CONFLICT (gateway_id, message_id) DO NOTHING`,
    );
    await tx.run(
      `DELETE FROM message_ids_recent
        WHERE EXISTS (SELECT 1 FROM message_ids_kept k
                       WHERE k.gateway_id = message_ids_recent.gateway_id AND k.message_id = message_ids_recent.message_id)`,
    );
    return moved;
  });
}

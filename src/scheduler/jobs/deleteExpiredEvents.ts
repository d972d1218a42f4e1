import type { Runtime } from '../../runtime.js';
import type { Db } from '../../store/db.js';

/**
 * Events per batch, and rows one statement deletes at most. Bounded so a backlog (retention just
 * switched on, or shortened) never becomes one huge transaction holding SQLite's write lock, or
 * PostgreSQL row locks, while gateways wait to ingest: each batch is its own transaction. On
 * SQLite a batch of 5000 events with a delivery and two attempts each takes about 80-100 ms
 * (50,000 events in 0.9 s), so ingest waits at most that long between batches.
 */
export const RETENTION_BATCH = 5000;

/** Deliveries that may still be sent: their event must stay. */
const QUEUED = "('pending', 'failed', 'delivering')";
/** Deliveries that are over: deleted with their event. */
const FINISHED = "('delivered', 'dead')";

/**
 * Deletes events older than `config.retentionMs` (by their backend timestamp) with their
 * `event_recipients` (so catch-up no longer lists them), their finished deliveries (delivered or
 * dead) and those deliveries' attempts. An event with a delivery still queued (pending, failed,
 * delivering) is kept, whole, until that delivery is over. Works in batches of
 * {@link RETENTION_BATCH} events, one transaction each, until nothing expired is left.
 * Returns how many events it deleted.
 *
 * @example
 * const deleted = await deleteExpiredEvents(rt); // run hourly by the scheduler
 */
export async function deleteExpiredEvents(rt: Runtime, batch = RETENTION_BATCH): Promise<number> {
  const cutoff = rt.clock.now() - rt.config.retentionMs;
  let deleted = 0;
  for (;;) {
    const { selected, removed } = await rt.store.transaction((tx) => deleteBatch(tx, cutoff, batch));
    deleted += removed;
    // A full batch of which nothing could go (a status this job does not know) must not spin.
    if (selected < batch || removed === 0) break;
  }
  return deleted;
}

/** One batch: picks up to `batch` expired events without queued deliveries and deletes them. */
async function deleteBatch(tx: Db, cutoff: number, batch: number): Promise<{ selected: number; removed: number }> {
  const events = await tx.all<{ id: string }>(
    `SELECT e.id FROM events e
      WHERE e.created_at < ?
        AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status IN ${QUEUED})
      ORDER BY e.created_at, e.id
      LIMIT ?`,
    [cutoff, batch],
  );
  if (events.length === 0) return { selected: 0, removed: 0 };
  const ids = JSON.stringify(events.map((e) => e.id));
  const inBatch = tx.dialect.jsonTextList;

  // Lock the batch's deliveries first (PostgreSQL; SQLite's transactions are serialised): a
  // partner retrying a dead one now either waits and finds it gone, or got in first, and then
  // the status checks below see it queued and keep it and its event.
  await tx.all(`SELECT id FROM deliveries WHERE event_id IN (${inBatch}) ORDER BY id ${tx.dialect.lockRows}`, [ids]);
  await deleteInChunks(
    tx,
    'delivery_attempts',
    `delivery_id IN (SELECT id FROM deliveries WHERE event_id IN (${inBatch}) AND status IN ${FINISHED})`,
    [ids],
    batch,
  );
  await deleteInChunks(tx, 'deliveries', `event_id IN (${inBatch}) AND status IN ${FINISHED}`, [ids], batch);
  const removed = await tx.all<{ id: string }>(
    `DELETE FROM events WHERE id IN (${inBatch})
        AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)
      RETURNING id`,
    [ids],
  );
  if (removed.length > 0) {
    await deleteInChunks(tx, 'event_recipients', `event_id IN (${inBatch})`, [JSON.stringify(removed.map((e) => e.id))], batch);
  }
  return { selected: events.length, removed: removed.length };
}

/**
 * `DELETE FROM table WHERE where`, at most `batch` rows per statement. The condition is repeated
 * outside the subquery so that PostgreSQL re-checks it on a row changed since the statement began.
 */
async function deleteInChunks(tx: Db, table: string, where: string, params: unknown[], batch: number): Promise<void> {
  for (;;) {
    const n = await tx.run(
      `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${where} LIMIT ?) AND ${where}`,
      [...params, batch, ...params],
    );
    if (n < batch) return;
  }
}

import type { Db } from '../../store/db.js';

/** What a failing endpoint last answered: the status (null when nothing came back) and the error, and when. */
export interface LastFailure {
  statusCode: number | null;
  error: string;
  at: number;
}

/** Deliveries of a webhook looked through, newest first: bounded however long its backlog. */
const NEWEST = 1000;

/**
 * The latest failure of a webhook since `since` (its failing run's start), from its newest
 * `NEWEST` deliveries (through deliveries_webhook, newest first), or undefined when none of them
 * failed since: the "Why" of the operator's failing list.
 *
 * @example await lastFailure(rt.store, 'wh_…', failingSince); // { statusCode: 503, error: 'HTTP 503', at: … }
 */
export async function lastFailure(db: Db, webhookId: string, since: number): Promise<LastFailure | undefined> {
  const row = await db.get<{ last_status_code: number | null; last_error: string; updated_at: number | string }>(
    `SELECT last_status_code, last_error, updated_at
       FROM (SELECT last_status_code, last_error, updated_at FROM deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ${NEWEST}) newest
      WHERE last_error IS NOT NULL AND updated_at >= ?
      ORDER BY updated_at DESC LIMIT 1`,
    [webhookId, since],
  );
  return row ? { statusCode: row.last_status_code, error: row.last_error, at: Number(row.updated_at) } : undefined;
}

import type { Db } from '../../store/db.js';
import type { Completion } from './completeDeliveries.js';
import { type AttemptRecord, storable } from './recordAttempts.js';

/** A completion and the attempt that earned it. */
export type LoggedCompletion = Completion & Omit<AttemptRecord, 'deliveryId' | 'claimToken'>;

/**
 * On an engine that chains writes (`Dialect.chainsWrites`, PostgreSQL): marks leased deliveries
 * delivered, appends their attempts to the log and ends their webhooks' failing runs, in ONE
 * statement, so a batch of successes costs one round trip instead of five (BEGIN, the UPDATE,
 * the attempts' INSERT, the webhooks' UPDATE, COMMIT: BENCHMARKS.md, "PostgreSQL per batch").
 * The same rows as completeDeliveries + recordAttempts + recordWebhookHealth: only rows their
 * claim still holds change, and only those get an attempt row and count as their endpoint's
 * success; a row whose claim was taken over writes nothing. Returns the ids that changed.
 *
 * @example const ids = await completeAndLogDeliveries(db, [{ id: 7, claim_token: 'a1.3', statusCode: 200, major: 2, attemptedAt, durationMs: 12, responseBody: '', error: null }], now);
 */
export async function completeAndLogDeliveries(db: Db, done: readonly LoggedCompletion[], now: number): Promise<number[]> {
  const rows = await db.all<{ id: number }>(
    `WITH sent AS (
       SELECT id, claim_token, status_code, major, attempted_at, duration_ms, response_body, error, url, api_key_header, languages
         FROM unnest(CAST(? AS BIGINT[]), CAST(? AS TEXT[]), CAST(? AS INTEGER[]), CAST(? AS INTEGER[]),
                     CAST(? AS BIGINT[]), CAST(? AS INTEGER[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]),
                     CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]))
         AS s(id, claim_token, status_code, major, attempted_at, duration_ms, response_body, error, url, api_key_header, languages)
     ), done AS (
       UPDATE deliveries d
          SET status = 'delivered', lease_until = NULL, last_status_code = s.status_code, last_error = NULL,
              api_version = COALESCE(s.major, d.api_version), updated_at = ?
         FROM sent s
        WHERE d.id = s.id AND d.status = 'delivering' AND d.claim_token = s.claim_token
    RETURNING d.id, d.webhook_id
     ), logged AS (
       INSERT INTO delivery_attempts (delivery_id, claim_token, attempted_at, status_code, duration_ms, response_body, error, url, api_key_header, languages)
       SELECT s.id, s.claim_token, s.attempted_at, s.status_code, s.duration_ms, s.response_body, s.error, s.url, s.api_key_header, s.languages
         FROM sent s JOIN done ON done.id = s.id
        ORDER BY s.id
     ), healthy AS (
       UPDATE webhooks SET failing_since = NULL, broken_at = NULL, broken_reason = NULL
        WHERE (failing_since IS NOT NULL OR broken_at IS NOT NULL) AND id IN (SELECT webhook_id FROM done)
     )
     SELECT id FROM done`,
    [
      done.map((c) => c.id),
      done.map((c) => c.claim_token),
      done.map((c) => c.statusCode),
      done.map((c) => c.major ?? null),
      done.map((c) => c.attemptedAt),
      done.map((c) => c.durationMs),
      done.map((c) => storable(c.responseBody)),
      done.map((c) => storable(c.error)),
      done.map((c) => c.sentTo?.url ?? null),
      done.map((c) => c.sentTo?.apiKeyHeader ?? null),
      done.map((c) => c.sentTo?.languages ?? null),
      now,
    ],
  );
  return rows.map((r) => r.id);
}
